"""Factories for 市民の声 tests: voices made through the services, and the form data a resident
types, so tests can drive the pages with it."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from app.extensions import db


def department_id(code: str) -> int:
    from app.plan.models import Department

    return db.session.scalar(sa.select(Department.id).where(Department.code == code))


def ward_id(code: str) -> int:
    from app.plan.models import Ward

    return db.session.scalar(sa.select(Ward.id).where(Ward.code == code))


# Marker values: a privacy test searches every public output for them.
SENDER = {
    "name": "匿名希望太郎",
    "email": "voice-sender-marker@example.jp",
    "postal_code": "860-0001",
    "postal_address": "熊本市中央区千葉城町9-99-MARKER",
    "phone": "096-000-9999",
    "school_district": "マーカー校区",
}


def voice_form(**overrides: Any) -> dict[str, Any]:
    """What a resident types into the voice form (field names as posted)."""
    data: dict[str, Any] = {
        "kind": "request",
        "title": "公園の照明を増やしてください",
        "body": "夜の公園が暗く、子どもの帰り道が心配です。照明を増やしてください。",
        "reply_by": "email",
        "name": SENDER["name"],
        "email": SENDER["email"],
        "postal_code": "",
        "postal_address": "",
        "phone": SENDER["phone"],
        "age_band": "40s",
        "school_district": SENDER["school_district"],
        "consent_to_publish": "y",
    }
    data.update(overrides)
    return data


def make_voice(
    app: Any,
    *,
    channel: str = "web",
    received_at: datetime | None = None,
    entered_by: Any = None,
    **overrides: Any,
) -> int:
    """A voice stored through the services (as the form or staff entry would); returns its id."""
    from app.voice import services
    from app.voice.models import AgeBand, ReplyBy, VoiceChannel, VoiceKind

    values: dict[str, Any] = {
        "kind": VoiceKind.REQUEST,
        "title": "公園の照明を増やしてください",
        "body": "夜の公園が暗く、子どもの帰り道が心配です。",
        "reply_by": ReplyBy.EMAIL,
        "name": SENDER["name"],
        "email": SENDER["email"],
        "phone": SENDER["phone"],
        "age_band": AgeBand.FORTIES,
        "school_district": SENDER["school_district"],
        "consent_to_publish": True,
    }
    values.update(overrides)
    with app.app_context():
        voice, created = services.submit_voice(
            services.VoiceInput(**values),
            secrets.token_urlsafe(16),
            channel=VoiceChannel(channel),
            entered_by=entered_by,
            received_at=received_at,
        )
        assert created
        return voice.id


def user(user_id: int) -> Any:
    """The stored account of a factory user (make_user returns a plain namespace), for the
    services' permission checks; call inside an app context."""
    from app.accounts.models import User

    return db.session.get(User, user_id)


def make_department(code: str, name_ja: str) -> int:
    """A department the response table lacks (the mayor's office, 秘書課, which the demo adds)."""
    from app.plan.models import Department

    department = Department(code=code, name_ja=name_ja, name_en=code)
    db.session.add(department)
    db.session.commit()
    return department.id


def send_every_voice_mail(kocho_id: int, division_id: int) -> None:
    """Queue one of each mail 市民の声 sends (receipt, routed, interim, answer, reminder,
    follow-up), for tests/core/test_mail_formats.py; call inside an app or request context.
    `division_id` is a staff member of the division the voice is routed to."""
    from datetime import timedelta

    from app.core import clock
    from app.voice import services
    from app.voice.models import ResponseKind, Voice

    kocho, division = user(kocho_id), user(division_id)
    voice, _ = services.submit_voice(
        services.VoiceInput(
            kind=services.VoiceKind.REQUEST,
            title="歩道の段差",
            body="車いすで通れません。",
            reply_by=services.ReplyBy.EMAIL,
            name="声 花子",
            email="voice@example.jp",
            follow_up_wanted=True,
        ),
        "mail-format-voice",
    )
    services.route(kocho, voice, [division.department_id], division.department_id)
    voice = db.session.get(Voice, voice.id)
    voice.due_on = clock.today()  # due today: the division is reminded
    db.session.commit()
    services.send_reminders()
    voice = db.session.get(Voice, voice.id)
    services.send_interim(division, voice, "現地調査中です。", clock.today() + timedelta(days=10))
    answer = services.draft_answer(
        division,
        db.session.get(Voice, voice.id),
        "段差を解消しました。",
        ResponseKind.DONE,
        submit=True,
    )
    services.approve_answer(kocho, answer)
    voice = db.session.get(Voice, voice.id)
    voice.closed_at = clock.now() - timedelta(days=60)
    db.session.commit()
    services.send_follow_ups()
