"""The stage machine's order (issue 17): adoption waits for the call's close, the public
presentation and every reviewer; dates never run backwards; a reviewer with a conflict sees no
scores while the round is open; submitting goes through a confirmation page; the budget's
errors are summarised in Japanese with the row the group sees."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.core import clock
from app.core.i18n import to_jst
from app.extensions import db
from tests.proposals.conftest import (
    client_for,
    close_call,
    create_call,
    post_form,
    presentation_values,
    proposal_form,
    proposal_ids,
    reopen_call,
    submit_proposal,
    take_to_final_review,
)


def _stage(app, proposal_id):
    from app.proposals.models import Proposal

    with app.app_context():
        return db.session.get(Proposal, proposal_id).stage.value


def _submitted(app, call_id, group):
    client = client_for(app, group.email)
    url = f"/proposals/calls/{call_id}/new"
    assert post_form(client, url, url, proposal_form(app)).status_code == 302
    proposal_id = proposal_ids(app)[-1]
    assert submit_proposal(client, proposal_id).status_code == 302
    return client, proposal_id


@pytest.fixture
def in_final_review(app, plan, make_user, no_rate_limit):
    """A proposal in the final review of a call that closed yesterday, after a presentation
    held this morning, with two reviewers of whom the first has scored."""
    coordinator = make_user("staff", "shimin-kyodo")
    reviewers = [make_user("reviewer"), make_user("reviewer")]
    call_id = create_call(app)
    _group, proposal_id = _submitted(app, call_id, make_user("citizen"))
    take_to_final_review(app, proposal_id, reviewers)
    return {
        "call_id": call_id,
        "proposal_id": proposal_id,
        "staff": client_for(app, coordinator.email),
        "reviewers": reviewers,
    }


def _decide(state):
    page = f"/staff/proposals/{state['proposal_id']}"
    return post_form(
        state["staff"], page, f"{page}/decide", {"outcome": "yes", "reason": "公益性が高い。"}
    )


def test_adoption_with_a_reviewer_missing_is_refused_naming_them(app, in_final_review):
    from app.proposals import services
    from app.proposals.models import Proposal, Round

    missing = in_final_review["reviewers"][1]
    page = in_final_review["staff"].get(f"/staff/proposals/{in_final_review['proposal_id']}")
    assert 'id="adoption-blockers"' in page.text and missing.display_name in page.text

    response = _decide(in_final_review)
    assert response.status_code == 200
    assert "まだ採択できません。" in response.text
    assert "最終審査の採点も利害関係の申告もしていない審査委員" in response.text
    assert missing.display_name in response.text
    assert _stage(app, in_final_review["proposal_id"]) == "final_review"

    # A declared conflict of interest counts as the reviewer's answer.
    with app.app_context():
        proposal = db.session.get(Proposal, in_final_review["proposal_id"])
        services.record_score(missing, proposal, Round.FINAL, [], conflict=True)
    assert _decide(in_final_review).status_code == 302
    assert _stage(app, in_final_review["proposal_id"]) == "adopted"


def test_adoption_with_only_conflicts_declared_is_refused(app, plan, in_final_review):
    """After a first review with scores, a final review where nobody scored adopts nothing."""
    from app.proposals.models import ProposalScore, Round

    with app.app_context():
        db.session.execute(
            sa.update(ProposalScore)
            .where(ProposalScore.round == Round.FINAL)
            .values(conflict=True, points=[], total=None)
        )
        db.session.commit()
        from app.proposals import services
        from app.proposals.models import Proposal

        proposal = db.session.get(Proposal, in_final_review["proposal_id"])
        services.record_score(
            in_final_review["reviewers"][1], proposal, Round.FINAL, [], conflict=True
        )
    response = _decide(in_final_review)
    assert "最終審査でこの提案を採点した審査委員がいません。" in response.text
    assert _stage(app, in_final_review["proposal_id"]) == "final_review"


def test_adoption_while_the_call_is_open_is_refused(app, in_final_review):
    """The call's closing moved later (the call was extended): no adoption until it closes."""
    from app.proposals import services
    from app.proposals.models import Proposal, Round

    with app.app_context():
        proposal = db.session.get(Proposal, in_final_review["proposal_id"])
        services.record_score(in_final_review["reviewers"][1], proposal, Round.FINAL, [3] * 10)
    reopen_call(app, in_final_review["call_id"])
    response = _decide(in_final_review)
    assert response.status_code == 200
    assert "募集期間中です" in response.text
    assert _stage(app, in_final_review["proposal_id"]) == "final_review"


def test_adoption_before_the_presentation_is_held_is_refused(app, in_final_review):
    """The presentation moved to tomorrow: no adoption until it has been held."""
    from app.consultations import services as consultations
    from app.proposals import services
    from app.proposals.models import Proposal, ProposalCall, Round

    with app.app_context():
        proposal = db.session.get(Proposal, in_final_review["proposal_id"])
        services.record_score(in_final_review["reviewers"][1], proposal, Round.FINAL, [3] * 10)
        session = db.session.get(ProposalCall, in_final_review["call_id"]).presentation
        consultations.move_session(None, session, **presentation_values(24))
    response = _decide(in_final_review)
    assert response.status_code == 200
    assert "公開プレゼンテーションはまだ実施されていません" in response.text
    assert _stage(app, in_final_review["proposal_id"]) == "final_review"


def test_the_presentation_is_scheduled_after_the_close_and_held_before_the_final_review(
    app, plan, make_user, no_rate_limit
):
    from app.proposals import services
    from app.proposals.models import Proposal

    coordinator = make_user("staff", "shimin-kyodo")
    call_id = create_call(app)
    _group, proposal_id = _submitted(app, call_id, make_user("citizen"))
    staff = client_for(app, coordinator.email)
    call_url = f"/staff/proposals/calls/{call_id}"
    day = (to_jst(clock.now()) + timedelta(days=10)).date()  # the call closes in 30 days
    form = {
        "date": day.isoformat(),
        "start_time": "13:00",
        "end_time": "16:00",
        "venue_id": "0",
        "online_url": "https://example.jp/live",
        "capacity": "80",
        "registration_required": "y",
    }
    response = post_form(staff, call_url, f"{call_url}/presentation", form)
    assert response.status_code == 200
    error = re.search(r'id="date-error">([^<]*)<', response.text)
    assert error and "公開プレゼンテーションは募集の締切" in error.group(1)
    assert f'value="{day.isoformat()}"' in response.text  # what was typed is kept

    close_call(app, call_id, days_ago=40)
    assert post_form(staff, call_url, f"{call_url}/presentation", form).status_code == 302
    with app.app_context():
        proposal = db.session.get(Proposal, proposal_id)
        services.forward_to_division(None, proposal, True, "")
        services.record_division_opinion(None, proposal, True, "可")
        services.document_result(None, proposal, True, "")
        with pytest.raises(services.ProposalError, match="まだ実施されていません"):
            services.open_final_review(None, db.session.get(Proposal, proposal_id))
    assert _stage(app, proposal_id) == "presentation"


def test_the_presentation_refuses_registrations_once_held(
    app, plan, make_user, no_rate_limit, monkeypatch
):
    from app.core import clock
    from app.proposals import services
    from app.proposals.models import ProposalCall

    call_id = create_call(app)
    with app.app_context():
        call = db.session.get(ProposalCall, call_id)
        values = presentation_values(24 * 31)
        session = services.schedule_presentation(None, call, **values)
        session_id = session.id
    held = values["ends_at"] + timedelta(hours=1)
    monkeypatch.setattr(clock, "now", lambda: held)
    citizen = client_for(app, make_user("citizen").email)
    response = citizen.get(f"/consultations/sessions/{session_id}/register")
    assert response.status_code == 302


def test_a_reviewer_declaring_a_conflict_sees_no_other_scores(app, in_final_review):
    proposal_id = in_final_review["proposal_id"]
    url = f"/staff/proposals/review/{proposal_id}/final"
    judge = client_for(app, in_final_review["reviewers"][1].email)
    assert post_form(judge, url, url, {"conflict": "y"}).status_code == 302
    page = judge.get(url).text
    assert "利害関係を申告したため" in page
    assert 'id="all-scores"' not in page
    assert ">80.0<" not in page  # the first reviewer's total
    assert "他の審査委員の採点は表示されません" in page
    # The reviewer who scored sees the round, the declaration included.
    scorer = client_for(app, in_final_review["reviewers"][0].email)
    assert 'id="all-scores"' in scorer.get(url).text


def test_an_agreement_dated_before_the_adoption_is_refused(app, in_final_review):
    from app.proposals import services
    from app.proposals.models import Proposal, Round

    proposal_id = in_final_review["proposal_id"]
    with app.app_context():
        proposal = db.session.get(Proposal, proposal_id)
        services.record_score(in_final_review["reviewers"][1], proposal, Round.FINAL, [3] * 10)
    assert _decide(in_final_review).status_code == 302
    staff = in_final_review["staff"]
    page = f"/staff/proposals/{proposal_id}"
    today = clock.today()
    yesterday = (today - timedelta(days=1)).isoformat()
    response = post_form(
        staff,
        page,
        f"{page}/agreement",
        {"agreed_on": yesterday, "roles": "団体が運営、市が広報。", "budget": "400000"},
    )
    assert response.status_code == 200
    error = re.search(r'id="agreed_on-error">([^<]*)<', response.text)
    assert error and "協定の締結日は採択日" in error.group(1)
    assert "団体が運営、市が広報。" in response.text  # kept as typed
    assert _stage(app, proposal_id) == "adopted"

    form = {"agreed_on": today.isoformat(), "roles": "団体が運営、市が広報。", "budget": "400000"}
    assert post_form(staff, page, f"{page}/agreement", form).status_code == 302
    response = post_form(staff, page, f"{page}/complete", {"completed_on": yesterday})
    assert response.status_code == 200
    error = re.search(r'id="completed_on-error">([^<]*)<', response.text)
    assert error and "協定の締結日" in error.group(1)
    assert _stage(app, proposal_id) == "agreed"


def test_submitting_goes_through_a_confirmation_page(app, plan, make_user, no_rate_limit):
    from app.proposals.models import Proposal

    call_id = create_call(app)
    client = client_for(app, make_user("citizen").email)
    url = f"/proposals/calls/{call_id}/new"
    data = proposal_form(app, action="check")
    response = post_form(client, url, url, data)
    (proposal_id,) = proposal_ids(app)
    confirm = f"/proposals/mine/{proposal_id}/submit"
    assert response.headers["Location"].endswith(confirm)  # saved, then checked

    page = client.get(confirm).text
    assert "提案内容の確認" in page and 'aria-current="step"' in page
    for typed in (
        "江津湖の自然を守る会",
        "山本 修",
        "講師謝礼",
        "月1回の駆除活動と年2回の学習会。",
    ):
        assert typed in page
    # A post that did not come from the confirmation page submits nothing.
    response = post_form(client, f"/proposals/mine/{proposal_id}", confirm, {})
    assert response.status_code == 200 and "提案内容の確認" in response.text
    with app.app_context():
        assert db.session.get(Proposal, proposal_id).submitted_at is None

    # Going back keeps what was typed.
    edit = client.get(f"/proposals/mine/{proposal_id}/edit").text
    assert 'value="江津湖の自然を守る会"' in edit

    response = post_form(client, confirm, confirm, {"confirmed": "y"})
    assert response.headers["Location"].endswith(f"/proposals/mine/{proposal_id}/receipt")
    receipt = client.get(response.headers["Location"]).text
    assert f"KT{call_id:03d}-00001" in receipt and "提案を受け付けました" in receipt
    assert _stage(app, proposal_id) == "submitted"


def test_the_budget_error_summary_is_translated_and_names_the_row(
    app, plan, make_user, no_rate_limit
):
    call_id = create_call(app, max_contribution=300_000)
    client = client_for(app, make_user("citizen").email)
    url = f"/proposals/calls/{call_id}/new"
    row3 = {"budget-2-item": "印刷費", "budget-2-amount": "", "budget-2-city_share": ""}
    response = post_form(client, url, url, proposal_form(app, **row3))
    summary = response.text.split('id="error-summary"', 1)[1].split("</div>", 1)[0]
    assert 'href="#budget-2-amount">経費' in summary and "、3行目: " in summary
    assert "(1)" not in summary and "1行目" not in summary

    # Rows 1 and 2 left empty: the city's share in row 3 is over the cost, and said so.
    rows = {
        "budget-0-item": "",
        "budget-0-amount": "",
        "budget-0-city_share": "",
        "budget-1-item": "",
        "budget-1-amount": "",
        "budget-1-city_share": "",
        "budget-2-item": "印刷費",
        "budget-2-amount": "1000",
        "budget-2-city_share": "2000",
    }
    response = post_form(client, url, url, proposal_form(app, **rows))
    summary = response.text.split('id="error-summary"', 1)[1].split("</div>", 1)[0]
    assert "予算：3行目：市の負担額は経費を超えられません。" in summary
    assert "Budget" not in summary


def test_editing_a_draft_keeps_its_budget(app, plan, make_user, no_rate_limit):
    """Going back from the confirmation page to the form shows the budget as saved."""
    call_id = create_call(app)
    client = client_for(app, make_user("citizen").email)
    url = f"/proposals/calls/{call_id}/new"
    post_form(client, url, url, proposal_form(app))
    (proposal_id,) = proposal_ids(app)
    edit = client.get(f"/proposals/mine/{proposal_id}/edit").text
    assert re.search(r'name="budget-0-item"[^>]*value="講師謝礼"', edit)
    assert re.search(r'name="budget-1-amount"[^>]*value="200000"', edit)
    assert 'name="budget-5-item"' in edit  # empty rows to add more
