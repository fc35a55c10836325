"""Every change of state in consultations: views, the CLI and tests call these, nothing else
writes. Capacity is checked and taken in one transaction that holds the session row's lock
(begin_write + SELECT … FOR UPDATE), so concurrent sign-ups never overfill a session."""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from icalendar import Calendar, Event, Timezone, vCalAddress, vDDDTypes, vText
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.util import identity_key

from app.consultations.models import (
    ADVICE_INITIATIVE,
    Advice,
    Audience,
    Consultation,
    ConsultationKind,
    Opinion,
    Registration,
    RegistrationStatus,
    Session,
    SessionRecord,
    Venue,
)
from app.core import audit, clock
from app.core.cache import changed, watch
from app.core.db import begin_write
from app.core.domain import DomainError
from app.core.i18n import JST, fiscal_year, format_datetime, to_jst
from app.core.mail import OutboxMessage, calendar_attachment, mail_domain, queue_mail
from app.core.receipts import format_receipt, next_receipt_number
from app.core.urls import public_url
from app.extensions import db
from app.plan.models import Initiative, Ward

DEFAULT_KINDS = [
    ("pi", "PI協議", "PI consultation", Audience.CITIZENS),
    ("workshop", "ワークショップ", "Workshop", Audience.CITIZENS),
    ("briefing", "説明会", "Briefing", Audience.CITIZENS),
    ("open_house", "オープンハウス", "Open house", Audience.CITIZENS),
    ("round_table", "まちづくり懇話会", "Community round table", Audience.CITIZENS),
    ("exchange", "意見交換会", "Exchange meeting", Audience.CITIZENS),
    ("seminar", "セミナー・研修", "Seminar and training", Audience.CITIZENS),
    ("mayor_dialogue", "市民と市長の直接対話", "Direct dialogue with the mayor", Audience.CITIZENS),
    # The public presentation of collaboration proposals (app/proposals).
    ("presentation", "公開プレゼンテーション", "Public presentation", Audience.CITIZENS),
    # What the response table's actions name beyond citizen-facing events: staff training
    # (5, 15, 19), training of citizens and staff together (15, 19), and internal meetings such
    # as 自治基本条例庁内推進会議 (13) and 本庁・区役所連絡会議 (22).
    ("staff_training", "職員研修", "Staff training", Audience.STAFF),
    (
        "joint_training",
        "市民と職員の合同研修",
        "Joint training of citizens and staff",
        Audience.BOTH,
    ),
    ("internal_meeting", "庁内会議", "Internal meeting", Audience.STAFF),
]

CONSULTATION_FIELDS = [
    "kind_id",
    "title_ja",
    "title_en",
    "purpose_ja",
    "purpose_en",
    "plan_stage_ja",
    "plan_stage_en",
    "contact_ja",
    "contact_en",
    "contact_phone",
    "initiative_id",
    "department_id",
    "ward_id",
]
# What a calendar's copy of a session shows: a change of these is sent to the registrants.
CALENDAR_FIELDS = ["starts_at", "ends_at", "venue_id", "online_url"]
SESSION_FIELDS = [
    "title_ja",
    "title_en",
    "starts_at",
    "ends_at",
    "venue_id",
    "online_url",
    "capacity",
    "registration_required",
    "registration_opens_at",
    "registration_closes_at",
    "accommodations",
]


class ConsultationError(DomainError):
    """A request the consultation rules refuse (core.errors.DomainError)."""


# Kinds and venues -------------------------------------------------------------------------


def ensure_default_kinds() -> None:
    """Insert the default kinds where missing; never overwrites edits."""
    existing = set(db.session.scalars(sa.select(ConsultationKind.code)))
    for position, (code, name_ja, name_en, audience) in enumerate(DEFAULT_KINDS):
        if code not in existing:
            db.session.add(
                ConsultationKind(
                    code=code,
                    name_ja=name_ja,
                    name_en=name_en,
                    position=position,
                    audience=audience,
                )
            )
    db.session.flush()


def staff_only_consultations() -> sa.Select:
    """The ids of consultations held for staff alone: public lists, calendars, feeds and open
    data leave their sessions out (they are few, so `NOT IN` this stays cheap), while the
    figures count them like any other."""
    return (
        sa.select(Consultation.id)
        .join(ConsultationKind, Consultation.kind_id == ConsultationKind.id)
        .where(ConsultationKind.audience == Audience.STAFF)
    )


def public_kinds() -> list[ConsultationKind]:
    """The active kinds a visitor can look for (the public list's filter)."""
    return [kind for kind in active_kinds() if kind.audience.offered_to_public]


def active_kinds() -> list[ConsultationKind]:
    return list(
        db.session.scalars(
            sa.select(ConsultationKind)
            .where(ConsultationKind.active.is_(True))
            .order_by(ConsultationKind.position)
        )
    )


def save_kind(actor: Any, kind: ConsultationKind | None, **values: Any) -> ConsultationKind:
    """Add a kind or edit one; kinds in use are retired (active=False), never deleted."""
    if kind is None:
        if db.session.scalar(
            sa.select(ConsultationKind.id).where(ConsultationKind.code == values["code"])
        ):
            raise ConsultationError(_("This code is already in use."), "code")
        position = db.session.scalar(sa.select(sa.func.max(ConsultationKind.position))) or 0
        kind = ConsultationKind(position=position + 1, **values)
        db.session.add(kind)
        db.session.flush()
        audit.record(actor, "consultation_kind.create", kind, f"Kind {kind.code} added")
    else:
        fields = ["name_ja", "name_en", "active", "audience"]
        before = audit.snapshot(kind, fields)
        values.pop("code", None)  # the code is a stable key
        for name, value in values.items():
            setattr(kind, name, value)
        audit.record(
            actor,
            "consultation_kind.update",
            kind,
            f"Kind {kind.code} edited",
            before=before,
            after=audit.snapshot(kind, fields),
        )
    db.session.commit()
    return kind


VENUE_FIELDS = [
    "name_ja",
    "name_en",
    "address_ja",
    "address_en",
    "ward_id",
    "capacity",
    "accessibility_ja",
    "accessibility_en",
    "latitude",
    "longitude",
]


def create_venue(actor: Any, **values: Any) -> Venue:
    venue = Venue(**values)
    db.session.add(venue)
    db.session.flush()
    audit.record(actor, "venue.create", venue, f"Venue {venue.name_ja} created")
    db.session.commit()
    return venue


def update_venue(actor: Any, venue: Venue, **values: Any) -> Venue:
    """Correct a venue's facts, e.g. add the coordinates the events open data publishes."""
    before = audit.snapshot(venue, VENUE_FIELDS)
    for name in VENUE_FIELDS:
        if name in values:
            setattr(venue, name, values[name])
    audit.record(
        actor,
        "venue.update",
        venue,
        f"Venue {venue.name_ja} updated",
        before=before,
        after=audit.snapshot(venue, VENUE_FIELDS),
    )
    db.session.commit()
    return venue


# Consultations and advice -----------------------------------------------------------------


def create_consultation(actor: Any, **values: Any) -> Consultation:
    consultation = Consultation(
        **values, fiscal_year=fiscal_year(clock.now()), created_by_id=getattr(actor, "id", None)
    )
    db.session.add(consultation)
    db.session.flush()
    audit.record(
        actor,
        "consultation.create",
        consultation,
        f"Consultation {consultation.title_ja} created",
        after=audit.snapshot(consultation, CONSULTATION_FIELDS),
    )
    db.session.commit()
    return consultation


def update_consultation(actor: Any, consultation: Consultation, **values: Any) -> None:
    before = audit.snapshot(consultation, CONSULTATION_FIELDS)
    for name, value in values.items():
        setattr(consultation, name, value)
    audit.record(
        actor,
        "consultation.update",
        consultation,
        f"Consultation {consultation.title_ja} edited",
        before=before,
        after=audit.snapshot(consultation, CONSULTATION_FIELDS),
    )
    db.session.commit()


def record_advice(actor: Any, consultation: Consultation, advised_on: date, text: str) -> Advice:
    """Advice is the advising department's work for initiative 6 of the consultation's plan,
    in the year it is given; a plan without that initiative keeps it on the consultation's."""
    own = db.session.get(Initiative, consultation.initiative_id)
    initiative_id = db.session.scalar(
        sa.select(Initiative.id).where(
            Initiative.plan_id == own.plan_id, Initiative.number == ADVICE_INITIATIVE
        )
    )
    advice = Advice(
        consultation_id=consultation.id,
        advised_on=advised_on,
        text=text,
        advised_by_id=getattr(actor, "id", None),
        initiative_id=initiative_id or own.id,
        department_id=getattr(actor, "department_id", None) or consultation.department_id,
        ward_id=consultation.ward_id,
        fiscal_year=fiscal_year(advised_on),
    )
    db.session.add(advice)
    db.session.flush()
    audit.record(actor, "consultation.advice", advice, f"Advice on {consultation.title_ja}")
    db.session.commit()
    return advice


# Scheduling -------------------------------------------------------------------------------


def _overlapping(starts_at: datetime, ends_at: datetime, exclude_id: int | None) -> sa.Select:
    stmt = (
        sa.select(Session)
        .where(
            Session.starts_at < ends_at,
            Session.ends_at > starts_at,
            Session.cancelled_at.is_(None),
        )
        .options(joinedload(Session.consultation), joinedload(Session.venue))
        .order_by(Session.starts_at)
    )
    if exclude_id is not None:
        stmt = stmt.where(Session.id != exclude_id)
    return stmt


def venue_clash(
    venue_id: int | None, starts_at: datetime, ends_at: datetime, exclude_id: int | None = None
) -> Session | None:
    """Another session in the same venue at an overlapping time, if any."""
    if venue_id is None:
        return None
    return db.session.scalars(
        _overlapping(starts_at, ends_at, exclude_id).where(Session.venue_id == venue_id)
    ).first()


def department_overlaps(
    department_id: int, starts_at: datetime, ends_at: datetime, exclude_id: int | None = None
) -> list[Session]:
    """Sessions of the same department at an overlapping time (a warning, not a refusal)."""
    return list(
        db.session.scalars(
            _overlapping(starts_at, ends_at, exclude_id)
            .join(Consultation, Session.consultation_id == Consultation.id)
            .where(Consultation.department_id == department_id)
        ).unique()
    )


def clash_message(clash: Session) -> str:
    return _(
        "%(venue)s is already booked for “%(title)s” from %(start)s to %(end)s.",
        venue=clash.venue.tr("name") if clash.venue else "",
        title=clash.display_title(),
        start=format_datetime(clash.starts_at),
        end=f"{to_jst(clash.ends_at):%H:%M}",
    )


def _check_session(values: dict[str, Any], exclude_id: int | None) -> Venue | None:
    if values["ends_at"] <= values["starts_at"]:
        raise ConsultationError(_("The session must end after it starts."), "end_time")
    venue = db.session.get(Venue, values["venue_id"]) if values.get("venue_id") else None
    if venue is None and not values.get("online_url"):
        raise ConsultationError(_("Choose a venue or give an online link."), "venue_id")
    if venue is not None and values["capacity"] > venue.capacity:
        raise ConsultationError(
            _("The venue holds at most %(capacity)s people.", capacity=venue.capacity),
            "capacity",
        )
    opens, closes = values.get("registration_opens_at"), values.get("registration_closes_at")
    if opens and closes and closes <= opens:
        raise ConsultationError(
            _("Registration must close after it opens."), "registration_closes_date"
        )
    if venue is not None:
        # Taking the venue is a read-then-write: serialise it like a capacity check.
        begin_write()
        db.session.execute(sa.select(Venue.id).where(Venue.id == venue.id).with_for_update())
        clash = venue_clash(venue.id, values["starts_at"], values["ends_at"], exclude_id)
        if clash is not None:
            db.session.rollback()
            raise ConsultationError(clash_message(clash), "venue_id")
    return venue


def schedule_session(actor: Any, consultation: Consultation, **values: Any) -> Session:
    """Add a session; refused when its venue is taken at that time."""
    consultation_id = consultation.id
    venue = _check_session(values, None)
    session = Session(
        consultation_id=consultation_id,
        ward_id=venue.ward_id if venue else db.session.get(Consultation, consultation_id).ward_id,
        **values,
    )
    db.session.add(session)
    db.session.flush()
    audit.record(
        actor,
        "session.schedule",
        session,
        f"Session {session.id} scheduled",
        after=audit.snapshot(session, SESSION_FIELDS),
    )
    db.session.commit()
    return session


def move_session(actor: Any, session: Session, **values: Any) -> None:
    """Change a session's time, place or settings; the same clash rule applies."""
    before = audit.snapshot(session, SESSION_FIELDS)
    session_id = session.id
    venue = _check_session(values, session_id)
    session = db.session.get(Session, session_id)
    moved = any(
        name in values and values[name] != getattr(session, name) for name in CALENDAR_FIELDS
    )
    for name, value in values.items():
        setattr(session, name, value)
    if venue is not None:
        session.ward_id = venue.ward_id
    audit.record(
        actor,
        "session.move",
        session,
        f"Session {session.id} changed",
        before=before,
        after=audit.snapshot(session, SESSION_FIELDS),
    )
    if moved and session.cancelled_at is None:
        # Everyone registered is told, and the calendars holding the invitation get the update.
        session.sequence += 1
        for registration in _registrations_kept(session_id):
            _queue_registration_mail(
                registration,
                "session_moved",
                dedup_key=f"session-moved:{session_id}:{session.sequence}:reg:{registration.id}",
            )
    db.session.commit()


def cancel_session(actor: Any, session_id: int, reason: str) -> int:
    """Call a session off: it leaves the public list, and everyone registered is told by
    e-mail. Registrations are kept as they were. Returns the number of people told."""
    begin_write()
    session = db.session.scalar(
        sa.select(Session).where(Session.id == session_id).with_for_update()
    )
    if session is None or session.cancelled_at is not None:
        db.session.rollback()
        raise ConsultationError(_("This session has already been cancelled."))
    session.cancelled_at = clock.now()
    session.sequence += 1
    audit.record(actor, "session.cancel", session, f"Session {session.id} cancelled: {reason}")
    registrations = _registrations_kept(session_id)
    for registration in registrations:
        _queue_registration_mail(
            registration,
            "session_cancelled",
            dedup_key=f"session-cancelled:{session_id}:reg:{registration.id}",
            reason=reason,
        )
    db.session.commit()
    return len(registrations)


def _registrations_kept(session_id: int) -> list[Registration]:
    """The session's registrations not cancelled: confirmed and waiting."""
    return list(
        db.session.scalars(
            sa.select(Registration)
            .where(
                Registration.session_id == session_id,
                Registration.status != RegistrationStatus.CANCELLED,
            )
            .order_by(Registration.id)
        )
    )


# Registration, waiting list, cancellation -------------------------------------------------


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# The generation of what lists of sessions show (the session list's rows are kept under it where
# the cache is shared, app/consultations/views.py): it changes after every commit that writes a
# session, its consultation, kind or venue, or a ward, and after every place taken or given back.
SESSIONS_SHOWN = "sessions-shown"
watch(SESSIONS_SHOWN, (Session, Consultation, ConsultationKind, Venue, Ward))


def take_places(session_id: int, places: int) -> None:
    """Count `places` more (fewer, when negative) taken on a session whose lock the caller
    holds. Its updated_at stays: it says when the session itself last changed (the feeds'
    LAST-MODIFIED), which a registration does not."""
    # The table's UPDATE, not the ORM's: the ORM's would evaluate its values against every
    # session loaded, at four times the cost of the statement itself.
    db.session.execute(_take_places_statement(), {"session_id": session_id, "places": places})
    changed(SESSIONS_SHOWN)
    loaded = db.session.identity_map.get(identity_key(Session, session_id))
    if loaded is not None:
        db.session.expire(loaded, ["places_taken"])


@functools.cache
def _take_places_statement() -> sa.Update:
    table = Session.__table__
    return (
        table.update()
        .where(table.c.id == sa.bindparam("session_id", type_=sa.Integer))
        .values(
            places_taken=table.c.places_taken + sa.bindparam("places", type_=sa.Integer),
            updated_at=table.c.updated_at,
        )
    )


@functools.cache
def _lock_session_statement() -> sa.Select[Any]:
    return (
        sa.select(Session.id)
        .where(Session.id == sa.bindparam("session_id", type_=sa.Integer))
        .with_for_update()
    )


def registration_open(session: Session, now: datetime | None = None) -> bool:
    return _open_for_registration(session, session.consultation.kind.audience, now)


def _open_for_registration(session: Any, audience: Audience, now: datetime | None) -> bool:
    """`session`: a Session, or a row of its registration columns (the registration's turn)."""
    # The procedure clock (core.clock), as every other window is judged: a session held is
    # closed for registration, however the clock is moved in a test or a demo.
    now = now or clock.now()
    if not session.registration_required or session.cancelled_at is not None:
        return False
    if not audience.offered_to_public:
        return False
    if session.starts_at <= now:
        return False
    if session.registration_opens_at and now < session.registration_opens_at:
        return False
    return not (session.registration_closes_at and now > session.registration_closes_at)


@dataclass
class SignUp:
    registration: Registration
    token: str  # for the cancel link; empty when the form had been sent before
    created: bool = True

    @property
    def receipt(self) -> str:
        return receipt_label(self.registration)


def receipt_label(registration: Registration) -> str:
    return format_receipt(f"CS-{registration.session_id:04d}", registration.receipt_number)


def register(
    session_id: int,
    *,
    name: str,
    email: str,
    user_id: int | None = None,
    phone: str = "",
    party_size: int = 1,
    accommodations: Iterable[str] = (),
    notes: str = "",
    language: str = "ja",
    submission_token: str | None = None,
) -> SignUp:
    """Sign up for a session: confirmed while places remain, else onto the waiting list.

    The same submission token (the form's) finds the registration already made, so a double
    click or a form sent again never registers twice; the session's lock orders the two.
    """
    # Written before the turn: the confirmation of a place, the common outcome (the page that
    # sent the form has the session loaded already).
    ahead = db.session.get(Session, session_id)
    written = _write_confirmation_ahead(ahead, name, email, language) if ahead else None
    begin_write()
    # The session's row locked first, in a statement of its own: on PostgreSQL a statement
    # reads what was committed when it began, so the facts are read once the lock is held.
    db.session.execute(_lock_session_statement(), {"session_id": session_id})
    facts = _turn_facts(session_id, email, user_id, submission_token)
    if facts is None:
        db.session.rollback()
        raise ConsultationError(_("This session does not exist."))
    if facts.sent_before is not None:
        existing = db.session.get(Registration, facts.sent_before)
        db.session.rollback()
        return SignUp(existing, "", created=False)
    if not _open_for_registration(facts, facts.audience, None):
        db.session.rollback()
        raise ConsultationError(_("Registration for this session is closed."))
    if facts.account_registered:
        db.session.rollback()
        raise ConsultationError(_("You are already registered for this session."))
    # One registration per address and session (up to the form's party size), so one client
    # cannot take every place with made-up names.
    if facts.address_registered:
        db.session.rollback()
        raise ConsultationError(
            _(
                "This e-mail address is already registered for this session. To change the "
                "registration, cancel it with the link in the confirmation e-mail and register "
                "again."
            )
        )
    offered = set(facts.accommodations or [])
    confirmed = facts.places_taken + party_size <= facts.capacity and not facts.waitlisted
    token = secrets.token_urlsafe(32)
    registration = Registration(
        session_id=session_id,
        receipt_number=next_receipt_number(f"consultation-session:{session_id}"),
        submission_token=submission_token,
        user_id=user_id,
        name=name,
        email=email,
        phone=phone,
        party_size=party_size,
        accommodations=[a for a in accommodations if a in offered],
        notes=notes,
        language=language,
        status=RegistrationStatus.CONFIRMED if confirmed else RegistrationStatus.WAITLISTED,
        waitlist_position=None if confirmed else _next_waitlist_position(session_id),
        cancel_token_hash=hash_token(token),
    )
    db.session.add(registration)
    if confirmed:
        take_places(session_id, party_size)
    db.session.flush()
    stamp = (
        facts.updated_at,
        facts.sequence,
        facts.consultation_updated_at,
        facts.venue_updated_at,
    )
    if confirmed and written is not None and written.stamp == stamp:
        queue_mail(email, *written.finished(registration, token))
    else:
        # On the waiting list, or the session changed since the confirmation was written:
        # the mail is written here, from the session as it is.
        _session_as_it_is(session_id)
        _queue_registration_mail(registration, "confirmation", token)
    db.session.commit()
    return SignUp(registration, token)


def registering_options() -> list[Any]:
    """What registering reads of a session: its consultation with the kind (registration_open)
    and the venue (the confirmation's calendar entry), and nothing the form does not show."""
    return [joinedload(Session.consultation, innerjoin=True), joinedload(Session.venue)]


def _turn_facts(
    session_id: int, email: str, user_id: int | None, submission_token: str | None
) -> sa.Row[Any] | None:
    """What a registration's turn judges by, in one statement, once the session's row is
    locked: the session's registration columns, places and what its mail is written from (its
    stamp, as _session_stamp); the registration this form made if it was sent before; whether
    anyone is waiting (newcomers never overtake them); and whether this address or account is
    already registered (not cancelled)."""
    statement = _turn_facts_statement(bool(submission_token), user_id is not None)
    values = {
        "session_id": session_id,
        "email": email.strip().lower(),
        "token": submission_token,
        "user_id": user_id,
    }
    return db.session.execute(statement, values).one_or_none()


@functools.cache
def _turn_facts_statement(with_token: bool, with_account: bool) -> sa.Select[Any]:
    """_turn_facts' statement, built once per process with its values as parameters: building
    it (not running it) was most of its time, in the registrations' queue. Columns, not the
    session, its consultation and venue loaded as objects, for the same reason."""
    this_session = Registration.session_id == sa.bindparam("session_id", type_=sa.Integer)
    active = Registration.status != RegistrationStatus.CANCELLED

    def exists(*conditions: Any) -> Any:
        return sa.exists().where(this_session, *conditions)

    sent_before = (
        sa.select(Registration.id)
        .where(this_session, Registration.submission_token == sa.bindparam("token"))
        .scalar_subquery()
        if with_token
        else sa.null()
    )
    # A guest's check is no statement at all: "user_id = NULL" would read every registration.
    account = (
        exists(active, Registration.user_id == sa.bindparam("user_id", type_=sa.Integer))
        if with_account
        else sa.false()
    )
    return (
        sa.select(
            Session.capacity,
            Session.places_taken,
            Session.registration_required,
            Session.cancelled_at,
            Session.starts_at,
            Session.registration_opens_at,
            Session.registration_closes_at,
            Session.accommodations,
            Session.updated_at,
            Session.sequence,
            Consultation.updated_at.label("consultation_updated_at"),
            Venue.updated_at.label("venue_updated_at"),
            ConsultationKind.audience,
            sent_before.label("sent_before"),
            exists(Registration.status == RegistrationStatus.WAITLISTED).label("waitlisted"),
            exists(active, sa.func.lower(Registration.email) == sa.bindparam("email")).label(
                "address_registered"
            ),
            account.label("account_registered"),
        )
        .join(Consultation, Consultation.id == Session.consultation_id)
        .join(ConsultationKind, ConsultationKind.id == Consultation.kind_id)
        .outerjoin(Venue, Venue.id == Session.venue_id)
        .where(Session.id == sa.bindparam("session_id", type_=sa.Integer))
    )


def _session_as_it_is(session_id: int) -> Session:
    """The session with what its mail is written from, read again in the transaction (on
    PostgreSQL it was loaded before its row was locked)."""
    return db.session.scalars(
        sa.select(Session)
        .where(Session.id == session_id)
        .options(*registering_options())
        .execution_options(populate_existing=True)
    ).one()


def _next_waitlist_position(session_id: int) -> int:
    last = db.session.scalar(
        sa.select(sa.func.max(Registration.waitlist_position)).where(
            Registration.session_id == session_id
        )
    )
    return (last or 0) + 1


def check_cancel_token(registration: Registration, token: str) -> bool:
    return hmac.compare_digest(registration.cancel_token_hash, hash_token(token))


def cancel_registration(
    registration_id: int, actor: Any = None, reason: str = ""
) -> list[Registration]:
    """Cancel a registration and, in the same transaction, promote whoever is first in line.
    Returns the promoted registrations."""
    begin_write()
    registration = db.session.get(Registration, registration_id)
    if registration is None:
        raise ConsultationError(_("This registration does not exist."))
    db.session.execute(_lock_session_statement(), {"session_id": registration.session_id})
    db.session.refresh(registration)
    if registration.status == RegistrationStatus.CANCELLED:
        db.session.rollback()
        raise ConsultationError(_("This registration has already been cancelled."))
    before = {"status": registration.status.value}
    held_place = registration.status == RegistrationStatus.CONFIRMED
    registration.status = RegistrationStatus.CANCELLED
    registration.cancelled_at = clock.now()
    registration.cancelled_by_id = getattr(actor, "id", None)
    registration.cancel_reason = reason[:300]
    if actor is not None and getattr(actor, "id", None) != registration.user_id:
        audit.record(
            actor,
            "registration.cancel",
            registration,
            f"Registration {receipt_label(registration)} cancelled",
            before=before,
            after={"status": registration.status.value},
        )
    if held_place:
        take_places(registration.session_id, -registration.party_size)
    db.session.flush()
    # The person is told, and a calendar holding the invitation removes the event.
    _queue_registration_mail(registration, "registration_cancelled", held_place=held_place)
    promoted = promote_waitlist(registration.session_id)
    db.session.commit()
    return promoted


def promote_waitlist(session_id: int) -> list[Registration]:
    """Move people from the waiting list into free places, first come first served; the
    caller holds the session's lock and commits. Stops at the first party that does not fit,
    so nobody is overtaken."""
    session = db.session.get(Session, session_id)
    free = session.capacity - session.places_taken
    promoted: list[Registration] = []
    waiting = db.session.scalars(
        sa.select(Registration)
        .where(
            Registration.session_id == session_id,
            Registration.status == RegistrationStatus.WAITLISTED,
        )
        .order_by(Registration.waitlist_position)
    )
    for candidate in waiting:
        if candidate.party_size > free:
            break
        candidate.status = RegistrationStatus.CONFIRMED
        candidate.promoted_at = clock.now()
        free -= candidate.party_size
        promoted.append(candidate)
        _queue_registration_mail(candidate, "promoted")
    if promoted:
        take_places(session_id, sum(candidate.party_size for candidate in promoted))
    return promoted


def my_registrations(user_id: int) -> list[Registration]:
    return list(
        db.session.scalars(
            sa.select(Registration)
            .where(Registration.user_id == user_id)
            .options(
                joinedload(Registration.session).joinedload(Session.consultation),
                joinedload(Registration.session).joinedload(Session.venue),
            )
            .order_by(Registration.id.desc())
        )
    )


# Attendance and records -------------------------------------------------------------------


def keep_attendance(
    actor: Any, session: Session, attended: dict[int, bool | None], walk_ins: int
) -> None:
    """Record who came (True), who did not (False, a no-show) and how many walked in."""
    registrations = db.session.scalars(
        sa.select(Registration).where(
            Registration.session_id == session.id,
            Registration.status == RegistrationStatus.CONFIRMED,
        )
    )
    for registration in registrations:
        if registration.id in attended:
            registration.attended = attended[registration.id]
    session.walk_ins = walk_ins
    audit.record(actor, "session.attendance", session, f"Attendance of session {session.id} kept")
    db.session.commit()


def attendance_count(session_id: int) -> int:
    """People who came: attended parties plus walk-ins."""
    came = db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(Registration.party_size), 0)).where(
            Registration.session_id == session_id, Registration.attended.is_(True)
        )
    )
    walk_ins = db.session.scalar(sa.select(Session.walk_ins).where(Session.id == session_id))
    return int(came or 0) + int(walk_ins or 0)


def save_record(actor: Any, session: Session, **values: Any) -> SessionRecord:
    record = session.record
    if record is None:
        record = SessionRecord(session_id=session.id)
        db.session.add(record)
    for name, value in values.items():
        setattr(record, name, value)
    db.session.flush()
    audit.record(actor, "record.save", record, f"Record of session {session.id} saved")
    db.session.commit()
    return record


def add_opinion(actor: Any, record: SessionRecord, **values: Any) -> Opinion:
    position = db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.max(Opinion.position), 0)).where(
            Opinion.record_id == record.id
        )
    )
    opinion = Opinion(record_id=record.id, position=position + 1, **values)
    db.session.add(opinion)
    db.session.flush()
    audit.record(actor, "opinion.add", opinion, f"Opinion added to record {record.id}")
    db.session.commit()
    return opinion


OPINION_ANSWER_FIELDS = ["response_ja", "response_en", "disposition_id"]


def answer_opinion(
    actor: Any,
    opinion: Opinion,
    *,
    response_ja: str,
    response_en: str = "",
    disposition_id: int | None = None,
) -> None:
    """Write or change the city's response to an opinion and its disposition, also after the
    record was published (answers are often decided weeks after the session); the public record
    shows the new answer at once, and the audit log keeps the one it replaced."""
    if not response_ja.strip():
        raise ConsultationError(_("Write the city's response."), "response_ja")
    before = audit.snapshot(opinion, OPINION_ANSWER_FIELDS)
    opinion.response_ja = response_ja
    opinion.response_en = response_en
    opinion.disposition_id = disposition_id
    audit.record(
        actor,
        "opinion.answer",
        opinion,
        f"Opinion {opinion.id} of record {opinion.record_id} answered",
        before=before,
        after=audit.snapshot(opinion, OPINION_ANSWER_FIELDS),
    )
    db.session.commit()


def publish_record(actor: Any, record: SessionRecord) -> None:
    record.published_at = clock.now()
    audit.record(actor, "record.publish", record, f"Record {record.id} published")
    db.session.commit()


# Reminders --------------------------------------------------------------------------------


def send_reminders(today: date | None = None) -> int:
    """Queue a reminder for every confirmed registration of tomorrow's sessions (JST). Each
    carries a dedup key, and keys already queued are skipped, so running twice sends once.

    Two runs at once (cron on two hosts) queue each reminder once too. The reminder's outbox
    row is its claim: on SQLite the runs queue for the writers' lock, so the second sees the
    first's keys; on PostgreSQL the second's insert of a key waits on the first's unique index
    entry and, once the first commits, is dropped (a savepoint keeps the rest). Session rows
    are not locked with SKIP LOCKED: a citizen registering holds its session's lock, and a
    session skipped would get no reminder that day."""
    begin_write()
    today = today or clock.today()
    tomorrow = today + timedelta(days=1)
    start = datetime.combine(tomorrow, datetime.min.time(), tzinfo=JST)
    registrations = db.session.scalars(
        sa.select(Registration)
        .join(Session, Registration.session_id == Session.id)
        .where(
            Session.starts_at >= start,
            Session.starts_at < start + timedelta(days=1),
            Session.cancelled_at.is_(None),
            Registration.status == RegistrationStatus.CONFIRMED,
        )
        .options(joinedload(Registration.session))
    ).all()
    keys = {r.id: f"remind:session:{r.session_id}:reg:{r.id}" for r in registrations}
    done = set(
        db.session.scalars(
            sa.select(OutboxMessage.dedup_key).where(OutboxMessage.dedup_key.in_(keys.values()))
        )
    )
    queued = 0
    for registration in registrations:
        if keys[registration.id] in done:
            continue
        try:
            with db.session.begin_nested():
                _queue_registration_mail(registration, "reminder", dedup_key=keys[registration.id])
        except sa.exc.IntegrityError:
            continue  # queued by a run at the same time
        queued += 1
    db.session.commit()
    return queued


# Mail, links and calendars ----------------------------------------------------------------


MAIL_SUBJECTS = {
    "confirmation": lambda: _("Your registration for a Kumamoto City session"),
    "promoted": lambda: _("A place has become free: your registration is confirmed"),
    "reminder": lambda: _("Reminder: your session is tomorrow"),
    "session_moved": lambda: _("A session you registered for has changed"),
    "session_cancelled": lambda: _("A session you registered for has been cancelled"),
    "registration_cancelled": lambda: _("Your registration has been cancelled"),
}
# The iTIP method (RFC 5546) of the invitation each mail carries to a person holding a place.
CALENDAR_METHODS = {
    "confirmation": "REQUEST",
    "promoted": "REQUEST",
    "reminder": "REQUEST",
    "session_moved": "REQUEST",
    "session_cancelled": "CANCEL",
    "registration_cancelled": "CANCEL",
}


def _queue_registration_mail(
    registration: Registration,
    which: str,
    token: str | None = None,
    dedup_key: str | None = None,
    reason: str = "",
    held_place: bool | None = None,
) -> None:
    """`held_place`: whether the person holds (or, cancelling, held) a place, and so has the
    invitation in their calendar; by default, whether the registration is confirmed."""
    session = db.session.get(Session, registration.session_id)
    cancel_link = (
        public_url("consultations.cancel", registration_id=registration.id, token=token)
        if token
        else None
    )
    subject, body, attachments = _registration_mail(
        registration, session, which, receipt_label(registration), cancel_link, reason, held_place
    )
    queue_mail(registration.email, subject, body, attachments, dedup_key=dedup_key)


def _registration_mail(
    registration: Registration,
    session: Session,
    which: str,
    receipt: str,
    cancel_link: str | None,
    reason: str = "",
    held_place: bool | None = None,
    uid: str | None = None,
) -> tuple[str, str, list[tuple[str, str, bytes]] | None]:
    """The subject, text and calendar attachment of one of a registration's mails."""
    if held_place is None:
        held_place = registration.status == RegistrationStatus.CONFIRMED
    with force_locale(registration.language or "ja"):
        body = render_template(
            f"consultations/mail/{which}.txt",
            registration=registration,
            session=session,
            receipt=receipt,
            cancel_link=cancel_link,
            session_link=public_url("consultations.session", session_id=session.id),
            reason=reason,
        )
        subject = MAIL_SUBJECTS[which]()
        attachments = None
        if held_place:
            method = CALENDAR_METHODS[which]
            invitation = invitation_for(registration, session, method, uid)
            attachments = [calendar_attachment(invitation, method, "session.ics")]
    return subject, body, attachments


# Stand for what a confirmation written before the registration's turn cannot know yet: its
# receipt and its cancel link (control characters never survive the forms, so they cannot occur
# in what was typed), and its id in the calendar entry's UID.
_RECEIPT_TO_COME = "\x00receipt\x00"
_LINK_TO_COME = "\x00cancel-link\x00"
_ID_TO_COME = "to-come"
# The longest UID line a confirmation may be written ahead with: iCalendar folds longer lines
# (RFC 5545 §3.1), and a folded UID could not be filled in afterwards.
_UNFOLDED_OCTETS = 75


def _session_stamp(session: Session) -> tuple[Any, ...]:
    """What the mail about a session is written from, as it stands: a change to any of it
    between writing a confirmation ahead and the registration's turn rewrites it there."""
    venue = session.venue.updated_at if session.venue else None
    return (session.updated_at, session.sequence, session.consultation.updated_at, venue)


@dataclass(frozen=True)
class _WrittenAhead:
    """A confirmation of a place written before the registration's turn (`register`), so that
    the turn itself, from the session's lock to the commit, does not spend a third of its time
    rendering the text and the calendar entry."""

    stamp: tuple[Any, ...]
    subject: str
    body: str
    invitation: bytes

    def finished(self, registration: Registration, token: str) -> tuple[str, str, list[Any]]:
        link = public_url("consultations.cancel", registration_id=registration.id, token=token)
        body = self.body.replace(_RECEIPT_TO_COME, receipt_label(registration))
        invitation = self.invitation.replace(
            _uid_line(_uid(_ID_TO_COME)), _uid_line(_uid(registration.id))
        )
        method = CALENDAR_METHODS["confirmation"]
        attachment = calendar_attachment(invitation, method, "session.ics")
        return self.subject, body.replace(_LINK_TO_COME, link), [attachment]


def _uid_line(uid: str) -> bytes:
    return f"\r\nUID:{uid}\r\n".encode()


def _write_confirmation_ahead(
    session: Session, name: str, email: str, language: str
) -> _WrittenAhead | None:
    """The confirmation a registration gets if it takes a place, written before its turn;
    None where its calendar entry's UID line could be folded (a very long mail domain)."""
    if len(_uid_line(_uid("9" * 12))) - 4 > _UNFOLDED_OCTETS:
        return None
    ahead = Registration(
        session_id=session.id,
        name=name,
        email=email,
        language=language,
        status=RegistrationStatus.CONFIRMED,
    )
    subject, body, attachments = _registration_mail(
        ahead, session, "confirmation", _RECEIPT_TO_COME, _LINK_TO_COME, uid=_uid(_ID_TO_COME)
    )
    assert attachments  # a confirmed place has its calendar entry
    return _WrittenAhead(_session_stamp(session), subject, body, attachments[0][2])


def registration_uid(registration: Registration) -> str:
    """The UID of the event a registration's mails put in the person's calendar: the
    registration's own, so that cancelling it (or registering again) touches no other copy of
    the session, such as the one from a subscribed feed."""
    return _uid(registration.id)


def _uid(registration_id: int | str) -> str:
    return f"consultation-registration-{registration_id}@{mail_domain()}"


def invitation_for(
    registration: Registration, session: Session, method: str, uid: str | None = None
) -> bytes:
    """The iTIP message (RFC 5546) a registration's mail carries: REQUEST adds or updates the
    event, CANCEL removes it. Its SEQUENCE is the session's, raised when the session moves or
    is called off; a registration's own cancellation goes one above it."""
    calendar = _calendar()
    calendar.add("method", method)
    sequence = session.sequence
    if method == "CANCEL" and session.cancelled_at is None:
        sequence += 1
    event = _event(session, uid or registration_uid(registration), sequence)
    event["dtstamp"] = vDDDTypes(clock.now())
    organizer = vCalAddress(f"mailto:{current_app.config['MAIL_DEFAULT_SENDER']}")
    organizer.params["cn"] = vText(current_app.config["MAIL_SENDER_NAME"])
    event.add("organizer", organizer)
    attendee = vCalAddress(f"mailto:{registration.email}")
    attendee.params["cn"] = vText(registration.name)
    attendee.params["partstat"] = vText("ACCEPTED")
    event.add("attendee", attendee)
    if method == "CANCEL":
        event["status"] = vText("CANCELLED")
    calendar.add_component(event)
    return _with_jst_timezone(calendar.to_ical())


def calendar_for(sessions: Iterable[Session], name: str = "") -> bytes:
    """An iCalendar document of public session facts (never anyone's registration). Sessions
    called off stay in it as CANCELLED, so a subscribed calendar shows them called off rather
    than losing them without a word."""
    calendar = _calendar()
    if name:
        calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", "Asia/Tokyo")
    for session in sessions:
        # The UID subscribers have held since the first feed: changing it would show every
        # session twice in their calendars.
        calendar.add_component(
            _event(session, f"consultation-session-{session.id}@sankaku", session.sequence)
        )
    return _with_jst_timezone(calendar.to_ical())


def _calendar() -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", "-//Kumamoto City//Sankaku//JA")
    calendar.add("version", "2.0")
    return calendar


def _event(session: Session, uid: str, sequence: int) -> Event:
    """A session as a VEVENT: what the feeds and the invitations share."""
    event = Event()
    event.add("uid", uid)
    event.add("sequence", sequence)
    event.add("summary", session.display_title())
    event.add("dtstart", to_jst(session.starts_at))
    event.add("dtend", to_jst(session.ends_at))
    changed = session.updated_at or clock.now()
    event.add("dtstamp", changed)
    event.add("last-modified", changed)
    if session.venue is not None:
        event.add("location", f"{session.venue.tr('name')} {session.venue.tr('address')}")
    elif session.online_url:
        event.add("location", session.online_url)
    link = public_url("consultations.session", session_id=session.id)
    event.add("url", link)
    purpose = session.consultation.tr("purpose")
    event.add("description", f"{purpose}\n\n{link}" if purpose else link)
    if session.cancelled_at is not None:
        event.add("status", "CANCELLED")
    else:
        event.add("status", "CONFIRMED")
    return event


_CALENDAR_END = b"END:VCALENDAR\r\n"


def _with_jst_timezone(calendar: bytes) -> bytes:
    """A calendar with the VTIMEZONE of Asia/Tokyo (every time in it is in that zone) as its
    last component."""
    assert calendar.endswith(_CALENDAR_END)
    return calendar[: -len(_CALENDAR_END)] + _jst_timezone() + _CALENDAR_END


@functools.cache
def _jst_timezone() -> bytes:
    """The VTIMEZONE of Asia/Tokyo, built and written out once per process: icalendar derives
    it by probing the zone hour by hour over decades (about 50 ms), which made every
    registration mail, built inside the registration's transaction, hold the session's lock
    that long; and writing it out was still two thirds of writing an invitation."""
    return Timezone.from_tzid("Asia/Tokyo").to_ical()


# Reading ---------------------------------------------------------------------------------


def session_options(record: bool = True) -> list[Any]:
    """What a session is shown with; `record=False` for lists, which never show the record."""
    options = [
        joinedload(Session.consultation).joinedload(Consultation.kind),
        joinedload(Session.consultation).joinedload(Consultation.department),
        joinedload(Session.venue),
        joinedload(Session.ward),
    ]
    return [*options, selectinload(Session.record)] if record else options


def seats_by_session(session_ids: list[int]) -> dict[int, dict[str, int]]:
    """{session id: {confirmed, waitlisted}} seats in one GROUP BY."""
    result: dict[int, dict[str, int]] = {
        sid: {"confirmed": 0, "waitlisted": 0} for sid in session_ids
    }
    if not session_ids:
        return result
    rows = db.session.execute(
        sa.select(
            Registration.session_id,
            Registration.status,
            sa.func.sum(Registration.party_size),
        )
        .where(
            Registration.session_id.in_(session_ids),
            Registration.status != RegistrationStatus.CANCELLED,
        )
        .group_by(Registration.session_id, Registration.status)
    )
    for session_id, status, seats in rows:
        result[session_id][RegistrationStatus(status).value] = int(seats or 0)
    return result
