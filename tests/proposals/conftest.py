"""Factories for proposals tests: calls and proposals made through the services, and the form
data a group types, so tests can drive the pages with it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask.testing import FlaskClient

from app.core import clock
from app.extensions import db
from tests.conftest import Auth


def department_id(code: str) -> int:
    from app.plan.models import Department

    return db.session.scalar(sa.select(Department.id).where(Department.code == code))


def create_call(app: Any, **overrides: Any) -> int:
    """A published 市民提案型 call open for submissions (and pre-consultation) now."""
    from app.proposals import services
    from app.proposals.models import CallType, default_criteria

    now = clock.now()
    with app.app_context():
        values = {
            "title_ja": "協働提案の募集",
            "title_en": "Call for collaboration proposals",
            "summary_ja": "市と協働で取り組む事業を募集します。",
            "summary_en": "Propose a project to carry out with the city.",
            "call_type": CallType.CITIZEN,
            "consultation_opens_at": now - timedelta(days=5),
            "consultation_closes_at": now + timedelta(days=5),
            "opens_at": now - timedelta(days=1),
            "closes_at": now + timedelta(days=30),
            "max_contribution": 1_000_000,
            "criteria": default_criteria(),
            "initiative_id": services.collaboration_initiative_id(),
            "department_id": department_id("shimin-kyodo"),
        }
        values.update(overrides)
        call = services.save_call(None, None, **values)
        services.publish_call(None, call)
        return call.id


def proposal_form(app: Any, division: str = "kikaku", **overrides: Any) -> dict[str, Any]:
    """What a group types into the proposal form (field names as posted)."""
    with app.app_context():
        division_id = department_id(division)
    data: dict[str, Any] = {
        "group_name": "江津湖の自然を守る会",
        "representative": "山本 修",
        "members": "12",
        "founded_on": "2015-04-01",
        "address": "熊本市東区江津1-1",
        "phone": "096-555-0100",
        "email": "group@example.jp",
        "activity_record": "外来種の駆除を10年続けています。",
        "title": "江津湖の外来種駆除と環境学習",
        "summary": "市民と小学校が協力して外来種を駆除します。",
        "problem": "外来種が増え、在来の生き物が減っています。",
        "plan": "月1回の駆除活動と年2回の学習会。",
        "schedule": "5月から2月まで。",
        "group_role": "企画と運営。",
        "city_role": "広報と学校との調整。",
        "department_id": str(division_id),
        "budget-0-item": "講師謝礼",
        "budget-0-amount": "300000",
        "budget-0-city_share": "300000",
        "budget-1-item": "消耗品",
        "budget-1-amount": "200000",
        "budget-1-city_share": "100000",
        "eligibility": ["based_in_city", "five_members", "rules_and_accounts", "active_one_year"],
        "declarations": [
            "profit",
            "specific_persons",
            "political",
            "facilities",
            "funded_elsewhere",
            "illegal",
        ],
    }
    data.update(overrides)
    return data


def client_for(app: Any, email: str) -> FlaskClient:
    """A separate browser session logged in as someone: groups, staff and reviewers at once."""
    client = app.test_client()
    response = Auth(client).login(email)
    assert response.status_code == 302, f"login of {email} failed"
    return client


def post_form(client: FlaskClient, page: str, url: str, data: dict[str, Any]) -> Any:
    """Post a form found on `page` (several forms may share it) with that page's CSRF token."""
    from tests.conftest import csrf_from

    response = client.get(page)
    assert response.status_code == 200, f"{page} answered {response.status_code}"
    return client.post(url, data={"csrf_token": csrf_from(response.text), **data})


def proposal_ids(app: Any) -> list[int]:
    from app.proposals.models import Proposal

    with app.app_context():
        return list(db.session.scalars(sa.select(Proposal.id).order_by(Proposal.id)))


def submit_proposal(client: FlaskClient, proposal_id: int) -> Any:
    """The group submits from the confirmation page (確認画面), as the pages lead it to."""
    url = f"/proposals/mine/{proposal_id}/submit"
    return post_form(client, url, url, {"confirmed": "y"})


def close_call(app: Any, call_id: int, days_ago: int = 1) -> None:
    """Date a call's closing into the past, so the steps that wait for it can be taken now:
    arranging the data, not a service (no service reopens or closes a window early)."""
    from app.proposals.models import ProposalCall

    with app.app_context():
        _date_closed(db.session.get(ProposalCall, call_id), days_ago)


def reopen_call(app: Any, call_id: int) -> None:
    """Date a call's closing a month ahead again, so more groups can submit to it."""
    from app.proposals.models import ProposalCall

    with app.app_context():
        _date_closed(db.session.get(ProposalCall, call_id), days_ago=-30)


def _date_closed(call: Any, days_ago: int) -> None:
    call.closes_at = clock.now() - timedelta(days=days_ago)
    call.opens_at = min(call.opens_at, call.closes_at - timedelta(days=1))
    db.session.commit()


def take_to_adoption(app: Any, proposal_id: int, reviewer_email: str | None = None) -> None:
    """The city's side of a round, through the services, for a submitted proposal: eligibility,
    the division's opinion, both reviews with a presentation between them, and adoption. The
    call is dated as closed a day ago and the presentation as held this morning."""
    from app.accounts.models import User
    from app.core.permissions import Role
    from app.proposals import services
    from app.proposals.models import Proposal, ProposalCall, Round

    with app.app_context():
        proposal = db.session.get(Proposal, proposal_id)
        email = reviewer_email or f"judge-of-call-{proposal.call_id}@example.jp"
        reviewer = db.session.scalar(sa.select(User).where(User.email == email))
        if reviewer is None:
            reviewer = User(email=email, display_name="審査", role=Role.REVIEWER, password_hash="!")
            db.session.add(reviewer)
            db.session.commit()
        services.assign_reviewer(None, proposal.call, reviewer)
        services.forward_to_division(None, proposal, True, "")
        services.record_division_opinion(None, proposal, True, "実施できます。")
        services.record_score(reviewer, proposal, Round.DOCUMENT, [4] * 10)
        services.document_result(None, proposal, True, "")
        call = db.session.get(ProposalCall, proposal.call_id)
        _date_closed(call, days_ago=1)
        if call.presentation_session_id is None:
            starts = clock.now() - timedelta(hours=5)
            services.schedule_presentation(
                None,
                call,
                title_ja="",
                title_en="",
                starts_at=starts,
                ends_at=starts + timedelta(hours=2),
                venue_id=None,
                online_url="https://example.jp/live",
                capacity=50,
                registration_required=True,
                registration_opens_at=None,
                registration_closes_at=None,
                accommodations=[],
            )
        proposal = db.session.get(Proposal, proposal_id)
        services.open_final_review(None, proposal)
        services.record_score(reviewer, proposal, Round.FINAL, [3] * 10)
        services.decide(None, proposal, True, "公益性が高い提案です。")


def presentation_values(hours_from_now: float) -> dict[str, Any]:
    """A two-hour online presentation starting that many hours from now (negative: past)."""
    starts = clock.now() + timedelta(hours=hours_from_now)
    return {
        "title_ja": "",
        "title_en": "",
        "starts_at": starts,
        "ends_at": starts + timedelta(hours=2),
        "venue_id": None,
        "online_url": "https://example.jp/live",
        "capacity": 50,
        "registration_required": True,
        "registration_opens_at": None,
        "registration_closes_at": None,
        "accommodations": [],
    }


def take_to_final_review(app: Any, proposal_id: int, reviewers: list[Any]) -> None:
    """A submitted proposal into the final review through the services: the call dated as
    closed yesterday, every reviewer scoring the document review, a presentation held this
    morning; then the first reviewer scores the final review and the others have not yet."""
    from app.proposals import services
    from app.proposals.models import Proposal, ProposalCall, Round

    with app.app_context():
        proposal = db.session.get(Proposal, proposal_id)
        call = db.session.get(ProposalCall, proposal.call_id)
        _date_closed(call, days_ago=1)
        for reviewer in reviewers:
            services.assign_reviewer(None, call, reviewer)
        proposal = db.session.get(Proposal, proposal_id)
        services.forward_to_division(None, proposal, True, "")
        services.record_division_opinion(None, proposal, True, "実施できます。")
        for reviewer in reviewers:
            services.record_score(reviewer, proposal, Round.DOCUMENT, [4] * 10)
        services.document_result(None, proposal, True, "")
        services.schedule_presentation(None, call, **presentation_values(-5))
        proposal = db.session.get(Proposal, proposal_id)
        services.open_final_review(None, proposal)
        services.record_score(reviewers[0], proposal, Round.FINAL, [4] * 10)
