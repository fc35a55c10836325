"""受付番号: gapless per fiscal year under concurrent senders; a form sent twice stores one
voice; the receipt mail carries the number and the sender's private link."""

from __future__ import annotations

import re
import secrets
from datetime import date, time

import pytest
import sqlalchemy as sa

from app.accounts.models import User
from app.core.audit import AuditEntry
from app.core.mail import OutboxMessage
from app.extensions import db
from app.voice import services
from app.voice.models import ReplyBy, Voice, VoiceChannel, VoiceKind, VoiceStatus
from tests.conftest import run_at_once
from tests.voice.conftest import SENDER, department_id, make_voice


def _input(**overrides):
    values = {
        "kind": VoiceKind.PROPOSAL,
        "title": "バス停にベンチを",
        "body": "バス停で待つ間に座れる場所がほしいです。",
        "reply_by": ReplyBy.EMAIL,
        "name": SENDER["name"],
        "email": SENDER["email"],
    }
    values.update(overrides)
    return services.VoiceInput(**values)


def test_a_voice_gets_its_number_due_date_division_and_initiative(app, plan, frozen):
    frozen.set_jst(date(2026, 12, 1), time(10, 0))
    voice_id = make_voice(app)
    with app.app_context():
        voice = db.session.get(Voice, voice_id)
        assert voice.receipt_code == "V2026-00001"
        assert (voice.fiscal_year, voice.receipt_number) == (2026, 1)
        assert voice.status == VoiceStatus.RECEIVED
        assert voice.department_id == department_id("kocho")
        assert voice.initiative.number == 8
        assert voice.due_on == date(2026, 12, 15)
        assert services.voice_by_receipt("V2026-00001").id == voice_id
        # Read out on the phone and typed in full width, lower case.
        assert services.voice_by_receipt(" ｖ２０２６－００００１ ").id == voice_id
        assert services.voice_by_receipt("V2026-00002") is None


def test_numbers_start_again_each_fiscal_year(app, plan, frozen):
    frozen.set_jst(date(2027, 3, 31), time(23, 59))
    march = make_voice(app)
    frozen.set_jst(date(2027, 4, 1), time(0, 1))
    april = make_voice(app)
    with app.app_context():
        assert db.session.get(Voice, march).receipt_code == "V2026-00001"
        assert db.session.get(Voice, april).receipt_code == "V2027-00001"
        assert db.session.get(Voice, april).fiscal_year == 2027


def test_concurrent_senders_get_gapless_numbers(app, plan, frozen):
    """Ten senders released together, each its own connection and transaction (real
    concurrency on PostgreSQL; SQLite queues them on its write lock)."""
    frozen.set_jst(date(2026, 12, 1), time(10, 0))
    senders = 10

    def send(number, go):
        with app.app_context():
            data = _input(title=f"意見{number}")
            go()
            voice, created = services.submit_voice(data, f"token-{number}")
            assert created
            return voice.receipt_number

    numbers = run_at_once(senders, send)
    assert sorted(numbers) == list(range(1, senders + 1))
    with app.app_context():
        codes = db.session.scalars(sa.select(Voice.receipt_code).order_by(Voice.id)).all()
        assert sorted(codes) == [f"V2026-{n:05d}" for n in range(1, senders + 1)]
        # Every sender's receipt mail, each with its own number.
        subjects = db.session.scalars(sa.select(OutboxMessage.subject)).all()
        assert sorted(re.search(r"V\d{4}-\d{5}", s).group() for s in subjects) == sorted(codes)


def test_the_same_form_sent_twice_at_once_stores_one_voice(app, plan, frozen):
    frozen.set_jst(date(2026, 12, 1), time(10, 0))

    def send(_number, go):
        with app.app_context():
            data = _input()
            go()
            voice, created = services.submit_voice(data, "double-click")
            return voice.id, created

    results = run_at_once(2, send)
    assert len({voice_id for voice_id, _ in results}) == 1
    assert sorted(created for _, created in results) == [False, True]
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Voice.id))) == 1
        assert db.session.scalar(sa.select(sa.func.count(OutboxMessage.id))) == 1
        # The second sending's number went back with its rollback: the next voice is 2.
        voice, created = services.submit_voice(_input(), "next")
        assert created and voice.receipt_code == "V2026-00002"


def test_the_same_form_sent_again_later_returns_the_first_voice(app, plan, frozen):
    with app.app_context():
        first, created = services.submit_voice(_input(), "resent")
        again, created_again = services.submit_voice(_input(title="別の題"), "resent")
        assert created and not created_again
        assert again.id == first.id and again.title == "バス停にベンチを"
        assert db.session.scalar(sa.select(sa.func.count(Voice.id))) == 1


def test_the_receipt_mail_has_the_number_and_the_private_link(app, plan, frozen):
    import email
    import email.policy

    from app.core.mail import build_email

    frozen.set_jst(date(2026, 12, 1), time(10, 0))
    voice_id = make_voice(app)
    with app.app_context():
        voice = db.session.get(Voice, voice_id)
        message = db.session.scalar(sa.select(OutboxMessage))
        assert message.recipient == SENDER["email"]
        parsed = email.message_from_bytes(
            build_email(message).as_bytes(), policy=email.policy.default
        )
        assert parsed.defects == []
        assert "V2026-00001" in parsed["Subject"]
        body = parsed.get_body(("plain",)).get_content()
        assert "V2026-00001" in body
        assert "\x00" not in body
        assert "令和8年(2026年)12月15日" in body  # the due date, in the city's style
        token = services.status_token(voice)
        assert f"/voice/status/{token}" in body
        assert services.voice_by_status_token(token).id == voice_id
        assert services.voice_by_status_token(token + "x") is None
        assert services.voice_by_status_token("garbage") is None


def test_an_anonymous_voice_without_an_address_gets_no_mail(app, plan):
    make_voice(app, reply_by=ReplyBy.NONE, name="", email="", phone="")
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(OutboxMessage.id))) == 0
        assert db.session.scalar(sa.select(Voice.reply_by)) == ReplyBy.NONE


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"email": ""}, "email"),
        ({"name": "  "}, "name"),
        ({"reply_by": ReplyBy.POST, "postal_address": ""}, "postal_address"),
        ({"reply_by": ReplyBy.POST, "name": "", "postal_address": "熊本市中央区"}, "name"),
        ({"title": " "}, "title"),
        ({"body": ""}, "body"),
        ({"reply_by": ReplyBy.NONE, "email": "", "follow_up_wanted": True}, "email"),
    ],
)
def test_an_answer_needs_a_name_and_a_way_to_send_it(app, plan, overrides, field):
    with app.app_context(), pytest.raises(services.VoiceError) as refused:
        services.submit_voice(_input(**overrides), secrets.token_urlsafe(8))
    assert refused.value.field == field
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Voice.id))) == 0


def test_the_refusal_is_in_japanese_for_a_japanese_page(app, plan):
    with app.test_request_context("/?lang=ja"), pytest.raises(services.VoiceError) as refused:
        services.submit_voice(_input(email=""), "ja")
    assert "メールアドレス" in str(refused.value)


def test_a_web_voice_is_never_dated_in_the_future(app, plan, frozen):
    frozen.set_jst(date(2026, 12, 1), time(10, 0))
    with app.app_context():
        later = frozen.now.replace(year=2027)
        voice, _ = services.submit_voice(_input(), "future", received_at=later)
        assert voice.received_at == frozen.now


def test_a_staff_entry_is_dated_the_day_it_came_and_audited(app, plan, frozen, make_user):
    frozen.set_jst(date(2026, 12, 10), time(10, 0))
    staff = make_user("staff", "kocho")
    letter_day = frozen.now.replace(day=1)  # 1 Dec, nine days ago
    with app.app_context():
        actor = db.session.get(User, staff.id)
        with pytest.raises(services.VoiceError) as refused:
            services.submit_voice(
                _input(),
                "phone-future",
                channel=VoiceChannel.PHONE,
                entered_by=actor,
                received_at=frozen.now.replace(day=11),
            )
        assert refused.value.field == "received_on"
        with pytest.raises(services.VoiceError) as refused:
            services.submit_voice(
                _input(), "phone-undated", channel=VoiceChannel.PHONE, entered_by=actor
            )
        assert refused.value.field == "received_on"
        voice, created = services.submit_voice(
            _input(reply_by=ReplyBy.POST, email="", postal_address="熊本市中央区手取本町1-1"),
            "letter",
            channel=VoiceChannel.LETTER,
            entered_by=actor,
            received_at=letter_day,
        )
        assert created
        assert voice.received_at == letter_day
        assert voice.due_on == date(2026, 12, 15)  # from the day it came, not the day entered
        assert voice.entered_by_id == staff.id
        entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "voice.enter"))
        assert entry.actor_id == staff.id and entry.object_id == str(voice.id)
        assert voice.receipt_code in entry.summary
        assert SENDER["name"] not in entry.summary  # no personal data in the log's summary
