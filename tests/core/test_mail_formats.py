"""Every kind of mail Sankaku sends, read back as a mail program reads it: the standard
library's parser (policy default) finds no defect in the message or any part, and the headers
RFC 5322 asks for are there (Date, a Message-ID on the city's domain, From with the city's
name). Which kinds exist is read from the mail templates, so a new kind of mail is covered by
this test or fails it."""

from __future__ import annotations

import email
import email.policy
from datetime import datetime, time, timedelta
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import icalendar
import sqlalchemy as sa
from flask import Flask, template_rendered

from app.accounts import services as accounts
from app.accounts.models import User
from app.consultations import services as consultations
from app.consultations.models import Consultation, Registration, Session
from app.core import clock
from app.core.demo import load_demo
from app.core.i18n import JST
from app.core.mail import OutboxMessage, build_email, queue_mail
from app.core.permissions import Role
from app.councils import services as councils
from app.councils.models import CouncilMeeting, MeetingOpenness, RecruitmentCall
from app.extensions import db
from app.public_comment import services as public_comment
from app.public_comment.models import CaseStatus, CommentCase, SubmitterCategory
from tests.conftest import PASSWORD, PLAN_FILE
from tests.surveys.conftest import accept_all, drawn_term
from tests.voice.conftest import send_every_voice_mail

APP = Path(__file__).resolve().parents[2] / "app"
MAIL_TEMPLATES = sorted(
    f"{path.parent.parent.name}/mail/{path.name}"
    for path in APP.glob("*/templates/*/mail/*.txt")
    if not path.name.startswith("_")
)


def parse(message: OutboxMessage) -> EmailMessage:
    """The message as it goes to SMTP, parsed back from its bytes."""
    raw = build_email(message).as_bytes()
    return email.message_from_bytes(raw, policy=email.policy.default)


def assert_clean(parsed: EmailMessage, domain: str) -> None:
    assert parsed.defects == [], parsed.defects
    for part in parsed.walk():
        assert part.defects == [], (part.get_content_type(), part.defects)
    assert parsed["Date"] is not None
    assert parsedate_to_datetime(parsed["Date"]).tzinfo is not None
    assert parsed["Message-ID"].endswith(f"@{domain}>"), parsed["Message-ID"]
    sender = parsed["From"].addresses[0]
    assert sender.display_name == "熊本市 さんかく"
    assert sender.addr_spec == "noreply@sankaku.example.jp"
    assert parsed["Auto-Submitted"] == "auto-generated"
    assert parsed.get_body(("plain",)).get_content().strip()


def test_a_bare_message_parses_cleanly_with_the_headers_mail_programs_expect(app: Flask):
    app.config["MAIL_MESSAGE_ID_DOMAIN"] = "city.kumamoto.example.jp"
    with app.app_context():
        message = queue_mail("a@example.jp", "受付番号 PC1-00001：テスト", "本文です。")
        db.session.commit()
        parsed = parse(message)
        headers = build_email(message).as_bytes().split(b"\n\n")[0]
    assert_clean(parsed, "city.kumamoto.example.jp")
    # Japanese in the display name and the subject is encoded (7-bit headers), and decodes back.
    assert headers.isascii()
    assert parsed["Subject"] == "受付番号 PC1-00001：テスト"


def test_without_its_own_setting_the_message_id_is_on_the_public_host(app: Flask):
    app.config.update(MAIL_MESSAGE_ID_DOMAIN="", PUBLIC_BASE_URL="https://sankaku.city.example")
    with app.app_context():
        message = queue_mail("a@example.jp", "S", "B")
        db.session.commit()
        assert parse(message)["Message-ID"].endswith("@sankaku.city.example>")


def _tomorrow_at(hour: int) -> datetime:
    tomorrow = clock.today() + timedelta(days=1)
    return datetime.combine(tomorrow, time(hour), tzinfo=JST)


def _consultation_mails(staff: Any) -> int:
    """Every mail of a session's life: confirmation, waiting list, reminder, the cancelled
    registration, the promotion it makes, the move and the calling off. Returns the session's
    id."""
    consultation = db.session.scalars(sa.select(Consultation).order_by(Consultation.id)).first()
    session = consultations.schedule_session(
        staff,
        consultation,
        title_ja="メール試験",
        title_en="Mail test",
        starts_at=_tomorrow_at(14),
        ends_at=_tomorrow_at(16),
        venue_id=None,
        online_url="https://meet.example.jp/x",
        capacity=1,
        registration_required=True,
        registration_opens_at=None,
        registration_closes_at=None,
        accommodations=[],
    )
    session_id = session.id
    first = consultations.register(session_id, name="山田 太郎", email="taro@example.jp")
    consultations.register(session_id, name="Hanako Sato", email="hanako@example.jp", language="en")
    consultations.send_reminders()
    consultations.cancel_registration(first.registration.id)
    session = db.session.get(Session, session_id)
    consultations.move_session(
        staff,
        session,
        starts_at=_tomorrow_at(15),
        ends_at=_tomorrow_at(17),
        venue_id=None,
        online_url=session.online_url,
    )
    consultations.cancel_session(staff, session_id, "台風のため")
    return session_id


def test_every_kind_of_mail_parses_cleanly(app: Flask, make_user: Any):
    app.config["MAIL_MESSAGE_ID_DOMAIN"] = "city.kumamoto.example.jp"
    rendered: set[str] = set()

    def record(_sender: Any, template: Any, context: Any, **_extra: Any) -> None:
        if "/mail/" in (template.name or ""):
            rendered.add(template.name)

    template_rendered.connect(record, app)
    try:
        with app.app_context():
            # The demo city: registrations, council applications and their outcomes,
            # proposals received and moved on.
            load_demo(str(PLAN_FILE))
        staff = make_user("staff", "kikaku")
        citizen = make_user("citizen")
        kocho = make_user("staff", "kocho")
        # The accounts' mails are queued by requests (their links are built with url_for).
        with app.test_request_context("/"):
            actor = db.session.get(User, staff.id)
            # Accounts: confirmation, the address already known, reset, invitation, change.
            accounts.register_citizen("new@example.jp", "新 市民", PASSWORD + " x", "ja")
            accounts.register_citizen(citizen.email, "市民", PASSWORD + " x", "en")
            accounts.request_password_reset(citizen.email)
            accounts.create_user(actor, "invited@example.jp", "招待 職員", Role.STAFF, 1)
            accounts.change_password(db.session.get(User, citizen.id), PASSWORD, PASSWORD + " new")
            _consultation_mails(actor)
            # Councils: an observer seat, a reviewer's assignment.
            meeting = db.session.scalars(sa.select(CouncilMeeting)).first()
            meeting.openness, meeting.observer_seats = MeetingOpenness.OPEN, 5
            meeting.starts_at = clock.now() + timedelta(days=7)
            db.session.commit()
            councils.register_observer(meeting.id, "傍聴 太郎", "observer@example.jp")
            reviewer = make_user("reviewer")
            call = db.session.scalars(sa.select(RecruitmentCall)).first()
            councils.assign_reviewer(actor, call, db.session.get(User, reviewer.id))
            # Public comment: the receipt, and the notice of the results.
            case = db.session.scalars(sa.select(CommentCase)).first()
            case.status = CaseStatus.APPROVED
            case.opens_at = clock.now() - timedelta(days=1)
            case.closes_at = clock.now() + timedelta(days=30)
            db.session.commit()
            public_comment.submit_comment(
                case.id,
                public_comment.CommentInput(
                    submitter_category=SubmitterCategory.RESIDENT,
                    name="意見 花子",
                    address="熊本市中央区手取本町1-1",
                    body="意見です。",
                    email="commenter@example.jp",
                ),
                "mail-test-token",
            )
            case = db.session.get(CommentCase, case.id)
            case.status = CaseStatus.RESULTS_REVIEW
            db.session.commit()
            public_comment.approve_results(db.session.get(User, kocho.id), case, "")
            # 市民の声: receipt, routed, reminder, interim answer, answer, follow-up question.
            send_every_voice_mail(kocho.id, staff.id)
            # Surveys: the demo has mailed invitations and feedback questionnaires; a drawn
            # resident who accepts with an address is welcomed to the panel.
            accept_all(drawn_term(kocho.id, target_size=2, invite_ratio=1.0))

            messages = db.session.scalars(sa.select(OutboxMessage)).all()
            for message in messages:
                assert_clean(parse(message), "city.kumamoto.example.jp")
    finally:
        template_rendered.disconnect(record, app)
    assert sorted(rendered) == MAIL_TEMPLATES


def test_a_cancelled_registration_gets_a_cancel_for_the_uid_of_its_invitation(
    app: Flask, make_user: Any, plan: Any
):
    staff = make_user("staff", "kikaku")
    with app.app_context():
        load_demo(str(PLAN_FILE))
        actor = db.session.get(User, staff.id)
        session_id = _consultation_mails(actor)
        taro = db.session.scalar(
            sa.select(Registration).where(Registration.email == "taro@example.jp")
        )
        mails = db.session.scalars(
            sa.select(OutboxMessage)
            .where(OutboxMessage.recipient == "taro@example.jp")
            .order_by(OutboxMessage.id)
        ).all()
        invitations = [_calendar(parse(m)) for m in mails if m.attachments]
        # The confirmation and the reminder invite, the cancellation cancels: one UID.
        methods = [(str(cal["method"]), content_type) for cal, content_type in invitations]
        assert methods == [
            ("REQUEST", "text/calendar; charset=utf-8; method=REQUEST"),
            ("REQUEST", "text/calendar; charset=utf-8; method=REQUEST"),
            ("CANCEL", "text/calendar; charset=utf-8; method=CANCEL"),
        ]
        uid = f"consultation-registration-{taro.id}@localhost"
        events = [cal.walk("VEVENT")[0] for cal, _ in invitations]
        assert {str(event["uid"]) for event in events} == {uid}
        assert events[-1]["status"] == "CANCELLED"
        assert events[-1]["sequence"] > events[0]["sequence"]

        # The one promoted in her place: invited, then the move (a higher SEQUENCE), then the
        # calling off, all on her registration's UID.
        hanako = db.session.scalar(
            sa.select(Registration).where(Registration.email == "hanako@example.jp")
        )
        mails = db.session.scalars(
            sa.select(OutboxMessage)
            .where(OutboxMessage.recipient == "hanako@example.jp", OutboxMessage.attachments.any())
            .order_by(OutboxMessage.id)
        ).all()
        calendars = [_calendar(parse(m))[0] for m in mails]
        events = [cal.walk("VEVENT")[0] for cal in calendars]
        assert [str(cal["method"]) for cal in calendars] == ["REQUEST", "REQUEST", "CANCEL"]
        assert {str(event["uid"]) for event in events} == {
            f"consultation-registration-{hanako.id}@localhost"
        }
        assert [int(event["sequence"]) for event in events] == [0, 1, 2]
        assert events[1]["dtstart"].dt == _tomorrow_at(15)
        assert hanako.session_id == session_id


def _calendar(parsed: EmailMessage) -> tuple[icalendar.Calendar, str]:
    part = next(p for p in parsed.walk() if p.get_content_type() == "text/calendar")
    assert part.get_param("charset") == "utf-8"
    content_type = (
        f"text/calendar; charset={part.get_param('charset')}; method={part.get_param('method')}"
    )
    calendar = icalendar.Calendar.from_ical(part.get_content())
    assert str(calendar["method"]) == part.get_param("method")
    return calendar, content_type
