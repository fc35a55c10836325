"""Councils in a real browser: a citizen applies with the live essay counter and sees the
eligibility result; the public pages, the form and the dashboard pass axe-core in ja and en."""

import re

import pytest
from playwright.sync_api import expect

from tests.councils.conftest import create_call
from tests.e2e.conftest import check_a11y, login, visit


def test_a_citizen_applies_with_the_essay_counter_and_sees_the_result(page, app, plan, make_user):
    call_id = create_call(app, essay_min_chars=20, essay_max_chars=40)
    citizen = make_user("citizen")
    login(page, citizen.email)
    visit(page, f"/councils/calls/{call_id}", "en")
    page.get_by_role("link", name="Apply", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Apply")
    check_a11y(page)

    page.get_by_label("Name", exact=True).fill("蒼井 ツバメ")
    page.get_by_label("Name in kana").fill("あおい つばめ")
    page.get_by_label("Address", exact=True).fill("熊本市中央区水前寺公園9丁目87番")
    page.get_by_label("Date of birth").fill("1975-07-19")
    page.get_by_label("Telephone").fill("096-555-0199")
    page.get_by_label("Your link to the city").select_option("lives")
    page.get_by_label("Why you are applying").fill("市民の声を届けたいからです。")
    counter = page.locator("#essay-count")
    essay = page.get_by_label("Essay", exact=True)
    # Full-width and half-width characters count one each; the line break does not count.
    essay.fill("あいうえおかきくけこ\nABCDE")
    expect(counter).to_have_text(re.compile(r"^15 characters: 5 more needed$"))
    expect(counter).to_have_class(re.compile("too-short"))
    essay.fill("あいうえおかきくけこ\nＡＢＣＤＥabcde")
    expect(counter).to_have_text("20 characters")
    page.get_by_label("I declare that what I have written is true.").check()
    page.get_by_role("button", name="Submit the application").click()

    expect(page.locator("#receipt-number")).to_have_text(f"KB{call_id:03d}-00001")
    expect(page.locator("#eligibility")).to_contain_text("You meet the conditions")
    check_a11y(page)


def test_an_ineligible_citizen_is_told_why(page, app, plan, make_user):
    call_id = create_call(app, essay_min_chars=1, essay_max_chars=40)
    login(page, make_user("citizen").email, "ja")
    visit(page, f"/councils/calls/{call_id}/apply", "ja")
    page.locator("#name").fill("蒼井 ツバメ")
    page.locator("#kana").fill("あおい つばめ")
    page.locator("#address").fill("熊本市中央区")
    page.locator("#birth_date").fill("1975-07-19")
    page.locator("#phone").fill("096-555-0199")
    page.locator("#residency").select_option("none")
    page.locator("#motivation").fill("動機")
    page.locator("#essay").fill("作文です。")
    expect(page.locator("#essay-count")).to_have_text("5文字")
    page.locator("#assembly_member").check()
    page.locator("#truthful").check()
    page.locator("main form button[type=submit]").click()
    eligibility = page.locator("#eligibility")
    expect(eligibility).to_contain_text("市内在住・在勤・在学のいずれにも当たりません")
    expect(eligibility).to_contain_text("議会の議員は公募委員に応募できません")
    check_a11y(page)


@pytest.mark.parametrize("language", ["ja", "en"])
def test_council_pages_pass_axe(page, app, plan, make_user, language):
    from datetime import date, timedelta

    from app.councils import services
    from app.councils.models import Council, Gender, MemberCategory, RecruitmentCall
    from app.extensions import db

    call_id = create_call(app)
    with app.app_context():
        council_id = db.session.get(RecruitmentCall, call_id).council_id
        services.add_member(
            None,
            db.session.get(Council, council_id),
            "肥後 ヨシノ",
            MemberCategory.PUBLIC,
            date.today() - timedelta(days=1),
            date.today() + timedelta(days=700),
            gender=Gender.FEMALE,
        )
    visit(page, "/councils/", language)
    visit(page, f"/councils/{council_id}", language)
    visit(page, f"/councils/calls/{call_id}", language)
    login(page, make_user("citizen").email, language)
    visit(page, f"/councils/calls/{call_id}/apply", language)
    # The form with its errors, as a citizen who submits it empty sees it.
    page.locator("main form button[type=submit]").click()
    expect(page.locator("#error-summary")).to_be_visible()
    check_a11y(page)
    page.context.clear_cookies()
    login(page, make_user("staff", "gyosei-keiei").email, language)
    visit(page, "/staff/councils/dashboard", language)
    expect(page.locator("#public-share")).to_contain_text("100.0%")


def test_council_staff_and_review_pages_pass_axe(page, app, plan, make_user):
    from datetime import timedelta

    from app.accounts.models import User
    from app.core import clock
    from app.councils import services
    from app.councils.models import Council, MeetingOpenness, RecruitmentCall
    from app.extensions import db
    from tests.councils.conftest import application_values

    call_id = create_call(app)
    reviewer = make_user("reviewer")
    applicant = make_user("citizen")
    with app.app_context():
        call = db.session.get(RecruitmentCall, call_id)
        council_id = call.council_id
        meeting, _warnings = services.save_meeting(
            None,
            db.session.get(Council, council_id),
            None,
            title_ja="第1回会議",
            starts_at=clock.now() + timedelta(days=20),
            openness=MeetingOpenness.OPEN,
            observer_seats=10,
        )
        meeting_id = meeting.id
        services.assign_reviewer(None, call, db.session.get(User, reviewer.id))
        application = services.submit_application(
            db.session.get(User, applicant.id), call_id, **application_values()
        )
        application_id = application.id
    login(page, make_user("staff", "gyosei-keiei").email)
    for language in ("ja", "en"):
        for path in (
            "/staff/councils/",
            "/staff/councils/new",
            f"/staff/councils/{council_id}",
            f"/staff/councils/{council_id}/edit",
            f"/staff/councils/{council_id}/meetings/new",
            f"/staff/councils/meetings/{meeting_id}",
            "/staff/councils/guidelines",
            f"/staff/councils/{council_id}/calls/new",
            f"/staff/councils/calls/{call_id}",
            f"/staff/councils/calls/{call_id}/edit",
        ):
            visit(page, path, language)
    page.context.clear_cookies()
    login(page, reviewer.email)
    for language in ("ja", "en"):
        visit(page, f"/staff/councils/review/calls/{call_id}", language)
        visit(page, f"/staff/councils/review/applications/{application_id}", language)
    expect(page.locator("main")).not_to_contain_text("蒼井 ツバメ")  # blind: no applicant name


def test_the_committed_lottery_walked_by_staff_and_citizens(page, app, plan, make_user):
    """In Japanese: a citizen applies, reads the status in words and withdraws; staff publish
    the pool and the seed hash, then draw; anyone checks the published data (the seed's hash,
    the order re-run from the pool and seed alone); the lottery page also in English. axe-core
    on every page."""
    import hashlib

    from app.accounts.models import User
    from app.councils import services
    from app.councils.models import SelectionMethod
    from app.extensions import db
    from tests.councils.conftest import application_values, close_call

    call_id = create_call(app, selection_method=SelectionMethod.LOTTERY, seats=1, essay_min_chars=1)
    with app.app_context():
        for _ in range(3):
            other = make_user("citizen")
            services.submit_application(
                db.session.get(User, other.id), call_id, **application_values()
            )

    # The citizen: apply, see the status in words, withdraw before the closing date.
    login(page, make_user("citizen").email, "ja")
    visit(page, f"/councils/calls/{call_id}", "ja")
    page.get_by_role("link", name="応募する", exact=True).click()
    check_a11y(page)
    page.locator("#name").fill("蒼井 ツバメ")
    page.locator("#kana").fill("あおい つばめ")
    page.locator("#address").fill("熊本市中央区水前寺公園9丁目87番")
    page.locator("#birth_date").fill("1975-07-19")
    page.locator("#phone").fill("096-555-0199")
    page.locator("#residency").select_option("lives")
    page.locator("#motivation").fill("市民の声を届けたいからです。")
    page.locator("#essay").fill("市民参画について考えます。")
    page.locator("#truthful").check()
    page.locator("main form button[type=submit]").click()
    expect(page.locator(".flash.success")).to_contain_text("応募を受け付けました")
    expect(page.locator("#status")).to_have_text("受付済み")
    expect(page.locator("#status-message")).to_contain_text("選考の結果")
    check_a11y(page)
    mine = page.locator("#receipt-number").inner_text()
    page.get_by_text("応募を辞退する").click()
    page.locator("#reason").fill("転居のため")
    check_a11y(page)
    page.get_by_role("button", name="取り下げる").click()
    expect(page.locator("#status")).to_have_text("取下げ")
    check_a11y(page)
    page.context.clear_cookies()

    # Staff: after the closing date, publish the pool and the seed hash, then draw.
    close_call(app, call_id)
    login(page, make_user("staff", "kikaku").email, "ja")
    visit(page, f"/staff/councils/calls/{call_id}", "ja")
    expect(page.get_by_role("button", name="抽選を行う")).to_have_count(0)
    page.get_by_role("button", name="抽選対象とハッシュ値を公開する").click()
    expect(page.locator(".flash.success")).to_contain_text("ハッシュ値を公開しました")
    check_a11y(page)

    # Before the draw, the public page shows the pool and the hash, not the seed.
    visit(page, f"/councils/calls/{call_id}/lottery", "ja")
    pool = page.locator(".pool-number").all_inner_texts()
    assert len(pool) == 3 and mine not in pool
    published_hash = page.locator("#seed-hash").inner_text()
    expect(page.locator("#lottery-seed")).to_have_count(0)

    visit(page, f"/staff/councils/calls/{call_id}", "ja")
    page.get_by_role("button", name="抽選を行う").click()
    expect(page.locator(".flash.success")).to_be_visible()
    check_a11y(page)
    page.context.clear_cookies()

    # Anyone: the seed matches the hash, and the order re-runs from the published data alone.
    visit(page, f"/councils/calls/{call_id}/lottery", "ja")
    expect(page.locator("main")).to_contain_text("昇順")
    seed = page.locator("#lottery-seed").inner_text()
    assert hashlib.sha256(seed.encode()).hexdigest() == published_hash
    order = page.locator(".order-receipt").all_inner_texts()
    namespace: dict = {}
    exec(page.locator("pre code").inner_text(), namespace)
    assert namespace["lottery_order"](seed, pool) == order
    visit(page, f"/councils/calls/{call_id}/lottery", "en")
    expect(page.locator("main")).to_contain_text("ascending")
    expect(page.locator("#lottery-seed")).to_have_text(seed)


@pytest.mark.parametrize("language", ["ja", "en"])
def test_an_observer_cancels_the_seat_with_the_mails_link(page, app, plan, language):
    import re
    from datetime import timedelta

    import sqlalchemy as sa

    from app.core import clock
    from app.core.mail import OutboxMessage
    from app.councils import services
    from app.councils.models import Council, MeetingOpenness
    from app.extensions import db
    from tests.councils.conftest import create_council

    council_id = create_council(app)
    with app.app_context():
        meeting, _warnings = services.save_meeting(
            None,
            db.session.get(Council, council_id),
            None,
            title_ja="第1回会議",
            title_en="First meeting",
            starts_at=clock.now() + timedelta(days=10),
            openness=MeetingOpenness.OPEN,
            observer_seats=1,
        )
        meeting_id = meeting.id
    visit(page, f"/councils/meetings/{meeting_id}", language)
    page.locator("#name").fill("傍聴 シズカ")
    page.locator("#email").fill("shizuka@example.jp")
    page.locator("main form button[type=submit]").click()
    expect(page.locator(".flash.success")).to_be_visible()
    check_a11y(page)
    with app.app_context():
        body = db.session.scalar(sa.select(OutboxMessage.body))
    link = re.search(r"/councils/observers/\d+/cancel/[\w-]+", body).group(0)
    visit(page, link, language)
    page.locator("main form button[type=submit]").click()
    expect(page.locator(".flash.success")).to_be_visible()
    check_a11y(page)
    # The seat is free again: the form is offered.
    expect(page.locator("#email")).to_be_visible()
