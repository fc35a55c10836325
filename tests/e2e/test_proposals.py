"""Collaboration proposals in a real browser: a group writes a proposal, is told plainly when the
city's share is too high, submits it, and follows it to adoption; the calls, the form, the
proposal page and the adopted projects pass axe-core in Japanese and English."""

import re
from datetime import date

from playwright.sync_api import expect

from app.proposals.models import ELIGIBILITY_LABELS, EXCLUSION_LABELS
from tests.e2e.conftest import check_a11y, login, visit
from tests.proposals.conftest import (
    create_call,
    department_id,
    proposal_ids,
    take_to_adoption,
    take_to_final_review,
)
from tests.proposals.test_pages import adopt


def test_a_group_submits_a_proposal_and_follows_it_to_adoption(page, app, plan, make_user):
    call_id = create_call(app, max_contribution=500_000, title_en="Collaboration call")
    login(page, make_user("citizen").email)

    for language in ("ja", "en"):
        visit(page, "/proposals/", language)
        visit(page, f"/proposals/calls/{call_id}", language)
    page.get_by_role("link", name="Write a proposal").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Write a proposal")
    check_a11y(page)

    fields = {
        "Name of the group": "江津湖の自然を守る会",
        "Representative": "山本 修",
        "Number of members": "12",
        "Founded on": "2015-04-01",
        "Address of the group": "熊本市東区江津1-1",
        "Telephone": "096-555-0100",
        "What the group has done so far": "外来種の駆除を10年続けています。",
        "Title of the project": "江津湖の外来種駆除と環境学習",
        "Summary": "市民と小学校が協力して外来種を駆除します。",
        "The problem and the aim": "在来の生き物が減っています。",
        "What you will do": "月1回の駆除と年2回の学習会。",
        "Schedule": "5月から2月まで。",
        "What the group does": "企画と運営。",
        "What you ask of the city": "広報と学校との調整。",
    }
    for label, value in fields.items():
        page.get_by_label(label, exact=True).fill(value)
    with app.app_context():
        division = str(department_id("kikaku"))
    page.get_by_label("Division you want to work with").select_option(division)
    page.get_by_label("Item 1", exact=True).fill("講師謝礼")
    page.get_by_label("Cost (yen) 1", exact=True).fill("400000")
    page.get_by_label("Paid by the city (yen) 1", exact=True).fill("400000")
    page.get_by_label("Item 2", exact=True).fill("消耗品")
    page.get_by_label("Cost (yen) 2", exact=True).fill("200000")
    page.get_by_label("Paid by the city (yen) 2", exact=True).fill("150000")
    for box in page.locator("input[type=checkbox][name=eligibility]").all():
        box.check()
    for box in page.locator("input[type=checkbox][name=declarations]").all():
        box.check()
    page.get_by_role("button", name="Save the draft").click()

    # 550,000 yen from the city is over the call's 500,000: said beside the budget, kept typed.
    summary = page.locator("#error-summary")
    expect(summary).to_contain_text("this call pays at most ¥500,000 per project")
    expect(page.locator("#budget-error")).to_be_visible()
    expect(page.get_by_label("Title of the project", exact=True)).to_have_value(
        "江津湖の外来種駆除と環境学習"
    )
    check_a11y(page)
    assert proposal_ids(app) == []

    page.get_by_label("Paid by the city (yen) 2", exact=True).fill("100000")
    page.get_by_role("button", name="Save the draft").click()
    expect(page.locator(".flash.success")).to_contain_text("Your draft has been saved")
    expect(page.locator("#stage")).to_have_text("Draft")
    check_a11y(page)

    page.get_by_role("link", name="Check and submit the proposal").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your proposal")
    check_a11y(page)
    page.get_by_role("button", name="Submit the proposal").click()
    expect(page.locator("#receipt-number")).to_have_text(f"KT{call_id:03d}-00001")
    check_a11y(page)
    page.get_by_role("link", name="Follow your proposal").click()
    expect(page.locator("#stage")).to_have_text("Submitted")
    check_a11y(page)
    (proposal_id,) = proposal_ids(app)
    # Submitted proposals are frozen: no edit link any more.
    expect(page.get_by_role("link", name="Edit the draft")).to_have_count(0)

    # The city reviews it (its own pages are tested elsewhere); the group follows each stage.
    take_to_adoption(app, proposal_id)
    for language in ("ja", "en"):
        visit(page, f"/proposals/mine/{proposal_id}", language)
    history = page.locator("ol.timeline")
    for stage in (
        "Submitted",
        "Discussion with the division",
        "Document review",
        "Public presentation",
        "Final review",
        "Adopted",
    ):
        expect(history).to_contain_text(stage)
    expect(page.locator("#stage")).to_have_text("Adopted")

    page.get_by_role("link", name="The project's public page").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("江津湖の外来種駆除と環境学習")
    expect(page.locator("#total-score")).to_have_text("60.0")
    expect(page.locator("main")).not_to_contain_text("山本 修")
    check_a11y(page)
    for language in ("ja", "en"):
        visit(page, f"/proposals/projects/{proposal_id}", language)
        visit(page, "/proposals/projects", language)
    expect(page.locator("main")).to_contain_text(re.compile("江津湖の外来種駆除と環境学習"))
    # The call has closed: its form sends back to the call, which says so.
    visit(page, f"/proposals/calls/{call_id}/new", "ja", expect_path=f"/proposals/calls/{call_id}")
    expect(page.locator(".flash.error")).to_be_visible()


def test_staff_and_review_pages_pass_axe(page, app, plan, make_user):
    from app.extensions import db
    from app.proposals import services
    from app.proposals.models import Proposal, ProposalCall

    call_id = create_call(app)
    reviewer = make_user("reviewer")
    adopted = adopt(app, call_id, 1)[0]
    with app.app_context():  # after the adoption, which waits for every assigned reviewer
        services.assign_reviewer(None, db.session.get(ProposalCall, call_id), reviewer)
    with app.app_context():
        proposal = db.session.get(Proposal, adopted)
        services.complete(None, proposal, proposal.agreed_on)
    login(page, make_user("staff", "shimin-kyodo").email)
    for language in ("ja", "en"):
        for path in (
            "/staff/proposals/",
            "/staff/proposals/calls/new",
            f"/staff/proposals/calls/{call_id}",
            f"/staff/proposals/calls/{call_id}/edit",
            f"/staff/proposals/{adopted}",
        ):
            visit(page, path, language)
    expect(page.locator("#next-step ~ form button")).to_have_text(
        "Record the division's evaluation"
    )

    # A second proposal in the document review, for the reviewer's scoring page.
    reviewing = adopt(app, call_id, 1, start=1, until="document_review")[0]
    page.context.clear_cookies()
    login(page, reviewer.email)
    for language in ("ja", "en"):
        visit(page, "/staff/proposals/review/", language)
        visit(page, f"/staff/proposals/review/{reviewing}/document", language)
    for index in range(10):
        page.locator(f"#criterion_{index}").fill("4")
    page.get_by_role("button", name="Submit the scores").click()
    expect(page.locator("#own-score")).to_contain_text("80.0")
    check_a11y(page)


def test_a_group_confirms_before_submitting_and_staff_cannot_adopt_too_early(
    page, app, plan, make_user
):
    """In Japanese: the group's draft → 確認画面 → back to change it (kept as typed) → 確認画面
    → 受付完了; staff try to adopt while a reviewer has not scored and are told who; the same
    staff page once in English. axe-core on every page."""
    from app.extensions import db
    from app.proposals import services
    from app.proposals.models import ProposalCall

    call_id = create_call(app)
    group = make_user("citizen")
    with app.app_context():
        services.save_draft(
            group,
            db.session.get(ProposalCall, call_id),
            None,
            [services.BudgetEntry("講師謝礼", 300_000, 300_000)],
            group_name="江津湖の自然を守る会",
            representative="山本 修",
            members=12,
            founded_on=date(2015, 4, 1),
            address="熊本市東区江津1-1",
            phone="096-555-0100",
            email="group@example.jp",
            activity_record="外来種の駆除を10年続けています。",
            title="江津湖の外来種駆除と環境学習",
            summary="市民と小学校が協力して外来種を駆除します。",
            problem="在来の生き物が減っています。",
            plan="月1回の駆除と年2回の学習会。",
            schedule="5月から2月まで。",
            group_role="企画と運営。",
            city_role="広報と学校との調整。",
            department_id=department_id("kikaku"),
            eligibility=list(ELIGIBILITY_LABELS),
            declarations=list(EXCLUSION_LABELS),
        )
    (proposal_id,) = proposal_ids(app)
    login(page, group.email, "ja")
    visit(page, f"/proposals/mine/{proposal_id}", "ja")
    page.get_by_role("link", name="内容を確認して提出する").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("提案内容の確認")
    expect(page.locator("main")).to_contain_text("月1回の駆除と年2回の学習会。")
    check_a11y(page)

    # Back to the form: what was saved is there; a change, then straight back to the check.
    page.get_by_role("link", name="戻って修正する").click()
    title = page.get_by_label("事業名", exact=True)
    expect(title).to_have_value("江津湖の外来種駆除と環境学習")
    check_a11y(page)
    title.fill("江津湖の外来種駆除と親子環境学習")
    page.get_by_role("button", name="保存して提出前の確認に進む").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("提案内容の確認")
    expect(page.locator("main")).to_contain_text("江津湖の外来種駆除と親子環境学習")
    check_a11y(page)
    page.get_by_role("button", name="提案を提出").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("提案を受け付けました")
    expect(page.locator("#receipt-number")).to_have_text(f"KT{call_id:03d}-00001")
    check_a11y(page)

    # The city's side up to the final review; the second reviewer has not scored yet.
    reviewers = [make_user("reviewer"), make_user("reviewer")]
    take_to_final_review(app, proposal_id, reviewers)
    page.context.clear_cookies()
    login(page, make_user("staff", "shimin-kyodo").email, "ja")
    staff_page = f"/staff/proposals/{proposal_id}"
    visit(page, staff_page, "ja")
    blockers = page.locator("#adoption-blockers")
    expect(blockers).to_contain_text(reviewers[1].display_name)
    page.get_by_label("通過/採択").check()
    page.get_by_label("理由（公表）").fill("公益性が高い提案です。")
    page.get_by_role("button", name="採否を記録").click()
    expect(page.locator("#outcome-error")).to_contain_text("まだ採択できません。")
    expect(page.locator("#outcome-error")).to_contain_text(reviewers[1].display_name)
    expect(page.locator("#error-summary")).to_be_visible()
    expect(page.get_by_label("理由（公表）")).to_have_value("公益性が高い提案です。")
    expect(page.locator("#stage")).to_have_text("最終審査")
    check_a11y(page)

    visit(page, staff_page, "en")
    expect(page.locator("#adoption-blockers")).to_contain_text(
        "Reviewers who have neither scored the final review nor declared a conflict"
    )
