"""Staff routes (/staff/councils): the council registry, members, meetings, guidelines,
recruitment calls, screening, selection and the oversight dashboard; and the reviewers' blind
scoring pages (/staff/councils/review), which show receipt numbers and essays only."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import selectinload

from app.accounts.models import User
from app.core import clock
from app.core.exports import csv_response
from app.core.forms import choices, show_error
from app.core.i18n import form_to_utc, utc_to_form
from app.core.permissions import Role
from app.councils import dashboard as oversight
from app.councils import review_bp, services, staff_bp
from app.councils.forms import (
    CallForm,
    ConfirmForm,
    CouncilForm,
    EndMembershipForm,
    GuidelinesForm,
    MeetingForm,
    MemberForm,
    MinutesForm,
    ReviewerForm,
    SelectionForm,
    score_form,
)
from app.councils.models import (
    Application,
    Council,
    CouncilMeeting,
    CouncilMember,
    Gender,
    MeetingOpenness,
    MemberCategory,
    RecruitmentCall,
    ReviewScore,
    SelectionMethod,
)
from app.councils.permissions import can_manage_council, can_review, oversees_councils
from app.extensions import db
from app.plan import services as plan_services


def _council(council_id: int) -> Council:
    council = db.session.get(Council, council_id) or abort(404)
    if not can_manage_council(current_user, council):
        abort(403)
    return council


def _call(call_id: int) -> RecruitmentCall:
    call = db.session.get(RecruitmentCall, call_id) or abort(404)
    if not can_manage_council(current_user, call.council):
        abort(403)
    return call


# The registry --------------------------------------------------------------------------------


@staff_bp.route("/")
def index() -> ResponseReturnValue:
    stmt = sa.select(Council).options(selectinload(Council.department)).order_by(Council.id)
    if not oversees_councils(current_user):
        stmt = stmt.where(Council.department_id == current_user.department_id)
    return render_template(
        "councils/staff/index.html",
        councils=db.session.scalars(stmt).all(),
        oversees=oversees_councils(current_user),
    )


def _department_choices(form: CouncilForm) -> None:
    departments = plan_services.department_choices()
    if not oversees_councils(current_user):
        departments = [d for d in departments if d[0] == current_user.department_id]
    form.department_id.choices = choices(departments)


@staff_bp.route("/new", methods=["GET", "POST"])
@staff_bp.route("/<int:council_id>/edit", methods=["GET", "POST"])
def edit_council(council_id: int | None = None) -> ResponseReturnValue:
    council = _council(council_id) if council_id else None
    form = CouncilForm(obj=council)
    _department_choices(form)
    if council is None and not form.is_submitted():
        form.department_id.data = current_user.department_id
    if form.validate_on_submit():
        values = {name: form[name].data for name in services.COUNCIL_FIELDS}
        council = services.save_council(current_user, council, **values)
        flash(_("The council has been saved."), "success")
        return redirect(url_for("councils_staff.council", council_id=council.id))
    title = _("Edit the council") if council else _("New council")
    return render_template(
        "councils/staff/form.html", form=form, title=title, back=url_for("councils_staff.index")
    ), (400 if form.errors else 200)


@staff_bp.route("/<int:council_id>")
def council(council_id: int) -> ResponseReturnValue:
    item = _council(council_id)
    members = db.session.scalars(
        sa.select(CouncilMember)
        .where(CouncilMember.council_id == item.id)
        .order_by(CouncilMember.ended_on.is_not(None), CouncilMember.category, CouncilMember.id)
    ).all()
    calls = db.session.scalars(
        sa.select(RecruitmentCall)
        .where(RecruitmentCall.council_id == item.id)
        .order_by(RecruitmentCall.closes_at.desc())
    ).all()
    return render_template(
        "councils/staff/council.html",
        council=item,
        members=members,
        calls=calls,
        member_form=MemberForm(prefix="member"),
        end_form=EndMembershipForm(prefix="end"),
        today=clock.today(),
    )


@staff_bp.route("/<int:council_id>/members", methods=["POST"])
def add_member(council_id: int) -> ResponseReturnValue:
    item = _council(council_id)
    form = MemberForm(prefix="member")
    if form.validate_on_submit():
        try:
            services.add_member(
                current_user,
                item,
                form.name.data,
                MemberCategory(form.category.data),
                form.appointed_on.data,
                form.term_ends_on.data,
                gender=Gender(form.gender.data) if form.gender.data else None,
            )
        except services.CouncilError as error:
            show_error(form, error)
        else:
            flash(_("The member has been added."), "success")
            return redirect(url_for("councils_staff.council", council_id=item.id))
    for field in form:
        for error in field.errors:
            flash(f"{field.label.text}: {error}", "error")
    return redirect(url_for("councils_staff.council", council_id=item.id))


@staff_bp.route("/members/<int:member_id>/end", methods=["POST"])
def end_member(member_id: int) -> ResponseReturnValue:
    member = db.session.get(CouncilMember, member_id) or abort(404)
    _council(member.council_id)
    form = EndMembershipForm(prefix="end")
    if form.validate_on_submit():
        try:
            services.end_membership(current_user, member, form.ended_on.data, form.reason.data)
        except services.CouncilError as error:
            flash(str(error), "error")
        else:
            flash(_("The membership has been ended."), "success")
    else:
        flash(_("Give the date and the reason."), "error")
    return redirect(url_for("councils_staff.council", council_id=member.council_id))


# Meetings ------------------------------------------------------------------------------------


@staff_bp.route("/<int:council_id>/meetings/new", methods=["GET", "POST"])
@staff_bp.route("/meetings/<int:meeting_id>/edit", methods=["GET", "POST"])
def edit_meeting(
    council_id: int | None = None, meeting_id: int | None = None
) -> ResponseReturnValue:
    meeting = db.session.get(CouncilMeeting, meeting_id) if meeting_id else None
    if meeting_id and meeting is None:
        abort(404)
    item = _council(meeting.council_id if meeting else council_id)
    form = MeetingForm(obj=meeting)
    if not form.is_submitted():
        if meeting:
            form.starts_at.data = utc_to_form(meeting.starts_at)
        elif not item.meetings_open_by_default:
            form.openness.data = MeetingOpenness.CLOSED.value
    if form.validate_on_submit():
        values = {name: form[name].data for name in services.MEETING_FIELDS}
        values["starts_at"] = form_to_utc(values["starts_at"])
        values["openness"] = MeetingOpenness(values["openness"])
        try:
            meeting, warnings = services.save_meeting(current_user, item, meeting, **values)
        except services.CouncilError as error:
            show_error(form, error)
        else:
            flash(_("The meeting has been saved."), "success")
            for warning in warnings:
                flash(warning, "warning")
            return redirect(url_for("councils_staff.meeting", meeting_id=meeting.id))
    return render_template(
        "councils/staff/form.html",
        form=form,
        title=_("Meeting of %(council)s", council=item.tr("name")),
        back=url_for("councils_staff.council", council_id=item.id),
    ), (400 if form.errors else 200)


@staff_bp.route("/meetings/<int:meeting_id>", methods=["GET", "POST"])
def meeting(meeting_id: int) -> ResponseReturnValue:
    item = db.session.get(CouncilMeeting, meeting_id) or abort(404)
    _council(item.council_id)
    form = MinutesForm(obj=item)
    if form.validate_on_submit():
        services.publish_minutes(
            current_user, item, form.minutes_ja.data, form.minutes_en.data or ""
        )
        flash(_("The minutes have been published."), "success")
        return redirect(url_for("councils_staff.meeting", meeting_id=item.id))
    return render_template("councils/staff/meeting.html", meeting=item, form=form), (
        400 if form.errors else 200
    )


# Guidelines ----------------------------------------------------------------------------------


@staff_bp.route("/guidelines", methods=["GET", "POST"])
def guidelines() -> ResponseReturnValue:
    if not oversees_councils(current_user):
        abort(403)
    record = services.get_guidelines()
    form = GuidelinesForm(obj=record)
    if form.validate_on_submit():
        services.update_guidelines(
            current_user, **{name: form[name].data for name in services.GUIDELINE_FIELDS}
        )
        flash(_("The guidelines have been saved."), "success")
        return redirect(url_for("councils_staff.guidelines"))
    db.session.commit()  # the defaults, if they were just made
    return render_template(
        "councils/staff/form.html",
        form=form,
        title=_("Council guidelines"),
        back=url_for("councils_staff.index"),
    ), (400 if form.errors else 200)


# Recruitment calls ---------------------------------------------------------------------------


@staff_bp.route("/<int:council_id>/calls/new", methods=["GET", "POST"])
@staff_bp.route("/calls/<int:call_id>/edit", methods=["GET", "POST"])
def edit_call(council_id: int | None = None, call_id: int | None = None) -> ResponseReturnValue:
    call = _call(call_id) if call_id else None
    item = call.council if call else _council(council_id)
    form = CallForm(obj=call)
    form.initiative_id.choices = choices(plan_services.initiative_choices())
    if not form.is_submitted() and call:
        form.opens_at.data = utc_to_form(call.opens_at)
        form.closes_at.data = utc_to_form(call.closes_at)
    elif not form.is_submitted():
        form.initiative_id.data = services.councils_initiative_id()
    if form.validate_on_submit():
        values = {name: form[name].data for name in services.CALL_FIELDS}
        values["opens_at"] = form_to_utc(values["opens_at"])
        values["closes_at"] = form_to_utc(values["closes_at"])
        values["selection_method"] = SelectionMethod(values["selection_method"])
        try:
            call, warnings = services.save_call(current_user, item, call, **values)
        except services.CouncilError as error:
            show_error(form, error)
        else:
            flash(_("The call has been saved."), "success")
            for warning in warnings:
                flash(warning, "warning")
            return redirect(url_for("councils_staff.call", call_id=call.id))
    return render_template(
        "councils/staff/form.html",
        form=form,
        title=_("Recruitment call for %(council)s", council=item.tr("name")),
        back=url_for("councils_staff.council", council_id=item.id),
    ), (400 if form.errors else 200)


@staff_bp.route("/calls/<int:call_id>")
def call(call_id: int) -> ResponseReturnValue:
    item = _call(call_id)
    ranked = services.ranked_applications(item)
    selection = SelectionForm(prefix="select")
    selection.application_ids.choices = choices(
        (a.id, a.receipt_number) for a, _score, _pos in ranked
    )
    selection.application_ids.data = [a.id for a, _s, _p in ranked[: item.seats]]
    reviewers = ReviewerForm(prefix="reviewer")
    reviewers.reviewer_id.choices = choices(
        (u.id, f"{u.display_name} <{u.email}>")
        for u in db.session.scalars(
            sa.select(User)
            .where(User.role == Role.REVIEWER, User.active.is_(True))
            .order_by(User.id)
        )
    )
    return render_template(
        "councils/staff/call.html",
        call=item,
        ranked=ranked,
        selection=selection,
        reviewer_form=reviewers,
        confirm=ConfirmForm(),
        warnings=services.call_warnings(item),
        now=clock.now(),
    )


@staff_bp.route("/calls/<int:call_id>/publish", methods=["POST"])
def publish_call(call_id: int) -> ResponseReturnValue:
    item = _call(call_id)
    if ConfirmForm().validate_on_submit():
        services.publish_call(current_user, item)
        flash(_("The call is published."), "success")
    return redirect(url_for("councils_staff.call", call_id=item.id))


@staff_bp.route("/calls/<int:call_id>/reviewers", methods=["POST"])
def assign_reviewer(call_id: int) -> ResponseReturnValue:
    item = _call(call_id)
    form = ReviewerForm(prefix="reviewer")
    form.reviewer_id.choices = choices(
        (u.id, u.email)
        for u in db.session.scalars(sa.select(User).where(User.role == Role.REVIEWER))
    )
    if form.validate_on_submit():
        reviewer = db.session.get(User, form.reviewer_id.data)
        services.assign_reviewer(current_user, item, reviewer)
        flash(_("The reviewer has been assigned and told by e-mail."), "success")
    return redirect(url_for("councils_staff.call", call_id=item.id))


@staff_bp.route("/calls/<int:call_id>/commitment", methods=["POST"])
def commit_lottery(call_id: int) -> ResponseReturnValue:
    item = _call(call_id)
    if ConfirmForm().validate_on_submit():
        try:
            services.commit_lottery(current_user, item)
        except services.CouncilError as error:
            flash(str(error), "error")
        else:
            flash(_("The lottery's pool and seed hash have been published."), "success")
    return redirect(url_for("councils_staff.call", call_id=item.id))


@staff_bp.route("/calls/<int:call_id>/lottery", methods=["POST"])
def draw_lottery(call_id: int) -> ResponseReturnValue:
    item = _call(call_id)
    if ConfirmForm().validate_on_submit():
        try:
            services.draw_lottery(current_user, item)
        except services.CouncilError as error:
            flash(str(error), "error")
        else:
            flash(_("The lottery has been drawn and published."), "success")
    return redirect(url_for("councils_staff.call", call_id=item.id))


@staff_bp.route("/calls/<int:call_id>/selection", methods=["POST"])
def select(call_id: int) -> ResponseReturnValue:
    item = _call(call_id)
    form = SelectionForm(prefix="select")
    form.application_ids.choices = choices(
        (a.id, a.receipt_number) for a in db.session.scalars(services.reviewable_applications(item))
    )
    if form.validate_on_submit():
        try:
            members = services.select_applicants(current_user, item, form.application_ids.data)
        except services.CouncilError as error:
            flash(str(error), "error")
        else:
            flash(
                _(
                    "%(count)s applicants have been appointed; every applicant has been told.",
                    count=len(members),
                ),
                "success",
            )
    else:
        flash(_("Choose the applicants to appoint."), "error")
    return redirect(url_for("councils_staff.call", call_id=item.id))


# Oversight dashboard -------------------------------------------------------------------------


@staff_bp.route("/dashboard")
def dashboard() -> ResponseReturnValue:
    if not oversees_councils(current_user):
        abort(403)
    data = oversight.dashboard()
    db.session.commit()
    return render_template("councils/staff/dashboard.html", data=data)


@staff_bp.route("/dashboard.csv")
def dashboard_csv() -> ResponseReturnValue:
    if not oversees_councils(current_user):
        abort(403)
    data = oversight.dashboard()
    header, rows = oversight.dashboard_table(data)
    return csv_response(header, rows, f"councils-{data.day.isoformat()}.csv")


# Reviewers: blind scoring --------------------------------------------------------------------


def _review_call(call_id: int) -> RecruitmentCall:
    item = db.session.get(RecruitmentCall, call_id)
    if item is None or not can_review(current_user, item):
        abort(403)
    return item


@review_bp.route("/calls/<int:call_id>")
def call_for_review(call_id: int) -> ResponseReturnValue:
    item = _review_call(call_id)
    rows = db.session.execute(
        sa.select(Application.id, Application.receipt_number, ReviewScore.total)
        .outerjoin(
            ReviewScore,
            sa.and_(
                ReviewScore.application_id == Application.id,
                ReviewScore.reviewer_id == current_user.id,
            ),
        )
        .where(
            Application.id.in_(
                services.reviewable_applications(item).with_only_columns(Application.id)
            )
        )
        .order_by(Application.number)
    ).all()
    return render_template("councils/review/call.html", call=item, rows=rows)


@review_bp.route("/applications/<int:application_id>", methods=["GET", "POST"])
def score(application_id: int) -> ResponseReturnValue:
    application = db.session.get(Application, application_id) or abort(403)
    item = _review_call(application.call_id)
    existing = db.session.scalar(
        sa.select(ReviewScore).where(
            ReviewScore.application_id == application.id,
            ReviewScore.reviewer_id == current_user.id,
        )
    )
    form = score_form(item.criteria())
    if not form.is_submitted() and existing:
        for field, points in zip(form.criteria_fields, existing.points, strict=False):
            field.data = points
        form.comment.data = existing.comment
    if form.validate_on_submit():
        try:
            services.record_score(
                current_user,
                application,
                [f.data for f in form.criteria_fields],
                form.comment.data or "",
            )
        except services.CouncilError as error:
            flash(str(error), "error")
        else:
            flash(
                _("Your scores for %(number)s have been saved.", number=application.receipt_number),
                "success",
            )
            return redirect(url_for("councils_review.call_for_review", call_id=item.id))
    return render_template(
        "councils/review/score.html", call=item, application=application, form=form
    ), (400 if form.errors else 200)
