"""Public routes of surveys: the list of open surveys and published results, the questionnaire
(one page, conditions applied on the server, progress saved, a one-time code or an account),
its receipt, and the citizens' panel's pages (what it is and its balance, joining with the
letter's code, leaving).

Whether someone may answer, which questions apply, what is missing and what is stored are the
services' decisions; these views only read the request, ask, and say the answer plainly."""

from __future__ import annotations

from collections import Counter
from typing import Any

import sqlalchemy as sa
from flask import abort, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError, validate_csrf
from sqlalchemy.orm import joinedload, selectinload
from wtforms import ValidationError

from app.core import clock
from app.core.enums import AgeBand
from app.core.forms import show_error
from app.core.permissions import is_authenticated
from app.core.receipts import give_submission_token, may_see_receipt, remember_receipt
from app.core.security import configured_limit, mark_personal_data
from app.core.urls import query_page
from app.extensions import db, limiter
from app.plan.models import Ward
from app.surveys import bp, services
from app.surveys.forms import (
    CodeForm,
    JoinForm,
    LeaveForm,
    answer_form,
    answers_from,
    field_name,
    form_data,
    option_label,
    scale_labels,
)
from app.surveys.models import (
    SUPPRESS_UNDER,
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
    SurveyStatus,
)

# A questionnaire takes a few requests (check, save, send) and corrections in between, like a
# public comment: the comment form's limit fits.
_answer_limit = configured_limit("COMMENT_RATE_LIMIT")

RESULTS_PER_PAGE = 20
RECEIPT_KIND = "survey"


def _user() -> Any:
    return current_user if is_authenticated(current_user) else None


# The list ---------------------------------------------------------------------------------


@bp.route("/")
def index() -> ResponseReturnValue:
    """Open surveys (all of them, each saying who may answer) and the published results of
    closed ones: two statements and a count, whatever the number of surveys."""
    now = clock.now()
    open_surveys = db.session.scalars(
        sa.select(Survey)
        .where(
            Survey.status == SurveyStatus.APPROVED,
            Survey.opens_at <= now,
            Survey.closes_at > now,
        )
        .options(joinedload(Survey.department))
        .order_by(Survey.closes_at, Survey.id)
    ).all()
    published = db.paginate(
        sa.select(Survey)
        .where(Survey.status == SurveyStatus.PUBLISHED)
        .options(joinedload(Survey.department))
        .order_by(Survey.results_published_at.desc(), Survey.id.desc()),
        page=query_page(),
        per_page=RESULTS_PER_PAGE,
        error_out=False,
    )
    return render_template(
        "surveys/index.html",
        open_surveys=open_surveys,
        published=published,
        logged_in=_user() is not None,
        Audience=Audience,
    )


# Answering --------------------------------------------------------------------------------


def _survey(survey_id: int) -> Survey:
    """A survey the public may see (approved or with results published), questions loaded."""
    survey = db.session.scalar(
        sa.select(Survey)
        .where(
            Survey.id == survey_id,
            Survey.status.in_([SurveyStatus.APPROVED, SurveyStatus.PUBLISHED]),
        )
        .options(selectinload(Survey.questions))
    )
    if survey is None:
        abort(404)
    return survey


def _already_sent(survey: Survey, token: str | None) -> Response | None:
    """The response this very form stored already (a double click, a send repeated after the
    one-time code was used by the first): found by its submission token."""
    if not token:
        return None
    try:
        validate_csrf(request.form.get("csrf_token"))
    except (ValidationError, CSRFError):
        return None
    return db.session.scalar(
        sa.select(Response).where(
            Response.survey_id == survey.id, Response.submission_token == token
        )
    )


def _refused(survey: Survey, code: str, message: str | None = None) -> ResponseReturnValue:
    """Why this person may not answer, in the services' words (`services.refusal`), and what
    they can do: log in, or enter their code (again)."""
    user = _user()
    if message is None and survey.audience == Audience.ACCOUNTS and user is None:
        return render_template("surveys/refused.html", survey=survey, login=True)
    if message is None and survey.audience in (Audience.PANEL, Audience.PARTICIPANTS):
        form = CodeForm(formdata=None, data={"code": code})
        if not code:
            return render_template("surveys/code.html", survey=survey, form=form)
        form.code.errors = [services.refusal(survey, code, user)]
        return render_template("surveys/code.html", survey=survey, form=form), 403
    message = message or services.refusal(survey, code, user)
    return render_template("surveys/refused.html", survey=survey, message=message), 403


def _draft_key(code: str, user: Any) -> str | None:
    """Where progress is kept: under the one-time code, or the account; an anonymous visitor
    to an open survey has neither, and is offered to log in to save."""
    if code:
        return code
    if user is not None:
        return f"user:{user.id}"
    return None


def _attach(form: Any, question: Question, message: str) -> None:
    """A service's message beside its question (on its first control, which the error link
    and the page title read)."""
    name = field_name(question, "r0") if question.kind == QuestionKind.MATRIX else None
    name = name or field_name(question)
    if name in form:
        form[name].errors = [*form[name].errors, message]


def _question_errors(form: Any, questions: list[Question]) -> dict[int, list[str]]:
    """Every message of every control of a question, gathered at the question."""
    found: dict[int, list[str]] = {}
    for question in questions:
        prefix = field_name(question)
        messages = [
            str(error)
            for f in form
            if f.name == prefix or f.name.startswith(prefix + "_")
            for error in f.errors
        ]
        if messages:
            found[question.id] = messages
    return found


@bp.route("/<int:survey_id>", methods=["GET", "POST"])
@limiter.limit(_answer_limit, methods=["POST"])
def answer(survey_id: int) -> ResponseReturnValue:
    survey = _survey(survey_id)
    now = clock.now()
    if not survey.is_open(now):
        return render_template("surveys/closed.html", survey=survey, not_yet=now < survey.opens_at)
    code = (request.values.get("code") or "").strip()
    user = _user()
    access = services.access_for(survey, code or None, user)
    if access is None:
        sent = request.method == "POST" and _already_sent(
            survey, request.form.get("submission_token")
        )
        if sent:
            remember_receipt(RECEIPT_KIND, sent.id)
            return redirect(url_for("surveys.thanks", survey_id=survey.id))
        return _refused(survey, code)
    if access.invitation_id is not None or access.user_id is not None:
        mark_personal_data()  # a page opened with someone's code or account: never cached
    questions = list(survey.questions)
    key = _draft_key(code, user)
    restored = False
    if request.method == "POST":
        form = answer_form(questions)
    else:
        saved = services.load_progress(survey, key) if key else {}
        restored = bool(saved)
        form = answer_form(questions, data=form_data(saved, questions))
    give_submission_token(form)
    form.code.data = code
    action = request.form.get("action", "check")
    notice = _("Your earlier answers have been restored.") if restored else None
    valid = form.validate_on_submit()
    answers = answers_from(form, questions)
    visible = services.visible_questions(survey, answers)
    if valid:
        if action == "save" and key:
            services.save_progress(survey, key, answers)
            notice = (
                _(
                    "Your answers have been saved. Open this survey again with the same code "
                    "to continue."
                )
                if code
                else _(
                    "Your answers have been saved. Log in with the same account and open this "
                    "survey again to continue."
                )
            )
        elif action == "submit":
            shown = set((form.shown.data or "").split(","))
            if any(str(q.id) not in shown for q in visible):
                notice = _(
                    "Your answers bring up further questions, shown below. Please answer "
                    "them, then send again."
                )
            else:
                for question_id, message in services.check_answers(survey, answers).items():
                    question = next((q for q in questions if q.id == question_id), None)
                    if question is not None:
                        _attach(form, question, message)
                if not _question_errors(form, visible):
                    try:
                        response, _created = services.submit_response(
                            survey, access, answers, form.submission_token.data
                        )
                    except services.SurveyError as error:
                        # A refused answer names its question's id; any other refusal (the
                        # code used meanwhile from another tab, the survey closed) is the page.
                        question = next((q for q in questions if str(q.id) == error.field), None)
                        if question is None:
                            return _refused(survey, code, str(error))
                        _attach(form, question, str(error))
                    else:
                        remember_receipt(RECEIPT_KIND, sa.inspect(response).identity[0])
                        # The route's own id: the committed survey is not loaded again for it.
                        return redirect(url_for("surveys.thanks", survey_id=survey_id))
    form.shown.data = ",".join(str(q.id) for q in visible)
    return render_template(
        "surveys/answer.html",
        survey=survey,
        form=form,
        questions=visible,
        errors=_question_errors(form, visible),
        conditional={q.condition_question_id for q in questions if q.condition_question_id},
        can_save=key is not None,
        notice=notice,
        code=code,
        QuestionKind=QuestionKind,
        scale_labels=scale_labels,
        option_label=option_label,
        field_name=field_name,
    )


@bp.route("/<int:survey_id>/thanks")
def thanks(survey_id: int) -> ResponseReturnValue:
    """The receipt, to the browser session that sent the response (or its account): for an
    anonymous survey the receipt number and day only, never the answers."""
    kept = [int(i) for i in session.get(f"receipts:{RECEIPT_KIND}", []) if str(i).isdigit()]
    response = db.session.scalar(
        sa.select(Response)
        .where(Response.survey_id == survey_id, Response.id.in_(kept or [0]))
        .options(selectinload(Response.answers))
        .order_by(Response.id.desc())
        .limit(1)
    )
    if response is None or not may_see_receipt(RECEIPT_KIND, response.id, response.user_id):
        abort(404)
    survey = _survey(survey_id)
    shown: list[tuple[str, str]] = []
    if not survey.anonymous:
        shown = _answers_read_back(survey, response)
    return render_template("surveys/thanks.html", survey=survey, response=response, shown=shown)


def _answers_read_back(survey: Survey, response: Response) -> list[tuple[str, str]]:
    """A named survey's answers as (question, answer) sentences for the receipt."""
    by_question: dict[int, list[Any]] = {}
    for cell in response.answers:
        by_question.setdefault(cell.question_id, []).append(cell)
    lines: list[tuple[str, str]] = []
    for question in survey.questions:
        cells = by_question.get(question.id)
        if not cells:
            continue
        words: list[str] = []
        for cell in sorted(cells, key=lambda c: (c.row or 0, c.option or 0)):
            if question.kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
                if cell.option == -1:
                    words.append(_("Other: %(text)s", text=cell.text))
                elif cell.option is not None and cell.option < len(question.options):
                    words.append(option_label(question.options[cell.option]))
            elif question.kind == QuestionKind.SCALE and cell.option:
                words.append(scale_labels(question)[cell.option - 1])
            elif question.kind == QuestionKind.MATRIX and cell.option and cell.row is not None:
                row = option_label((question.rows or [{}])[cell.row])
                words.append(f"{row}: {scale_labels(question)[cell.option - 1]}")
            elif cell.number is not None:
                words.append(f"{cell.number:g}")
            elif cell.day is not None:
                words.append(cell.day.isoformat())
            elif cell.text:
                words.append(cell.text)
        lines.append((question.tr("text"), " / ".join(words)))
    return lines


# The citizens' panel ----------------------------------------------------------------------


def _current_term() -> PanelTerm | None:
    today = clock.today()
    return db.session.scalar(
        sa.select(PanelTerm)
        .where(PanelTerm.drawn_at.is_not(None))
        .order_by((PanelTerm.starts_on <= today).desc(), PanelTerm.starts_on.desc())
        .limit(1)
    )


def _suppressed(counts: list[tuple[str, int]]) -> list[tuple[str, str]]:
    """Counts for a public page: under SUPPRESS_UNDER shown as 「10未満」; when only one cell of
    a table is hidden, the next smallest is hidden too, or the total would give it away."""
    hidden = {i for i, (_label, n) in enumerate(counts) if 0 < n < SUPPRESS_UNDER}
    if len(hidden) == 1:
        others = sorted((n, i) for i, (_label, n) in enumerate(counts) if i not in hidden and n > 0)
        if others:
            hidden.add(others[0][1])
    under = _("Under %(n)s", n=SUPPRESS_UNDER)
    return [(label, under if i in hidden else f"{n:,}") for i, (label, n) in enumerate(counts)]


@bp.route("/panel")
def panel() -> ResponseReturnValue:
    """What the panel is, the current term's members per ward and per age band (public counts,
    small ones suppressed), and a logged-in member's open invitations."""
    term = _current_term()
    wards: list[tuple[str, str]] = []
    bands: list[tuple[str, str]] = []
    total = 0
    if term is not None:
        members = (
            sa.select(Resident.ward_id, Resident.age_band, sa.func.count(PanelMember.id))
            .join(Resident, PanelMember.resident_id == Resident.id)
            .where(PanelMember.term_id == term.id, PanelMember.state == MemberState.ACCEPTED)
            .group_by(Resident.ward_id, Resident.age_band)
        )
        per_ward: Counter[int] = Counter()
        per_band: Counter[Any] = Counter()
        for ward_id, band, count in db.session.execute(members):
            per_ward[ward_id] += count
            per_band[AgeBand(band) if band is not None else None] += count
            total += count
        ward_rows = db.session.scalars(sa.select(Ward).order_by(Ward.position)).all()
        wards = _suppressed([(w.tr("name"), per_ward[w.id]) for w in ward_rows])
        bands = _suppressed([(str(b.label), per_band[b]) for b in AgeBand])
    invitations: list[Survey] = []
    member = _own_member(term)
    if member is not None:
        mark_personal_data()
        now = clock.now()
        invitations = list(
            db.session.scalars(
                sa.select(Survey)
                .join(Invitation, Invitation.survey_id == Survey.id)
                .where(
                    Invitation.panel_member_id == member.id,
                    Invitation.used_at.is_(None),
                    Survey.status == SurveyStatus.APPROVED,
                    Survey.opens_at <= now,
                    Survey.closes_at > now,
                )
                .order_by(Survey.closes_at)
            )
        )
    return render_template(
        "surveys/panel.html",
        term=term,
        wards=wards,
        bands=bands,
        total=_suppressed([("", total)])[0][1] if total else "0",
        member=member,
        invitations=invitations,
    )


def _own_member(term: PanelTerm | None = None) -> PanelMember | None:
    """The logged-in person's membership of the panel (accepted, not left)."""
    user = _user()
    if user is None:
        return None
    stmt = sa.select(PanelMember).where(
        PanelMember.user_id == user.id, PanelMember.state == MemberState.ACCEPTED
    )
    if term is not None:
        stmt = stmt.where(PanelMember.term_id == term.id)
    return db.session.scalar(stmt.order_by(PanelMember.id.desc()).limit(1))


@bp.route("/panel/join", methods=["GET", "POST"])
@limiter.limit(_answer_limit, methods=["POST"])
def panel_join() -> ResponseReturnValue:
    """Accept (or decline) the invitation with the letter's code."""
    form = JoinForm()
    if not form.is_submitted() and request.args.get("code"):
        form.code.data = request.args["code"]
    if form.validate_on_submit():
        try:
            if form.answer.data == "accept":
                services.accept(form.code.data, form.email.data or "", _user())
            else:
                services.decline(form.code.data)
        except services.SurveyError as error:
            show_error(form, error, "code")
        else:
            return render_template("surveys/panel_joined.html", joined=form.answer.data)
    return render_template("surveys/panel_join.html", form=form)


@bp.route("/panel/leave", methods=["GET", "POST"])
@limiter.limit(_answer_limit, methods=["POST"])
def panel_leave() -> ResponseReturnValue:
    """A member leaves: found by their account or the letter's code, then a confirmation."""
    form = LeaveForm()
    own = _own_member()
    action = request.form.get("action", "check")
    if form.validate_on_submit():
        member = own
        if form.code.data:
            member = db.session.scalar(
                sa.select(PanelMember).where(
                    PanelMember.code_hash == services.code_hash(form.code.data)
                )
            )
        if member is None or member.state != MemberState.ACCEPTED:
            form.code.errors = [
                _("Please enter the code on your letter.")
                if not form.code.data
                else _("This code is not that of a current member of the citizens' panel.")
            ]
        elif action == "leave":
            try:
                services.leave(member, form.reason.data or "")
            except services.SurveyError as error:
                show_error(form, error, "code")
            else:
                return render_template("surveys/panel_left.html")
        else:
            mark_personal_data()
            return render_template("surveys/panel_leave_confirm.html", form=form)
    if own is not None:
        mark_personal_data()
    return render_template("surveys/panel_leave.html", form=form, own=own)


@bp.app_template_global()
def survey_audience_note(survey: Survey, logged_in: bool) -> str:
    """Who may answer, as the list says it."""
    if survey.audience == Audience.ANYONE:
        return _("Anyone may answer.")
    if survey.audience == Audience.ACCOUNTS:
        return (
            _("You may answer with your account.")
            if logged_in
            else _("For account holders: please log in to answer.")
        )
    return _("By invitation: enter the code from your letter or e-mail.")
