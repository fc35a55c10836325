"""Public routes: councils, their meetings, recruitment calls, applying, and lottery data.
No applicant's personal data ever appears here; members' names and categories do (they hold
public office)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.orm import selectinload

from app.core import clock
from app.core.forms import show_error
from app.core.receipts import give_submission_token
from app.core.security import submission_rate_limit
from app.councils import bp, services
from app.councils.eligibility import count_characters
from app.councils.forms import (
    ApplicationForm,
    ConfirmForm,
    ObserverForm,
    WithdrawForm,
    essay_length,
)
from app.councils.lottery import (
    LOTTERY_ALGORITHM,
    LOTTERY_SOURCE,
    seat_numbers,
    withdrawn_numbers,
)
from app.councils.models import (
    Application,
    Council,
    CouncilMeeting,
    Exclusion,
    Gender,
    MeetingOpenness,
    ObserverRegistration,
    RecruitmentCall,
    Residency,
)
from app.extensions import db, limiter
from app.plan.services import initiative_from_query


def _public_call(call_id: int) -> RecruitmentCall:
    call = db.session.get(RecruitmentCall, call_id)
    if call is None or not call.published:
        abort(404)
    return call


@bp.route("/")
def index() -> ResponseReturnValue:
    initiative = initiative_from_query()
    now = clock.now()
    calls = services.public_calls(initiative.id if initiative else None)
    return render_template(
        "councils/index.html",
        councils=services.councils_with_counts(clock.today()),
        open_calls=[c for c in calls if c.closes_at >= now],
        closed_calls=[c for c in calls if c.closes_at < now],
        initiative=initiative,
        now=now,
    )


@bp.route("/<int:council_id>")
def council(council_id: int) -> ResponseReturnValue:
    item = db.session.get(Council, council_id) or abort(404)
    calls = db.session.scalars(
        sa.select(RecruitmentCall)
        .where(RecruitmentCall.council_id == item.id, RecruitmentCall.published.is_(True))
        .order_by(RecruitmentCall.closes_at.desc())
    ).all()
    return render_template(
        "councils/council.html",
        council=item,
        members=services.current_members(item),
        meetings=item.meetings,
        calls=calls,
        now=clock.now(),
    )


@bp.route("/meetings/<int:meeting_id>", methods=["GET", "POST"])
@limiter.limit(submission_rate_limit, methods=["POST"])
def meeting(meeting_id: int) -> ResponseReturnValue:
    item = db.session.get(CouncilMeeting, meeting_id) or abort(404)
    form = ObserverForm()
    give_submission_token(form)
    now = clock.now()
    accepting = (
        item.openness is not MeetingOpenness.CLOSED
        and item.observer_seats > 0
        and item.starts_at > now
    )
    if accepting and form.validate_on_submit():
        try:
            registration = services.register_observer(
                item.id, form.name.data, form.email.data, form.submission_token.data
            )
        except services.CouncilError as error:
            flash(str(error), "error")
        else:
            flash(
                _(
                    "Your observer seat is booked. Your number is %(number)s; we have sent it "
                    "to you by e-mail, with a link to cancel the seat if you cannot come.",
                    number=registration.receipt_number,
                ),
                "success",
            )
            return redirect(url_for("councils.meeting", meeting_id=item.id))
    return render_template(
        "councils/meeting.html",
        meeting=item,
        form=form,
        accepting=accepting,
        seats_left=max(item.observer_seats - services.seats_taken(item), 0),
    )


@bp.route("/observers/<int:registration_id>/cancel/<token>", methods=["GET", "POST"])
def cancel_observer(registration_id: int, token: str) -> ResponseReturnValue:
    """The cancel link of the seat's mail: the token is the key, no account is needed."""
    registration = db.session.get(ObserverRegistration, registration_id)
    if registration is None or not services.check_observer_token(registration, token):
        abort(404)
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            services.cancel_observer(registration.id)
        except services.CouncilError as error:
            flash(str(error), "error")
        else:
            flash(_("Your observer seat has been cancelled. Thank you for telling us."), "success")
        return redirect(url_for("councils.meeting", meeting_id=registration.meeting_id))
    return render_template(
        "councils/cancel_observer.html",
        registration=registration,
        meeting=registration.meeting,
        form=form,
        open_to_cancel=registration.meeting.starts_at > clock.now(),
    )


@bp.route("/calls/<int:call_id>")
def call(call_id: int) -> ResponseReturnValue:
    item = _public_call(call_id)
    return render_template(
        "councils/call.html",
        call=item,
        guidelines=services.get_guidelines(),
        residency=Residency,
        exclusion=Exclusion,
        now=clock.now(),
    )


@bp.route("/calls/<int:call_id>/lottery")
def lottery(call_id: int) -> ResponseReturnValue:
    item = _public_call(call_id)
    if item.lottery_committed_at is None and item.lottery_drawn_at is None:
        abort(404)
    return render_template(
        "councils/lottery.html",
        call=item,
        algorithm=LOTTERY_ALGORITHM,
        source=LOTTERY_SOURCE,
        withdrawn=withdrawn_numbers(item),
        seats=set(seat_numbers(item)),
    )


@bp.route("/calls/<int:call_id>/apply", methods=["GET", "POST"])
@login_required
@limiter.limit(submission_rate_limit, methods=["POST"])
def apply(call_id: int) -> ResponseReturnValue:
    item = _public_call(call_id)
    if not item.is_open(clock.now()):
        flash(_("This call is not open for applications."), "error")
        return redirect(url_for("councils.call", call_id=item.id))
    form = ApplicationForm()
    if not form.is_submitted():
        form.email.data = current_user.email
    if form.validate_on_submit(extra_validators={"essay": [essay_length(item)]}):
        declared = [
            name for name in ("city_employee", "assembly_member") if getattr(form, name).data
        ]
        try:
            application = services.submit_application(
                current_user,
                item.id,
                name=form.name.data,
                kana=form.kana.data,
                address=form.address.data,
                birth_date=form.birth_date.data,
                gender=Gender(form.gender.data) if form.gender.data else None,
                phone=form.phone.data,
                email=form.email.data,
                residency=Residency(form.residency.data),
                occupation=form.occupation.data or "",
                experience=form.experience.data or "",
                motivation=form.motivation.data,
                essay=form.essay.data,
                declared_exclusions=declared,
            )
        except services.CouncilError as error:
            if not show_error(form, error):
                return redirect(url_for("councils.call", call_id=item.id))
        else:
            flash(
                _(
                    "Your application has been received. Your receipt number is %(number)s; "
                    "we have sent it to you by e-mail.",
                    number=application.receipt_number,
                ),
                "success",
            )
            return redirect(url_for("councils.my_application", application_id=application.id))
    return render_template(
        "councils/apply.html",
        call=item,
        form=form,
        essay_count=count_characters(form.essay.data),
    )


@bp.route("/applications")
@login_required
def my_applications() -> ResponseReturnValue:
    applications = db.session.scalars(
        sa.select(Application)
        .where(Application.user_id == current_user.id)
        .options(selectinload(Application.call).selectinload(RecruitmentCall.council))
        .order_by(Application.id.desc())
    ).all()
    return render_template("councils/my_applications.html", applications=applications)


@bp.route("/applications/<int:application_id>")
@login_required
def my_application(application_id: int) -> ResponseReturnValue:
    application = db.session.get(Application, application_id)
    if application is None or application.user_id != current_user.id:
        abort(404)
    return render_template(
        "councils/my_application.html", application=application, withdraw_form=WithdrawForm()
    )


@bp.route("/applications/<int:application_id>/withdraw", methods=["POST"])
@login_required
def withdraw(application_id: int) -> ResponseReturnValue:
    form = WithdrawForm()
    if not form.validate_on_submit():
        flash(_("Give a reason for withdrawing."), "error")
    else:
        try:
            services.withdraw_application(current_user, application_id, form.reason.data)
        except services.CouncilError as error:
            flash(str(error), "error")
        else:
            flash(_("Your application has been withdrawn. It is kept on record."), "success")
    return redirect(url_for("councils.my_application", application_id=application_id))
