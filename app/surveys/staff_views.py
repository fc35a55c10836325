"""Staff routes of surveys and the citizens' panel (the blueprint is guarded by is_staff in
__init__.py).

A division drafts its surveys (settings and questions), previews them as a respondent sees them
and sends them to 広聴課, which approves or returns them with a note, as for public comment.
After the close the division publishes the results with 「その後」 and redacts the free-text
answers it publishes. 広聴課 runs the panel: a term, the resident list imported from the
register, the published seed, the draw, the invitation letters, the balance and the members.

Each view loads its objects, checks app.surveys.permissions (403 otherwise), then acts through
services; a refusal goes back beside its field with what was typed, never a 500.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import contains_eager, selectinload

from app.consultations.models import Consultation, Registration
from app.consultations.models import Session as ConsultationSession
from app.core import clock
from app.core.forms import choices, show_error
from app.core.i18n import current_language, format_datetime, jst_to_utc, to_jst
from app.core.security import mark_personal_data
from app.core.urls import public_url
from app.extensions import db
from app.plan import services as plan_services
from app.plan.models import Ward
from app.surveys import services, staff_bp
from app.surveys.forms import answer_form, field_name, scale_labels
from app.surveys.models import (
    CHOICE_KINDS,
    SUPPRESS_UNDER,
    SURVEY_INITIATIVE,
    Answer,
    Audience,
    Invitation,
    MemberState,
    PanelMember,
    PanelTerm,
    Question,
    QuestionKind,
    Resident,
    Response,
    Survey,
    SurveyKind,
    SurveyStatus,
    favourable_answer,
    survey_session,
)
from app.surveys.permissions import can_manage, is_coordinator
from app.surveys.staff_forms import (
    AfterwardsForm,
    ConfirmForm,
    ImportForm,
    LeaveForm,
    QuestionForm,
    RedactForm,
    ReviewForm,
    SeedForm,
    SurveyForm,
    TermForm,
    paired,
)

ANSWERS_PER_PAGE = 50
MEMBERS_PER_PAGE = 100
LETTERS_PER_PAGE = 500  # letters printed at once: a print run the browser still handles
SESSIONS_OFFERED = 300  # the sessions a participants' survey may follow, most recent first
IMPORT_MAX_BYTES = 20 * 1024 * 1024  # a city's register extract of 18+ residents fits easily
FREE_TEXT_KINDS = (QuestionKind.SHORT_TEXT, QuestionKind.LONG_TEXT)


# Loading and rights ------------------------------------------------------------------------


def _survey(survey_id: int) -> Survey:
    """The survey with its questions, for the division that owns it, 広聴課 and admins."""
    survey = db.session.scalar(
        sa.select(Survey)
        .where(Survey.id == survey_id)
        .options(
            selectinload(Survey.questions),
            selectinload(Survey.department),
            selectinload(Survey.initiative),
            selectinload(Survey.panel_term),
        )
    )
    if survey is None:
        abort(404)
    if not can_manage(current_user, survey):
        abort(403)
    return survey


def _require_coordinator() -> None:
    if not is_coordinator(current_user):
        abort(403)


def _term(term_id: int) -> PanelTerm:
    _require_coordinator()
    return db.session.get(PanelTerm, term_id) or abort(404)


# The services name the model's fields; these forms type some of them in other inputs.
FIELD_ALIASES = {
    "opens_at": "opens_on",
    "closes_at": "closes_on",
    "options": "options_ja",
    "rows": "rows_ja",
    "condition_question_id": "condition",
    "condition_options": "condition",
    "csv": "file",
}


def _refused(form: Any, error: services.SurveyError, fallback: str | None = None) -> bool:
    """A service's refusal beside its field with what was typed (flashed when the form has no
    such field); a missing right stays a 403. Returns True when it went beside a field."""
    db.session.rollback()
    if isinstance(error, services.SurveyPermissionError):
        raise error
    if error.field in FIELD_ALIASES:
        error = services.SurveyError(str(error), FIELD_ALIASES[error.field])
    return show_error(form, error, fallback)


def _flash_refusal(error: services.SurveyError) -> None:
    db.session.rollback()
    if isinstance(error, services.SurveyPermissionError):
        raise error
    flash(str(error), "error")


# The list ----------------------------------------------------------------------------------


@staff_bp.route("/")
def index() -> ResponseReturnValue:
    """The division's surveys (広聴課: every division's, those waiting for its review first),
    with their answers counted in the same statement."""
    coordinator = is_coordinator(current_user)
    answered = (
        sa.select(sa.func.count(Response.id))
        .where(Response.survey_id == Survey.id, Response.hidden_reason == "")
        .correlate(Survey)
        .scalar_subquery()
    )
    stmt = (
        sa.select(Survey, answered.label("answered"))
        .where(Survey.kind == SurveyKind.SURVEY)
        .options(selectinload(Survey.department))
    )
    if not coordinator:
        stmt = stmt.where(Survey.department_id == current_user.department_id)
    if coordinator:
        stmt = stmt.order_by(sa.case((Survey.status == SurveyStatus.IN_REVIEW, 0), else_=1))
    stmt = stmt.order_by(Survey.opens_at.desc(), Survey.id.desc())
    rows = db.session.execute(stmt).all()
    return render_template(
        "surveys/staff/index.html",
        rows=rows,
        coordinator=coordinator,
        now=clock.now(),
        SurveyStatus=SurveyStatus,
    )


# Settings ----------------------------------------------------------------------------------


def _session_choices() -> list[tuple[int, str]]:
    """Sessions of the last year and to come, for a participants' survey (one statement)."""
    since = clock.now() - timedelta(days=366)
    rows = db.session.execute(
        sa.select(ConsultationSession, Consultation)
        .join(Consultation, Consultation.id == ConsultationSession.consultation_id)
        .where(ConsultationSession.starts_at >= since, ConsultationSession.cancelled_at.is_(None))
        .order_by(ConsultationSession.starts_at.desc())
        .limit(SESSIONS_OFFERED)
    ).all()
    return [
        (
            session.id,
            f"{format_datetime(session.starts_at)} {consultation.tr('title')}"
            + (f" {session.tr('title')}" if session.title_ja else ""),
        )
        for session, consultation in rows
    ]


def _new_survey_form() -> SurveyForm:
    data = None
    if request.method == "GET":
        data = {
            "department_id": current_user.department_id,
            "initiative_id": plan_services.initiative_id(SURVEY_INITIATIVE),
        }
    form = SurveyForm(data=data) if data else SurveyForm()
    _offer_survey_choices(form)
    return form


def _survey_fields(form: SurveyForm) -> dict[str, Any]:
    audience = Audience(form.audience.data)
    return {
        "title_ja": form.title_ja.data,
        "title_en": form.title_en.data or "",
        "purpose_ja": form.purpose_ja.data or "",
        "purpose_en": form.purpose_en.data or "",
        "department_id": form.department_id.data,
        "initiative_id": form.initiative_id.data,
        "audience": audience,
        # A term and sessions only for the audience that uses them: a panel term left chosen
        # on a survey for anyone would send it to the panel.
        "panel_term_id": form.panel_term_id.data if audience == Audience.PANEL else None,
        "session_ids": list(form.session_ids.data or [])
        if audience == Audience.PARTICIPANTS
        else [],
        "opens_at": jst_to_utc(form.opens_on.data, form.opens_time.data.replace(second=0)),
        "closes_at": jst_to_utc(form.closes_on.data, form.closes_time.data.replace(second=0)),
        "anonymous": bool(form.anonymous.data),
    }


@staff_bp.route("/new", methods=["GET", "POST"])
def new() -> ResponseReturnValue:
    if current_user.department_id is None and not is_coordinator(current_user):
        abort(403)
    form = _new_survey_form()
    if form.validate_on_submit():
        try:
            survey = services.save_survey(current_user, None, **_survey_fields(form))
        except services.SurveyError as error:
            _refused(form, error, "title_ja")
        else:
            flash(_("The draft survey has been saved. Add its questions."), "success")
            return redirect(url_for("surveys_staff.edit", survey_id=survey.id) + "#questions")
    return render_template("surveys/staff/settings.html", form=form, survey=None)


def _condition_choices(survey: Survey, before: Question | None) -> list[tuple[str, str]]:
    """The options of every choice question asked before `before` (all, for a new question),
    as "<question id>:<option index>": a condition may only look back."""
    offered: list[tuple[str, str]] = []
    english = current_language() == "en"
    for number, question in enumerate(survey.questions, start=1):
        if before is not None and question.position >= before.position:
            break
        if question.kind not in CHOICE_KINDS:
            continue
        for index, option in enumerate(question.options):
            label = option.get("en") if english and option.get("en") else option.get("ja")
            offered.append((f"{question.id}:{index}", f"{_('Q%(n)d', n=number)} {label}"))
    return offered


def _question_form(survey: Survey, question: Question | None, prefix: str = "") -> QuestionForm:
    data = None
    if question is not None and request.method == "GET":
        data = {
            "kind": question.kind.value,
            "text_ja": question.text_ja,
            "text_en": question.text_en,
            "help_ja": question.help_ja,
            "help_en": question.help_en,
            "options_ja": "\n".join(o.get("ja", "") for o in question.options),
            "options_en": "\n".join(o.get("en", "") for o in question.options)
            if any(o.get("en") for o in question.options)
            else "",
            "rows_ja": "\n".join(r.get("ja", "") for r in question.rows),
            "rows_en": "\n".join(r.get("en", "") for r in question.rows)
            if any(r.get("en") for r in question.rows)
            else "",
            "allow_other": question.allow_other,
            "required": question.required,
            "condition": [
                f"{question.condition_question_id}:{i}" for i in question.condition_options
            ]
            if question.condition_question_id
            else [],
        }
    form = QuestionForm(prefix=prefix, data=data) if data else QuestionForm(prefix=prefix)
    form.condition.choices = choices(_condition_choices(survey, question))
    return form


def _question_fields(form: QuestionForm) -> dict[str, Any]:
    kind = QuestionKind(form.kind.data)
    is_choice = kind in CHOICE_KINDS
    return {
        "kind": kind,
        "text_ja": form.text_ja.data,
        "text_en": form.text_en.data or "",
        "help_ja": form.help_ja.data or "",
        "help_en": form.help_en.data or "",
        # Options and rows typed for another kind are not kept: they would be asked nowhere.
        "options": paired(form.options_ja.data, form.options_en.data) if is_choice else [],
        "rows": paired(form.rows_ja.data, form.rows_en.data) if kind == QuestionKind.MATRIX else [],
        "allow_other": bool(form.allow_other.data) and is_choice,
        "required": bool(form.required.data),
        **form.condition_fields(),
    }


def _survey_page(survey: Survey, posted: dict[str, Any] | None = None) -> str:
    """The survey's page: its settings and questions editor while a draft, the review while in
    review, the results' publication after the close. `posted` holds forms sent back with
    their errors and what was typed, in place of blank ones."""
    posted = posted or {}
    coordinator = is_coordinator(current_user)
    draft = survey.status == SurveyStatus.DRAFT
    forms: dict[str, Any] = {
        "confirm": ConfirmForm(formdata=None),
        "review": ReviewForm(prefix="review", formdata=None),
        "afterwards": AfterwardsForm(
            prefix="afterwards",
            formdata=None,
            data={"afterwards_ja": survey.afterwards_ja, "afterwards_en": survey.afterwards_en},
        ),
    }
    if draft:
        forms["settings"] = posted.get("settings") or _survey_form_for_page(survey)
        forms["question"] = posted.get("question") or _blank_question_form(survey)
    forms.update({k: v for k, v in posted.items() if k not in ("settings", "question")})
    counts = db.session.execute(
        sa.select(
            sa.select(sa.func.count(Response.id))
            .where(Response.survey_id == survey.id, Response.hidden_reason == "")
            .scalar_subquery()
            .label("responses"),
            sa.select(sa.func.count(Invitation.id))
            .where(Invitation.survey_id == survey.id)
            .scalar_subquery()
            .label("invited"),
        )
    ).one()
    sessions = list(
        db.session.execute(
            sa.select(ConsultationSession, Consultation)
            .join(survey_session, survey_session.c.session_id == ConsultationSession.id)
            .join(Consultation, Consultation.id == ConsultationSession.consultation_id)
            .where(survey_session.c.survey_id == survey.id)
            .order_by(ConsultationSession.starts_at)
        )
    )
    now = clock.now()
    numbers = {q.id: n for n, q in enumerate(survey.questions, start=1)}
    return render_template(
        "surveys/staff/survey.html",
        survey=survey,
        forms=forms,
        coordinator=coordinator,
        draft=draft,
        counts=counts,
        sessions=sessions,
        numbers=numbers,
        now=now,
        is_open=survey.is_open(now),
        is_closed=survey.is_closed(now),
        SurveyStatus=SurveyStatus,
        Audience=Audience,
        QuestionKind=QuestionKind,
    )


def _survey_form_for_page(survey: Survey) -> SurveyForm:
    # The settings shown on a GET of the survey page read the stored survey, even when the
    # request is a POST of another form of the page (a question refused).
    form = SurveyForm(formdata=None, prefix="settings", data=_survey_form_values(survey))
    _offer_survey_choices(form)
    return form


def _survey_form_values(survey: Survey) -> dict[str, Any]:
    return {
        "title_ja": survey.title_ja,
        "title_en": survey.title_en,
        "purpose_ja": survey.purpose_ja,
        "purpose_en": survey.purpose_en,
        "department_id": survey.department_id,
        "initiative_id": survey.initiative_id,
        "audience": survey.audience.value,
        "panel_term_id": survey.panel_term_id,
        "session_ids": list(
            db.session.scalars(
                sa.select(survey_session.c.session_id).where(
                    survey_session.c.survey_id == survey.id
                )
            )
        ),
        "opens_on": to_jst(survey.opens_at).date(),
        "opens_time": to_jst(survey.opens_at).time(),
        "closes_on": to_jst(survey.closes_at).date(),
        "closes_time": to_jst(survey.closes_at).time(),
        "anonymous": survey.anonymous,
    }


def _offer_survey_choices(form: SurveyForm) -> None:
    departments = plan_services.department_choices()
    if not is_coordinator(current_user):
        departments = [d for d in departments if d[0] == current_user.department_id]
    form.department_id.choices = choices(departments)
    form.initiative_id.choices = choices(plan_services.initiative_choices())
    terms = db.session.scalars(sa.select(PanelTerm).order_by(PanelTerm.starts_on.desc()))
    form.panel_term_id.choices = choices([("", _("None")), *((t.id, t.tr("name")) for t in terms)])
    form.session_ids.choices = choices(_session_choices())


def _blank_question_form(survey: Survey) -> QuestionForm:
    form = QuestionForm(prefix="question", formdata=None)
    form.condition.choices = choices(_condition_choices(survey, None))
    return form


@staff_bp.route("/<int:survey_id>", methods=["GET", "POST"])
def edit(survey_id: int) -> ResponseReturnValue:
    """GET: the survey's page. POST: its settings saved (drafts only)."""
    survey = _survey(survey_id)
    if request.method == "GET":
        return _survey_page(survey)
    if survey.status != SurveyStatus.DRAFT:
        flash(_("Only a draft can be changed."), "error")
        return redirect(url_for("surveys_staff.edit", survey_id=survey.id))
    form = SurveyForm(prefix="settings")
    _offer_survey_choices(form)
    if not form.validate_on_submit():
        return _survey_page(survey, {"settings": form})
    try:
        services.save_survey(current_user, survey, **_survey_fields(form))
    except services.SurveyError as error:
        _refused(form, error, "title_ja")
        return _survey_page(_survey(survey_id), {"settings": form})
    flash(_("The settings have been saved."), "success")
    return redirect(url_for("surveys_staff.edit", survey_id=survey.id))


# Questions ---------------------------------------------------------------------------------


def _draft_only(survey: Survey) -> ResponseReturnValue | None:
    if survey.status != SurveyStatus.DRAFT:
        flash(_("Only a draft can be changed."), "error")
        return redirect(url_for("surveys_staff.edit", survey_id=survey.id))
    return None


@staff_bp.route("/<int:survey_id>/questions", methods=["POST"])
def add_question(survey_id: int) -> ResponseReturnValue:
    survey = _survey(survey_id)
    if (refused := _draft_only(survey)) is not None:
        return refused
    form = QuestionForm(prefix="question")
    form.condition.choices = choices(_condition_choices(survey, None))
    if not form.validate_on_submit():
        return _survey_page(survey, {"question": form})
    try:
        services.save_question(current_user, survey, None, **_question_fields(form))
    except services.SurveyError as error:
        _refused(form, error, "text_ja")
        return _survey_page(_survey(survey_id), {"question": form})
    flash(_("The question has been added."), "success")
    return redirect(url_for("surveys_staff.edit", survey_id=survey.id) + "#questions")


def _question(question_id: int) -> tuple[Question, Survey]:
    question = db.session.get(Question, question_id) or abort(404)
    return question, _survey(question.survey_id)


@staff_bp.route("/questions/<int:question_id>", methods=["GET", "POST"])
def question(question_id: int) -> ResponseReturnValue:
    found, survey = _question(question_id)
    if (refused := _draft_only(survey)) is not None:
        return refused
    form = _question_form(survey, found)
    if form.validate_on_submit():
        try:
            services.save_question(current_user, survey, found, **_question_fields(form))
        except services.SurveyError as error:
            _refused(form, error, "text_ja")
            found, survey = _question(question_id)
        else:
            flash(_("The question has been saved."), "success")
            return redirect(url_for("surveys_staff.edit", survey_id=survey.id) + "#questions")
    number = next((n for n, q in enumerate(survey.questions, start=1) if q.id == found.id), 0)
    return render_template(
        "surveys/staff/question.html", survey=survey, question=found, form=form, number=number
    )


@staff_bp.route("/questions/<int:question_id>/move", methods=["POST"])
def move_question(question_id: int) -> ResponseReturnValue:
    found, survey = _question(question_id)
    if (refused := _draft_only(survey)) is not None:
        return refused
    offset = request.form.get("offset", type=int)
    if offset not in (-1, 1):
        abort(400)
    if ConfirmForm().validate_on_submit():
        try:
            services.move_question(current_user, found, offset)
        except services.SurveyError as error:
            _flash_refusal(error)
    return redirect(url_for("surveys_staff.edit", survey_id=survey.id) + "#questions")


@staff_bp.route("/questions/<int:question_id>/remove", methods=["POST"])
def remove_question(question_id: int) -> ResponseReturnValue:
    found, survey = _question(question_id)
    if (refused := _draft_only(survey)) is not None:
        return refused
    if ConfirmForm().validate_on_submit():
        try:
            services.remove_question(current_user, found)
        except services.SurveyError as error:
            _flash_refusal(error)
        else:
            flash(_("The question has been removed."), "success")
    return redirect(url_for("surveys_staff.edit", survey_id=survey.id) + "#questions")


@staff_bp.route("/<int:survey_id>/preview")
def preview(survey_id: int) -> ResponseReturnValue:
    """The questionnaire as a respondent sees it, through the citizens' own macro; every
    question shown, each conditional one with its condition (the page sends nothing)."""
    survey = _survey(survey_id)
    numbers = {q.id: n for n, q in enumerate(survey.questions, start=1)}
    by_id = {q.id: q for q in survey.questions}
    return render_template(
        "surveys/staff/preview.html",
        survey=survey,
        numbers=numbers,
        by_id=by_id,
        form=answer_form(survey.questions, formdata=None),
        conditional={q.condition_question_id for q in survey.questions},
        field_name=field_name,
        scale_labels=scale_labels,
    )


# Review ------------------------------------------------------------------------------------


def _state_change(
    survey_id: int,
    act: Callable[[Survey, Any], None],
    success: str,
    allowed: Callable[[], bool] = lambda: True,
    form_class: type = ConfirmForm,
    prefix: str = "",
    fallback: str | None = None,
) -> ResponseReturnValue:
    """One button (or small form) of the survey page: right (403), token, service; a refusal
    beside its field on the page, or flashed when it has none."""
    survey = _survey(survey_id)
    if not allowed():
        abort(403)
    form = form_class(prefix=prefix)
    if not form.validate_on_submit():
        key = prefix or "confirm"
        return _survey_page(survey, {key: form})
    try:
        act(survey, form)
    except services.SurveyError as error:
        if _refused(form, error, fallback):
            return _survey_page(_survey(survey_id), {prefix or "confirm": form})
        return redirect(url_for("surveys_staff.edit", survey_id=survey_id))
    flash(success, "success")
    return redirect(url_for("surveys_staff.edit", survey_id=survey_id))


@staff_bp.route("/<int:survey_id>/submit", methods=["POST"])
def submit(survey_id: int) -> ResponseReturnValue:
    return _state_change(
        survey_id,
        lambda s, f: services.submit_for_review(current_user, s),
        _("The survey has been sent to the Public Hearing Division for review."),
    )


@staff_bp.route("/<int:survey_id>/approve", methods=["POST"])
def approve(survey_id: int) -> ResponseReturnValue:
    return _state_change(
        survey_id,
        lambda s, f: services.approve(current_user, s, f.note.data or ""),
        _("The survey has been approved. It opens and closes by itself at its times."),
        allowed=lambda: is_coordinator(current_user),
        form_class=ReviewForm,
        prefix="review",
        fallback="note",
    )


@staff_bp.route("/<int:survey_id>/return", methods=["POST"])
def return_survey(survey_id: int) -> ResponseReturnValue:
    def act(survey: Survey, form: Any) -> None:
        if not form.note.data:
            raise services.SurveyError(
                _("Please write what the division should change."), field="note"
            )
        services.return_survey(current_user, survey, form.note.data)

    return _state_change(
        survey_id,
        act,
        _("The survey has been returned to the division with your note."),
        allowed=lambda: is_coordinator(current_user),
        form_class=ReviewForm,
        prefix="review",
        fallback="note",
    )


# Results -----------------------------------------------------------------------------------


@staff_bp.route("/<int:survey_id>/publish", methods=["POST"])
def publish(survey_id: int) -> ResponseReturnValue:
    """After the close: the results made public with 「その後」; later, 「その後」 updated."""

    def act(survey: Survey, form: Any) -> None:
        texts = (form.afterwards_ja.data or "", form.afterwards_en.data or "")
        if survey.status == SurveyStatus.PUBLISHED:
            services.save_afterwards(current_user, survey, *texts)
        else:
            services.publish_results(current_user, survey, *texts)

    survey = _survey(survey_id)
    published = survey.status == SurveyStatus.PUBLISHED
    if not published and not survey.is_closed(clock.now()):
        # The form is not on the page before the close: say why instead of a hidden error.
        flash(_("The results can be published once the survey has closed."), "error")
        return redirect(url_for("surveys_staff.edit", survey_id=survey_id))
    return _state_change(
        survey_id,
        act,
        _("“Afterwards” has been saved.") if published else _("The results have been published."),
        form_class=AfterwardsForm,
        prefix="afterwards",
        fallback="afterwards_ja",
    )


def _free_text_answers(survey: Survey) -> Any:
    """Free-text answers of the survey: short and long answers and the texts of 「その他」."""
    return (
        sa.select(Answer)
        .join(Question, Question.id == Answer.question_id)
        .join(Response, Response.id == Answer.response_id)
        .where(
            Question.survey_id == survey.id,
            Response.hidden_reason == "",
            Answer.text != "",
            sa.or_(Question.kind.in_(FREE_TEXT_KINDS), Answer.option == -1),
        )
        .order_by(Question.position, Answer.id)
    )


@staff_bp.route("/<int:survey_id>/answers", methods=["GET", "POST"])
def answers(survey_id: int) -> ResponseReturnValue:
    """Free-text answers, each published only as a redacted text the division writes."""
    survey = _survey(survey_id)
    mark_personal_data()  # a free answer may name its writer or someone else
    posted: tuple[int, RedactForm] | None = None
    if request.method == "POST":
        answer_id = request.form.get("answer_id", type=int)
        found = db.session.scalar(
            sa.select(Answer)
            .join(Question, Question.id == Answer.question_id)
            .where(Answer.id == answer_id, Question.survey_id == survey.id)
        )
        if found is None:
            abort(404)
        form = RedactForm(prefix=f"answer{found.id}")
        if form.validate_on_submit():
            text = form.redacted_text.data if form.publish.data == "publish" else None
            try:
                services.redact_answer(current_user, found.id, text)
            except services.SurveyError as error:
                _refused(form, error, "redacted_text")
            else:
                flash(_("The answer's publication has been saved."), "success")
                page = request.args.get("page", 1, type=int)
                return redirect(
                    url_for("surveys_staff.answers", survey_id=survey.id, page=page)
                    + f"#answer-{found.id}"
                )
        posted = (found.id, form)
    page = db.paginate(_free_text_answers(survey), per_page=ANSWERS_PER_PAGE, error_out=False)
    rows = page.items
    forms: dict[int, RedactForm] = {}
    for answer in rows:
        if posted is not None and posted[0] == answer.id:
            forms[answer.id] = posted[1]
            continue
        forms[answer.id] = RedactForm(
            prefix=f"answer{answer.id}",
            formdata=None,
            data={
                "redacted_text": answer.redacted_text
                if answer.redacted_text is not None
                else answer.text,
                "publish": "publish" if answer.redacted_text is not None else "keep",
            },
        )
    questions = {q.id: (n, q) for n, q in enumerate(survey.questions, start=1)}
    return render_template(
        "surveys/staff/answers.html",
        survey=survey,
        page=page,
        answers=rows,
        forms=forms,
        questions=questions,
    )


# Letters with one-time codes ---------------------------------------------------------------


@staff_bp.route("/<int:survey_id>/invitations")
def invitations(survey_id: int) -> ResponseReturnValue:
    """Letters for the invitations of a panel or participants' survey that go by post (those
    with no e-mail address), with their one-time codes, derived again for printing."""
    survey = _survey(survey_id)
    if survey.audience not in (Audience.PANEL, Audience.PARTICIPANTS):
        abort(404)
    mark_personal_data()
    printable = services.survey_letters(survey)
    ids = [invitation.id for invitation, _code in printable]
    addresses = {
        row.id: row
        for row in db.session.execute(
            sa.select(
                Invitation.id,
                Resident.name,
                Resident.postal_code,
                Resident.address,
                Registration.name.label("registered_name"),
            )
            .outerjoin(PanelMember, PanelMember.id == Invitation.panel_member_id)
            .outerjoin(Resident, Resident.id == PanelMember.resident_id)
            .outerjoin(Registration, Registration.id == Invitation.registration_id)
            .where(Invitation.id.in_(ids))
        )
    }
    return render_template(
        "surveys/staff/invitations.html",
        survey=survey,
        letters=printable,
        addresses=addresses,
        # The public site's address, whatever host the staff page was opened on.
        answer_url=public_url("surveys.answer", survey_id=survey.id),
    )


# The citizens' panel -----------------------------------------------------------------------


@staff_bp.route("/panel")
def panel() -> ResponseReturnValue:
    _require_coordinator()
    members = (
        sa.select(sa.func.count(PanelMember.id))
        .where(PanelMember.term_id == PanelTerm.id, PanelMember.state == MemberState.ACCEPTED)
        .correlate(PanelTerm)
        .scalar_subquery()
    )
    residents = (
        sa.select(sa.func.count(Resident.id))
        .where(Resident.term_id == PanelTerm.id)
        .correlate(PanelTerm)
        .scalar_subquery()
    )
    rows = db.session.execute(
        sa.select(PanelTerm, members.label("members"), residents.label("residents")).order_by(
            PanelTerm.starts_on.desc()
        )
    ).all()
    return render_template("surveys/staff/panel.html", rows=rows)


@staff_bp.route("/panel/new", methods=["GET", "POST"])
def panel_new() -> ResponseReturnValue:
    _require_coordinator()
    form = TermForm()
    if form.validate_on_submit():
        try:
            term = services.create_term(
                current_user,
                name_ja=form.name_ja.data,
                name_en=form.name_en.data or "",
                starts_on=form.starts_on.data,
                ends_on=form.ends_on.data,
                target_size=form.target_size.data,
                invite_ratio=float(form.invite_ratio.data),
            )
        except services.SurveyError as error:
            _refused(form, error, "name_ja")
        else:
            flash(_("The term has been created. Import the resident list next."), "success")
            return redirect(url_for("surveys_staff.term", term_id=term.id))
    return render_template("surveys/staff/term_form.html", form=form)


def _term_page(term: PanelTerm, posted: dict[str, Any] | None = None) -> str:
    mark_personal_data()
    forms: dict[str, Any] = {
        "import": ImportForm(prefix="import", formdata=None),
        "seed": SeedForm(prefix="seed", formdata=None),
        "confirm": ConfirmForm(formdata=None),
        "leave": LeaveForm(prefix="leave", formdata=None),
    }
    forms.update(posted or {})
    counts = db.session.execute(
        sa.select(
            sa.select(sa.func.count(Resident.id))
            .where(Resident.term_id == term.id)
            .scalar_subquery()
            .label("residents"),
        )
    ).one()
    states = dict(
        db.session.execute(
            sa.select(PanelMember.state, sa.func.count(PanelMember.id))
            .where(PanelMember.term_id == term.id)
            .group_by(PanelMember.state)
        ).all()
    )
    state = request.args.get("state", "")
    # db.paginate reads one entity per row: the resident comes with its member.
    stmt = (
        sa.select(PanelMember)
        .join(Resident, Resident.id == PanelMember.resident_id)
        .where(PanelMember.term_id == term.id)
        .options(contains_eager(PanelMember.resident))
        .order_by(Resident.draw_rank, PanelMember.id)
    )
    if state in {s.value for s in MemberState}:
        stmt = stmt.where(PanelMember.state == MemberState(state))
    page = db.paginate(stmt, per_page=MEMBERS_PER_PAGE, error_out=False)
    wards = {w.id: w for w in db.session.scalars(sa.select(Ward))}
    balance = services.balance(term) if term.drawn_at else []
    return render_template(
        "surveys/staff/term.html",
        term=term,
        forms=forms,
        counts=counts,
        states=states,
        state=state,
        page=page,
        members=page.items,
        wards=wards,
        balance=balance,
        MemberState=MemberState,
    )


@staff_bp.route("/panel/<int:term_id>")
def term(term_id: int) -> ResponseReturnValue:
    return _term_page(_term(term_id))


@staff_bp.route("/panel/<int:term_id>/import", methods=["POST"])
def import_residents(term_id: int) -> ResponseReturnValue:
    """The register's extract: refused whole, with the line number, or stored whole."""
    found = _term(term_id)
    form = ImportForm(prefix="import")
    if not form.validate_on_submit():
        return _term_page(found, {"import": form})
    upload = form.file.data
    data = upload.stream.read(IMPORT_MAX_BYTES + 1) if upload else b""
    try:
        if not data:
            raise services.SurveyError(_("Please choose the CSV file."), field="file")
        if len(data) > IMPORT_MAX_BYTES:
            raise services.SurveyError(
                _("The file is larger than %(limit)s MB.", limit=IMPORT_MAX_BYTES // 2**20),
                field="file",
            )
        try:
            # Excel writes UTF-8 with a byte-order mark; utf-8-sig reads both.
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise services.SurveyError(
                _("The file is not UTF-8 text. Please save it as CSV UTF-8."), field="file"
            ) from None
        imported = services.import_residents(current_user, found, text)
    except services.SurveyError as error:
        _refused(form, error, "file")
        return _term_page(_term(term_id), {"import": form})
    flash(
        _("%(count)d residents have been imported.", count=imported),
        "success",
    )
    return redirect(url_for("surveys_staff.term", term_id=term_id))


@staff_bp.route("/panel/<int:term_id>/seed", methods=["POST"])
def seed(term_id: int) -> ResponseReturnValue:
    found = _term(term_id)
    form = SeedForm(prefix="seed")
    if not form.validate_on_submit():
        return _term_page(found, {"seed": form})
    try:
        services.publish_seed(current_user, found, form.seed.data)
    except services.SurveyError as error:
        _refused(form, error, "seed")
        return _term_page(_term(term_id), {"seed": form})
    flash(_("The seed has been published. The draw can be made."), "success")
    return redirect(url_for("surveys_staff.term", term_id=term_id))


@staff_bp.route("/panel/<int:term_id>/draw", methods=["POST"])
def draw(term_id: int) -> ResponseReturnValue:
    found = _term(term_id)
    if not ConfirmForm().validate_on_submit():
        return _term_page(found)
    try:
        drawn = services.draw(current_user, found)
    except services.SurveyError as error:
        _flash_refusal(error)
        return redirect(url_for("surveys_staff.term", term_id=term_id))
    flash(
        _("%(count)d residents have been drawn. Print their letters now.", count=len(drawn)),
        "success",
    )
    return redirect(url_for("surveys_staff.letters", term_id=term_id))


@staff_bp.route("/panel/<int:term_id>/letters")
def letters(term_id: int) -> ResponseReturnValue:
    """The invitation letters of the residents drawn who have not answered yet, with their
    one-time codes, to print (?member=<id>: one letter, e.g. a replacement's). The codes are
    not stored: each is derived from the member's number with the site's secret key, so the
    same letter prints again, while the database holds only the code's hash."""
    found = _term(term_id)
    mark_personal_data()
    stmt = (
        sa.select(PanelMember)
        .join(Resident, Resident.id == PanelMember.resident_id)
        .where(PanelMember.term_id == found.id, PanelMember.state == MemberState.INVITED)
        .options(contains_eager(PanelMember.resident))
        .order_by(Resident.draw_rank, PanelMember.id)
    )
    member_id = request.args.get("member", type=int)
    if member_id:
        stmt = stmt.where(PanelMember.id == member_id)
    page = db.paginate(stmt, per_page=LETTERS_PER_PAGE, error_out=False)
    rows = page.items
    codes = {member.id: services.member_code(member) for member in rows}
    wards = {w.id: w for w in db.session.scalars(sa.select(Ward))}
    return render_template(
        "surveys/staff/letters.html",
        term=found,
        rows=rows,
        page=page,
        codes=codes,
        wards=wards,
        member_id=member_id,
        join_url=public_url("surveys.panel_join"),
    )


def _member(member_id: int) -> PanelMember:
    _require_coordinator()
    return db.session.get(PanelMember, member_id) or abort(404)


@staff_bp.route("/panel/members/<int:member_id>/leave", methods=["POST"])
def member_leave(member_id: int) -> ResponseReturnValue:
    member = _member(member_id)
    form = LeaveForm(prefix="leave")
    if form.validate_on_submit():
        try:
            services.leave(member, form.reason.data or "")
        except services.SurveyError as error:
            _flash_refusal(error)
        else:
            flash(_("The member's leaving has been recorded."), "success")
    return redirect(url_for("surveys_staff.term", term_id=member.term_id) + "#members")


@staff_bp.route("/panel/members/<int:member_id>/replace", methods=["POST"])
def member_replace(member_id: int) -> ResponseReturnValue:
    member = _member(member_id)
    term_id = member.term_id
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for("surveys_staff.term", term_id=term_id) + "#members")
    try:
        invited = services.replace(current_user, member)
    except services.SurveyError as error:
        _flash_refusal(error)
        return redirect(url_for("surveys_staff.term", term_id=term_id) + "#members")
    flash(
        _("The next resident of the same group has been invited. Print the letter now."), "success"
    )
    return redirect(url_for("surveys_staff.letters", term_id=term_id, member=invited.id))


# Participant feedback ----------------------------------------------------------------------


@staff_bp.route("/feedback")
def feedback() -> ResponseReturnValue:
    """Per held session: the feedback questionnaire offered, the invitations and answers, and
    the scores (the results module's, when it gives them; else the answers counted here)."""
    coordinator = is_coordinator(current_user)
    responses = (
        sa.select(sa.func.count(Response.id))
        .where(Response.survey_id == Survey.id, Response.hidden_reason == "")
        .correlate(Survey)
        .scalar_subquery()
    )
    invited = (
        sa.select(sa.func.count(Invitation.id))
        .where(Invitation.survey_id == Survey.id)
        .correlate(Survey)
        .scalar_subquery()
    )
    stmt = (
        sa.select(
            Survey,
            ConsultationSession,
            Consultation,
            responses.label("responses"),
            invited.label("invited"),
        )
        .join(ConsultationSession, ConsultationSession.id == Survey.session_id)
        .join(Consultation, Consultation.id == ConsultationSession.consultation_id)
        .where(Survey.kind == SurveyKind.FEEDBACK)
        .order_by(ConsultationSession.starts_at.desc())
    )
    if not coordinator:
        stmt = stmt.where(Survey.department_id == current_user.department_id)
    rows = db.session.execute(stmt.limit(200)).all()
    scores = _feedback_scores([row.Survey.id for row in rows])
    return render_template(
        "surveys/staff/feedback.html",
        rows=rows,
        scores=scores,
        keys=[(key, label()) for key, label in FEEDBACK_SCORED],
        suppress=SUPPRESS_UNDER,
        coordinator=coordinator,
    )


# The standard questions scored, with their column headings. A score is the share of answers
# that are favourable (models.favourable_answer, the rule initiative 18's figures use too).
FEEDBACK_SCORED: tuple[tuple[str, Callable[[], str]], ...] = (
    ("clarity", lambda: _("Clear")),
    ("length", lambda: _("Length right")),
    ("glad", lambda: _("Glad I took part")),
    ("again", lambda: _("Would take part again")),
)


def _feedback_scores(survey_ids: list[int]) -> dict[tuple[int, str], dict[str, Any]]:
    """{(survey id, key): {"n": answers, "share": favourable share}} for the standard
    questions, in one statement; the template shows fewer than SUPPRESS_UNDER answers as too
    few (the same rule as the published results)."""
    if not survey_ids:
        return {}
    favourable = favourable_answer()
    rows = db.session.execute(
        sa.select(
            Question.survey_id,
            Question.key,
            sa.func.count(Answer.id).label("n"),
            sa.func.coalesce(sa.func.sum(sa.case((favourable, 1), else_=0)), 0).label("yes"),
        )
        .join(Answer, Answer.question_id == Question.id)
        .join(Response, Response.id == Answer.response_id)
        .where(
            Question.survey_id.in_(survey_ids),
            Question.key.in_([key for key, _label in FEEDBACK_SCORED]),
            Answer.option >= 0,
            Response.hidden_reason == "",
        )
        .group_by(Question.survey_id, Question.key)
    ).all()
    return {
        (row.survey_id, row.key): {"n": row.n, "share": row.yes / row.n if row.n else 0.0}
        for row in rows
    }
