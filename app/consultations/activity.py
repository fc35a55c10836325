"""The consultations activity kind: sessions, registrations, attendance, opinions and advice
per initiative, each computed with one GROUP BY."""

from __future__ import annotations

import sqlalchemy as sa
from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload

from app.consultations.models import (
    Advice,
    Consultation,
    Opinion,
    Registration,
    RegistrationStatus,
    Session,
    SessionRecord,
)
from app.core.activity import ActivityFilter, ActivityKind, ActivityRecord, Figures, Metric
from app.core.db import utcnow
from app.core.i18n import to_jst
from app.extensions import db

METRICS = [
    Metric("sessions_held", _l("Sessions held")),
    Metric("registrations", _l("Registrations")),
    Metric("attendees", _l("Attendees")),
    Metric("opinions", _l("Opinions recorded")),
    Metric("opinions_answered_share", _l("Share of opinions answered (%)")),
    Metric("advice_given", _l("Advice on the method given")),
]


def figures(flt: ActivityFilter) -> Figures:
    result: Figures = {}

    def put(initiative_id: int, key: str, value: float) -> None:
        row = result.setdefault(initiative_id, {m.key: 0 for m in METRICS})
        row[key] = value

    held = sa.and_(Session.ends_at <= utcnow(), Session.cancelled_at.is_(None))
    published = SessionRecord.published_at.is_not(None)
    stmt = (
        sa.select(
            Consultation.initiative_id,
            sa.func.count(sa.case((held, Session.id))),
            sa.func.coalesce(sa.func.sum(sa.case((published, SessionRecord.attendees))), 0),
        )
        .join(Session, Session.consultation_id == Consultation.id)
        .outerjoin(SessionRecord, SessionRecord.session_id == Session.id)
        .group_by(Consultation.initiative_id)
    )
    for initiative_id, sessions_held, attendees in db.session.execute(
        flt.apply(stmt, Consultation)
    ):
        put(initiative_id, "sessions_held", sessions_held)
        put(initiative_id, "attendees", attendees)

    stmt = (
        sa.select(Consultation.initiative_id, sa.func.count(Registration.id))
        .join(Session, Session.consultation_id == Consultation.id)
        .join(Registration, Registration.session_id == Session.id)
        .where(Registration.status != RegistrationStatus.CANCELLED)
        .group_by(Consultation.initiative_id)
    )
    for initiative_id, count in db.session.execute(flt.apply(stmt, Consultation)):
        put(initiative_id, "registrations", count)

    answered = sa.func.length(sa.func.trim(Opinion.response_ja)) > 0
    stmt = (
        sa.select(
            Consultation.initiative_id,
            sa.func.count(Opinion.id),
            sa.func.count(sa.case((answered, Opinion.id))),
        )
        .join(Session, Session.consultation_id == Consultation.id)
        .join(SessionRecord, SessionRecord.session_id == Session.id)
        .join(Opinion, Opinion.record_id == SessionRecord.id)
        .where(published)
        .group_by(Consultation.initiative_id)
    )
    for initiative_id, opinions, answered_count in db.session.execute(
        flt.apply(stmt, Consultation)
    ):
        put(initiative_id, "opinions", opinions)
        put(initiative_id, "opinions_answered_share", round(100 * answered_count / opinions, 1))

    stmt = (
        sa.select(Consultation.initiative_id, sa.func.count(Advice.id))
        .join(Advice, Advice.consultation_id == Consultation.id)
        .group_by(Consultation.initiative_id)
    )
    for initiative_id, count in db.session.execute(flt.apply(stmt, Consultation)):
        put(initiative_id, "advice_given", count)
    return result


def records(initiative_id: int, limit: int) -> list[ActivityRecord]:
    sessions = db.session.scalars(
        sa.select(Session)
        .join(Consultation, Session.consultation_id == Consultation.id)
        .where(Consultation.initiative_id == initiative_id, Session.cancelled_at.is_(None))
        .options(joinedload(Session.consultation), joinedload(Session.record))
        .order_by(Session.starts_at.desc())
        .limit(limit)
    ).unique()
    result = []
    for session in sessions:
        if session.record is not None and session.record.published_at is not None:
            status = _("Record published")
        elif session.is_past:
            status = _("Held")
        else:
            status = _("Upcoming")
        result.append(
            ActivityRecord(
                title=session.display_title(),
                url=url_for("consultations.session", session_id=session.id),
                day=to_jst(session.starts_at).date(),
                status=status,
            )
        )
    return result


CONSULTATIONS_KIND = ActivityKind(
    key="consultations",
    label=_l("Consultations"),
    model=Consultation,
    metrics=METRICS,
    figures=figures,
    records=records,
    list_endpoint="consultations.index",
    order=20,
)
