"""A citizen comments through the confirmation step and gets a receipt; pages pass axe-core."""

import re
from datetime import date, time

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from app.core.mail import OutboxMessage
from app.extensions import db
from tests.e2e.conftest import check_a11y, login, visit
from tests.public_comment.test_public_pages import _publish


def test_citizen_comments_with_confirmation_and_receipt(page, app, make_case):
    case_id = make_case(title="熊本市ブラウザ計画(案)")
    visit(page, "/public-comments", "ja")
    page.get_by_role("link", name="熊本市ブラウザ計画(案)").click()
    check_a11y(page)
    page.get_by_role("link", name="意見を提出する").click()
    check_a11y(page)
    page.get_by_label("市内に住所がある").check() if page.get_by_label(
        "市内に住所がある"
    ).count() else page.locator("#submitter_category-0").check()
    page.locator("#name").fill("ブラウザ 花子")
    page.locator("#address").fill("熊本市東区1-2-3")
    page.locator("#email").fill("hanako.browser@example.jp")
    page.locator("#body").fill("ブラウザからの意見です。")
    page.locator("#consent").check()
    page.get_by_role("button", name=re.compile("確認")).click()
    expect(page.get_by_text("ブラウザからの意見です。")).to_be_visible()
    check_a11y(page)
    page.get_by_role("button", name=re.compile("送信")).click()
    expect(page.get_by_text(f"PC{case_id}-00001")).to_be_visible()
    check_a11y(page)
    with app.app_context():
        message = db.session.scalar(
            sa.select(OutboxMessage).where(OutboxMessage.recipient == "hanako.browser@example.jp")
        )
        assert message is not None and f"PC{case_id}-00001" in message.body


def test_confirmation_and_receipt_in_english_pass_axe(page, make_case):
    case_id = make_case()
    visit(page, f"/public-comments/{case_id}/comment", "en")
    page.get_by_label("Resident of the city").check()
    page.get_by_label("Name", exact=True).fill("Jane Citizen")
    page.get_by_label("Address", exact=True).fill("Kumamoto")
    page.get_by_label("E-mail address").fill("jane@example.jp")
    page.get_by_role("textbox", name="Your comment").fill("An opinion in English.")
    page.get_by_label("I have read how my personal data is handled").check()
    page.get_by_role("button", name="Check what you entered").click()
    expect(page.get_by_role("heading", name="Check your comment")).to_be_visible()
    check_a11y(page)
    page.get_by_role("button", name="Send the comment").click()
    expect(page.get_by_text(f"PC{case_id}-00001")).to_be_visible()
    check_a11y(page)


def test_going_back_from_confirmation_keeps_what_was_typed(page, make_case):
    case_id = make_case()
    visit(page, f"/public-comments/{case_id}/comment", "en")
    page.locator("#submitter_category-1").check()
    page.locator("#name").fill("Back Button")
    page.locator("#address").fill("Kumamoto")
    page.locator("#phone").fill("096-000-0000")
    page.locator("#body").fill("Typed once.")
    page.locator("#consent").check()
    page.get_by_role("button", name="Check what you entered").click()
    page.get_by_role("button", name="Go back and change it").click()
    expect(page.locator("#body")).to_have_value("Typed once.")
    expect(page.locator("#name")).to_have_value("Back Button")
    check_a11y(page)


@pytest.mark.parametrize("language", ["ja", "en"])
def test_public_comment_pages_pass_axe(page, app, client, make_case, frozen, language):
    from tests.public_comment.fixtures import post_comment

    case_id = make_case()
    post_comment(client, case_id)
    visit(page, "/public-comments", language)
    visit(page, f"/public-comments/{case_id}", language)
    visit(page, f"/public-comments/{case_id}/comment", language)
    page.get_by_role("button").last.click()  # empty form: errors beside fields and on top
    expect(page.locator("#error-summary")).to_be_visible()
    check_a11y(page)
    frozen.set_jst(date(2024, 11, 5), time(9, 0))
    _publish(app, case_id)
    visit(page, f"/public-comments/{case_id}/results", language)
    expect(page.get_by_text("公募委員の割合を増やしてください。")).to_be_visible()


def test_staff_pages_pass_axe(page, app, client, make_case, make_user, frozen):
    from tests.conftest import PASSWORD
    from tests.public_comment.fixtures import post_comment

    case_id = make_case()
    post_comment(client, case_id)
    kocho = make_user("staff", "kocho")
    visit(page, "/login", "ja")
    page.locator("#email").fill(kocho.email)
    page.locator("#password").fill(PASSWORD)
    page.get_by_role("button", name="ログイン").click()
    with app.app_context():
        from app.public_comment.models import Comment

        comment_id = db.session.scalar(sa.select(Comment.id))
    for path in (
        "/staff/public-comments/",
        "/staff/public-comments/new",
        f"/staff/public-comments/{case_id}",
        f"/staff/public-comments/comments/{comment_id}",
        f"/staff/public-comments/{case_id}/comments/new",
    ):
        for language in ("ja", "en"):
            visit(page, path, language)
    # A month later the login has expired (these pages showed the login form before visit()
    # checked where it landed): log in again.
    frozen.set_jst(date(2024, 11, 5), time(9, 0))
    login(page, kocho.email, "ja")
    visit(page, f"/staff/public-comments/{case_id}", "ja")
    visit(page, f"/staff/public-comments/{case_id}/summaries/new", "en")


def test_grouping_pages_pass_axe(page, app, client, make_case, make_user, no_rate_limit):
    import sqlalchemy as sa

    from app.public_comment.models import CommentCluster, CommentGroup
    from app.public_comment.services import group_comments
    from tests.conftest import PASSWORD
    from tests.public_comment.fixtures import post_comment

    case_id = make_case()
    for n in range(3):
        post_comment(
            client,
            case_id,
            {"name": f"市民{n}", "body": "同じ意見です。公園を広げて。"},
            token=f"g{n}",
        )
    # Outside the group, two topics of two comments each (a topic needs words its members
    # share and others do not).
    for n, body in enumerate(
        [
            "図書館の開館時間を延ばしてほしい。",
            "図書館の開館日を増やしてほしい。",
            "夜間の街灯を増やしてほしい。",
            "通学路の街灯が暗いので明るくしてほしい。",
        ]
    ):
        post_comment(client, case_id, {"name": f"別{n}", "body": body}, token=f"o{n}")
    with app.app_context():
        group_comments(case_id)
        group_id = db.session.scalar(sa.select(CommentGroup.id))
        cluster_id = db.session.scalar(sa.select(CommentCluster.id))
    staff = make_user("staff", "kikaku")
    visit(page, "/login", "ja")
    page.locator("#email").fill(staff.email)
    page.locator("#password").fill(PASSWORD)
    page.get_by_role("button", name="ログイン").click()
    for language in ("ja", "en"):
        visit(page, f"/staff/public-comments/{case_id}/groups", language)
        visit(page, f"/staff/public-comments/groups/{group_id}", language)
        visit(page, f"/staff/public-comments/clusters/{cluster_id}", language)


def test_short_period_reason_and_pdf_material_staff_then_citizen(
    page, browser, live_server, app, make_user, plan, frozen
):
    """Issue 17: a division drafts a case open 1–20 Dec (20 days), is told a reason is
    required, gives it, attaches a PDF and sees it listed; once approved, the public page
    shows the period as 20日間 with the reason, and (20 days) in English."""
    from app.public_comment.models import CaseStatus, CommentCase
    from tests.e2e.conftest import login

    division = make_user("staff", "kikaku")
    login(page, division.email, "ja")
    visit(page, "/staff/public-comments/new", "ja")
    page.locator("#title").fill("年末年始のごみ収集計画(案)")
    page.locator("#summary").fill("年末年始のごみ収集日程の案です。")
    page.locator("#opens_on").fill("2024-12-01")
    page.locator("#opens_time").fill("00:00")
    page.locator("#closes_on").fill("2024-12-20")
    page.locator("#closes_time").fill("23:59")
    page.get_by_role("button", name="保存").click()
    expect(page.locator("#short_period_reason-error")).to_contain_text(
        "募集期間は20日間です。30日未満とする場合は理由が必要です。"
    )
    expect(page.locator("#error-summary")).to_be_visible()
    expect(page.locator("#title")).to_have_value("年末年始のごみ収集計画(案)")
    check_a11y(page)
    page.locator("#short_period_reason").fill("収集日程の周知を年内に始めるため")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("年末年始のごみ収集計画(案)")
    expect(page.get_by_text("（20日間）")).to_be_visible()
    check_a11y(page)

    page.locator("#material-title").fill("収集日程表")
    page.locator("#material-file").set_input_files(
        files=[
            {
                "name": "schedule.pdf",
                "mimeType": "application/pdf",
                "buffer": b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n",
            }
        ]
    )
    page.get_by_role("button", name="資料を追加する").click()
    expect(page.get_by_text("資料を追加しました。")).to_be_visible()
    materials = page.locator("#materials + ul")
    expect(materials.get_by_role("link", name="収集日程表")).to_be_visible()
    check_a11y(page)

    with app.app_context():
        case = db.session.scalar(sa.select(CommentCase))
        case_id = case.id
        assert [m.file.content_type for m in case.materials] == ["application/pdf"]
        case.status = CaseStatus.APPROVED  # 広聴課's approval has its own tests
        db.session.commit()

    citizen = browser.new_context(base_url=live_server, locale="ja-JP").new_page()
    try:
        visit(citizen, f"/public-comments/{case_id}", "ja")
        expect(citizen.get_by_text("（20日間）")).to_be_visible()
        expect(citizen.get_by_text("募集期間を30日未満とした理由")).to_be_visible()
        expect(citizen.get_by_text("収集日程の周知を年内に始めるため")).to_be_visible()
        expect(citizen.get_by_role("link", name="収集日程表")).to_be_visible()
        visit(citizen, f"/public-comments/{case_id}", "en")
        expect(citizen.get_by_text("(20 days)")).to_be_visible()
        expect(citizen.get_by_text("Why the period is shorter than 30 days")).to_be_visible()
    finally:
        citizen.context.close()
