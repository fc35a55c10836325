"""The public pages and the registry: demo data, fixed statement counts, no personal data in
public, the initiative page and the staff dashboard."""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa

from app.core import clock
from app.extensions import db
from tests.conftest import count_statements
from tests.proposals.conftest import create_call, department_id, reopen_call, take_to_adoption

PRIVATE = ("山本 修", "096-555-0100", "group@example.jp", "熊本市東区江津1-1")


def adopt(app: Any, call_id: int, count: int, start: int = 0, until: str = "agreed") -> list[int]:
    """Proposals submitted through the services, taken to adoption and an agreement (or only
    into the document review)."""
    from app.accounts.models import User
    from app.proposals import services
    from app.proposals.models import Proposal

    ids = []
    for number in range(start, start + count):
        reopen_call(app, call_id)  # take_to_adoption dates the call as closed
        user_id, proposal_id = draft(app, call_id, number)
        with app.app_context():
            group = db.session.get(User, user_id)
            proposal = db.session.get(Proposal, proposal_id)
            services.submit(group, proposal.id)
            proposal_id = proposal.id
            if until == "document_review":
                services.forward_to_division(None, proposal, True, "")
                services.record_division_opinion(None, proposal, True, "可")
                ids.append(proposal_id)
                continue
        take_to_adoption(app, proposal_id)
        with app.app_context():
            proposal = db.session.get(Proposal, proposal_id)
            services.conclude_agreement(None, proposal, clock.today(), "役割", 90_000)
        ids.append(proposal_id)
    return ids


def draft(app: Any, call_id: int, number: int) -> tuple[int, int]:
    """A group's complete draft, saved through the service; returns (user id, proposal id)."""
    from app.accounts.models import User
    from app.core.permissions import Role
    from app.proposals import services
    from app.proposals.models import ELIGIBILITY_LABELS, EXCLUSION_LABELS, ProposalCall

    with app.app_context():
        group = User(
            email=f"group{number}@example.jp",
            display_name="団体",
            role=Role.CITIZEN,
            password_hash="!",
        )
        db.session.add(group)
        db.session.commit()
        proposal = services.save_draft(
            group,
            db.session.get(ProposalCall, call_id),
            None,
            [services.BudgetEntry("費用", 100_000, 100_000)],
            group_name=f"団体{number}",
            representative="山本 修",
            members=8,
            founded_on=date(2018, 4, 1),
            address="熊本市東区江津1-1",
            phone="096-555-0100",
            email="group@example.jp",
            title=f"協働事業{number}",
            summary="概要",
            problem="課題",
            plan="内容",
            schedule="日程",
            group_role="団体の役割",
            city_role="市の役割",
            department_id=department_id("kikaku"),
            eligibility=list(ELIGIBILITY_LABELS),
            declarations=list(EXCLUSION_LABELS),
        )
        return group.id, proposal.id


def test_demo_has_a_past_round_under_way_and_evaluated_and_an_open_call(app, runner, client):
    from app.proposals.models import Proposal, ProposalCall, Stage

    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        stages = db.session.scalars(sa.select(Proposal.stage)).all()
        calls = db.session.scalars(sa.select(ProposalCall)).all()
        now = clock.now()
        assert any(c.closes_at < now for c in calls) and any(c.is_open(now) for c in calls)
        counts = (len(stages), len(calls))
    assert Stage.EVALUATED in stages and Stage.AGREED in stages
    assert Stage.REJECTED in stages and Stage.DRAFT in stages
    page = client.get("/proposals/projects").text
    assert "地域の子ども食堂を結ぶ食材シェアリング" in page
    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    with app.app_context():
        again = (
            db.session.scalar(sa.select(sa.func.count(Proposal.id))),
            db.session.scalar(sa.select(sa.func.count(ProposalCall.id))),
        )
    assert again == counts


def test_public_pages_cost_a_fixed_number_of_statements(app, client, plan):
    call_id = create_call(app)
    first = adopt(app, call_id, 1)
    urls = [
        "/proposals/",
        "/proposals/projects",
        f"/proposals/calls/{call_id}",
        f"/proposals/projects/{first[0]}",
    ]
    counts = {}
    for url in urls:
        with app.app_context(), count_statements() as statements:
            assert client.get(url).status_code == 200, url
        counts[url] = len(statements)
    adopt(app, call_id, 4, start=1)
    for url in urls:
        with app.app_context(), count_statements() as statements:
            response = client.get(url)
        assert len(statements) == counts[url], url
        for private in PRIVATE:
            assert private not in response.text, (url, private)
    assert client.get("/proposals/projects").text.count("協働事業") == 5


def test_the_initiative_page_and_the_figures_show_the_projects(app, client, plan):
    call_id = create_call(app)
    adopt(app, call_id, 2)
    page = client.get("/initiatives/17").text
    assert "団体0: 協働事業0" in page and "/proposals/projects/" in page
    from app.core.activity import figures_by_initiative
    from app.plan.models import Initiative

    with app.app_context():
        initiative_id = db.session.scalar(sa.select(Initiative.id).where(Initiative.number == 17))
        row = figures_by_initiative()["proposals"][initiative_id]
    assert row == {
        "submitted": 2,
        "adopted": 2,
        "carried_out": 2,
        "evaluated": 0,
        "contribution": 180_000,
    }
    for private in PRIVATE:
        assert private not in client.get("/api/v1/figures").text


def test_the_staff_dashboard_lists_proposals_waiting_on_the_city(app, client, plan, login_as):
    from app.accounts.models import User
    from app.proposals import services
    from app.proposals.models import Proposal

    user_id, proposal_id = draft(app, create_call(app), 0)
    with app.app_context():
        proposal = db.session.get(Proposal, proposal_id)
        proposal.title = "返事を待つ提案"
        db.session.commit()
        services.submit(db.session.get(User, user_id), proposal_id)
    login_as("staff", "shimin-kyodo")
    page = client.get("/staff/reports/attention").text
    assert "返事を待つ提案" in page
    assert "市の対応待ち：提出" in page


def test_the_api_lists_adopted_projects_without_personal_data(app, client, plan):
    call_id = create_call(app)
    ids = adopt(app, call_id, 3)
    response = client.get("/api/v1/proposals?per_page=2")
    payload = response.get_json()
    assert response.status_code == 200 and payload["total"] == 3
    assert [item["id"] for item in payload["items"]] == ids[:2]
    first = payload["items"][0]
    assert first["group"] == "団体0" and first["initiative"] == 17
    assert first["stage"] == "agreed" and first["city_contribution"] == 90_000
    assert "page=2" in payload["next"]
    for private in PRIVATE:
        assert private not in response.text


def test_adopted_projects_are_listed_a_page_at_a_time(app, client, plan, monkeypatch):
    from app.proposals import views

    monkeypatch.setattr(views, "PROJECTS_PER_PAGE", 2)
    adopt(app, create_call(app), 3)
    first = client.get("/proposals/projects").text
    assert first.count("協働事業") == 2 and "/proposals/projects?page=2" in first
    second = client.get("/proposals/projects?page=2").text
    assert second.count("協働事業") == 1 and "/proposals/projects?page=1" in second
