"""A proposal taken through every stage through the pages each person uses: the coordinator
(市民協働課), the group, the division, two reviewers; then what the public and the registry see."""

from __future__ import annotations

import re
from datetime import timedelta

import sqlalchemy as sa

from app.core import clock
from app.core.i18n import to_jst
from app.extensions import db
from tests.proposals.conftest import (
    client_for,
    close_call,
    post_form,
    proposal_form,
    proposal_ids,
    submit_proposal,
)


def _stage(app, proposal_id):
    from app.proposals.models import Proposal

    with app.app_context():
        return db.session.get(Proposal, proposal_id).stage.value


def test_a_proposal_goes_through_every_stage(app, plan, make_user, no_rate_limit):
    coordinator = make_user("staff", "shimin-kyodo")
    division = make_user("staff", "kikaku")
    group = make_user("citizen")
    reviewers = [make_user("reviewer"), make_user("reviewer")]
    staff = client_for(app, coordinator.email)

    # The call, typed into the staff form with the default criteria (ten, 100 points).
    page = staff.get("/staff/proposals/calls/new")
    assert "15 | 公益性 | Public benefit" in page.text
    now = to_jst(clock.now()).replace(tzinfo=None)
    fmt = "%Y-%m-%dT%H:%M"
    criteria = re.search(
        r'<textarea[^>]*name="criteria_text"[^>]*>\s*(.*?)</textarea>', page.text, re.S
    )
    response = post_form(
        staff,
        "/staff/proposals/calls/new",
        "/staff/proposals/calls/new",
        {
            "title_ja": "令和8年度 協働提案",
            "title_en": "FY2026 collaboration proposals",
            "summary_ja": "市と協働で取り組む事業を募集します。",
            "call_type": "citizen",
            "department_id": str(coordinator.department_id),
            "initiative_id": str(_initiative_id(app, 17)),
            "consultation_opens_at": (now - timedelta(days=3)).strftime(fmt),
            "consultation_closes_at": (now + timedelta(days=3)).strftime(fmt),
            "opens_at": (now - timedelta(days=1)).strftime(fmt),
            "closes_at": (now + timedelta(days=20)).strftime(fmt),
            "max_contribution": "1000000",
            "criteria_text": criteria.group(1).replace("&amp;", "&"),
        },
    )
    assert response.status_code == 302, response.text
    call_url = response.headers["Location"]
    call_id = int(call_url.rstrip("/").rsplit("/", 1)[1])
    post_form(staff, call_url, f"/staff/proposals/calls/{call_id}/publish", {})
    for reviewer in reviewers:
        post_form(
            staff,
            call_url,
            f"/staff/proposals/calls/{call_id}/reviewers",
            {"reviewer_id": str(reviewer.id)},
        )
    assert "令和8年度 協働提案" in staff.get("/proposals/").text

    # The group writes a draft, asks for a pre-consultation and gets a note back.
    citizen = client_for(app, group.email)
    form_url = f"/proposals/calls/{call_id}/new"
    response = post_form(citizen, form_url, form_url, proposal_form(app))
    assert response.status_code == 302, response.text
    (proposal_id,) = proposal_ids(app)
    mine = f"/proposals/mine/{proposal_id}"
    assert _stage(app, proposal_id) == "draft"
    post_form(citizen, mine, f"{mine}/consult", {})
    assert _stage(app, proposal_id) == "consulting"
    staff_page = f"/staff/proposals/{proposal_id}"
    post_form(staff, staff_page, f"{staff_page}/note", {"note": "予算の内訳をもう少し詳しく。"})
    assert "予算の内訳をもう少し詳しく。" in citizen.get(mine).text

    # Submission: the receipt number, by e-mail too.
    response = submit_proposal(citizen, proposal_id)
    page = citizen.get(mine).text
    assert f"KT{call_id:03d}-00001" in page
    assert _stage(app, proposal_id) == "submitted"
    from app.core.mail import OutboxMessage

    with app.app_context():
        subjects = db.session.scalars(sa.select(OutboxMessage.subject)).all()
    assert any(f"KT{call_id:03d}-00001" in s for s in subjects)

    # 市民協働課 checks eligibility; the division gives its opinion.
    post_form(staff, staff_page, f"{staff_page}/forward", {"eligible": "yes", "note": ""})
    assert _stage(app, proposal_id) == "division"
    clerk = client_for(app, division.email)
    post_form(
        clerk,
        staff_page,
        f"{staff_page}/opinion",
        {"feasible": "yes", "opinion": "学校との調整は当課で担えます。"},
    )
    assert _stage(app, proposal_id) == "document_review"

    # Document review: both reviewers score, then the coordinator records the result.
    judges = [client_for(app, r.email) for r in reviewers]
    for judge, points in zip(judges, ([5] * 10, [4] * 10), strict=True):
        url = f"/staff/proposals/review/{proposal_id}/document"
        data = {f"criterion_{i}": str(p) for i, p in enumerate(points)}
        assert post_form(judge, url, url, data).status_code == 302
    ranking = staff.get(call_url).text
    assert "90.0" in ranking  # (100 + 80) / 2
    post_form(staff, staff_page, f"{staff_page}/document", {"outcome": "yes", "reason": ""})
    assert _stage(app, proposal_id) == "presentation"

    # The public presentation is a consultations session, after the call has closed; here the
    # call closed three days ago and the presentation was held yesterday.
    close_call(app, call_id, days_ago=3)
    day = (to_jst(clock.now()) - timedelta(days=1)).date()
    post_form(
        staff,
        call_url,
        f"/staff/proposals/calls/{call_id}/presentation",
        {
            "date": day.isoformat(),
            "start_time": "13:00",
            "end_time": "16:00",
            "venue_id": "0",
            "online_url": "https://example.jp/live",
            "capacity": "80",
            "registration_required": "y",
        },
    )
    public_call = citizen.get(f"/proposals/calls/{call_id}").text
    session_link = re.search(r'href="(/consultations/sessions/\d+)"', public_call)
    assert session_link, "the call page links to its public presentation"
    assert citizen.get(session_link.group(1)).status_code == 200
    post_form(staff, staff_page, f"{staff_page}/final", {})
    assert _stage(app, proposal_id) == "final_review"

    # Final review: one reviewer scores, the other declares a conflict of interest.
    url = f"/staff/proposals/review/{proposal_id}/final"
    post_form(judges[0], url, url, {f"criterion_{i}": "4" for i in range(10)})
    post_form(judges[1], url, url, {"conflict": "y"})
    post_form(
        staff,
        staff_page,
        f"{staff_page}/decide",
        {"outcome": "yes", "reason": "公益性が高く、役割分担が明確です。"},
    )
    assert _stage(app, proposal_id) == "adopted"

    # The public sees the project with a score summary that names no reviewer.
    project = citizen.get(f"/proposals/projects/{proposal_id}").text
    assert "江津湖の外来種駆除と環境学習" in project
    assert "公益性が高く、役割分担が明確です。" in project
    assert 'id="total-score">80.0<' in project
    for reviewer in reviewers:
        assert reviewer.email not in project
    for private in ("山本 修", "096-555-0100", "group@example.jp", "熊本市東区江津1-1"):
        assert private not in project

    # The agreement, progress, a mid-term review, completion and the joint evaluation.
    post_form(
        staff,
        staff_page,
        f"{staff_page}/agreement",
        {
            "agreed_on": clock.today().isoformat(),
            "roles": "団体が運営、市が広報。",
            "budget": "400000",
        },
    )
    assert _stage(app, proposal_id) == "agreed"
    post_form(citizen, mine, f"{mine}/reports", {"text": "5月に第1回の駆除を行い、30人が参加。"})
    post_form(clerk, staff_page, f"{staff_page}/midterm", {"text": "順調に進んでいます。"})
    post_form(clerk, staff_page, f"{staff_page}/complete", {"completed_on": "2027-02-28"})
    assert _stage(app, proposal_id) == "completed"
    post_form(citizen, mine, f"{mine}/evaluation", {"text": "参加者が増えました。"})
    post_form(
        clerk, staff_page, f"{staff_page}/evaluation", {"text": "学校との連携が根付きました。"}
    )
    assert _stage(app, proposal_id) == "evaluated"

    project = citizen.get(f"/proposals/projects/{proposal_id}").text
    for text in (
        "5月に第1回の駆除を行い、30人が参加。",
        "順調に進んでいます。",
        "参加者が増えました。",
        "学校との連携が根付きました。",
    ):
        assert text in project

    # Every stage is shown to the group with its date, and every change is in the audit log.
    history = citizen.get(mine).text
    for label in (
        "事前相談",
        "提出",
        "担当課協議",
        "一次審査",
        "公開プレゼンテーション",
        "最終審査",
        "採択",
        "協定締結",
        "完了",
        "評価済み",
    ):
        assert label in history, label
    from app.core.audit import AuditEntry

    with app.app_context():
        actions = set(db.session.scalars(sa.select(AuditEntry.action)))
    for stage in (
        "submitted",
        "division",
        "document_review",
        "presentation",
        "final_review",
        "adopted",
        "agreed",
        "completed",
        "evaluated",
    ):
        assert f"proposals.stage.{stage}" in actions

    # The registry's figures for initiative 17, as the home table and the API show them.
    figures = citizen.get("/api/v1/figures").get_json()
    row = _figures_for(figures, 17)
    assert row == {
        "submitted": 1,
        "adopted": 1,
        "carried_out": 1,
        "evaluated": 1,
        "contribution": 400000,
    }


def _figures_for(payload, number):
    (item,) = [i for i in payload["initiatives"] if i["number"] == number]
    return item["figures"]["proposals"]


def _initiative_id(app, number):
    from app.plan.models import Initiative

    with app.app_context():
        return db.session.scalar(sa.select(Initiative.id).where(Initiative.number == number))
