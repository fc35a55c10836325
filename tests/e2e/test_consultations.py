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
from app.core.db import utcnow
from app.core.i18n import to_jst
from app.core.mail import OutboxMessage
from app.extensions import db
from tests.consultations.factories import make_session, scheduled
from tests.e2e.conftest import check_a11y, login, visit


def _with_record(app, ids):
    """A second, past session with a published record and opinions."""
    with app.test_request_context():
        past = make_session(
            ids.consultation_id, ids.venue_id, title="第0回", day=to_jst(utcnow()).date()
        )
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
    month = (utcnow() - timedelta(days=30)).strftime("%Y-%m")
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
