"""Consultations in a real browser: accessible pages in both languages, and a guest who
registers, finds the confirmation in the outbox, cancels with the link, and frees the place for
the person waiting."""

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from app.consultations import services
from app.consultations.models import Registration, RegistrationStatus, Session
from app.core import clock
from app.core.mail import OutboxMessage
from app.extensions import db
from tests.consultations.factories import make_session, scheduled
from tests.e2e.conftest import check_a11y, login, visit


def _with_record(app, ids):
    """A second, past session with a published record and opinions."""
    with app.test_request_context():
        past = make_session(ids.consultation_id, ids.venue_id, title="第0回", day=clock.today())
        # Move it a month back, as if it had been held.
        session = db.session.get(Session, past)
        session.starts_at -= timedelta(days=30)
        session.ends_at -= timedelta(days=30)
        db.session.commit()
        record = services.save_record(None, session, summary_ja="要旨です。", attendees=12)
        services.add_opinion(
            None, record, text_ja="休日に開催してほしい。", response_ja="検討します。"
        )
        services.add_opinion(None, record, text_ja="資料を事前に公開してほしい。")
        services.publish_record(None, record)
        return past


@pytest.mark.parametrize("language", ["ja", "en"])
def test_consultation_pages_pass_axe(page, app, plan, language):
    ids = scheduled(app)
    past = _with_record(app, ids)
    month = (clock.now() - timedelta(days=30)).strftime("%Y-%m")
    for path in (
        "/consultations/",
        "/consultations/calendar",
        f"/consultations/calendar?month={month}",
        f"/consultations/sessions/{ids.session_id}",
        f"/consultations/sessions/{ids.session_id}/register",
        f"/consultations/sessions/{past}/record",
    ):
        visit(page, path, language)
        assert page.locator("h1").count() == 1
    # The registration form with its errors shown is accessible too.
    visit(page, f"/consultations/sessions/{ids.session_id}/register", language)
    page.locator("form[method=post] button[type=submit]").click()
    expect(page.locator("#error-summary")).to_be_visible()
    check_a11y(page)


def test_guest_registers_cancels_with_the_link_and_the_place_goes_to_the_waitlist(page, app, plan):
    ids = scheduled(app, capacity=1)
    with app.test_request_context():
        services.register(ids.session_id, name="先着 一郎", email="first@example.jp")
        services.register(ids.session_id, name="待機 二郎", email="waiting@example.jp")

    # A place is free again only after the first person cancels; meanwhile the guest waits.
    visit(page, f"/consultations/sessions/{ids.session_id}", "en")
    page.get_by_role("link", name="Register").click()
    page.get_by_label("Name").fill("来場 花子")
    page.get_by_label("E-mail address").fill("guest@example.jp")
    page.get_by_label("Number of people").fill("1")
    page.get_by_label("Sign language interpretation").check()
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_role("heading", name="Registration received")).to_be_visible()
    expect(page.get_by_text(re.compile(r"number 2 on the waiting list"))).to_be_visible()
    check_a11y(page)

    # The first person cancels with the link from their confirmation e-mail.
    with app.app_context():
        body = db.session.scalar(
            sa.select(OutboxMessage.body).where(OutboxMessage.recipient == "first@example.jp")
        )
        guest_mail = db.session.scalar(
            sa.select(OutboxMessage).where(OutboxMessage.recipient == "guest@example.jp")
        )
        assert guest_mail is not None and "CS-" in guest_mail.body
    link = re.search(r"http://localhost(/consultations/registrations/\S+)", body).group(1)
    visit(page, link, "en")
    page.get_by_role("button", name="Cancel my registration").click()
    expect(page.get_by_text("Your registration has been cancelled.")).to_be_visible()
    check_a11y(page)

    with app.app_context():
        rows = dict(db.session.execute(sa.select(Registration.email, Registration.status)).all())
        promoted_mail = db.session.scalars(
            sa.select(OutboxMessage.subject).where(OutboxMessage.recipient == "waiting@example.jp")
        ).all()
    assert rows == {
        "first@example.jp": RegistrationStatus.CANCELLED,
        "waiting@example.jp": RegistrationStatus.CONFIRMED,
        "guest@example.jp": RegistrationStatus.WAITLISTED,
    }
    assert len(promoted_mail) == 2

    # Now the guest cancels with their own link; the place stays with the promoted person.
    with app.app_context():
        body = db.session.scalar(
            sa.select(OutboxMessage.body).where(OutboxMessage.recipient == "guest@example.jp")
        )
    link = re.search(r"http://localhost(/consultations/registrations/\S+)", body).group(1)
    visit(page, link, "ja")
    page.locator("form[method=post] button[type=submit]").click()
    with app.app_context():
        guest = db.session.scalar(
            sa.select(Registration).where(Registration.email == "guest@example.jp")
        )
        assert guest.status == RegistrationStatus.CANCELLED


def test_consultation_staff_pages_pass_axe(page, app, plan, make_user):
    from tests.consultations.factories import scheduled

    ids = scheduled(app)
    staff = make_user("staff", "kikaku")
    login(page, staff.email)
    for language in ("ja", "en"):
        for path in (
            "/staff/consultations/",
            "/staff/consultations/new",
            f"/staff/consultations/{ids.consultation_id}",
            f"/staff/consultations/{ids.consultation_id}/edit",
            f"/staff/consultations/{ids.consultation_id}/sessions/new",
            f"/staff/consultations/sessions/{ids.session_id}/edit",
            "/staff/consultations/calendar",
            "/staff/consultations/calendar?view=week",
            f"/staff/consultations/sessions/{ids.session_id}/attendance",
            f"/staff/consultations/sessions/{ids.session_id}/record",
            "/staff/consultations/venues",
        ):
            visit(page, path, language)


def test_staff_answer_after_publishing_and_record_a_training_citizens_read_it(
    page, browser, live_server, app, plan, make_user
):
    """Issue 17. Staff answer an opinion of a record already published and record a staff
    training (held, counted, not offered); a citizen reads the record with its answer."""
    from app.consultations.activity import figures
    from app.core.activity import ActivityFilter
    from app.plan.models import Initiative

    ids = scheduled(app)
    with app.test_request_context():
        past = make_session(ids.consultation_id, ids.venue_id, title="第0回", day=clock.today())
        session = db.session.get(Session, past)
        session.starts_at -= timedelta(days=30)
        session.ends_at -= timedelta(days=30)
        db.session.commit()
        record = services.save_record(None, session, summary_ja="要旨です。", attendees=12)
        services.add_opinion(None, record, text_ja="駐輪場を増やしてほしい。")
        services.publish_record(None, record)
        initiative_5 = db.session.scalar(sa.select(Initiative.id).where(Initiative.number == 5))
    staff = make_user("staff", "kikaku")
    login(page, staff.email, "ja")

    # Staff: the published record's opinion, answered from the record's page (the answer form
    # checked in English first).
    visit(page, f"/staff/consultations/sessions/{past}/record", "en")
    page.locator("#opinions + .table-scroll a", has_text="Write the response").click()
    check_a11y(page)
    visit(page, f"/staff/consultations/sessions/{past}/record")
    page.locator("#opinions + .table-scroll a", has_text="市の考え方を入力").click()
    expect(page.get_by_role("heading", name="市の考え方", exact=True)).to_be_visible()
    check_a11y(page)
    page.get_by_role("button", name="市の考え方を保存する").click()
    expect(page.locator("#error-summary")).to_be_visible()
    check_a11y(page)
    page.locator("#response_ja").fill("駅周辺に駐輪場を増設します。")
    page.locator("#disposition_id").select_option(label="参考")
    page.get_by_role("button", name="市の考え方を保存する").click()
    expect(page.locator(".flash.success")).to_be_visible()
    expect(page.get_by_text("駅周辺に駐輪場を増設します。")).to_be_visible()
    check_a11y(page)

    # Staff: a staff training for initiative 5, held yesterday, with its record.
    visit(page, "/staff/consultations/new")
    page.locator("#kind_id").select_option(label="職員研修")
    page.locator("#title_ja").fill("情報公開 職員研修")
    page.locator("#initiative_id").select_option(value=str(initiative_5))
    page.locator("#ward_id").select_option(value="0")
    page.get_by_role("button", name="保存する", exact=True).click()
    expect(page.locator(".flash.success")).to_be_visible()
    expect(page.get_by_text("市職員のみ")).to_be_visible()
    check_a11y(page)
    page.get_by_role("link", name="開催回を追加する").click()
    expect(page.locator("#date")).to_be_visible()
    check_a11y(page)
    yesterday = clock.today() - timedelta(days=1)
    page.locator("#date").fill(yesterday.isoformat())
    page.locator("#start_time").fill("10:00")
    page.locator("#end_time").fill("12:00")
    page.locator("#venue_id").select_option(value=str(ids.venue_id))
    page.locator("#capacity").fill("30")
    page.locator("#registration_required").uncheck()
    page.get_by_role("button", name="保存する", exact=True).click()
    expect(page.locator(".flash.success")).to_be_visible()
    with app.app_context():
        training = db.session.scalar(
            sa.select(Session.id)
            .join(Session.consultation)
            .where(Session.consultation.has(title_ja="情報公開 職員研修"))
        )
    visit(page, f"/staff/consultations/sessions/{training}/record")
    page.locator("#record-summary_ja").fill("情報公開制度の運用を研修した。")
    page.locator("#record-attendees").fill("28")
    page.get_by_role("button", name="議事要旨を保存する").click()
    expect(page.locator(".flash.success")).to_be_visible()
    page.get_by_role("button", name="議事要旨を公開する").click()
    expect(page.locator(".flash.success")).to_be_visible()
    check_a11y(page)
    with app.app_context():
        values = figures(ActivityFilter())[initiative_5]
    assert values["sessions_held"] == 1 and values["attendees"] == 28

    # A citizen (another browser, not logged in) reads the answer; the training is not offered.
    context = browser.new_context(base_url=live_server, locale="ja-JP")
    citizen = context.new_page()
    try:
        visit(citizen, f"/consultations/sessions/{past}/record")
        expect(citizen.get_by_text("駅周辺に駐輪場を増設します。")).to_be_visible()
        expect(citizen.get_by_text("回答準備中")).to_have_count(0)
        visit(citizen, "/consultations/")
        expect(citizen.get_by_text("情報公開 職員研修")).to_have_count(0)
        visit(citizen, f"/consultations/sessions/{training}")
        expect(citizen.get_by_text("一般の方は参加できません")).to_be_visible()
        # The same record in English.
        visit(citizen, f"/consultations/sessions/{past}/record", "en")
        expect(
            citizen.get_by_role("heading", name="Opinions and the city's responses")
        ).to_be_visible()
        expect(citizen.get_by_text("駅周辺に駐輪場を増設します。")).to_be_visible()
        expect(citizen.get_by_role("cell", name="For reference")).to_be_visible()
    finally:
        context.close()


def test_kinds_with_their_audience_pass_axe(page, app, plan, make_user):
    admin = make_user("admin")
    login(page, admin.email)
    with app.app_context():
        services.ensure_default_kinds()
        db.session.commit()
    for language in ("ja", "en"):
        visit(page, "/staff/consultations/kinds", language)
    expect(page.get_by_role("cell", name="City staff only").first).to_be_visible()
