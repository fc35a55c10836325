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
