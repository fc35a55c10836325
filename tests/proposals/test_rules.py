"""Who may see and do what, and the checks on budgets, windows and criteria: each refusal names
the problem beside the field and stores nothing."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from app.core import clock
from app.extensions import db
from tests.proposals.conftest import (
    client_for,
    create_call,
    department_id,
    post_form,
    proposal_form,
    proposal_ids,
    submit_proposal,
)


def _count(app, model):
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def _submitted(app, call_id, group, division="kikaku"):
    """A proposal saved and submitted through the group's pages; returns (client, id)."""
    client = client_for(app, group.email)
    url = f"/proposals/calls/{call_id}/new"
    response = post_form(client, url, url, proposal_form(app, division))
    assert response.status_code == 302, response.text
    proposal_id = proposal_ids(app)[-1]
    submit_proposal(client, proposal_id)
    return client, proposal_id


def _advance(app, proposal_id, to):
    """Move a proposal on through the services, as the coordinator and division would."""
    from app.proposals import services
    from app.proposals.models import Proposal

    with app.app_context():
        proposal = db.session.get(Proposal, proposal_id)
        services.forward_to_division(None, proposal, True, "")
        if to == "division":
            return
        services.record_division_opinion(None, proposal, True, "実施できます。")


# Permissions ------------------------------------------------------------------------------


def test_the_group_cannot_edit_after_submitting(app, plan, make_user, no_rate_limit):
    from app.proposals.models import Proposal

    call_id = create_call(app)
    client, proposal_id = _submitted(app, call_id, make_user("citizen"))
    edit = f"/proposals/mine/{proposal_id}/edit"
    response = client.get(edit)
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).text
    assert "提出した提案は変更できません。" in page
    # A post made anyway (an old tab) changes nothing.
    from tests.conftest import csrf_from

    token = csrf_from(client.get(f"/proposals/mine/{proposal_id}").text)
    client.post(edit, data={"csrf_token": token, **proposal_form(app, title="書き換えた題名")})
    with app.app_context():
        assert db.session.get(Proposal, proposal_id).title == "江津湖の外来種駆除と環境学習"
    # And the service refuses too, whoever calls it.
    from app.proposals import services

    with app.app_context():
        proposal = db.session.get(Proposal, proposal_id)
        try:
            services.save_draft(
                proposal.user,
                proposal.call,
                proposal,
                [services.BudgetEntry("x", 1, 1)],
                title="別の題名",
                department_id=proposal.department_id,
            )
        except services.ProposalError as error:
            assert "変更できません" in str(error)
        else:
            raise AssertionError("a submitted proposal was changed")


def test_another_citizen_sees_nothing_of_a_proposal(app, plan, make_user, no_rate_limit):
    call_id = create_call(app)
    _client, proposal_id = _submitted(app, call_id, make_user("citizen"))
    other = client_for(app, make_user("citizen").email)
    assert other.get(f"/proposals/mine/{proposal_id}").status_code == 404
    assert other.get(f"/staff/proposals/{proposal_id}").status_code == 403
    # Not public before adoption.
    assert other.get(f"/proposals/projects/{proposal_id}").status_code == 404


def test_a_division_sees_only_the_proposals_addressed_to_it(app, plan, make_user, no_rate_limit):
    call_id = create_call(app)
    _c, to_kikaku = _submitted(app, call_id, make_user("citizen"), "kikaku")
    _c, to_kocho = _submitted(app, call_id, make_user("citizen"), "kocho")
    _advance(app, to_kikaku, "division")
    _advance(app, to_kocho, "division")
    kikaku = client_for(app, make_user("staff", "kikaku").email)
    listing = kikaku.get("/staff/proposals/").text
    assert f'/staff/proposals/{to_kikaku}"' in listing
    assert f'/staff/proposals/{to_kocho}"' not in listing
    assert kikaku.get(f"/staff/proposals/{to_kikaku}").status_code == 200
    assert kikaku.get(f"/staff/proposals/{to_kocho}").status_code == 404
    # Nor can it act on it, and the coordinator's steps are not its to take.
    response = post_form(
        kikaku,
        f"/staff/proposals/{to_kikaku}",
        f"/staff/proposals/{to_kocho}/opinion",
        {"feasible": "yes", "opinion": "他課の提案への意見"},
    )
    assert response.status_code == 404
    response = post_form(
        kikaku,
        f"/staff/proposals/{to_kikaku}",
        f"/staff/proposals/{to_kikaku}/forward",
        {"eligible": "yes"},
    )
    assert response.status_code == 403
    assert kikaku.get("/staff/proposals/calls/new").status_code == 403
    # The coordinator (市民協働課) sees both.
    coordinator = client_for(app, make_user("staff", "shimin-kyodo").email)
    listing = coordinator.get("/staff/proposals/").text
    assert (
        f'/staff/proposals/{to_kikaku}"' in listing and f'/staff/proposals/{to_kocho}"' in listing
    )


def test_drafts_stay_private_to_the_group(app, plan, make_user, no_rate_limit):
    call_id = create_call(app)
    group = client_for(app, make_user("citizen").email)
    url = f"/proposals/calls/{call_id}/new"
    post_form(group, url, url, proposal_form(app))
    (proposal_id,) = proposal_ids(app)
    coordinator = client_for(app, make_user("staff", "shimin-kyodo").email)
    assert coordinator.get(f"/staff/proposals/{proposal_id}").status_code == 404


def test_a_reviewer_sees_other_scores_only_after_giving_their_own(
    app, plan, make_user, no_rate_limit
):
    from app.proposals import services
    from app.proposals.models import ProposalCall

    call_id = create_call(app)
    _c, proposal_id = _submitted(app, call_id, make_user("citizen"))
    _advance(app, proposal_id, "document_review")
    first, second, outsider = make_user("reviewer"), make_user("reviewer"), make_user("reviewer")
    with app.app_context():
        call = db.session.get(ProposalCall, call_id)
        services.assign_reviewer(None, call, first)
        services.assign_reviewer(None, call, second)
    url = f"/staff/proposals/review/{proposal_id}/document"
    a, b = client_for(app, first.email), client_for(app, second.email)
    post_form(a, url, url, {f"criterion_{i}": "5" for i in range(10)})
    assert 'id="own-score"' in a.get(url).text

    before = b.get(url).text
    assert 'id="all-scores"' not in before
    assert "100.0" not in before  # the first reviewer's total
    post_form(b, url, url, {f"criterion_{i}": "3" for i in range(10)})
    after = b.get(url).text
    assert 'id="all-scores"' in after and "100.0" in after and "60.0" in after

    # A score is final: a second post changes nothing.
    post_form(a, url, url, {f"criterion_{i}": "0" for i in range(10)})
    assert "100.0" in a.get(url).text
    # A reviewer not on this call's committee, and a citizen, see nothing.
    assert client_for(app, outsider.email).get(url).status_code == 403
    assert client_for(app, make_user("citizen").email).get(url).status_code == 403


# Validation -----------------------------------------------------------------------------


def test_a_city_share_above_the_maximum_is_refused_and_nothing_stored(
    app, plan, make_user, no_rate_limit
):
    from app.proposals.models import BudgetLine, Proposal

    call_id = create_call(app, max_contribution=500_000)
    client = client_for(app, make_user("citizen").email)
    url = f"/proposals/calls/{call_id}/new"
    data = proposal_form(app, **{"budget-1-city_share": "200000"})  # 300,000 + 200,000 is fine
    data["budget-2-item"] = "印刷費"
    data["budget-2-amount"] = "50000"
    data["budget-2-city_share"] = "50000"  # 550,000 in all
    response = post_form(client, url, url, data)
    assert response.status_code == 200
    assert (
        "市の負担額が合計550,000円になっています。この募集では1事業あたり500,000円までです。"
        in response.text
    )
    assert 'id="budget-error"' in response.text
    # What was typed is kept.
    assert 'value="江津湖の外来種駆除と環境学習"' in response.text
    assert 'value="印刷費"' in response.text
    assert _count(app, Proposal) == 0 and _count(app, BudgetLine) == 0


def test_a_line_paid_beyond_its_cost_or_half_filled_is_named(app, plan, make_user, no_rate_limit):
    from app.proposals.models import Proposal

    call_id = create_call(app)
    client = client_for(app, make_user("citizen").email)
    url = f"/proposals/calls/{call_id}/new"
    response = post_form(client, url, url, proposal_form(app, **{"budget-1-city_share": "250000"}))
    assert "2行目：市の負担額は経費を超えられません。" in response.text
    response = post_form(client, url, url, proposal_form(app, **{"budget-2-amount": "1000"}))
    assert "費目を入力してください。" in response.text
    assert 'id="budget-2-item"' in response.text and 'aria-invalid="true"' in response.text
    assert _count(app, Proposal) == 0


def test_submission_only_inside_the_window(app, plan, make_user, no_rate_limit, monkeypatch):
    from app.core import clock
    from app.proposals.models import Proposal

    now = clock.now()
    call_id = create_call(
        app,
        opens_at=now + timedelta(days=2),
        closes_at=now + timedelta(days=9),
        consultation_opens_at=None,
        consultation_closes_at=None,
    )
    citizen = make_user("citizen")
    client = client_for(app, citizen.email)
    url = f"/proposals/calls/{call_id}/new"
    post_form(client, url, url, proposal_form(app))  # a draft may be kept before the window
    (proposal_id,) = proposal_ids(app)
    mine = f"/proposals/mine/{proposal_id}"
    from tests.conftest import csrf_from

    token = csrf_from(client.get(mine).text)
    client.post(f"{mine}/submit", data={"csrf_token": token, "confirmed": "y"})
    page = client.get(mine).text
    assert "提案の受付は" in page and "に始まります。" in page
    with app.app_context():
        proposal = db.session.get(Proposal, proposal_id)
        assert proposal.stage.value == "draft" and proposal.receipt_number is None

    # After the window: refused, and still a draft with no number. Ten days on, the login of
    # the first visit has ended like every login (on the same clock), so the group logs in again.
    monkeypatch.setattr(clock, "now", lambda: now + timedelta(days=10))
    client = client_for(app, citizen.email)
    token = csrf_from(client.get(mine).text)
    client.post(f"{mine}/submit", data={"csrf_token": token, "confirmed": "y"})
    page = client.get(mine).text
    assert "に終了しました。" in page or "この募集は終了しました。" in page
    with app.app_context():
        proposal = db.session.get(Proposal, proposal_id)
        assert proposal.stage.value == "draft" and proposal.receipt_number is None


def test_submission_needs_every_declaration(app, plan, make_user, no_rate_limit):
    from app.proposals.models import Proposal

    call_id = create_call(app)
    client = client_for(app, make_user("citizen").email)
    url = f"/proposals/calls/{call_id}/new"
    post_form(client, url, url, proposal_form(app, eligibility=["based_in_city"]))
    (proposal_id,) = proposal_ids(app)
    mine = f"/proposals/mine/{proposal_id}"
    submit_proposal(client, proposal_id)
    assert "応募資格と誓約事項をすべて確認してください" in client.get(mine).text
    with app.app_context():
        assert db.session.get(Proposal, proposal_id).submitted_at is None


def test_criteria_must_add_up_to_100(app, plan, make_user, no_rate_limit):
    from app.proposals.models import ProposalCall

    coordinator = make_user("staff", "shimin-kyodo")
    client = client_for(app, coordinator.email)
    url = "/staff/proposals/calls/new"
    response = post_form(
        client,
        url,
        url,
        {
            "title_ja": "募集",
            "summary_ja": "概要",
            "call_type": "citizen",
            "department_id": str(coordinator.department_id),
            "opens_at": "2026-12-01T09:00",
            "closes_at": "2027-01-31T17:00",
            "max_contribution": "1000000",
            "criteria_text": "50 | 公益性 | Public benefit\n40 | 協働の必要性",
        },
    )
    assert response.status_code == 200
    assert "配点の合計が90です。合計は100にしてください。" in response.text
    assert "40 | 協働の必要性" in response.text  # what was typed is kept
    response = post_form(client, url, url, {"title_ja": "募集", "criteria_text": "公益性だけ"})
    assert "1行目：「配点 | 日本語名 | 英語名」の形で書いてください。" in response.text
    assert _count(app, ProposalCall) == 0


def test_the_agreement_cannot_exceed_the_maximum(app, plan, make_user):
    from app.accounts.models import User
    from app.proposals import services
    from app.proposals.models import Proposal, ProposalCall, Stage

    call_id = create_call(app, max_contribution=300_000)
    group = make_user("citizen")
    with app.app_context():
        call = db.session.get(ProposalCall, call_id)

        user = db.session.get(User, group.id)
        proposal = services.save_draft(
            user,
            call,
            None,
            [services.BudgetEntry("費用", 300_000, 300_000)],
            **{k: v for k, v in _model_values(app).items()},
        )
        proposal.stage = Stage.ADOPTED
        db.session.commit()
        try:
            services.conclude_agreement(None, proposal, clock.today(), "役割", 300_001)
        except services.ProposalError as error:
            assert error.field == "budget"
        else:
            raise AssertionError("an agreement above the maximum was stored")
        db.session.rollback()
        assert db.session.get(Proposal, proposal.id).agreement_budget is None


def _model_values(app):
    from datetime import date

    return {
        "group_name": "会",
        "representative": "代表",
        "members": 5,
        "founded_on": date(2020, 1, 1),
        "address": "熊本市",
        "phone": "096",
        "email": "a@example.jp",
        "title": "事業",
        "summary": "概要",
        "problem": "課題",
        "plan": "内容",
        "schedule": "日程",
        "group_role": "団体",
        "city_role": "市",
        "department_id": department_id("kikaku"),
    }


def test_concurrent_submissions_get_gapless_numbers_and_a_double_submit_counts_once(app, plan):
    from tests.conftest import run_at_once
    from tests.proposals.test_pages import draft

    call_id = create_call(app)
    drafts = [draft(app, call_id, n) for n in range(6)]
    # Each group submits twice at the same moment (a double click on a slow line).
    jobs = [(user_id, proposal_id) for user_id, proposal_id in drafts for _ in range(2)]

    def submit(number, go):
        from app.accounts.models import User
        from app.proposals import services

        user_id, proposal_id = jobs[number]
        with app.app_context():
            user = db.session.get(User, user_id)
            db.session.rollback()
            go()
            try:
                return "done", services.submit(user, proposal_id).receipt_number
            except services.ProposalError:
                return "refused", proposal_id

    results = run_at_once(len(jobs), submit)
    done = [value for outcome, value in results if outcome == "done"]
    refused = [value for outcome, value in results if outcome == "refused"]
    assert sorted(done) == [f"KT{call_id:03d}-{n:05d}" for n in range(1, 7)]
    assert sorted(refused) == sorted(p for _u, p in drafts)


def test_criteria_are_frozen_once_reviewers_have_scored(app, plan, make_user):
    from app.proposals import services
    from app.proposals.models import ProposalCall, Round
    from tests.proposals.test_pages import adopt

    call_id = create_call(app)
    (proposal_id,) = adopt(app, call_id, 1, until="document_review")
    reviewer = make_user("reviewer")
    with app.app_context():
        from app.accounts.models import User
        from app.proposals.models import Proposal

        call = db.session.get(ProposalCall, call_id)
        judge = db.session.get(User, reviewer.id)
        services.assign_reviewer(None, call, judge)
        services.record_score(
            judge, db.session.get(Proposal, proposal_id), Round.DOCUMENT, [3] * 10
        )
        values = {name: getattr(call, name) for name in ("title_ja", "opens_at", "closes_at")}
        changed = [dict(c) for c in call.criteria]
        changed[0]["weight"], changed[1]["weight"] = 10, 20
        try:
            services.save_call(None, call, criteria=changed, **values)
        except services.ProposalError as error:
            assert error.field == "criteria"
        else:
            raise AssertionError("the criteria changed under the reviewers")
        db.session.rollback()
        assert db.session.get(ProposalCall, call_id).criteria[0]["weight"] == 15
