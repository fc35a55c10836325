"""Public routes: the list and calendar of sessions, a session page, registration, the guest's
cancel link, published records, iCalendar feeds and the open-data CSV."""

from __future__ import annotations

import calendar as calendar_module
import hashlib
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from functools import cache as cache_for_process
from functools import partial
from typing import Any

import sqlalchemy as sa
from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy.orm import aliased, joinedload

from app.consultations import bp, services
from app.consultations.forms import CancelForm, RegistrationForm, accommodation_choices
from app.consultations.models import (
    Accommodation,
    Audience,
    Consultation,
    ConsultationKind,
    Opinion,
    Registration,
    Session,
    SessionRecord,
    Venue,
)
from app.consultations.opendata import EVENT_COLUMNS, event_rows
from app.core import clock
from app.core.cache import cached, fragment_key, versioned_page, with_generation
from app.core.exports import csv_response
from app.core.feeds import conditional
from app.core.forms import show_error
from app.core.i18n import JST, current_language, to_jst
from app.core.permissions import is_authenticated, permission_required
from app.core.receipts import give_submission_token, may_see_receipt, remember_receipt
from app.core.security import submission_rate_limit
from app.core.urls import query_date, query_int, query_page
from app.extensions import KeptPagination, cache, db, limiter
from app.plan.models import Initiative, Ward


@bp.app_template_filter("jst_time")
def jst_time(value: datetime) -> str:
    return f"{to_jst(value):%H:%M}"


@bp.app_context_processor
def helpers() -> dict[str, object]:
    def accommodation_label(code: str) -> str:
        try:
            return Accommodation(code).label
        except ValueError:
            return code

    return {"accommodation_label": accommodation_label}


def _public_sessions(called_off: bool = False) -> sa.Select:
    # Lists show no session's record (its page does), so no statement for them. The
    # consultation is joined only when a filter needs it (`_filters`): without one, counting
    # the upcoming sessions needs no join at all (PostgreSQL hashed all consultations for it).
    # Sessions for staff alone (training, internal meetings) are never offered to the public.
    # Called-off sessions only in the calendar feeds (`called_off`), where they are CANCELLED.
    return _public(Session, called_off=called_off).options(*services.session_options(record=False))


def _public(*columns: Any, called_off: bool = False) -> sa.Select:
    stmt = sa.select(*columns).where(~_for_staff_alone())
    if not called_off:
        stmt = stmt.where(Session.cancelled_at.is_(None))
    return stmt


@cache_for_process
def _for_staff_alone() -> Any:
    """Whether a session's consultation is of a kind held for staff alone: asked of each
    session (aliases, so that a filter's own join of the consultation is not taken for this
    one). PostgreSQL plans it as a lookup per listed session, or as an anti-join over a whole
    feed; `NOT IN` the staff's consultations read all 10,000 consultations on every list
    (1.2 of the list's 2.9 ms there)."""
    consultation, kind = aliased(Consultation), aliased(ConsultationKind)
    return sa.exists().where(
        consultation.id == Session.consultation_id,
        kind.id == consultation.kind_id,
        kind.audience == Audience.STAFF,
    )


@cache_for_process
def _shown_as(seats: bool) -> tuple[Any, ...]:
    """The columns a list or calendar of sessions is drawn from and cached by: the session's
    id, then when it, its consultation and its venue last changed, its kind's names and, for
    the list, the places taken. A fragment keyed by the digest of these rows (`_rows_key`) is
    drawn again as soon as any of them changes, and never otherwise: the ORM objects, and
    rendering 50 rows, were two thirds of the list's time. Subqueries correlated with the session
    alone, not joins, so that the filters' own joins (`_filters`) stay as they are; they run for
    the page's rows alone (the count leaves them out, `paginate_rows`). Built once per process:
    SQLAlchemy's constructs are immutable, and building them was a tenth of the list's time."""
    consultation = Consultation.id == Session.consultation_id

    def stamp(column: Any) -> Any:
        # Only compared, never shown: read as the database gives it, not made a datetime.
        return sa.type_coerce(column, sa.String)

    columns: tuple[Any, ...] = (
        Session.id,
        stamp(Session.updated_at),
        sa.select(
            stamp(Consultation.updated_at)
            + "|"
            + ConsultationKind.name_ja
            + "|"
            + ConsultationKind.name_en
        )
        .select_from(Consultation)
        .join(ConsultationKind, Consultation.kind_id == ConsultationKind.id)
        .where(consultation)
        .correlate(Session)
        .scalar_subquery(),
        sa.select(stamp(Venue.updated_at))
        .where(Venue.id == Session.venue_id)
        .correlate(Session)
        .scalar_subquery(),
    )
    if seats:
        columns += (Session.places_taken.label("seats"),)
    return columns


def _rows_key(name: str, rows: Sequence[Any], wards: list[tuple[str, str]], *parts: Any) -> str:
    """The fragment key of sessions drawn from `rows` (`_shown_as`) and the wards' names (they
    show on the rows), with whatever else the fragment shows."""
    shown = [tuple(row) for row in rows], wards
    digest = hashlib.sha256(repr(shown).encode()).hexdigest()[:32]
    return fragment_key(name, digest, *parts)


def _sessions_by_id(ids: list[int], order: list[Any]) -> list[Session]:
    return list(
        db.session.scalars(
            sa.select(Session)
            .where(Session.id.in_(ids))
            .options(*services.session_options(record=False))
            .order_by(*order)
        ).unique()
    )


def _filters(stmt: sa.Select) -> tuple[sa.Select, dict[str, str]]:
    chosen = {key: request.args.get(key, "").strip() for key in ("kind", "ward", "initiative")}
    number = query_int("initiative")
    if chosen["kind"] or number is not None:
        stmt = stmt.join(Consultation, Session.consultation_id == Consultation.id)
    if chosen["kind"]:
        stmt = stmt.join(ConsultationKind, Consultation.kind_id == ConsultationKind.id).where(
            ConsultationKind.code == chosen["kind"]
        )
    if chosen["ward"]:
        stmt = stmt.join(Ward, Session.ward_id == Ward.id).where(Ward.code == chosen["ward"])
    if number is not None:
        stmt = stmt.join(Initiative, Consultation.initiative_id == Initiative.id).where(
            Initiative.number == number
        )
    return stmt, chosen


def _filter_choices() -> dict[str, list[tuple[str, str]]]:
    """The kinds and wards a visitor can filter by, as (code, name) in the page's language.
    Cached, as they change seldom (a new kind or name shows within FIGURES_CACHE_SECONDS): their
    two statements and ORM objects were a tenth of the list's time."""
    names = cached("session-filter-choices", _filter_names)
    english = current_language() == "en"
    return {
        key: [(code, (english and name_en) or name_ja) for code, name_ja, name_en in rows]
        for key, rows in names.items()
    }


def _filter_names() -> dict[str, list[tuple[str, str, str]]]:
    # Both languages: a stale value is recomputed in a thread, outside any request's language.
    wards = db.session.scalars(sa.select(Ward).order_by(Ward.position))
    return {
        "kinds": [(k.code, k.name_ja, k.name_en) for k in services.public_kinds()],
        "wards": [(w.code, w.name_ja, w.name_en) for w in wards],
    }


UPCOMING_PER_PAGE = 50


@bp.route("/")
def index() -> ResponseReturnValue:
    now = clock.now()
    stmt, chosen = _filters(_public(*_shown_as(seats=True)))
    # Where the list starts: the earliest start among sessions not yet over. Saying so lets the
    # database walk the start-time index from there instead of from the first session ever
    # held (all of them, at national scale, before reaching the upcoming few). The minimum is
    # taken over coalesce(starts_at, starts_at) so that SQLite finds it through the end-time
    # index (a few rows) rather than by walking the start-time index until one has not ended.
    first_start = (
        sa.select(sa.func.min(sa.func.coalesce(Session.starts_at, Session.starts_at)))
        .where(Session.ends_at > now)
        .scalar_subquery()
    )
    order = [Session.starts_at, Session.id]
    upcoming = _upcoming(
        stmt.where(Session.starts_at >= first_start, Session.ends_at > now).order_by(*order),
        chosen,
        now,
    )
    choices = _filter_choices()
    rows = upcoming.items
    # The upcoming sessions and their places are live: the rows are drawn again whenever one of
    # them changes or someone registers (`_shown_as`). The published records change seldom and
    # are built once a period per language and filter (app/core/cache.py).
    return render_template(
        "consultations/index.html",
        upcoming=upcoming,
        upcoming_key=_rows_key("upcoming-sessions", rows, choices["wards"]),
        load_upcoming=lambda: _sessions_by_id([row.id for row in rows], order),
        seats={row.id: row.seats for row in rows},
        past_key=fragment_key("past-sessions", *chosen.values()),
        load_past=lambda: _past_sessions(_filters(_public_sessions())[0], now),
        chosen=chosen,
        **choices,
    )


def _upcoming(stmt: sa.Select, chosen: dict[str, str], now: datetime) -> Pagination:
    """The page of upcoming sessions' rows (`_shown_as`). Where every worker shares the cache
    (Redis), the page is kept there under the generation of what lists of sessions show
    (`services.SESSIONS_SHOWN`, which every write to them changes) until the first of the
    listed sessions ends: a request with nothing changed then reads no row from the database
    (planning the list's statement was most of its cost on PostgreSQL). Elsewhere each request
    reads the rows, as a worker's own cache would not see the others' writes."""
    page = query_page()
    key = fragment_key("upcoming-rows", page, *chosen.values())
    generation, kept = with_generation(services.SESSIONS_SHOWN, key)
    if isinstance(kept, tuple) and len(kept) == 4:
        kept_generation, until, items, total = kept
        if kept_generation == generation and (until is None or now < until):
            return KeptPagination(
                page=page, per_page=UPCOMING_PER_PAGE, items=items, total=total, error_out=False
            )
    # The rows carry when the first of the whole list's sessions ends (`min(...) OVER ()`,
    # read before the page's limit): the list changes then, whoever writes nothing.
    upcoming = db.paginate_rows(
        stmt.add_columns(sa.func.min(Session.ends_at).over().label("first_end")),
        page=page,
        per_page=UPCOMING_PER_PAGE,
        error_out=False,
    )
    if generation is not None:
        # No row: the list can only grow by a write, which changes the generation.
        until = upcoming.items[0].first_end if upcoming.items else None
        cache.set(key, (generation, until, upcoming.items, upcoming.total))
    return upcoming


def _past_sessions(stmt: sa.Select, now: datetime) -> list[Session]:
    return (
        db.session.scalars(
            stmt.join(SessionRecord, SessionRecord.session_id == Session.id)
            .where(Session.ends_at <= now, SessionRecord.published_at.is_not(None))
            .order_by(Session.starts_at.desc())
            .limit(50)
        )
        .unique()
        .all()
    )


@bp.route("/calendar")
def calendar() -> ResponseReturnValue:
    today = clock.today()
    month = query_date("month", today.replace(day=1), format="%Y-%m")
    weeks = calendar_module.Calendar(firstweekday=6).monthdatescalendar(month.year, month.month)
    first, last = weeks[0][0], weeks[-1][-1] + timedelta(days=1)
    stmt, chosen = _filters(_public(*_shown_as(seats=False)))
    order = [Session.starts_at, Session.id]
    rows = db.session.execute(
        stmt.where(
            Session.starts_at >= datetime.combine(first, datetime.min.time(), tzinfo=JST),
            Session.starts_at < datetime.combine(last, datetime.min.time(), tzinfo=JST),
        ).order_by(*order)
    ).all()
    choices = _filter_choices()

    def by_day() -> dict[date, list[Session]]:
        days: dict[date, list[Session]] = {}
        for session in _sessions_by_id([row.id for row in rows], order):
            days.setdefault(to_jst(session.starts_at).date(), []).append(session)
        return days

    previous = (month - timedelta(days=1)).replace(day=1)
    following = (month + timedelta(days=32)).replace(day=1)
    # The month's grid is drawn again when one of its sessions changes (`_shown_as`), and on
    # the day it marks as today.
    month_key = _rows_key("session-month", rows, choices["wards"], month, today)
    # The page has the grid's version: revalidated by browsers (304), and kept whole for
    # anonymous visitors at the address without a query (this month, where they land): its
    # frame and filter were a third of the lowest share of issue 23's runs.
    return versioned_page(
        f"{month_key}-{'-'.join(chosen.values())}",
        partial(
            render_template,
            "consultations/calendar.html",
            month=month,
            weeks=weeks,
            month_key=month_key,
            load_by_day=by_day,
            today=today,
            previous=previous,
            following=following,
            chosen=chosen,
            **choices,
        ),
    )


def _load_session(session_id: int, options: list[Any] | None = None) -> Session:
    if options is None:
        options = services.session_options()
    session = db.session.scalar(
        sa.select(Session).where(Session.id == session_id).options(*options)
    )
    if session is None:
        abort(404)
    return session


@bp.route("/sessions/<int:session_id>")
def session(session_id: int) -> ResponseReturnValue:
    item = _load_session(session_id)
    return render_template(
        "consultations/session.html",
        session=item,
        registration_open=services.registration_open(item),
    )


@bp.route("/sessions/<int:session_id>/record")
def record(session_id: int) -> ResponseReturnValue:
    item = _load_session(session_id)
    if item.record is None or item.record.published_at is None:
        abort(404)
    opinions = db.session.scalars(
        sa.select(Opinion)
        .where(Opinion.record_id == item.record.id)
        .options(joinedload(Opinion.disposition), joinedload(Opinion.concerns_initiative))
        .order_by(Opinion.position)
    ).all()
    return render_template(
        "consultations/record.html", session=item, record=item.record, opinions=opinions
    )


@bp.route("/sessions/<int:session_id>/register", methods=["GET", "POST"])
@limiter.limit(submission_rate_limit, methods=["POST"])
def register(session_id: int) -> ResponseReturnValue:
    item = _load_session(session_id, options=services.registering_options())
    if not services.registration_open(item):
        flash(_("Registration for this session is closed."), "error")
        return redirect(url_for("consultations.session", session_id=item.id))
    form = RegistrationForm()
    form.accommodations.choices = accommodation_choices(item.accommodations or [])
    give_submission_token(form)
    if not form.is_submitted() and is_authenticated(current_user):
        form.name.data = current_user.display_name
        form.email.data = current_user.email
    if form.validate_on_submit():
        try:
            signup = services.register(
                item.id,
                name=form.name.data,
                email=form.email.data,
                user_id=current_user.id if is_authenticated(current_user) else None,
                phone=form.phone.data or "",
                party_size=form.party_size.data,
                accommodations=form.accommodations.data or [],
                notes=form.notes.data or "",
                language=current_language(),
                submission_token=form.submission_token.data,
            )
        except services.ConsultationError as error:
            show_error(form, error, "name")
        else:
            # Redirect to the receipt, so that reloading it cannot register a second time.
            registration_id = sa.inspect(signup.registration).identity[0]
            remember_receipt("registration", registration_id)
            return redirect(url_for("consultations.registered", registration_id=registration_id))
    return render_template("consultations/register.html", session=item, form=form)


@bp.route("/registrations/<int:registration_id>")
def registered(registration_id: int) -> ResponseReturnValue:
    """The registrant's own receipt (name and e-mail address are on it): only for the browser
    session that registered, or the account it registered with."""
    registration = db.session.get(Registration, registration_id)
    if registration is None or not may_see_receipt(
        "registration", registration_id, registration.user_id
    ):
        abort(404)
    return render_template(
        "consultations/registered.html",
        registration=registration,
        receipt=services.receipt_label(registration),
    )


@bp.route("/registrations/<int:registration_id>/cancel/<token>", methods=["GET", "POST"])
def cancel(registration_id: int, token: str) -> ResponseReturnValue:
    registration = db.session.get(Registration, registration_id)
    if registration is None or not services.check_cancel_token(registration, token):
        abort(404)
    form = CancelForm()
    item = _load_session(registration.session_id)
    if form.validate_on_submit():
        try:
            services.cancel_registration(registration_id, reason="cancelled with the link")
        except services.ConsultationError as error:
            flash(str(error), "error")
        else:
            flash(_("Your registration has been cancelled."), "success")
        return redirect(url_for("consultations.session", session_id=item.id))
    return render_template(
        "consultations/cancel.html",
        form=form,
        session=item,
        registration=registration,
        receipt=services.receipt_label(registration),
    )


@bp.route("/mine")
@permission_required(is_authenticated)
def mine() -> ResponseReturnValue:
    return render_template(
        "consultations/mine.html",
        registrations=services.my_registrations(current_user.id),
        form=CancelForm(),
        receipt_label=services.receipt_label,
    )


@bp.route("/mine/<int:registration_id>/cancel", methods=["POST"])
@permission_required(is_authenticated)
def cancel_mine(registration_id: int) -> ResponseReturnValue:
    registration = db.session.get(Registration, registration_id)
    if registration is None or registration.user_id != current_user.id:
        abort(404)
    if CancelForm().validate_on_submit():
        try:
            services.cancel_registration(registration_id, actor=current_user, reason="by citizen")
        except services.ConsultationError as error:
            flash(str(error), "error")
        else:
            flash(_("Your registration has been cancelled."), "success")
    return redirect(url_for("consultations.mine"))


# Feeds and open data ---------------------------------------------------------------------


def _feed_sessions(ward_code: str | None = None) -> list[Session]:
    stmt = _public_sessions(called_off=True).where(
        Session.starts_at >= clock.now() - timedelta(days=90)
    )
    if ward_code is not None:
        stmt = stmt.join(Ward, Session.ward_id == Ward.id).where(Ward.code == ward_code)
    return list(db.session.scalars(stmt.order_by(Session.starts_at)).unique())


def _ics(data: bytes, filename: str, sessions: list[Session]) -> Response:
    response = Response(
        data,
        mimetype="text/calendar",
        headers={"Content-Disposition": f'inline; filename="{filename}"'},
    )
    # Calendar apps poll subscribed feeds every few hours: an unchanged feed costs them a 304.
    # Last changed: the newest change to a session or to the consultation it belongs to.
    changed = [moment for s in sessions for moment in (s.updated_at, s.consultation.updated_at)]
    return conditional(response, last_modified=max(changed, default=None))


@bp.route("/feed.ics")
def feed() -> ResponseReturnValue:
    sessions = _feed_sessions()
    return _ics(
        services.calendar_for(sessions, _("Kumamoto City consultations")), "sessions.ics", sessions
    )


@bp.route("/wards/<code>/feed.ics")
def ward_feed(code: str) -> ResponseReturnValue:
    ward = db.session.scalar(sa.select(Ward).where(Ward.code == code)) or abort(404)
    name = f"{_('Kumamoto City consultations')} ({ward.tr('name')})"
    sessions = _feed_sessions(code)
    return _ics(services.calendar_for(sessions, name), f"sessions-{code}.ics", sessions)


@bp.route("/sessions/<int:session_id>/session.ics")
def session_ics(session_id: int) -> ResponseReturnValue:
    item = _load_session(session_id)
    return _ics(services.calendar_for([item]), f"session-{item.id}.ics", [item])


@bp.route("/events.csv")
def events_csv() -> ResponseReturnValue:
    sessions = db.session.scalars(_public_sessions().order_by(Session.starts_at)).unique()
    # UTF-8 with a byte-order mark, as the dataset's guidance asks (Excel opens it correctly).
    return csv_response(EVENT_COLUMNS, event_rows(sessions), "431001_event.csv")
