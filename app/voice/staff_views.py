"""Staff routes of 市民の声 (the blueprint is guarded by is_staff in __init__.py).

広聴課 sees every voice, routes it, marks duplicates and repeats, approves answers and
publishes; a division sees only the voices routed to it (on a route not ended) and drafts the
answer. Each view loads the voice, checks app.voice.permissions, then acts through services;
a refusal goes back beside its field with what was typed, a missing right is a 403.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import time
from typing import Any

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import selectinload

from app.core import clock
from app.core.forms import choices, show_error
from app.core.i18n import jst_to_utc
from app.core.receipts import give_submission_token
from app.core.security import mark_personal_data
from app.core.uploads import serve_upload
from app.extensions import db
from app.plan import services as plan_services
from app.plan.models import Ward
from app.voice import services, staff_bp
from app.voice.forms import voice_input
from app.voice.models import (
    OPEN_STATUSES,
    AnswerState,
    AnswerTemplate,
    Reflection,
    ReplyBy,
    ResponseKind,
    Voice,
    VoiceAnswer,
    VoiceChannel,
    VoiceKind,
    VoiceRoute,
    VoiceStatus,
)
from app.voice.permissions import can_approve, can_handle, is_coordinator, is_mayor_office
from app.voice.staff_forms import (
    AnswerForm,
    ApproveForm,
    ClassifyForm,
    DuplicateForm,
    FollowUpForm,
    InboxFilterForm,
    InterimForm,
    PublishForm,
    RepeatForm,
    ReturnForm,
    RouteForm,
    TemplateForm,
    VoiceEntryForm,
    WithdrawForm,
)

INBOX_PER_PAGE = 50


# Loading and rights ------------------------------------------------------------------------


def _voice(voice_id: int) -> Voice:
    """The voice with everything its page shows, for 広聴課 and the divisions it is routed to;
    another division gets 403 (it may not even handle the voice, let alone read the sender)."""
    voice = db.session.scalar(
        sa.select(Voice)
        .where(Voice.id == voice_id)
        .options(
            selectinload(Voice.routes),
            selectinload(Voice.answers),
            selectinload(Voice.interims),
            selectinload(Voice.follow_ups),
            selectinload(Voice.publications),
            selectinload(Voice.department),
            selectinload(Voice.initiative),
            selectinload(Voice.topic_initiative),
            selectinload(Voice.ward),
            selectinload(Voice.attachment),
        )
    )
    if voice is None:
        abort(404)
    if not can_handle(current_user, voice, services.routed_department_ids(voice)):
        abort(403)
    return voice


def _require_coordinator() -> None:
    if not is_coordinator(current_user):
        abort(403)


def _may_draft(user: Any, voice: Voice) -> bool:
    """The lead division (the voice's department once routed) drafts; 広聴課 may too."""
    return is_coordinator(user) or user.department_id == voice.department_id


def _optional_id(value: int | None) -> int | None:
    return value or None


# The inbox -------------------------------------------------------------------------------


def _routed_to(department_id: int) -> Any:
    return sa.exists().where(
        VoiceRoute.voice_id == Voice.id,
        VoiceRoute.department_id == department_id,
        VoiceRoute.ended_at.is_(None),
    )


@staff_bp.route("/")
def inbox() -> ResponseReturnValue:
    coordinator = is_coordinator(current_user)
    form = InboxFilterForm(request.args)
    departments = plan_services.department_choices() if coordinator else []
    form.department.choices = choices([("", _("All divisions")), *departments])
    form.validate()
    answer_due = sa.func.coalesce(Voice.expected_on, Voice.due_on)
    today = clock.today()
    stmt = sa.select(Voice).options(selectinload(Voice.department), selectinload(Voice.routes))
    status = form.status.data if not form.status.errors else ""
    if status:
        stmt = stmt.where(Voice.status == VoiceStatus(status))
    else:
        stmt = stmt.where(Voice.status.in_(OPEN_STATUSES))
    if not coordinator:
        mine = _routed_to(current_user.department_id)
        if is_mayor_office(current_user):
            mine = sa.or_(mine, Voice.to_mayor.is_(True))
        stmt = stmt.where(mine)
    elif form.department.data and not form.department.errors:
        stmt = stmt.where(_routed_to(form.department.data))
    if form.overdue.data:
        # As Voice.overdue: open, answerable, and past the date the sender was told.
        stmt = stmt.where(
            Voice.status.in_(OPEN_STATUSES),
            Voice.reply_by != ReplyBy.NONE,
            answer_due < today,
        )
    if form.kind.data and not form.kind.errors:
        stmt = stmt.where(Voice.kind == VoiceKind(form.kind.data))
    if form.channel.data and not form.channel.errors:
        stmt = stmt.where(Voice.channel == VoiceChannel(form.channel.data))
    stmt = stmt.order_by(answer_due, Voice.id)
    page = db.paginate(stmt, per_page=INBOX_PER_PAGE, error_out=False)
    return render_template(
        "voice/staff/inbox.html",
        page=page,
        voices=page.items,
        form=form,
        coordinator=coordinator,
        today=today,
    )


# Staff entry -------------------------------------------------------------------------------


def _offer_choices(form: Any) -> None:
    """The choices a form takes from the database (departments, initiatives, wards)."""
    if isinstance(form, VoiceEntryForm):
        form.topic_initiative_id.choices = choices(
            [("", _("Not given")), *plan_services.initiative_choices()]
        )
        wards = plan_services.ward_choices()
        form.ward_id.choices = choices([("", _("City-wide or not given")), *wards])
        form.sender_ward_id.choices = choices([("", _("Not given")), *wards])
    elif isinstance(form, RouteForm):
        departments = plan_services.department_choices()
        form.department_ids.choices = choices(departments)
        form.lead_id.choices = choices([("", _("Choose the lead division")), *departments])
    elif isinstance(form, ClassifyForm):
        form.initiative_id.choices = choices(plan_services.initiative_choices())
        form.ward_id.choices = choices(
            [("", _("City-wide or not given")), *plan_services.ward_choices()]
        )


@staff_bp.route("/new", methods=["GET", "POST"])
def enter() -> ResponseReturnValue:
    """A letter, a call, a visit, an e-mail, a fax or the mayor's dialogue, typed by staff."""
    form = VoiceEntryForm()
    _offer_choices(form)
    give_submission_token(form)
    if not form.is_submitted():
        form.received_on.data = clock.today()
    if form.validate_on_submit():
        day = form.received_on.data
        # Today's entry is received now; an earlier day counts as received during that day.
        received_at = clock.now() if day == clock.today() else jst_to_utc(day, time(12, 0))
        data = voice_input(form)
        try:
            voice, _created = services.submit_voice(
                data,
                form.submission_token.data,
                channel=VoiceChannel(form.channel.data),
                entered_by=current_user,
                received_at=received_at,
            )
        except services.VoicePermissionError:
            db.session.rollback()
            raise  # a 403, not a message beside a field
        except services.VoiceError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            flash(_("Voice %(code)s has been entered.", code=voice.receipt_code), "success")
            if can_handle(current_user, voice, services.routed_department_ids(voice)):
                return redirect(url_for("voice_staff.voice", voice_id=voice.id))
            return redirect(url_for("voice_staff.inbox"))
    return render_template("voice/staff/enter.html", form=form)


# The voice page ----------------------------------------------------------------------------


def _related(voice: Voice) -> list[Any]:
    """The voices this one is a duplicate or repeat of, and those marked as its own (one
    statement): 広聴課 and the division answer them together."""
    linked = [i for i in (voice.duplicate_of_id, voice.repeat_of_id) if i]
    return list(
        db.session.execute(
            sa.select(
                Voice.id,
                Voice.receipt_code,
                Voice.title,
                Voice.status,
                Voice.duplicate_of_id,
                Voice.repeat_of_id,
            )
            .where(
                sa.or_(
                    Voice.duplicate_of_id == voice.id,
                    Voice.repeat_of_id == voice.id,
                    Voice.id.in_(linked),
                )
            )
            .order_by(Voice.id)
        ).mappings()
    )


def _voice_page(voice: Voice, posted: tuple[str, Any] | None = None) -> str:
    """The staff page of a voice; `posted` is (name, form) of a step sent back with its errors
    beside its fields and what was typed, in place of the blank one."""
    mark_personal_data()
    coordinator = is_coordinator(current_user)
    forms: dict[str, Any] = {}
    if coordinator:
        lead = [r.department_id for r in voice.routes if r.lead and r.ended_at is None]
        routed = [r.department_id for r in voice.routes if r.ended_at is None]
        forms["route"] = RouteForm(
            prefix="route",
            formdata=None,
            data={"department_ids": routed, "lead_id": lead[0] if lead else None},
        )
        forms["classify"] = ClassifyForm(
            prefix="classify",
            formdata=None,
            data={
                "kind": voice.kind.value,
                "initiative_id": voice.initiative_id,
                "ward_id": voice.ward_id,
                "to_mayor": voice.to_mayor,
            },
        )
        forms["duplicate"] = DuplicateForm(prefix="duplicate", formdata=None)
        forms["repeat"] = RepeatForm(prefix="repeat", formdata=None)
        forms["withdraw"] = WithdrawForm(prefix="withdraw", formdata=None)
    forms["interim"] = InterimForm(prefix="interim", formdata=None)
    forms["follow_up"] = FollowUpForm(
        prefix="follow_up",
        formdata=None,
        data={
            "noted_on": clock.today(),
            "reflection": (voice.reflection or Reflection.PLANNED).value,
        },
    )
    forms["approve"] = ApproveForm(prefix="approve", formdata=None)
    forms["return"] = ReturnForm(prefix="return", formdata=None)
    if posted is not None:
        forms[posted[0]] = posted[1]
    for form in forms.values():
        _offer_choices(form)
    submitted = next((a for a in voice.answers if a.state == AnswerState.SUBMITTED), None)
    today = clock.today()
    return render_template(
        "voice/staff/voice.html",
        voice=voice,
        forms=forms,
        coordinator=coordinator,
        may_draft=_may_draft(current_user, voice),
        may_approve=submitted is not None and can_approve(current_user, voice),
        submitted=submitted,
        related=_related(voice),
        sender_ward=db.session.get(Ward, voice.sender_ward_id) if voice.sender_ward_id else None,
        today=today,
        VoiceStatus=VoiceStatus,
        AnswerState=AnswerState,
    )


@staff_bp.route("/<int:voice_id>")
def voice(voice_id: int) -> ResponseReturnValue:
    return _voice_page(_voice(voice_id))


@staff_bp.route("/<int:voice_id>/attachment")
def attachment(voice_id: int) -> ResponseReturnValue:
    item = _voice(voice_id)
    if item.attachment is None:
        abort(404)
    return serve_upload(item.attachment)


def _step(
    voice_id: int,
    name: str,
    form_class: type,
    allowed: Callable[[Any, Voice], bool],
    act: Callable[[Voice, Any], None],
    success: str,
    fallback: str | None = None,
) -> ResponseReturnValue:
    """One small form of the voice page: check the right (403), validate, act through the
    service; a refusal is shown beside its field (`fallback` when it names none of this form's)
    on the voice page, with what was typed."""
    item = _voice(voice_id)
    if not allowed(current_user, item):
        abort(403)
    form = form_class(prefix=name)
    _offer_choices(form)
    if not form.validate_on_submit():
        return _voice_page(item, (name, form))
    try:
        act(item, form)
    except services.VoicePermissionError:
        db.session.rollback()
        raise  # a 403, not a message beside a field
    except services.VoiceError as error:
        db.session.rollback()
        show_error(form, error, fallback)
        return _voice_page(_voice(voice_id), (name, form))
    flash(success, "success")
    return redirect(url_for("voice_staff.voice", voice_id=voice_id))


def _coordinator(user: Any, _voice: Voice) -> bool:
    return is_coordinator(user)


def _handler(user: Any, _voice: Voice) -> bool:
    return True  # _voice() has checked can_handle already


@staff_bp.route("/<int:voice_id>/route", methods=["POST"])
def route(voice_id: int) -> ResponseReturnValue:
    return _step(
        voice_id,
        "route",
        RouteForm,
        _coordinator,
        lambda v, f: services.route(
            current_user, v, list(f.department_ids.data), f.lead_id.data, f.note.data or ""
        ),
        _("The voice has been routed; the divisions have been told."),
        fallback="department_ids",
    )


@staff_bp.route("/<int:voice_id>/classify", methods=["POST"])
def classify(voice_id: int) -> ResponseReturnValue:
    return _step(
        voice_id,
        "classify",
        ClassifyForm,
        _coordinator,
        lambda v, f: services.set_classification(
            current_user,
            v,
            VoiceKind(f.kind.data),
            f.initiative_id.data,
            _optional_id(f.ward_id.data),
            bool(f.to_mayor.data),
        ),
        _("The classification has been saved."),
        fallback="kind",
    )


def _other_voice(form: Any, voice: Voice) -> Voice:
    """The voice a receipt number names; a refusal beside the field when there is none."""
    other = services.voice_by_receipt(form.receipt_code.data.strip().upper())
    if other is None:
        raise services.VoiceError(_("No voice has this receipt number."), field="receipt_code")
    if other.id == voice.id:
        raise services.VoiceError(
            _("This is the receipt number of this voice itself."), field="receipt_code"
        )
    return other


@staff_bp.route("/<int:voice_id>/duplicate", methods=["POST"])
def duplicate(voice_id: int) -> ResponseReturnValue:
    return _step(
        voice_id,
        "duplicate",
        DuplicateForm,
        _coordinator,
        lambda v, f: services.mark_duplicate(current_user, v, _other_voice(f, v), f.reason.data),
        _("The voice has been marked as a duplicate and closed."),
        fallback="receipt_code",
    )


@staff_bp.route("/<int:voice_id>/repeat", methods=["POST"])
def repeat(voice_id: int) -> ResponseReturnValue:
    return _step(
        voice_id,
        "repeat",
        RepeatForm,
        _coordinator,
        lambda v, f: services.mark_repeat(current_user, v, _other_voice(f, v)),
        _("The voice has been linked to the earlier voice of the same sender."),
        fallback="receipt_code",
    )


@staff_bp.route("/<int:voice_id>/interim", methods=["POST"])
def interim(voice_id: int) -> ResponseReturnValue:
    return _step(
        voice_id,
        "interim",
        InterimForm,
        _may_draft,
        lambda v, f: services.send_interim(current_user, v, f.reason.data, f.expected_on.data),
        _("The interim answer has been sent to the sender."),
        fallback="reason",
    )


@staff_bp.route("/<int:voice_id>/follow-up", methods=["POST"])
def follow_up(voice_id: int) -> ResponseReturnValue:
    return _step(
        voice_id,
        "follow_up",
        FollowUpForm,
        _handler,
        lambda v, f: services.record_follow_up(
            current_user, v, Reflection(f.reflection.data), f.note.data, f.noted_on.data
        ),
        _("The reflection status has been updated."),
        fallback="note",
    )


@staff_bp.route("/<int:voice_id>/withdraw", methods=["POST"])
def withdraw(voice_id: int) -> ResponseReturnValue:
    return _step(
        voice_id,
        "withdraw",
        WithdrawForm,
        _coordinator,
        lambda v, f: services.withdraw(current_user, v, f.reason.data),
        _("The publication has been withdrawn. It can be published again corrected."),
        fallback="reason",
    )


# Answers -------------------------------------------------------------------------------------


def _templates_for(user: Any) -> list[AnswerTemplate]:
    """Answer templates offered to a user: everyone's (no division) and the division's own;
    広聴課 sees them all."""
    stmt = sa.select(AnswerTemplate).order_by(AnswerTemplate.title, AnswerTemplate.id)
    if not is_coordinator(user):
        stmt = stmt.where(
            sa.or_(
                AnswerTemplate.department_id.is_(None),
                AnswerTemplate.department_id == user.department_id,
            )
        )
    return list(db.session.scalars(stmt))


@staff_bp.route("/<int:voice_id>/answer", methods=["GET", "POST"])
def answer(voice_id: int) -> ResponseReturnValue:
    """The lead division's draft, with a template picker that works without JavaScript: the
    picker is a GET form, and ?template=<id> fills the text (and the kind it suggests)."""
    item = _voice(voice_id)
    if not _may_draft(current_user, item):
        abort(403)
    mark_personal_data()
    templates = _templates_for(current_user)
    draft = next(
        (a for a in reversed(item.answers) if a.state in (AnswerState.DRAFT, AnswerState.RETURNED)),
        None,
    )
    form = AnswerForm()
    chosen = None
    if not form.is_submitted():
        if draft is not None:
            form.body.data = draft.body
            form.response_kind.data = draft.response_kind.value
            form.reflection.data = draft.reflection.value if draft.reflection else ""
        template_id = request.args.get("template", type=int)
        if template_id:
            chosen = next((t for t in templates if t.id == template_id), None)
            if chosen is None:
                abort(404)
            form.body.data = chosen.body
            if chosen.response_kind:
                form.response_kind.data = chosen.response_kind.value
    elif form.validate_on_submit():
        submit = "submit_for_approval" in request.form
        try:
            services.draft_answer(
                current_user,
                item,
                form.body.data,
                ResponseKind(form.response_kind.data),
                Reflection(form.reflection.data) if form.reflection.data else None,
                submit=submit,
            )
        except services.VoicePermissionError:
            db.session.rollback()
            raise  # a 403, not a message beside a field
        except services.VoiceError as error:
            db.session.rollback()
            show_error(form, error, "body")
            item = _voice(voice_id)
        else:
            flash(
                _("The answer has been sent for approval.")
                if submit
                else _("The draft answer has been saved."),
                "success",
            )
            return redirect(url_for("voice_staff.voice", voice_id=voice_id))
    return render_template(
        "voice/staff/answer.html",
        voice=item,
        form=form,
        templates=templates,
        chosen=chosen,
        draft=draft,
    )


def _answer(answer_id: int) -> tuple[VoiceAnswer, Voice]:
    found = db.session.get(VoiceAnswer, answer_id) or abort(404)
    item = _voice(found.voice_id)
    if not can_approve(current_user, item):
        abort(403)
    return found, item


@staff_bp.route("/answers/<int:answer_id>/approve", methods=["POST"])
def approve(answer_id: int) -> ResponseReturnValue:
    found, item = _answer(answer_id)
    form = ApproveForm(prefix="approve")
    if not form.validate_on_submit():
        return _voice_page(item, ("approve", form))
    try:
        services.approve_answer(current_user, found, form.note.data or "")
    except services.VoicePermissionError:
        db.session.rollback()
        raise  # a 403, not a message beside a field
    except services.VoiceError as error:
        db.session.rollback()
        show_error(form, error, "note")
        return _voice_page(_voice(item.id), ("approve", form))
    flash(_("The answer has been approved and sent."), "success")
    return redirect(url_for("voice_staff.voice", voice_id=item.id))


@staff_bp.route("/answers/<int:answer_id>/return", methods=["POST"])
def return_answer(answer_id: int) -> ResponseReturnValue:
    found, item = _answer(answer_id)
    form = ReturnForm(prefix="return")
    if not form.validate_on_submit():
        return _voice_page(item, ("return", form))
    try:
        services.return_answer(current_user, found, form.note.data)
    except services.VoicePermissionError:
        db.session.rollback()
        raise  # a 403, not a message beside a field
    except services.VoiceError as error:
        db.session.rollback()
        show_error(form, error, "note")
        return _voice_page(_voice(item.id), ("return", form))
    flash(_("The answer has been returned to the division with your note."), "success")
    return redirect(url_for("voice_staff.voice", voice_id=item.id))


@staff_bp.route("/<int:voice_id>/letter")
def letter(voice_id: int) -> ResponseReturnValue:
    """The answer as a letter to print and post, for a sender who asked for an answer by post."""
    item = _voice(voice_id)
    if not item.answer_body or item.anonymous:
        abort(404)
    mark_personal_data()
    return render_template("voice/staff/letter.html", voice=item)


# Publication -------------------------------------------------------------------------------


@staff_bp.route("/<int:voice_id>/publish", methods=["GET", "POST"])
def publish(voice_id: int) -> ResponseReturnValue:
    """広聴課 writes what the public reads: its own title and summary, and the city's view
    (prefilled from the answer); the sender's words are beside it for reference only."""
    _require_coordinator()
    item = _voice(voice_id)
    mark_personal_data()
    last = item.publications[-1] if item.publications else None
    form = PublishForm(
        data=None
        if request.method == "POST"
        else {
            "public_title": last.public_title if last else "",
            "public_summary": last.public_summary if last else "",
            "public_view": last.public_view if last else item.answer_body,
        }
    )
    if form.validate_on_submit():
        try:
            services.publish(
                current_user,
                item,
                form.public_title.data,
                form.public_summary.data,
                form.public_view.data,
            )
        except services.VoicePermissionError:
            db.session.rollback()
            raise  # a 403, not a message beside a field
        except services.VoiceError as error:
            db.session.rollback()
            show_error(form, error, "public_summary")
            item = _voice(voice_id)
        else:
            flash(_("The voice has been published."), "success")
            return redirect(url_for("voice_staff.voice", voice_id=voice_id))
    return render_template("voice/staff/publish.html", voice=item, form=form)


# Answer templates ----------------------------------------------------------------------------


def _may_edit_template(user: Any, template: AnswerTemplate) -> bool:
    if is_coordinator(user):
        return True
    return template.department_id is not None and template.department_id == user.department_id


@staff_bp.route("/templates", methods=["GET", "POST"])
@staff_bp.route("/templates/<int:template_id>", methods=["GET", "POST"], endpoint="template")
def templates(template_id: int | None = None) -> ResponseReturnValue:
    """A division keeps its own answer templates; 広聴課's may be offered to every division."""
    current = None
    if template_id is not None:
        current = db.session.get(AnswerTemplate, template_id) or abort(404)
        if not _may_edit_template(current_user, current):
            abort(403)
    coordinator = is_coordinator(current_user)
    if current_user.department_id is None and not coordinator:
        abort(403)
    data = None
    if current is not None and request.method == "GET":
        data = {
            "title": current.title,
            "body": current.body,
            "response_kind": current.response_kind.value if current.response_kind else "",
            "for_all": current.department_id is None,
        }
    form = TemplateForm(data=data)
    if not coordinator:
        del form.for_all  # a division's templates are its own
    if form.validate_on_submit():
        for_all = coordinator and form.for_all.data
        try:
            saved = services.save_template(
                current_user,
                current,
                title=form.title.data,
                body=form.body.data,
                response_kind=ResponseKind(form.response_kind.data)
                if form.response_kind.data
                else None,
                department_id=None if for_all else current_user.department_id,
            )
        except services.VoicePermissionError:
            db.session.rollback()
            raise  # a 403, not a message beside a field
        except services.VoiceError as error:
            db.session.rollback()
            show_error(form, error, "body")
        else:
            flash(_("The answer template has been saved."), "success")
            return redirect(url_for("voice_staff.template", template_id=saved.id))
    return render_template(
        "voice/staff/templates.html",
        form=form,
        current=current,
        templates=_templates_for(current_user),
        may_edit=lambda t: _may_edit_template(current_user, t),
    )
