"""Test data for consultations, made through the services (as staff would make it)."""

from __future__ import annotations

from datetime import date, time, timedelta
from types import SimpleNamespace

import sqlalchemy as sa

from app.consultations import services
from app.consultations.models import ConsultationKind
from app.core import clock
from app.core.i18n import jst_to_utc
from app.extensions import db
from app.plan.models import Department, Initiative, Ward


def make_consultation(
    department: str = "kikaku", ward: str = "chuo", number: int = 6, title: str = "テスト懇話会"
) -> int:
    services.ensure_default_kinds()
    db.session.commit()
    return services.create_consultation(
        None,
        kind_id=db.session.scalar(
            sa.select(ConsultationKind.id).where(ConsultationKind.code == "workshop")
        ),
        title_ja=title,
        title_en="Test workshop",
        purpose_ja="目的",
        initiative_id=db.session.scalar(
            sa.select(Initiative.id).where(Initiative.number == number)
        ),
        department_id=db.session.scalar(
            sa.select(Department.id).where(Department.code == department)
        ),
        ward_id=db.session.scalar(sa.select(Ward.id).where(Ward.code == ward)),
    ).id


def make_venue(ward: str = "chuo", capacity: int = 100, name: str = "中央公民館") -> int:
    return services.create_venue(
        None,
        name_ja=name,
        address_ja="熊本市中央区草葉町5-1",
        ward_id=db.session.scalar(sa.select(Ward.id).where(Ward.code == ward)),
        capacity=capacity,
    ).id


def make_session(
    consultation_id: int,
    venue_id: int | None,
    day: date | None = None,
    start: time = time(14, 0),
    end: time = time(16, 0),
    capacity: int = 10,
    title: str = "第1回",
) -> int:
    from app.consultations.models import Consultation

    day = day or clock.today() + timedelta(days=7)
    return services.schedule_session(
        None,
        db.session.get(Consultation, consultation_id),
        title_ja=title,
        title_en="",
        starts_at=jst_to_utc(day, start),
        ends_at=jst_to_utc(day, end),
        venue_id=venue_id,
        online_url="" if venue_id else "https://meet.example.jp/x",
        capacity=capacity,
        registration_required=True,
        registration_opens_at=None,
        registration_closes_at=None,
        accommodations=["sign_language", "childcare"],
    ).id


def scheduled(app, capacity: int = 10, day: date | None = None) -> SimpleNamespace:
    with app.app_context():
        consultation_id = make_consultation()
        venue_id = make_venue()
        session_id = make_session(consultation_id, venue_id, day=day, capacity=capacity)
        return SimpleNamespace(
            consultation_id=consultation_id, venue_id=venue_id, session_id=session_id
        )
