"""The answer's deadline, with the frozen clock: counted from the day after receipt (JST), in
calendar or working days; overdue the day after; moved by an interim answer, which is mailed;
never for an anonymous voice."""

from __future__ import annotations

from datetime import date, time

import pytest

from app.extensions import db
from app.voice import services
from app.voice.models import ReplyBy, Voice
from tests.voice.conftest import make_voice


def test_due_date_from_the_day_after_receipt(app, plan, frozen):
    frozen.set_jst(date(2026, 12, 1), time(10, 0))
    morning = make_voice(app)
    frozen.set_jst(date(2026, 12, 1), time(23, 59))  # still 1 Dec in Japan (14:59 UTC)
    late = make_voice(app)
    frozen.set_jst(date(2026, 12, 2), time(0, 30))  # 2 Dec in Japan, still 1 Dec in UTC
    after_midnight = make_voice(app)
    with app.app_context():
        assert db.session.get(Voice, morning).due_on == date(2026, 12, 15)
        assert db.session.get(Voice, late).due_on == date(2026, 12, 15)
        assert db.session.get(Voice, after_midnight).due_on == date(2026, 12, 16)
        # The setting is read, not fixed.
        app.config["VOICE_ANSWER_DAYS"] = 10
        assert services.due_date(date(2026, 12, 1)) == date(2026, 12, 11)


def test_working_days_skip_weekends(app):
    with app.app_context():
        # Received Friday 13 Nov 2026: Mon 16 … Fri 20 are five working days.
        assert services.due_date(date(2026, 11, 13), 5, True) == date(2026, 11, 20)
        # Received on a Saturday: counting starts on Monday.
        assert services.due_date(date(2026, 11, 14), 1, True) == date(2026, 11, 16)


def test_working_days_skip_a_national_holiday(app):
    with app.app_context():
        # 3 Nov 2026 (Tue) is 文化の日: Mon 2, Wed 4, Thu 5.
        assert services.due_date(date(2026, 10, 30), 3, True) == date(2026, 11, 5)
        # 23 Nov 2026 (Mon) 勤労感謝の日.
        assert services.due_date(date(2026, 11, 20), 1, True) == date(2026, 11, 24)
        # Calendar days count the holiday.
        assert services.due_date(date(2026, 10, 30), 3, False) == date(2026, 11, 2)


def test_working_days_skip_the_year_end_closure(app):
    with app.app_context():
        # Received Fri 25 Dec 2026: Mon 28 Dec, then the offices close 29 Dec – 3 Jan;
        # Mon 4 Jan 2027 and Tue 5 Jan follow.
        assert services.due_date(date(2026, 12, 25), 3, True) == date(2027, 1, 5)
        # 12 working days from 25 Dec reach past 成人の日 (Mon 11 Jan 2027) to Wed 13 Jan.
        assert services.due_date(date(2026, 12, 25), 8, True) == date(2027, 1, 13)
        assert not services.is_working_day(date(2027, 1, 11))
        assert not services.is_working_day(date(2026, 12, 29))
        assert not services.is_working_day(date(2027, 1, 3))  # a Sunday, and closed anyway
        assert not services.is_working_day(date(2028, 1, 3))  # a Monday, closed
        assert services.is_working_day(date(2026, 12, 28))


def test_a_voice_counts_working_days_when_the_city_says_so(app, plan, frozen):
    app.config["VOICE_WORKING_DAYS"] = True
    frozen.set_jst(date(2026, 12, 1), time(10, 0))  # Tue
    voice_id = make_voice(app)
    with app.app_context():
        # 14 working days from Wed 2 Dec: 2,3,4,7,8,9,10,11,14,15,16,17,18,21.
        assert db.session.get(Voice, voice_id).due_on == date(2026, 12, 21)


def test_overdue_the_day_after_the_due_date_and_not_before(app, plan, frozen):
    frozen.set_jst(date(2026, 12, 1), time(10, 0))
    voice_id = make_voice(app)
    with app.app_context():
        voice = db.session.get(Voice, voice_id)
        assert voice.answer_due_on == date(2026, 12, 15)
        assert not voice.overdue(date(2026, 12, 14))
        assert not voice.overdue(date(2026, 12, 15))  # the due date itself is in time
        assert voice.overdue(date(2026, 12, 16))


def test_an_anonymous_voice_is_never_overdue(app, plan, frozen):
    frozen.set_jst(date(2026, 12, 1), time(10, 0))
    voice_id = make_voice(app, reply_by=ReplyBy.NONE, name="", email="")
    with app.app_context():
        voice = db.session.get(Voice, voice_id)
        assert voice.due_on == date(2026, 12, 15)  # counted, for the division's own planning
        assert not voice.overdue(date(2027, 6, 1))


@pytest.mark.parametrize("days", [0, 1, 14, 30])
def test_calendar_days_are_plain_addition(app, days):
    with app.app_context():
        assert (services.due_date(date(2026, 2, 20), days, False) - date(2026, 2, 20)).days == days


def test_an_interim_answer_moves_the_date_and_is_mailed(app, plan, frozen, make_user):
    import email
    import email.policy

    import sqlalchemy as sa

    from app.core.mail import OutboxMessage, build_email
    from app.voice.models import InterimAnswer
    from tests.voice.conftest import user

    frozen.set_jst(date(2026, 12, 1), time(10, 0))
    kocho, division = make_user("staff", "kocho").id, make_user("staff", "kikaku").id
    with app.test_request_context("/?lang=en"):
        voice_id = make_voice(app)  # sent from the English page: mail in English
    kikaku = department_id_in(app, "kikaku")
    with app.app_context():
        services.route(user(kocho), db.session.get(Voice, voice_id), [kikaku], kikaku)
        db.session.execute(sa.delete(OutboxMessage))
        db.session.commit()
        frozen.set_jst(date(2026, 12, 14), time(10, 0))
        voice = db.session.get(Voice, voice_id)
        with pytest.raises(services.VoiceError) as refused:
            services.send_interim(user(division), voice, "  ", date(2027, 1, 15))
        assert refused.value.field == "reason"
        for too_early in (date(2026, 12, 14), date(2026, 12, 15)):
            with pytest.raises(services.VoiceError) as refused:
                services.send_interim(user(division), voice, "調査中", too_early)
            assert refused.value.field == "expected_on"
        services.send_interim(
            user(division), voice, "Waiting for the survey of the park.", date(2027, 1, 15)
        )
        voice = db.session.get(Voice, voice_id)
        assert voice.due_on == date(2026, 12, 15)
        assert voice.answer_due_on == date(2027, 1, 15)
        frozen.set_jst(date(2026, 12, 16), time(10, 0))
        assert not voice.overdue(date(2026, 12, 16))  # the sender was told 15 Jan
        assert voice.overdue(date(2027, 1, 16))
        interim = db.session.scalar(sa.select(InterimAnswer))
        assert interim.sent_at is not None and interim.created_by_id == division
        (message,) = db.session.scalars(sa.select(OutboxMessage)).all()
        parsed = email.message_from_bytes(
            build_email(message).as_bytes(), policy=email.policy.default
        )
        assert parsed.defects == []
        assert parsed["To"] == voice.email
        assert voice.receipt_code in parsed["Subject"] and "longer" in parsed["Subject"]
        body = parsed.get_body(("plain",)).get_content()
        assert "Waiting for the survey of the park." in body
        assert "15 Jan 2027" in body


def test_an_interim_answer_by_post_is_kept_to_print(app, plan, frozen, make_user):
    import sqlalchemy as sa

    from app.core.mail import OutboxMessage
    from app.voice.models import InterimAnswer
    from tests.voice.conftest import SENDER, user

    frozen.set_jst(date(2026, 12, 1), time(10, 0))
    kocho = make_user("staff", "kocho").id
    voice_id = make_voice(
        app, reply_by=ReplyBy.POST, email="", postal_address=SENDER["postal_address"]
    )
    with app.app_context():
        services.send_interim(
            user(kocho), db.session.get(Voice, voice_id), "調査中のため", date(2026, 12, 25)
        )
        assert db.session.scalar(sa.select(InterimAnswer.sent_at)) is None  # to print
        assert db.session.scalar(sa.select(sa.func.count(OutboxMessage.id))) == 0
        assert db.session.get(Voice, voice_id).answer_due_on == date(2026, 12, 25)


def department_id_in(app, code):
    from tests.voice.conftest import department_id

    with app.app_context():
        return department_id(code)
