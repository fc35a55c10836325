"""The consultations activity kind, the module's manifest (DESIGN.md §3): sessions,
registrations, attendance, opinions and advice per initiative, computed in one statement with
GROUP BY; the sessions in the API; the events list and calendars as open data; its demo."""

from __future__ import annotations

from functools import partial
from typing import Any

import sqlalchemy as sa
from flask import url_for
from flask_babel import LazyString
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload, selectinload

from app.consultations.demo import load_demo
from app.consultations.models import (
    Advice,
    Audience,
    Consultation,
    ConsultationKind,
    Opinion,
    Registration,
    RegistrationStatus,
    Session,
    SessionRecord,
)
from app.core import clock
from app.core.activity import (
    JSON,
    ActivityFilter,
    ActivityKind,
    ActivityRecord,
    ApiList,
    Figures,
    Metric,
    each,
)
from app.core.i18n import current_language, format_datetime, to_jst
from app.core.opendata import Dataset, Distribution
from app.core.urls import public_url
from app.extensions import db
from app.plan.models import Ward

METRICS = [
    Metric("sessions_held", _l("Sessions held")),
    Metric("registrations", _l("Registrations")),
    Metric("attendees", _l("Attendees")),
    Metric("opinions", _l("Opinions recorded")),
    Metric("opinions_answered_share", _l("Share of opinions answered (%)")),
    Metric("advice_given", _l("Advice on the method given")),
]


def figures(flt: ActivityFilter) -> Figures:
    """One statement: per-consultation aggregates in subqueries, summed per initiative (joining
    the tables directly would multiply rows)."""
    chosen = flt.apply(sa.select(Consultation.id), Consultation)

    def of_chosen(stmt: sa.Select, consultation_id: sa.ColumnElement) -> sa.Select:
        # A year's report aggregates that year's sessions, not a million registrations of
        # every year only to drop the other years in the outer join.
        return stmt.where(consultation_id.in_(chosen)) if flt.narrows else stmt

    held = sa.and_(Session.ends_at <= clock.now(), Session.cancelled_at.is_(None))
    published = SessionRecord.published_at.is_not(None)
    sessions = (
        sa.select(
            Session.consultation_id.label("cid"),
            sa.func.count(sa.case((held, Session.id))).label("held"),
            sa.func.sum(sa.case((published, SessionRecord.attendees), else_=0)).label("came"),
        )
        .outerjoin(SessionRecord, SessionRecord.session_id == Session.id)
        .group_by(Session.consultation_id)
    )
    sessions = of_chosen(sessions, Session.consultation_id).subquery()
    registrations = (
        sa.select(Session.consultation_id.label("cid"), sa.func.count(Registration.id).label("n"))
        .join(Registration, Registration.session_id == Session.id)
        .where(Registration.status != RegistrationStatus.CANCELLED)
        .group_by(Session.consultation_id)
    )
    registrations = of_chosen(registrations, Session.consultation_id).subquery()
    answered = sa.func.length(sa.func.trim(Opinion.response_ja)) > 0
    opinions = (
        sa.select(
            Session.consultation_id.label("cid"),
            sa.func.count(Opinion.id).label("n"),
            sa.func.count(sa.case((answered, Opinion.id))).label("answered"),
        )
        .join(SessionRecord, SessionRecord.session_id == Session.id)
        .join(Opinion, Opinion.record_id == SessionRecord.id)
        .where(published)
        .group_by(Session.consultation_id)
    )
    opinions = of_chosen(opinions, Session.consultation_id).subquery()

    def total(column: sa.ColumnElement) -> sa.ColumnElement:
        return sa.func.coalesce(sa.func.sum(column), 0)

    per_consultation = (
        sa.select(
            Consultation.initiative_id.label("initiative_id"),
            sessions.c.held,
            registrations.c.n.label("registered"),
            sessions.c.came,
            opinions.c.n.label("opinions"),
            opinions.c.answered,
            sa.literal(0).label("advice"),
        )
        .outerjoin(sessions, sessions.c.cid == Consultation.id)
        .outerjoin(registrations, registrations.c.cid == Consultation.id)
        .outerjoin(opinions, opinions.c.cid == Consultation.id)
    )
    # Advice is an activity of its own, filed under initiative 6 (models.ADVICE_INITIATIVE)
    # with the advising department and the year it was given, not under the consultation's.
    advice = sa.select(
        Advice.initiative_id,
        sa.literal(0),
        sa.literal(0),
        sa.literal(0),
        sa.literal(0),
        sa.literal(0),
        sa.literal(1),
    )
    both = sa.union_all(
        flt.apply(per_consultation, Consultation), flt.apply(advice, Advice)
    ).subquery()
    stmt = sa.select(
        both.c.initiative_id,
        total(both.c.held),
        total(both.c.registered),
        total(both.c.came),
        total(both.c.opinions),
        total(both.c.answered),
        total(both.c.advice),
    ).group_by(both.c.initiative_id)
    result: Figures = {}
    for row in db.session.execute(stmt):
        initiative_id, held_n, registered, came, opinion_n, answered_n, advice_n = row
        result[initiative_id] = {
            "sessions_held": int(held_n),
            "registrations": int(registered),
            "attendees": int(came),
            "opinions": int(opinion_n),
            "opinions_answered_share": round(100 * answered_n / opinion_n, 1) if opinion_n else 0,
            "advice_given": int(advice_n),
        }
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
                updated=session.updated_at,
            )
        )
    return result


def open_now(limit: int) -> list[ActivityRecord]:
    """Upcoming public sessions a resident can still join, the soonest first (the home page):
    those open for registration with places left, and those needing none. One statement, the
    places taken as the session keeps them (`services.take_places`)."""
    now = clock.now()
    taken = Session.places_taken
    rows = db.session.execute(
        sa.select(
            Session.id,
            Session.title_ja,
            Session.title_en,
            Consultation.title_ja,
            Consultation.title_en,
            Session.starts_at,
            Session.capacity,
            Session.registration_required,
            taken,
        )
        .join(Consultation, Session.consultation_id == Consultation.id)
        .join(ConsultationKind, Consultation.kind_id == ConsultationKind.id)
        .where(
            Session.cancelled_at.is_(None),
            Session.starts_at > now,
            ConsultationKind.audience != Audience.STAFF,
            sa.or_(
                Session.registration_required.is_(False),
                sa.and_(
                    sa.or_(
                        Session.registration_opens_at.is_(None),
                        Session.registration_opens_at <= now,
                    ),
                    sa.or_(
                        Session.registration_closes_at.is_(None),
                        Session.registration_closes_at >= now,
                    ),
                    taken < Session.capacity,
                ),
            ),
        )
        .order_by(Session.starts_at, Session.id)
        .limit(limit)
    )
    english = current_language() == "en"
    result = []
    for row in rows:
        sid, own_ja, own_en, base_ja, base_en, starts_at, capacity, required, seats = row
        own = (own_en or own_ja) if english else own_ja
        base = (base_en or base_ja) if english else base_ja
        places = (
            _("%(free)s of %(capacity)s free", free=capacity - seats, capacity=capacity)
            if required
            else _("No registration needed")
        )
        result.append(
            ActivityRecord(
                title=f"{base} {own}" if own else base,
                url=url_for("consultations.session", session_id=sid),
                day=to_jst(starts_at).date(),
                status=_("%(label)s: %(text)s", label=format_datetime(starts_at), text=places),
            )
        )
    return result


def attention(limit: int) -> list[ActivityRecord]:
    """Sessions whose record has opinions still without the city's response (one statement)."""
    from app.consultations.models import Opinion, SessionRecord

    rows = db.session.execute(
        sa.select(Session.id, Session.title_ja, Session.starts_at, sa.func.count(Opinion.id))
        .join(SessionRecord, SessionRecord.session_id == Session.id)
        .join(Opinion, Opinion.record_id == SessionRecord.id)
        .where(Opinion.response_ja == "")
        .group_by(Session.id, Session.title_ja, Session.starts_at)
        .order_by(Session.starts_at)
        .limit(limit)
    )
    return [
        ActivityRecord(
            title=title or _("Session %(id)s", id=session_id),
            # Straight to the list of opinions, each with its answer form.
            url=url_for(
                "consultations_staff.edit_record", session_id=session_id, _anchor="opinions"
            ),
            day=to_jst(starts_at).date(),
            status=_("%(count)s opinions without a response", count=count),
        )
        for session_id, title, starts_at, count in rows
    ]


def open_datasets() -> list[Dataset]:
    """The sessions as the events list of the municipal standard and as calendar feeds (the
    whole city and each ward), for /open-data and its catalogue."""
    updated = db.session.scalar(sa.select(sa.func.max(Session.updated_at)))
    wards = db.session.scalars(sa.select(Ward).order_by(Ward.position, Ward.id))
    return [
        Dataset(
            "events",
            _l("Events list"),
            [Distribution("CSV", url_for("consultations.events_csv"))],
            updated,
            description=_l(
                "Public sessions in the columns of the municipal standard open data set "
                "「イベント一覧」."
            ),
            conforms_to="自治体標準オープンデータセット（正式版） イベント一覧",
            file_name="431001_event.csv",
        ),
        Dataset(
            "calendar",
            _l("Calendar of sessions"),
            [
                Distribution("iCalendar", url_for("consultations.feed"), _l("Whole city")),
                *(
                    Distribution(
                        "iCalendar",
                        url_for("consultations.ward_feed", code=ward.code),
                        # Lazy, so the catalogue names the ward in each of its languages.
                        LazyString(partial(ward.tr, "name")),
                    )
                    for ward in wards
                ),
            ],
            updated,
        ),
    ]


# The API: sessions with their confirmed places (counts only, never who) ----------------------

SESSION_SCHEMA: JSON = {
    "type": "object",
    "required": [
        "id",
        "title",
        "kind",
        "starts_at",
        "ends_at",
        "capacity",
        "confirmed",
        "initiative",
        "url",
    ],
    "properties": {
        "id": {"type": "integer"},
        "title": {"type": "string"},
        "kind": {"type": "string"},
        "starts_at": {"type": "string", "format": "date-time"},
        "ends_at": {"type": "string", "format": "date-time"},
        "venue": {"type": ["string", "null"]},
        "ward": {"type": ["string", "null"]},
        "capacity": {"type": "integer"},
        "confirmed": {"type": "integer"},
        "initiative": {"type": "integer"},
        "cancelled": {"type": "boolean"},
        "url": {"type": "string"},
    },
}


def api_sessions() -> sa.Select[Any]:
    """(session, confirmed places) rows, newest first; staff training and internal meetings are
    counted in the figures, never listed."""
    from app.consultations.services import staff_only_consultations

    return (
        # The confirmed places as the session keeps them (`services.take_places`).
        sa.select(Session, Session.places_taken)
        .where(Session.consultation_id.not_in(staff_only_consultations()))
        .order_by(Session.starts_at.desc(), Session.id.desc())
        .options(
            selectinload(Session.consultation).selectinload(Consultation.initiative),
            selectinload(Session.consultation).selectinload(Consultation.department),
            selectinload(Session.venue),
            selectinload(Session.ward),
        )
    )


def api_session(row: Any) -> JSON:
    session, confirmed = row
    consultation = session.consultation
    return {
        "id": session.id,
        "title": session.title_ja or consultation.title_ja,
        "title_en": session.title_en or consultation.title_en or "",
        "consultation": consultation.id,
        "kind": consultation.kind.code,
        "starts_at": session.starts_at.isoformat(),
        "ends_at": session.ends_at.isoformat(),
        "venue": session.venue.name_ja if session.venue else None,
        "online": bool(session.online_url),
        "ward": session.ward.code if session.ward else None,
        "capacity": session.capacity,
        "confirmed": confirmed,
        "initiative": consultation.initiative.number,
        "department": consultation.department.code,
        "cancelled": session.cancelled_at is not None,
        "url": public_url("consultations.session", session_id=session.id),
    }


API_SESSIONS = ApiList(
    path="/sessions",
    operation_id="listSessions",
    summary="Consultation sessions with confirmed places",
    schema_name="Session",
    schema=SESSION_SCHEMA,
    query=api_sessions,
    serialize=each(api_session),
    rows=True,
)


KIND = ActivityKind(
    key="consultations",
    label=_l("Consultations"),
    model=Consultation,
    metrics=METRICS,
    figures=figures,
    records=records,
    list_endpoint="consultations.index",
    order=20,
    attention=attention,
    open_now=open_now,
    api=[API_SESSIONS],
    datasets=open_datasets,
    demo=load_demo,
)
