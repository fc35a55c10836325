"""Staff routes: consultations, sessions and their scheduling, the calendar, attendance, records
and advice. The blueprint admits staff only; each view then checks the department's right."""

from __future__ import annotations

import calendar as calendar_module
from datetime import date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import joinedload, selectinload

from app.consultations import services, staff_bp
from app.consultations.forms import (
    AdviceForm,
    AttendanceForm,
    CancelForm,
    ConsultationForm,
    KindForm,
    OpinionAnswerForm,
    OpinionForm,
    RecordForm,
    SessionCancelForm,
    SessionForm,
    VenueForm,
)
from app.consultations.models import (
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
from app.consultations.permissions import can_advise, can_manage, can_see_personal_data
from app.core import clock
from app.core.dispositions import active_dispositions
from app.core.forms import choices, show_error
from app.core.i18n import JST, to_jst
from app.core.permissions import is_admin
from app.core.urls import query_date, query_int
from app.extensions import db
from app.plan import services as plan_services
from app.plan.models import Department, Initiative, Ward


def _consultation(consultation_id: int) -> Consultation:
    item = db.session.get(Consultation, consultation_id)
    if item is None:
        abort(404)
    return item


def _session(session_id: int) -> Session:
    item = db.session.scalar(
        sa.select(Session).where(Session.id == session_id).options(*services.session_options())
    )
    if item is None:
        abort(404)
    return item


def _require_manage(department_id: int) -> None:
    if not can_manage(current_user, department_id):
        abort(403)


# Consultations ----------------------------------------------------------------------------


@staff_bp.route("/")
def index() -> ResponseReturnValue:
    stmt = (
        sa.select(Consultation)
        .options(
            joinedload(Consultation.department),
            joinedload(Consultation.initiative),
            selectinload(Consultation.sessions),
        )
        .order_by(Consultation.id.desc())
    )
    if not is_admin(current_user) and not can_advise(current_user):
        stmt = stmt.where(Consultation.department_id == current_user.department_id)
    return render_template(
        "consultations/staff/index.html", consultations=db.session.scalars(stmt).unique().all()
    )


def _consultation_form(form: ConsultationForm) -> None:
    form.kind_id.choices = choices((k.id, k.tr("name")) for k in services.active_kinds())
    form.initiative_id.choices = choices(plan_services.initiative_choices())
    departments = plan_services.department_choices()
    if not is_admin(current_user):
        departments = [d for d in departments if d[0] == current_user.department_id]
    form.department_id.choices = choices(departments)
    form.ward_id.choices = choices([(0, _("Citywide")), *plan_services.ward_choices()])


def _consultation_values(form: ConsultationForm) -> dict[str, Any]:
    values = {
        name: getattr(form, name).data or ""
        for name in services.CONSULTATION_FIELDS
        if name not in ("kind_id", "initiative_id", "department_id", "ward_id")
    }
    values.update(
        kind_id=form.kind_id.data,
        initiative_id=form.initiative_id.data,
        department_id=form.department_id.data,
        ward_id=form.ward_id.data or None,
    )
    return values


@staff_bp.route("/new", methods=["GET", "POST"])
def new_consultation() -> ResponseReturnValue:
    form = ConsultationForm()
    _consultation_form(form)
    if not form.is_submitted() and current_user.department_id:
        form.department_id.data = current_user.department_id
    if form.validate_on_submit():
        _require_manage(form.department_id.data)
        item = services.create_consultation(current_user, **_consultation_values(form))
        flash(_("The consultation has been created."), "success")
        return redirect(url_for("consultations_staff.consultation", consultation_id=item.id))
    return render_template("consultations/staff/consultation_form.html", form=form, item=None)


@staff_bp.route("/<int:consultation_id>/edit", methods=["GET", "POST"])
def edit_consultation(consultation_id: int) -> ResponseReturnValue:
    item = _consultation(consultation_id)
    _require_manage(item.department_id)
    form = ConsultationForm(obj=item)
    _consultation_form(form)
    if not form.is_submitted():
        form.ward_id.data = item.ward_id or 0
    if form.validate_on_submit():
        _require_manage(form.department_id.data)
        services.update_consultation(current_user, item, **_consultation_values(form))
        flash(_("The consultation has been saved."), "success")
        return redirect(url_for("consultations_staff.consultation", consultation_id=item.id))
    return render_template("consultations/staff/consultation_form.html", form=form, item=item)


@staff_bp.route("/<int:consultation_id>")
def consultation(consultation_id: int) -> ResponseReturnValue:
    item = db.session.scalar(
        sa.select(Consultation)
        .where(Consultation.id == consultation_id)
        .options(
            selectinload(Consultation.sessions).joinedload(Session.venue),
            selectinload(Consultation.advice),
        )
    ) or abort(404)
    if not (can_manage(current_user, item.department_id) or can_advise(current_user)):
        abort(403)
    advice_form = AdviceForm()
    if not advice_form.advised_on.data:
        advice_form.advised_on.data = clock.today()
    return render_template(
        "consultations/staff/consultation.html",
        item=item,
        cancel_forms={s.id: SessionCancelForm(prefix=f"cancel-{s.id}") for s in item.sessions},
        seats=services.seats_by_session([s.id for s in item.sessions]),
        advice_form=advice_form,
        can_manage=can_manage(current_user, item.department_id),
        can_advise=can_advise(current_user),
    )


@staff_bp.route("/<int:consultation_id>/advice", methods=["POST"])
def add_advice(consultation_id: int) -> ResponseReturnValue:
    item = _consultation(consultation_id)
    if not can_advise(current_user):
        abort(403)
    form = AdviceForm()
    if form.validate_on_submit():
        services.record_advice(current_user, item, form.advised_on.data, form.text.data)
        flash(_("The advice has been recorded."), "success")
    else:
        flash(_("Please give the date and the advice."), "error")
    return redirect(url_for("consultations_staff.consultation", consultation_id=item.id))


# Sessions ---------------------------------------------------------------------------------


def _save_session(form: SessionForm, consultation: Consultation, item: Session | None) -> bool:
    values = form.session_values()
    department_id = consultation.department_id
    try:
        if item is None:
            saved = services.schedule_session(current_user, consultation, **values)
        else:
            services.move_session(current_user, item, **values)
            saved = item
    except services.ConsultationError as error:
        show_error(form, error, "date")
        return False
    others = services.department_overlaps(
        department_id, values["starts_at"], values["ends_at"], saved.id
    )
    for other in others:
        flash(
            _(
                "Note: your department already has “%(title)s” at that time.",
                title=other.display_title(),
            ),
            "warning",
        )
    flash(_("The session has been saved."), "success")
    return True


@staff_bp.route("/<int:consultation_id>/sessions/new", methods=["GET", "POST"])
def new_session(consultation_id: int) -> ResponseReturnValue:
    item = _consultation(consultation_id)
    _require_manage(item.department_id)
    form = SessionForm()
    form.offer_choices()
    if form.validate_on_submit() and _save_session(form, item, None):
        return redirect(url_for("consultations_staff.consultation", consultation_id=item.id))
    return render_template(
        "consultations/staff/session_form.html", form=form, consultation=item, item=None
    )


@staff_bp.route("/sessions/<int:session_id>/edit", methods=["GET", "POST"])
def edit_session(session_id: int) -> ResponseReturnValue:
    item = _session(session_id)
    consultation_item = item.consultation
    _require_manage(consultation_item.department_id)
    form = SessionForm(obj=item)
    form.offer_choices()
    if not form.is_submitted():
        starts, ends = to_jst(item.starts_at), to_jst(item.ends_at)
        form.date.data, form.start_time.data, form.end_time.data = (
            starts.date(),
            starts.time(),
            ends.time(),
        )
        form.venue_id.data = item.venue_id or 0
        if item.registration_opens_at:
            form.registration_opens_date.data = to_jst(item.registration_opens_at).date()
        if item.registration_closes_at:
            form.registration_closes_date.data = to_jst(item.registration_closes_at).date()
    if form.validate_on_submit() and _save_session(form, consultation_item, item):
        return redirect(
            url_for("consultations_staff.consultation", consultation_id=consultation_item.id)
        )
    return render_template(
        "consultations/staff/session_form.html",
        form=form,
        consultation=consultation_item,
        item=item,
    )


@staff_bp.route("/sessions/<int:session_id>/cancel", methods=["POST"])
def cancel_session(session_id: int) -> ResponseReturnValue:
    item = _session(session_id)
    consultation_id = item.consultation_id
    _require_manage(item.consultation.department_id)
    form = SessionCancelForm(prefix=f"cancel-{session_id}")
    if form.validate_on_submit():
        try:
            told = services.cancel_session(current_user, session_id, form.reason.data)
        except services.ConsultationError as error:
            flash(str(error), "error")
        else:
            flash(
                _("The session has been cancelled; %(count)s people will be told.", count=told),
                "success",
            )
    else:
        flash(_("Please give the reason for cancelling."), "error")
    return redirect(url_for("consultations_staff.consultation", consultation_id=consultation_id))


# Calendar ---------------------------------------------------------------------------------


@staff_bp.route("/calendar")
def calendar() -> ResponseReturnValue:
    """All sessions of every department, by month or by week, in a fixed number of queries."""
    view = "week" if request.args.get("view") == "week" else "month"
    today = clock.today()
    anchor = query_date("date", today)
    if view == "month":
        first_of_month = anchor.replace(day=1)
        weeks = calendar_module.Calendar(firstweekday=6).monthdatescalendar(
            first_of_month.year, first_of_month.month
        )
        previous = (first_of_month - timedelta(days=1)).replace(day=1)
        following = (first_of_month + timedelta(days=32)).replace(day=1)
    else:
        start = anchor - timedelta(days=(anchor.weekday() + 1) % 7)  # weeks start on Sunday
        weeks = [[start + timedelta(days=i) for i in range(7)]]
        previous, following = start - timedelta(days=7), start + timedelta(days=7)
    first, last = weeks[0][0], weeks[-1][-1] + timedelta(days=1)
    filters = {key: query_int(key) for key in ("ward", "department", "venue")}
    stmt = (
        sa.select(Session)
        .join(Consultation, Session.consultation_id == Consultation.id)
        .where(
            Session.starts_at >= datetime.combine(first, time(), tzinfo=JST),
            Session.starts_at < datetime.combine(last, time(), tzinfo=JST),
        )
        .options(*services.session_options())
        .order_by(Session.starts_at)
    )
    if filters["ward"]:
        stmt = stmt.where(Session.ward_id == filters["ward"])
    if filters["department"]:
        stmt = stmt.where(Consultation.department_id == filters["department"])
    if filters["venue"]:
        stmt = stmt.where(Session.venue_id == filters["venue"])
    by_day: dict[date, list[Session]] = {}
    for item in db.session.scalars(stmt).unique():
        by_day.setdefault(to_jst(item.starts_at).date(), []).append(item)
    return render_template(
        "consultations/staff/calendar.html",
        view=view,
        anchor=anchor,
        weeks=weeks,
        by_day=by_day,
        today=today,
        previous=previous,
        following=following,
        filters=filters,
        wards=db.session.scalars(sa.select(Ward).order_by(Ward.position)).all(),
        departments=db.session.scalars(
            sa.select(Department)
            .where(Department.per_ward.is_(False))
            .order_by(Department.position, Department.id)
        ).all(),
        venues=db.session.scalars(sa.select(Venue).order_by(Venue.id)).all(),
    )


# Attendance -------------------------------------------------------------------------------


@staff_bp.route("/sessions/<int:session_id>/attendance", methods=["GET", "POST"])
def attendance(session_id: int) -> ResponseReturnValue:
    item = _session(session_id)
    if not can_see_personal_data(current_user, item.consultation.department_id):
        abort(403)
    registrations = db.session.scalars(
        sa.select(Registration)
        .where(Registration.session_id == item.id)
        .order_by(Registration.status, Registration.waitlist_position, Registration.receipt_number)
    ).all()
    form = AttendanceForm()
    if not form.is_submitted():
        form.walk_ins.data = item.walk_ins
    if form.validate_on_submit():
        marks: dict[int, bool | None] = {}
        for registration in registrations:
            value = request.form.get(f"attended-{registration.id}", "")
            marks[registration.id] = {"yes": True, "no": False}.get(value)
        services.keep_attendance(current_user, item, marks, form.walk_ins.data)
        flash(_("Attendance has been saved."), "success")
        return redirect(url_for("consultations_staff.attendance", session_id=item.id))
    return render_template(
        "consultations/staff/attendance.html",
        session=item,
        registrations=registrations,
        form=form,
        cancel_form=CancelForm(),
        receipt_label=services.receipt_label,
        Status=RegistrationStatus,
    )


@staff_bp.route("/registrations/<int:registration_id>/cancel", methods=["POST"])
def cancel_registration(registration_id: int) -> ResponseReturnValue:
    registration = db.session.get(Registration, registration_id) or abort(404)
    item = _session(registration.session_id)
    if not can_see_personal_data(current_user, item.consultation.department_id):
        abort(403)
    if CancelForm().validate_on_submit():
        try:
            promoted = services.cancel_registration(
                registration_id, actor=current_user, reason="cancelled by staff"
            )
        except services.ConsultationError as error:
            flash(str(error), "error")
        else:
            flash(
                _(
                    "Cancelled; %(count)s promoted from the waiting list.",
                    count=len(promoted),
                ),
                "success",
            )
    return redirect(url_for("consultations_staff.attendance", session_id=item.id))


# Records ----------------------------------------------------------------------------------


def _opinion_form() -> OpinionForm:
    form = OpinionForm(prefix="opinion")
    form.disposition_id.choices = _disposition_choices()
    plan = plan_services.current_plan()
    initiatives = db.session.scalars(
        sa.select(Initiative)
        .where(Initiative.plan_id == (plan.id if plan else None))
        .order_by(Initiative.number)
    )
    form.concerns_initiative_id.choices = choices(
        [(0, _("None")), *((i.id, f"{i.number}. {i.tr('title')}") for i in initiatives)]
    )
    return form


@staff_bp.route("/sessions/<int:session_id>/record", methods=["GET", "POST"])
def edit_record(session_id: int) -> ResponseReturnValue:
    item = _session(session_id)
    _require_manage(item.consultation.department_id)
    record = item.record
    form = RecordForm(obj=record, prefix="record")
    if not form.is_submitted() and record is None:
        form.attendees.data = services.attendance_count(item.id)
    if form.validate_on_submit():
        services.save_record(
            current_user,
            item,
            summary_ja=form.summary_ja.data,
            summary_en=form.summary_en.data or "",
            attendees=form.attendees.data,
            materials=form.materials.data or "",
        )
        flash(_("The record has been saved."), "success")
        return redirect(url_for("consultations_staff.edit_record", session_id=item.id))
    opinions = []
    if record is not None:
        opinions = (
            db.session.scalars(
                sa.select(SessionRecord)
                .where(SessionRecord.id == record.id)
                .options(selectinload(SessionRecord.opinions).joinedload(Opinion.disposition))
            )
            .one()
            .opinions
        )
    return render_template(
        "consultations/staff/record_form.html",
        session=item,
        record=record,
        form=form,
        opinions=opinions,
        opinion_form=_opinion_form(),
        publish_form=CancelForm(prefix="publish"),
    )


@staff_bp.route("/sessions/<int:session_id>/record/opinions", methods=["POST"])
def add_opinion(session_id: int) -> ResponseReturnValue:
    item = _session(session_id)
    _require_manage(item.consultation.department_id)
    if item.record is None:
        abort(404)
    form = _opinion_form()
    if form.validate_on_submit():
        services.add_opinion(
            current_user,
            item.record,
            text_ja=form.text_ja.data,
            text_en=form.text_en.data or "",
            response_ja=form.response_ja.data or "",
            response_en=form.response_en.data or "",
            disposition_id=form.disposition_id.data or None,
            concerns_initiative_id=form.concerns_initiative_id.data or None,
        )
        flash(_("The opinion has been added."), "success")
    else:
        flash(_("Please write the opinion."), "error")
    return redirect(url_for("consultations_staff.edit_record", session_id=item.id))


def _disposition_choices() -> list:
    return choices([(0, _("Not decided")), *((d.id, d.tr("name")) for d in active_dispositions())])


@staff_bp.route("/opinions/<int:opinion_id>/answer", methods=["GET", "POST"])
def answer_opinion(opinion_id: int) -> ResponseReturnValue:
    """Write or change the city's response to one opinion, before or after publication."""
    opinion = db.session.get(Opinion, opinion_id) or abort(404)
    item = _session(opinion.record.session_id)
    _require_manage(item.consultation.department_id)
    form = OpinionAnswerForm(obj=opinion)
    form.disposition_id.choices = _disposition_choices()
    if not form.is_submitted():
        form.disposition_id.data = opinion.disposition_id or 0
    if form.validate_on_submit():
        try:
            services.answer_opinion(
                current_user,
                opinion,
                response_ja=form.response_ja.data,
                response_en=form.response_en.data or "",
                disposition_id=form.disposition_id.data or None,
            )
        except services.ConsultationError as error:
            show_error(form, error, "response_ja")
        else:
            flash(_("The response has been saved."), "success")
            return redirect(
                url_for("consultations_staff.edit_record", session_id=item.id) + "#opinions"
            )
    return render_template(
        "consultations/staff/answer_form.html", session=item, opinion=opinion, form=form
    )


@staff_bp.route("/sessions/<int:session_id>/record/publish", methods=["POST"])
def publish_record(session_id: int) -> ResponseReturnValue:
    item = _session(session_id)
    _require_manage(item.consultation.department_id)
    if item.record is None:
        abort(404)
    if CancelForm(prefix="publish").validate_on_submit():
        services.publish_record(current_user, item.record)
        flash(_("The record has been published."), "success")
    return redirect(url_for("consultations_staff.edit_record", session_id=item.id))


# Venues -----------------------------------------------------------------------------------


@staff_bp.route("/venues", methods=["GET", "POST"])
@staff_bp.route("/venues/<int:venue_id>", methods=["GET", "POST"])
def venues(venue_id: int | None = None) -> ResponseReturnValue:
    """The venue list with a form to add one, or (with an id) to correct one."""
    venue = (db.session.get(Venue, venue_id) or abort(404)) if venue_id else None
    form = VenueForm(obj=venue)
    form.ward_id.choices = choices(plan_services.ward_choices())
    if form.validate_on_submit():
        values = {name: field.data for name, field in form._fields.items() if name != "csrf_token"}
        # The form reads decimals exactly; the columns hold floats (about 1 cm at 6 places).
        for name in ("latitude", "longitude"):
            values[name] = float(values[name]) if values[name] is not None else None
        if venue is None:
            services.create_venue(current_user, **values)
            flash(_("The venue has been added."), "success")
        else:
            services.update_venue(current_user, venue, **values)
            flash(_("The venue has been updated."), "success")
        return redirect(url_for("consultations_staff.venues"))
    return render_template(
        "consultations/staff/venues.html",
        form=form,
        venue=venue,
        venues=db.session.scalars(
            sa.select(Venue).options(joinedload(Venue.ward)).order_by(Venue.ward_id, Venue.id)
        ).all(),
    )


# Kinds (admins) ---------------------------------------------------------------------------


@staff_bp.route("/kinds", methods=["GET", "POST"])
@staff_bp.route("/kinds/<int:kind_id>", methods=["GET", "POST"])
def kinds(kind_id: int | None = None) -> ResponseReturnValue:
    if not is_admin(current_user):
        abort(403)
    kind = db.session.get(ConsultationKind, kind_id) if kind_id else None
    if kind_id and kind is None:
        abort(404)
    form = KindForm(obj=kind)
    if kind is not None:
        form.code.render_kw = {"readonly": True}
        form.code.data = kind.code
    if form.validate_on_submit():
        try:
            services.save_kind(
                current_user,
                kind,
                code=form.code.data,
                name_ja=form.name_ja.data,
                name_en=form.name_en.data or "",
                audience=Audience(form.audience.data),
                active=bool(form.active.data),
            )
        except services.ConsultationError as error:
            show_error(form, error, "code")
        else:
            flash(_("The kind has been saved."), "success")
            return redirect(url_for("consultations_staff.kinds"))
    return render_template(
        "consultations/staff/kinds.html",
        form=form,
        kind=kind,
        kinds=db.session.scalars(
            sa.select(ConsultationKind).order_by(ConsultationKind.position)
        ).all(),
    )
