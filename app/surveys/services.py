"""Every state change of surveys, the panel and feedback (DESIGN.md §3): views, CLI commands,
the demo and tests call these, nothing else writes. Each staff change writes the audit log.

Refusals: a request the rules refuse raises `SurveyError` (message for the person, `field` for
the form input it belongs beside: a survey's or question's field name, or str(question id) for
an answer). A person without the right raises `SurveyPermissionError`, also werkzeug's
`Forbidden` (views answer 403).

One-time codes (a survey's invitation, the panel's letter) are stored as their sha256 only.
The code itself is derived from the application's secret and the row's id (`_derived_code`),
so a letter can be printed again and a mail written without the code ever being stored in
clear, and a leaked database gives no code. Codes are typed from paper: 12 characters of an
alphabet without look-alikes, in groups of four; full width, lower case, spaces and hyphens
are forgiven.

Anonymity: a response to an anonymous survey holds no invitation, account or time (the day
only), and the invitation it used is stamped with the day only, so neither the order of rows
nor the times link a response to a code.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import Forbidden
from werkzeug.routing import BuildError

from app.core import audit, clock
from app.core.db import begin_write
from app.core.domain import DomainError
from app.core.enums import AgeBand
from app.core.i18n import fiscal_year, format_date, to_jst
from app.core.mail import queue_mail
from app.core.permissions import is_staff
from app.core.urls import public_url
from app.extensions import db
from app.surveys import permissions
from app.surveys.models import (
    CHOICE_KINDS,
    COLLABORATION_FEEDBACK_INITIATIVE,
    FEEDBACK_INITIATIVE,
    SCALE_POINTS,
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
    ResponseDraft,
    Source,
    Survey,
    SurveyKind,
    SurveyStatus,
    survey_session,
)
from app.surveys.results import refresh_texts, store_snapshot


class SurveyError(DomainError):
    """A refused change, with a message for the person and the field it concerns."""


class SurveyPermissionError(SurveyError, Forbidden):
    """The person may not make this change: views answer 403."""

    def __init__(self, message: str | None = None) -> None:
        message = message or _("You may not make this change to this survey.")
        SurveyError.__init__(self, message)
        self.description = message
        self.response = None

    def __str__(self) -> str:
        return str(self.description)


# How long the feedback questionnaire stays open after a session.
FEEDBACK_DAYS = 14
# Longest texts kept (a short answer is a line; a long one a letter's page or two).
SHORT_TEXT_MAX = 200
LONG_TEXT_MAX = 4000
NUMBER_LIMIT = 1e12


# One-time codes ------------------------------------------------------------------------------

_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read from a letter


def normalize_code(code: str | None) -> str:
    """The code as typed (full width, lower case, spaces, hyphens) in its canonical form."""
    text = unicodedata.normalize("NFKC", code or "").upper()
    return "".join(ch for ch in text if ch.isalnum())


def code_hash(code: str | None) -> str:
    return hashlib.sha256(normalize_code(code).encode()).hexdigest()


def _derived_code(purpose: str, row_id: int) -> str:
    """The one-time code of a row: an HMAC of its id under the application's secret, so the
    server can print it again while the database holds its hash only."""
    digest = hmac.new(
        current_app.config["SECRET_KEY"].encode(), f"{purpose}:{row_id}".encode(), "sha256"
    ).digest()
    number = int.from_bytes(digest[:8], "big")
    chars = []
    for _i in range(12):
        number, index = divmod(number, len(_CODE_ALPHABET))
        chars.append(_CODE_ALPHABET[index])
    text = "".join(chars)
    return f"{text[:4]}-{text[4:8]}-{text[8:]}"


def invitation_code(invitation: Invitation) -> str:
    """The code of a survey invitation (for its mail or printed letter)."""
    return _derived_code("survey-invitation", invitation.id)


def member_code(member: PanelMember) -> str:
    """The code of a panel invitation letter."""
    return _derived_code("panel-member", member.id)


def _link(endpoint: str, path: str, **values: Any) -> str:
    """An absolute link to a public page. The URL map is fixed by the plan (/surveys/…); the
    fallback builds it by hand so a mail can be queued even where the page's view is not
    registered (a command run with a partial application)."""
    try:
        return public_url(endpoint, **values)
    except BuildError:
        base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
        query = "&".join(f"{k}={v}" for k, v in values.items() if k not in path)
        return f"{base}{path}" + (f"?{query}" if query else "")


def answer_link(survey: Survey, code: str) -> str:
    return _link(
        "surveys.answer", f"/surveys/{survey.id}", survey_id=survey.id, code=normalize_code(code)
    )


# Who may ----------------------------------------------------------------------------------


def _require_manager(actor: Any, survey: Survey | None = None) -> None:
    if survey is None:
        if not is_staff(actor):
            raise SurveyPermissionError(_("Only city staff can draft surveys."))
        return
    if not permissions.can_manage(actor, survey):
        raise SurveyPermissionError(
            _("Only the division running this survey and the public hearing division can do this.")
        )


def _require_coordinator(actor: Any) -> None:
    if not permissions.is_coordinator(actor):
        raise SurveyPermissionError(_("Only the public hearing division (広聴課) can do this."))


def _locked(survey_id: int) -> Survey:
    """The survey, read afresh and locked until the commit (two clicks or two reviewers queue
    here and the second sees what the first did)."""
    begin_write()
    return db.session.scalars(
        sa.select(Survey)
        .where(Survey.id == survey_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def _require_draft(survey: Survey) -> None:
    if survey.status != SurveyStatus.DRAFT:
        db.session.rollback()
        raise SurveyError(
            _(
                "Only a draft can be changed. This survey is “%(status)s”.",
                status=survey.status.label,
            )
        )


# Surveys: drafting, approval, opening, closing ----------------------------------------------

SURVEY_FIELDS = [
    "title_ja",
    "title_en",
    "purpose_ja",
    "purpose_en",
    "audience",
    "anonymous",
    "opens_at",
    "closes_at",
    "initiative_id",
    "department_id",
    "panel_term_id",
    "ward_id",
]


def session_ids_of(survey: Survey) -> list[int]:
    """The sessions whose participants a PARTICIPANTS survey asks."""
    return list(
        db.session.scalars(
            sa.select(survey_session.c.session_id)
            .where(survey_session.c.survey_id == survey.id)
            .order_by(survey_session.c.session_id)
        )
    )


def save_survey(actor: Any, survey: Survey | None, **fields: Any) -> Survey:
    """Create or update a draft (only DRAFT surveys are edited); window checked (closes after
    opens), audience PANEL needs a panel term, PARTICIPANTS needs sessions (`session_ids`)."""
    from app.consultations.models import Session
    from app.plan.services import default_initiative_id

    unknown = set(fields) - set(SURVEY_FIELDS) - {"session_ids"}
    if unknown:
        raise TypeError(f"unknown survey fields: {sorted(unknown)}")
    _require_manager(actor, survey)
    current = {name: getattr(survey, name) if survey else None for name in SURVEY_FIELDS}
    values = {**current, **{k: v for k, v in fields.items() if k in SURVEY_FIELDS}}
    title = (values["title_ja"] or "").strip()
    if not title:
        raise SurveyError(_("Give the survey a title in Japanese."), "title_ja")
    if len(title) > 200:
        raise SurveyError(_("The title can be at most 200 characters."), "title_ja")
    audience = values["audience"] or Audience.ANYONE
    try:
        audience = Audience(audience)
    except ValueError:
        raise SurveyError(_("Choose who may answer from the list."), "audience") from None
    opens_at, closes_at = values["opens_at"], values["closes_at"]
    if not isinstance(opens_at, datetime):
        raise SurveyError(_("Enter when the survey opens."), "opens_at")
    if not isinstance(closes_at, datetime):
        raise SurveyError(_("Enter when the survey closes."), "closes_at")
    if closes_at <= opens_at:
        raise SurveyError(_("The survey must close after it opens."), "closes_at")
    panel_term_id = values["panel_term_id"] if audience == Audience.PANEL else None
    if audience == Audience.PANEL and (
        not panel_term_id or db.session.get(PanelTerm, panel_term_id) is None
    ):
        raise SurveyError(
            _("Choose the term of the panel whose members are asked."), "panel_term_id"
        )
    session_ids = fields.get("session_ids")
    if session_ids is None:
        session_ids = session_ids_of(survey) if survey else []
    session_ids = sorted({int(i) for i in session_ids}) if audience == Audience.PARTICIPANTS else []
    if audience == Audience.PARTICIPANTS:
        if not session_ids:
            raise SurveyError(_("Choose the sessions whose participants are asked."), "session_ids")
        found = set(db.session.scalars(sa.select(Session.id).where(Session.id.in_(session_ids))))
        if found != set(session_ids):
            raise SurveyError(_("Choose sessions from the list."), "session_ids")
    department_id = values["department_id"] or getattr(actor, "department_id", None)
    if department_id is None:
        raise SurveyError(_("Choose the division running the survey."), "department_id")
    if (
        survey is None
        and not permissions.is_coordinator(actor)
        and department_id != actor.department_id
    ):
        raise SurveyPermissionError(_("A division drafts its own surveys."))
    initiative_id = values["initiative_id"] or default_initiative_id(SURVEY_INITIATIVE, SurveyError)
    if survey is not None:
        survey = _locked(survey.id)
        _require_draft(survey)
        before = audit.snapshot(survey, SURVEY_FIELDS)
        before["session_ids"] = session_ids_of(survey)
    else:
        survey = Survey(created_by_id=actor.id, status=SurveyStatus.DRAFT)
        db.session.add(survey)
        before = None
    survey.title_ja = title
    survey.title_en = (values["title_en"] or "").strip()
    survey.purpose_ja = (values["purpose_ja"] or "").strip()
    survey.purpose_en = (values["purpose_en"] or "").strip()
    survey.audience = audience
    survey.anonymous = True if values["anonymous"] is None else bool(values["anonymous"])
    survey.opens_at, survey.closes_at = opens_at, closes_at
    survey.fiscal_year = fiscal_year(opens_at)
    survey.ward_id = values["ward_id"] or None
    survey.initiative_id, survey.department_id = initiative_id, department_id
    survey.panel_term_id = panel_term_id
    db.session.flush()
    db.session.execute(survey_session.delete().where(survey_session.c.survey_id == survey.id))
    if session_ids:
        db.session.execute(
            survey_session.insert(),
            [{"survey_id": survey.id, "session_id": i} for i in session_ids],
        )
    after = audit.snapshot(survey, SURVEY_FIELDS)
    after["session_ids"] = session_ids
    audit.record(actor, "surveys.save", survey, f"saved survey {survey.id}", before, after)
    db.session.commit()
    return survey


QUESTION_FIELDS = [
    "kind",
    "text_ja",
    "text_en",
    "help_ja",
    "help_en",
    "required",
    "options",
    "rows",
    "allow_other",
    "condition_question_id",
    "condition_options",
    "key",
]


def _labels(items: Any, field: str) -> list[dict[str, str]]:
    """Options or rows as [{"ja", "en"}]: plain strings are Japanese labels; blanks dropped."""
    result = []
    for item in items or []:
        if isinstance(item, str):
            item = {"ja": item, "en": ""}
        if not isinstance(item, dict):
            raise SurveyError(_("Write each choice on its own line."), field)
        ja, en = str(item.get("ja") or "").strip(), str(item.get("en") or "").strip()
        if not ja and not en:
            continue
        if not ja:
            raise SurveyError(_("Give every choice a Japanese label."), field)
        if len(ja) > 200 or len(en) > 300:
            raise SurveyError(_("A choice can be at most 200 characters."), field)
        result.append({"ja": ja, "en": en})
    return result


def save_question(actor: Any, survey: Survey, question: Question | None, **fields: Any) -> Question:
    """Add or edit a question of a draft; options for choice kinds (at least two), rows for a
    matrix; a condition only on an EARLIER choice question, with option indexes that exist."""
    unknown = set(fields) - set(QUESTION_FIELDS)
    if unknown:
        raise TypeError(f"unknown question fields: {sorted(unknown)}")
    _require_manager(actor, survey)
    if question is not None and question.survey_id != survey.id:
        raise SurveyError(_("This question belongs to another survey."))
    values = {
        name: fields[name] if name in fields else (getattr(question, name) if question else None)
        for name in QUESTION_FIELDS
    }
    try:
        kind = QuestionKind(values["kind"])
    except ValueError:
        raise SurveyError(_("Choose the kind of question from the list."), "kind") from None
    text = (values["text_ja"] or "").strip()
    if not text:
        raise SurveyError(_("Write the question in Japanese."), "text_ja")
    options = _labels(values["options"], "options") if kind in CHOICE_KINDS else []
    if kind in CHOICE_KINDS and len(options) < 2:
        raise SurveyError(_("A choice question needs at least two choices."), "options")
    rows = _labels(values["rows"], "rows") if kind == QuestionKind.MATRIX else []
    if kind == QuestionKind.MATRIX and not rows:
        raise SurveyError(_("A grid needs at least one item to rate."), "rows")
    condition_id = values["condition_question_id"] or None
    condition_options: list[int] = []
    survey = _locked(survey.id)
    _require_draft(survey)
    questions = list(
        db.session.scalars(
            sa.select(Question).where(Question.survey_id == survey.id).order_by(Question.position)
        )
    )
    position = (
        question.position if question else (max((q.position for q in questions), default=-1) + 1)
    )
    if condition_id is not None:
        target = next((q for q in questions if q.id == int(condition_id)), None)
        if target is None or target.position >= position or (question and target.id == question.id):
            db.session.rollback()
            raise SurveyError(
                _("A condition can only be on an earlier question of this survey."),
                "condition_question_id",
            )
        if target.kind not in CHOICE_KINDS:
            db.session.rollback()
            raise SurveyError(
                _("A condition can only be on a question with choices."), "condition_question_id"
            )
        try:
            condition_options = sorted({int(i) for i in values["condition_options"] or []})
        except (TypeError, ValueError):
            condition_options = [-99]
        if not condition_options or any(
            i < 0 or i >= len(target.options) for i in condition_options
        ):
            db.session.rollback()
            raise SurveyError(
                _("Choose the answers of the earlier question that show this one."),
                "condition_options",
            )
        condition_id = target.id
    if question is not None:
        dependants = [q for q in questions if q.condition_question_id == question.id]
        if dependants and kind not in CHOICE_KINDS:
            db.session.rollback()
            raise SurveyError(
                _("Later questions are shown by this one's choices: it must keep its choices."),
                "kind",
            )
        for dependant in dependants:
            if any(i >= len(options) for i in dependant.condition_options):
                db.session.rollback()
                raise SurveyError(
                    _("A later question's condition uses a choice you removed: change it first."),
                    "options",
                )
    before = audit.snapshot(question, QUESTION_FIELDS) if question else None
    if question is None:
        question = Question(survey_id=survey.id, position=position)
        db.session.add(question)
    else:
        question = db.session.get(Question, question.id)
    question.kind = kind
    question.text_ja = text
    question.text_en = (values["text_en"] or "").strip()
    question.help_ja = (values["help_ja"] or "").strip()
    question.help_en = (values["help_en"] or "").strip()
    question.required = bool(values["required"])
    question.options = options
    question.rows = rows
    question.allow_other = bool(values["allow_other"]) and kind in CHOICE_KINDS
    question.condition_question_id = condition_id
    question.condition_options = condition_options
    question.key = (values["key"] or "").strip()[:32]
    db.session.flush()
    audit.record(
        actor,
        "surveys.question",
        survey,
        f"saved question {question.id} of survey {survey.id}",
        before,
        audit.snapshot(question, QUESTION_FIELDS),
    )
    db.session.commit()
    return question


def _renumber(survey_id: int) -> list[Question]:
    questions = list(
        db.session.scalars(
            sa.select(Question)
            .where(Question.survey_id == survey_id)
            .order_by(Question.position, Question.id)
        )
    )
    for number, item in enumerate(questions):
        item.position = number
    return questions


def move_question(actor: Any, question: Question, offset: int) -> None:
    """Move up (negative) or down; never above the question its condition is on, nor below a
    question whose condition is on it."""
    survey = db.session.get(Survey, question.survey_id)
    _require_manager(actor, survey)
    survey = _locked(survey.id)
    _require_draft(survey)
    questions = _renumber(survey.id)
    index = next(i for i, q in enumerate(questions) if q.id == question.id)
    target = max(0, min(len(questions) - 1, index + offset))
    if target == index:
        db.session.rollback()
        return
    moved = questions.pop(index)
    questions.insert(target, moved)
    place = {q.id: i for i, q in enumerate(questions)}
    for item in questions:
        if item.condition_question_id and place[item.condition_question_id] >= place[item.id]:
            db.session.rollback()
            raise SurveyError(_("A question must come after the question its condition is on."))
    for number, item in enumerate(questions):
        item.position = number
    audit.record(
        actor,
        "surveys.question_move",
        survey,
        f"moved question {question.id} of survey {survey.id} to {target + 1}",
    )
    db.session.commit()


def remove_question(actor: Any, question: Question) -> None:
    """Only from a draft (no answers exist yet); conditions on it are removed too."""
    survey = db.session.get(Survey, question.survey_id)
    _require_manager(actor, survey)
    survey = _locked(survey.id)
    _require_draft(survey)
    question = db.session.get(Question, question.id)
    for dependant in db.session.scalars(
        sa.select(Question).where(Question.condition_question_id == question.id)
    ):
        dependant.condition_question_id, dependant.condition_options = None, []
    db.session.flush()
    before = audit.snapshot(question, ["kind", "text_ja", "position"])
    db.session.delete(question)
    db.session.flush()
    _renumber(survey.id)
    audit.record(
        actor,
        "surveys.question_remove",
        survey,
        f"removed a question of survey {survey.id}",
        before,
    )
    db.session.commit()


def submit_for_review(actor: Any, survey: Survey) -> None:
    """DRAFT → IN_REVIEW (needs at least one question)."""
    _require_manager(actor, survey)
    survey = _locked(survey.id)
    _require_draft(survey)
    count = db.session.scalar(
        sa.select(sa.func.count(Question.id)).where(Question.survey_id == survey.id)
    )
    if not count:
        db.session.rollback()
        raise SurveyError(_("Add at least one question before sending the survey for review."))
    if survey.closes_at <= clock.now():
        db.session.rollback()
        raise SurveyError(
            _("The survey would close before it is approved: change its dates."), "closes_at"
        )
    survey.status = SurveyStatus.IN_REVIEW
    audit.record(actor, "surveys.submit", survey, f"sent survey {survey.id} for review")
    db.session.commit()


def approve(reviewer: Any, survey: Survey, note: str = "") -> None:
    """広聴課: IN_REVIEW → APPROVED (opens and closes by itself at its times); for a panel or
    participants survey the invitations are created and mailed (or made printable) now."""
    _require_coordinator(reviewer)
    survey = _locked(survey.id)
    if survey.status != SurveyStatus.IN_REVIEW:
        db.session.rollback()
        raise SurveyError(_("This survey is not waiting for approval."))
    if survey.closes_at <= clock.now():
        db.session.rollback()
        raise SurveyError(
            _("This survey's closing time has passed: return it so that its dates are changed.")
        )
    survey.status = SurveyStatus.APPROVED
    survey.review_note = note.strip()
    survey.reviewed_by_id = reviewer.id
    invited = _invite(survey)
    audit.record(
        reviewer,
        "surveys.approve",
        survey,
        f"approved survey {survey.id}",
        after={"note": survey.review_note, "invited": invited},
    )
    db.session.commit()


def return_survey(reviewer: Any, survey: Survey, note: str) -> None:
    """広聴課 sends it back to DRAFT with a note (required)."""
    _require_coordinator(reviewer)
    if not note.strip():
        raise SurveyError(_("Say what should change."), "note")
    survey = _locked(survey.id)
    if survey.status != SurveyStatus.IN_REVIEW:
        db.session.rollback()
        raise SurveyError(_("This survey is not waiting for approval."))
    survey.status = SurveyStatus.DRAFT
    survey.review_note = note.strip()
    survey.reviewed_by_id = reviewer.id
    audit.record(
        reviewer,
        "surveys.return",
        survey,
        f"returned survey {survey.id}",
        after={"note": note.strip()},
    )
    db.session.commit()


def abandon(actor: Any, survey: Survey, reason: str) -> None:
    """Give up a survey that has not published results (kept, with the reason)."""
    _require_manager(actor, survey)
    if not reason.strip():
        raise SurveyError(_("Give the reason for abandoning the survey."), "reason")
    survey = _locked(survey.id)
    if survey.status in (SurveyStatus.PUBLISHED, SurveyStatus.ABANDONED):
        db.session.rollback()
        raise SurveyError(_("This survey can no longer be abandoned."))
    survey.status = SurveyStatus.ABANDONED
    survey.review_note = reason.strip()
    audit.record(
        actor, "surveys.abandon", survey, f"abandoned survey {survey.id}: {reason.strip()}"
    )
    db.session.commit()


def _placeholder_hash() -> str:
    # The code's hash needs the row's id; a random stand-in fills the unique column until then.
    return secrets.token_hex(32)


def _mail(recipient: str, language: str, template: str, subject: Any, **context: Any) -> None:
    """One mail in the recipient's language; `subject` is called inside it."""
    with force_locale(language if language in ("ja", "en") else "ja"):
        body = render_template(f"surveys/mail/{template}.txt", **context)
        queue_mail(recipient, subject(), body)


def _participant_registrations(session_ids: list[int]) -> list[Any]:
    """Who took part in these sessions: the attended registrations, or, for a session whose
    check-in list was not kept, the confirmed ones; one per e-mail address."""
    from app.consultations.models import Registration, RegistrationStatus

    if not session_ids:
        return []
    kept = set(
        db.session.scalars(
            sa.select(Registration.session_id)
            .where(Registration.session_id.in_(session_ids), Registration.attended.is_not(None))
            .distinct()
        )
    )
    registrations = db.session.scalars(
        sa.select(Registration)
        .where(
            Registration.session_id.in_(session_ids),
            Registration.status == RegistrationStatus.CONFIRMED,
        )
        .order_by(Registration.id)
    ).all()
    chosen, seen = [], set()
    for registration in registrations:
        came = registration.attended if registration.session_id in kept else True
        address = (registration.email or "").strip().lower()
        if not came or (address and address in seen):
            continue
        seen.add(address)
        chosen.append(registration)
    return chosen


def _invite(survey: Survey, context: dict[str, Any] | None = None) -> int:
    """Create the survey's invitations (panel members who accepted, or the sessions'
    participants), mail those with an address and leave the others to be printed
    (`survey_letters`); returns how many."""
    from app.accounts.models import User

    made: list[tuple[Invitation, str]] = []  # (invitation, language)
    if survey.audience == Audience.PANEL and survey.panel_term_id:
        members = db.session.scalars(
            sa.select(PanelMember)
            .where(
                PanelMember.term_id == survey.panel_term_id,
                PanelMember.state == MemberState.ACCEPTED,
            )
            .order_by(PanelMember.id)
        ).all()
        languages = dict(
            db.session.execute(
                sa.select(User.id, User.language).where(
                    User.id.in_([m.user_id for m in members if m.user_id])
                )
            ).all()
        )
        for member in members:
            invitation = Invitation(
                survey_id=survey.id,
                code_hash=_placeholder_hash(),
                panel_member_id=member.id,
                user_id=member.user_id,
                email=member.email,
            )
            made.append((invitation, languages.get(member.user_id) or "ja"))
    elif survey.audience == Audience.PARTICIPANTS:
        for registration in _participant_registrations(session_ids_of(survey)):
            invitation = Invitation(
                survey_id=survey.id,
                code_hash=_placeholder_hash(),
                registration_id=registration.id,
                user_id=registration.user_id,
                email=registration.email or "",
            )
            made.append((invitation, registration.language or "ja"))
    db.session.add_all([invitation for invitation, _lang in made])
    db.session.flush()
    now = clock.now()
    for invitation, language in made:
        code = invitation_code(invitation)
        invitation.code_hash = code_hash(code)
        if invitation.email:
            invitation.sent_at = now
            _mail(
                invitation.email,
                language,
                "feedback" if survey.kind == SurveyKind.FEEDBACK else "invitation",
                (lambda: _("A short questionnaire about the session you took part in"))
                if survey.kind == SurveyKind.FEEDBACK
                else (lambda: _("Please answer the survey “%(title)s”", title=survey.title_ja)),
                survey=survey,
                link=answer_link(survey, code),
                code=code,
                closes_on=to_jst(survey.closes_at).date(),
                **(context or {}),
            )
    survey.invited_count = len(made)
    return len(made)


def survey_letters(survey: Survey) -> list[tuple[Invitation, str]]:
    """The unused invitations without an e-mail address, with their codes, for letters by
    post (the code is derived again, never read from the database)."""
    invitations = db.session.scalars(
        sa.select(Invitation)
        .where(
            Invitation.survey_id == survey.id,
            Invitation.email == "",
            Invitation.used_at.is_(None),
            sa.or_(
                Invitation.panel_member_id.is_not(None), Invitation.registration_id.is_not(None)
            ),
        )
        .order_by(Invitation.id)
    ).all()
    return [(invitation, invitation_code(invitation)) for invitation in invitations]


# Answering ---------------------------------------------------------------------------------


@dataclass
class Access:
    """Who is answering: through a one-time code (invitation), an account, or openly."""

    source: Source
    invitation_id: int | None = None
    user_id: int | None = None
    ward_id: int | None = None
    age_band: Any = None


def _authenticated(user: Any) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False))


def _invitation_access(survey: Survey, invitation: Invitation) -> Access:
    ward_id = age_band = None
    if invitation.panel_member_id:
        resident = db.session.execute(
            sa.select(Resident.ward_id, Resident.age_band)
            .join(PanelMember, PanelMember.resident_id == Resident.id)
            .where(PanelMember.id == invitation.panel_member_id)
        ).first()
        if resident is not None:
            ward_id, age_band = resident
    source = Source.PANEL if survey.audience == Audience.PANEL else Source.PARTICIPANTS
    return Access(
        source=source,
        invitation_id=invitation.id,
        user_id=invitation.user_id,
        ward_id=ward_id,
        age_band=age_band,
    )


def _account_marker(survey_id: int, user_id: int) -> str:
    """The hash of the invitation row that marks an account as having answered an ACCOUNTS
    survey: it says that they answered, never which response is theirs."""
    return hashlib.sha256(f"account:{survey_id}:{user_id}".encode()).hexdigest()


def access_for(survey: Survey, code: str | None, user: Any) -> Access | None:
    """Whether this person may answer now (None: may not): anyone for ANYONE; an account for
    ACCOUNTS; a valid unused invitation code for PANEL / PARTICIPANTS (or the account it was
    sent to)."""
    if not survey.is_open(clock.now()):
        return None
    user_id = user.id if _authenticated(user) else None
    if survey.audience == Audience.ANYONE:
        return Access(source=Source.OPEN, user_id=user_id)
    if survey.audience == Audience.ACCOUNTS:
        if user_id is None:
            return None
        used = db.session.scalar(
            sa.select(Invitation.id).where(
                Invitation.code_hash == _account_marker(survey.id, user_id)
            )
        )
        return None if used else Access(source=Source.OPEN, user_id=user_id)
    invitation = None
    if normalize_code(code):
        invitation = db.session.scalar(
            sa.select(Invitation).where(
                Invitation.survey_id == survey.id, Invitation.code_hash == code_hash(code)
            )
        )
    elif user_id is not None:
        invitation = db.session.scalar(
            sa.select(Invitation)
            .where(
                Invitation.survey_id == survey.id,
                Invitation.user_id == user_id,
                Invitation.used_at.is_(None),
            )
            .order_by(Invitation.id)
            .limit(1)
        )
    if invitation is None or invitation.used_at is not None:
        return None
    return _invitation_access(survey, invitation)


def refusal(survey: Survey, code: str | None, user: Any) -> str:
    """Why `access_for` said no, in words for the person."""
    now = clock.now()
    if (
        survey.status not in (SurveyStatus.APPROVED, SurveyStatus.PUBLISHED)
        or now < survey.opens_at
    ):
        return _("This survey is not open yet.")
    if now >= survey.closes_at:
        return _("This survey has closed. Thank you for your interest.")
    if survey.audience == Audience.ACCOUNTS:
        if not _authenticated(user):
            return _("Please log in to answer this survey.")
        return _("You have already answered this survey. Thank you.")
    if normalize_code(code):
        used = db.session.scalar(
            sa.select(Invitation.used_at).where(
                Invitation.survey_id == survey.id, Invitation.code_hash == code_hash(code)
            )
        )
        if used is not None:
            return _("This code has already been used to answer. Thank you.")
        return _(
            "This code is not valid for this survey. Please check it against your letter or mail."
        )
    return _("Enter the code from your letter or mail to answer this survey.")


def _empty(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, (list, tuple, dict)):
        return not any(
            not _empty(v) for v in (value.values() if isinstance(value, dict) else value)
        )
    return False


def _as_int(value: Any) -> int | None:
    try:
        return int(unicodedata.normalize("NFKC", str(value)).strip())
    except (TypeError, ValueError):
        return None


def _parse(question: Question, raw: Any, other: str) -> tuple[Any, str | None]:
    """The answer to one shown question as stored values, or the message for what is wrong.
    None with no message: not answered."""
    kind = question.kind
    if _empty(raw):
        return None, None
    if kind in (QuestionKind.SHORT_TEXT, QuestionKind.LONG_TEXT):
        text = raw.strip() if isinstance(raw, str) else None
        if text is None:
            return None, _("Write your answer as text.")
        limit = SHORT_TEXT_MAX if kind == QuestionKind.SHORT_TEXT else LONG_TEXT_MAX
        if len(text) > limit:
            return None, _("Your answer can be at most %(max)d characters.", max=limit)
        return text, None
    if kind in CHOICE_KINDS:
        values = raw if isinstance(raw, (list, tuple)) else [raw]
        if kind == QuestionKind.SINGLE and len([v for v in values if not _empty(v)]) > 1:
            return None, _("Choose only one answer.")
        chosen: list[int] = []
        for value in values:
            if _empty(value):
                continue
            index = -1 if str(value).strip() == "other" else _as_int(value)
            valid = index is not None and (
                0 <= index < len(question.options) or (index == -1 and question.allow_other)
            )
            if not valid:
                return None, _("Choose from the answers given.")
            if index not in chosen:
                chosen.append(index)
        if -1 in chosen:
            if not other.strip():
                return None, _("Write your answer for “Other”.")
            if len(other.strip()) > SHORT_TEXT_MAX:
                return None, _("Your answer can be at most %(max)d characters.", max=SHORT_TEXT_MAX)
        return (chosen[0] if kind == QuestionKind.SINGLE else sorted(chosen)), None
    if kind == QuestionKind.SCALE:
        point = _as_int(raw)
        if point is None or not 1 <= point <= SCALE_POINTS:
            return None, _("Choose a point from 1 to 5.")
        return point, None
    if kind == QuestionKind.MATRIX:
        if not isinstance(raw, dict):
            return None, _("Choose a point from 1 to 5 for each item.")
        points: dict[int, int] = {}
        for row, value in raw.items():
            if _empty(value):
                continue
            index, point = _as_int(row), _as_int(value)
            if index is None or not 0 <= index < len(question.rows):
                return None, _("Choose a point from 1 to 5 for each item.")
            if point is None or not 1 <= point <= SCALE_POINTS:
                return None, _("Choose a point from 1 to 5 for each item.")
            points[index] = point
        if question.required and len(points) < len(question.rows):
            return None, _("Please rate every item.")
        return points, None
    if kind == QuestionKind.NUMBER:
        text = unicodedata.normalize("NFKC", str(raw)).strip().replace(",", "")
        try:
            number = float(text)
        except ValueError:
            return None, _("Enter a number, for example 3 or 2.5.")
        if not math.isfinite(number) or abs(number) >= NUMBER_LIMIT:
            return None, _("Enter a number, for example 3 or 2.5.")
        return number, None
    if kind == QuestionKind.DATE:
        if isinstance(raw, date):
            return raw, None
        text = unicodedata.normalize("NFKC", str(raw)).strip().replace("/", "-")
        try:
            return date.fromisoformat(text), None
        except ValueError:
            return None, _("Enter a date as year-month-day, for example 2026-04-01.")
    return None, None


def _questions(survey: Survey) -> list[Question]:
    return list(
        db.session.scalars(
            sa.select(Question)
            .where(Question.survey_id == survey.id)
            .order_by(Question.position, Question.id)
        )
    )


def _walk(
    survey: Survey, answers: dict[str, Any]
) -> tuple[list[tuple[Question, Any, str]], dict[int, str], list[Question]]:
    """Conditions applied in order: (question, value, other text) for every shown question
    answered, the messages, and the questions shown. A question is shown when it has no
    condition, or its condition's question is shown and one of the chosen answers is among
    `condition_options`; a hidden question's answer is dropped."""
    answers = answers or {}
    chosen: dict[int, set[int]] = {}
    shown: list[Question] = []
    kept: list[tuple[Question, Any, str]] = []
    errors: dict[int, str] = {}
    for question in _questions(survey):
        if question.condition_question_id is not None:
            picked = chosen.get(question.condition_question_id, set())
            if not picked & set(question.condition_options or []):
                continue
        shown.append(question)
        other = answers.get(f"{question.id}-other") or ""
        other = other if isinstance(other, str) else ""
        value, error = _parse(question, answers.get(str(question.id)), other)
        if error:
            errors[question.id] = error
            continue
        if value is None:
            if question.required:
                errors[question.id] = _("Please answer this question.")
            continue
        if question.kind == QuestionKind.SINGLE:
            chosen[question.id] = {value}
        elif question.kind == QuestionKind.MULTIPLE:
            chosen[question.id] = set(value)
        kept.append((question, value, other.strip()))
    return kept, errors, shown


def visible_questions(survey: Survey, answers: dict[str, Any]) -> list[Question]:
    """The questions shown for these answers so far (conditions applied in order)."""
    return _walk(survey, answers)[2]


def check_answers(survey: Survey, answers: dict[str, Any]) -> dict[int, str]:
    """{question id: message} for every visible required question left empty and every value
    out of range; answers to hidden questions are dropped, never stored."""
    return _walk(survey, answers)[1]


def _draft_key_hash(survey_id: int, key: str) -> str:
    """A draft's key: the survey and the code (normalised) or "user:<id>"; hashed, so the
    table of drafts names no code."""
    key = key if key.startswith("user:") else normalize_code(key)
    return hashlib.sha256(f"{survey_id}|{key}".encode()).hexdigest()


def save_progress(survey: Survey, key: str, answers: dict[str, Any]) -> None:
    """Keep an unfinished response (ResponseDraft keyed by sha256 of `key`: the code, or
    "user:<id>")."""
    if not key or not survey.is_open(clock.now()):
        raise SurveyError(_("This survey is not open, so progress cannot be saved."))
    known = {str(q.id) for q in _questions(survey)}
    kept: dict[str, Any] = {}
    for name, value in (answers or {}).items():
        base = name.removesuffix("-other")
        if base not in known or _empty(value):
            continue
        if isinstance(value, str) and len(value) > LONG_TEXT_MAX:
            raise SurveyError(
                _("Your answer can be at most %(max)d characters.", max=LONG_TEXT_MAX), base
            )
        kept[name] = value
    key_hash = _draft_key_hash(survey.id, key)
    begin_write()
    draft = db.session.scalar(
        sa.select(ResponseDraft).where(ResponseDraft.key_hash == key_hash).with_for_update()
    )
    if draft is None:
        draft = ResponseDraft(survey_id=survey.id, key_hash=key_hash)
        db.session.add(draft)
    draft.answers = kept
    draft.saved_at = clock.now()
    try:
        db.session.commit()
    except sa.exc.IntegrityError:
        # Saved twice at once: the first one's draft stands; save over it.
        db.session.rollback()
        save_progress(survey, key, answers)


def load_progress(survey: Survey, key: str) -> dict[str, Any]:
    """The answers saved for this code or account, or {}."""
    if not key:
        return {}
    found = db.session.scalar(
        sa.select(ResponseDraft.answers).where(
            ResponseDraft.key_hash == _draft_key_hash(survey.id, key)
        )
    )
    return dict(found or {})


def _receipt_code() -> str:
    return "R" + "".join(secrets.choice(_CODE_ALPHABET) for _i in range(9))


def submit_response(
    survey: Survey, access: Access, answers: dict[str, Any], submission_token: str
) -> tuple[Response, bool]:
    """Store one response (created, or the one this token already stored): the survey must be
    open, the invitation unused (locked: two sendings of one code store one response), answers
    checked; the invitation marked used in the same transaction; anonymous → no link to the
    invitation or account and the day only. The draft is removed. Returns (response, created).

    `answers` maps str(question id) → a str (text, single option index, scale point, number,
    date ISO), a list of str (multiple option indexes), {"<row>": point} for a matrix, and
    "<qid>-other" → the text of 「その他」 (the option "-1" or "other" chooses it). A refused
    answer names its question's id as the field."""
    if not submission_token:
        raise SurveyError(_("The form has expired. Please open the survey again."))
    kept, errors, _shown = _walk(survey, answers)
    if errors:
        question_id, message = next(iter(errors.items()))
        raise SurveyError(message, str(question_id))
    # Read before the write turn, which expires the loaded questions (each would be read again).
    checked = [(question.id, question.kind, value, other) for question, value, other in kept]
    begin_write()
    existing = db.session.scalar(
        sa.select(Response).where(Response.submission_token == submission_token)
    )
    if existing is not None:
        # The same form sent again (a double click, the back button): the first stands.
        return existing, False
    # The survey read again under the writers' lock (closed or withdrawn meanwhile?): its
    # columns in one statement, not its questions again with it.
    db.session.refresh(survey, _survey_columns())
    now = clock.now()
    if not survey.is_open(now):
        db.session.rollback()
        raise SurveyError(
            _("This survey has closed. Thank you for your interest.")
            if survey.status == SurveyStatus.APPROVED and now >= survey.closes_at
            else _("This survey is not open.")
        )
    # An anonymous survey stamps the code's use with the day only: the order and the times of
    # the invitations used then say nothing of which response is whose.
    used_at = clock.start_of_today() if survey.anonymous else now
    invitation = None
    draft_keys: list[str] = []
    if access.invitation_id is not None:
        # Locked: two sendings of one code queue here, and the second finds it used.
        invitation = db.session.scalars(
            sa.select(Invitation)
            .where(Invitation.id == access.invitation_id, Invitation.survey_id == survey.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).one_or_none()
        if invitation is None:
            db.session.rollback()
            raise SurveyError(_("This code is not valid for this survey."))
        if invitation.used_at is not None:
            db.session.rollback()
            again = db.session.scalar(
                sa.select(Response).where(Response.submission_token == submission_token)
            )
            if again is not None:
                # The same form sent twice at once: the first sending stored it.
                return again, False
            raise SurveyError(_("This code has already been used to answer. Thank you."))
        invitation.used_at = used_at
        if invitation.panel_member_id or invitation.registration_id:
            draft_keys.append(invitation_code(invitation))
    elif survey.audience in (Audience.PANEL, Audience.PARTICIPANTS):
        db.session.rollback()
        raise SurveyError(_("Enter the code from your letter or mail to answer this survey."))
    elif survey.audience == Audience.ACCOUNTS:
        if access.user_id is None:
            db.session.rollback()
            raise SurveyError(_("Please log in to answer this survey."))
        marker = Invitation(
            survey_id=survey.id,
            code_hash=_account_marker(survey.id, access.user_id),
            used_at=used_at,
        )
        db.session.add(marker)
        try:
            db.session.flush()
        except sa.exc.IntegrityError:
            # The account answered already (or its other tab is answering right now).
            db.session.rollback()
            raise SurveyError(_("You have already answered this survey. Thank you.")) from None
    if access.user_id is not None:
        draft_keys.append(f"user:{access.user_id}")
    named = not survey.anonymous
    response = Response(
        survey_id=survey.id,
        source=access.source,
        submitted_on=clock.today(),
        submitted_at=now if named else None,
        ward_id=access.ward_id,
        age_band=AgeBand(access.age_band) if access.age_band else None,
        invitation_id=invitation.id if named and invitation is not None else None,
        user_id=access.user_id if named else None,
        submission_token=submission_token,
        receipt_code=_receipt_code(),
    )
    db.session.add(response)
    try:
        db.session.flush()
    except sa.exc.IntegrityError:
        db.session.rollback()
        existing = db.session.scalar(
            sa.select(Response).where(Response.submission_token == submission_token)
        )
        if existing is None:
            raise
        return existing, False
    rows: list[dict[str, Any]] = []
    for question_id, kind, value, other in checked:
        base = {"response_id": response.id, "question_id": question_id}
        if kind in (QuestionKind.SHORT_TEXT, QuestionKind.LONG_TEXT):
            rows.append(_answer_row(base, text=value))
        elif kind == QuestionKind.SINGLE:
            rows.append(_answer_row(base, option=value, text=other if value == -1 else ""))
        elif kind == QuestionKind.MULTIPLE:
            rows.extend(
                _answer_row(base, option=index, text=other if index == -1 else "")
                for index in value
            )
        elif kind == QuestionKind.SCALE:
            rows.append(_answer_row(base, option=value))
        elif kind == QuestionKind.MATRIX:
            rows.extend(
                _answer_row(base, row=row, option=point) for row, point in sorted(value.items())
            )
        elif kind == QuestionKind.NUMBER:
            rows.append(_answer_row(base, number=value))
        elif kind == QuestionKind.DATE:
            rows.append(_answer_row(base, day=value))
    if rows:
        # One statement for all the answers (executemany) rather than one each: this runs
        # while the writers' lock is held, so every statement saved lets the next one in.
        # Core's executemany keeps the None columns (the ORM's bulk insert drops them and
        # splits the rows into one statement per set of columns).
        db.session.connection().execute(sa.insert(Answer.__table__), rows)
    if draft_keys:
        db.session.execute(
            sa.delete(ResponseDraft).where(
                ResponseDraft.key_hash.in_([_draft_key_hash(survey.id, k) for k in draft_keys])
            )
        )
    db.session.commit()
    return response, True


def _survey_columns() -> list[str]:
    """The survey's own columns (not the deferred stored results), for submit_response's
    refresh; read from the mapper when called, once every model is mapped."""
    return [a.key for a in sa.inspect(Survey).column_attrs if not a.deferred]


def _answer_row(base: dict[str, Any], **values: Any) -> dict[str, Any]:
    """An answer's row with every column named, so that all rows insert in one executemany."""
    return {**base, "row": None, "option": None, "number": None, "day": None, "text": ""} | values


# Results and what came of them -------------------------------------------------------------


def publish_results(
    actor: Any, survey: Survey, afterwards_ja: str = "", afterwards_en: str = ""
) -> None:
    """After the close: results public (results_published_at, status PUBLISHED)."""
    _require_manager(actor, survey)
    survey = _locked(survey.id)
    if survey.status == SurveyStatus.PUBLISHED:
        db.session.rollback()
        raise SurveyError(_("The results of this survey are already published."))
    if survey.status != SurveyStatus.APPROVED:
        db.session.rollback()
        raise SurveyError(_("Only the results of an approved survey can be published."))
    if clock.now() < survey.closes_at:
        db.session.rollback()
        raise SurveyError(_("The results are published after the survey closes."))
    survey.status = SurveyStatus.PUBLISHED
    survey.results_published_at = clock.now()
    survey.afterwards_ja, survey.afterwards_en = afterwards_ja.strip(), afterwards_en.strip()
    # Counted once here, stored with the publication: visitors read the stored results.
    store_snapshot(survey)
    audit.record(actor, "surveys.publish", survey, f"published the results of survey {survey.id}")
    db.session.commit()


def save_afterwards(actor: Any, survey: Survey, afterwards_ja: str, afterwards_en: str) -> None:
    """「その後」: how the results were used, any time after publication. No figure changes,
    so the stored results are kept (the pages read 「その後」 from the survey's own row)."""
    _require_manager(actor, survey)
    if not afterwards_ja.strip():
        raise SurveyError(_("Write in Japanese how the results were used."), "afterwards_ja")
    survey = _locked(survey.id)
    if survey.status != SurveyStatus.PUBLISHED:
        db.session.rollback()
        raise SurveyError(_("Publish the results first; then say how they were used."))
    before = audit.snapshot(survey, ["afterwards_ja", "afterwards_en"])
    survey.afterwards_ja, survey.afterwards_en = afterwards_ja.strip(), afterwards_en.strip()
    audit.record(
        actor,
        "surveys.afterwards",
        survey,
        f"how the results of survey {survey.id} were used",
        before,
        audit.snapshot(survey, ["afterwards_ja", "afterwards_en"]),
    )
    db.session.commit()


def redact_answer(actor: Any, answer_id: int, redacted_text: str | None) -> None:
    """Publish a free-text answer as redacted (None or blank: not published). The audit
    entry names the answer, never its words (which may be personal)."""
    found = db.session.get(Answer, answer_id)
    if found is None:
        raise SurveyError(_("This answer does not exist."))
    question = db.session.get(Question, found.question_id)
    survey = db.session.get(Survey, question.survey_id)
    _require_manager(actor, survey)
    if not found.text:
        raise SurveyError(_("Only written answers are published after redaction."))
    text = (redacted_text or "").strip() or None
    if text is not None and len(text) > LONG_TEXT_MAX:
        raise SurveyError(
            _("The text can be at most %(max)d characters.", max=LONG_TEXT_MAX), "redacted_text"
        )
    # The survey is locked first: two redactions of one survey each rewrite its stored results,
    # and the second must count the first's text.
    survey = _locked(survey.id)
    found = db.session.scalars(
        sa.select(Answer)
        .where(Answer.id == answer_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    found.redacted_text = text
    if survey.results_published_at is not None:
        refresh_texts(survey, found.question_id)  # public at once, in this transaction
    audit.record(
        actor,
        "surveys.redact",
        survey,
        f"answer {answer_id} of survey {survey.id} "
        + ("published as redacted" if text else "not published"),
    )
    db.session.commit()


# The panel ---------------------------------------------------------------------------------

# The draw's method as the panel's page explains it (the council lottery's, per stratum).
DRAW_ALGORITHM = _l(
    "The city imports the resident register's extract and publishes the number of residents "
    "in each stratum (ward × age band); then it publishes the seed, and draws. The number to "
    "invite is divided among the strata in proportion to their residents (largest remainder: "
    "each stratum gets the whole part of its share, and the places left go to the largest "
    "fractions). Within each stratum the residents are sorted by the SHA-256, in lowercase "
    'hexadecimal, of the UTF-8 text seed + ":" + the register number (ties by the number), and '
    "the first ones are invited. Anyone with the seed and the list can run the same code and "
    "get the same people; a member who leaves is replaced by the next in the same stratum."
)

DRAW_SOURCE = """import hashlib

def draw_order(seed, register_refs):
    def key(ref):
        return (hashlib.sha256(f"{seed}:{ref}".encode("utf-8")).hexdigest(), ref)
    return sorted(register_refs, key=key)
"""


def draw_order(seed: str, register_refs: list[str]) -> list[str]:
    """The published order within a stratum (DRAW_SOURCE is the same code): deterministic for
    a seed, independent of the database's or Python's random generators."""

    def key(ref: str) -> tuple[str, str]:
        return (hashlib.sha256(f"{seed}:{ref}".encode()).hexdigest(), ref)

    return sorted(register_refs, key=key)


TERM_FIELDS = ["name_ja", "name_en", "starts_on", "ends_on", "target_size", "invite_ratio"]


def create_term(actor: Any, **fields: Any) -> PanelTerm:
    """A term of the panel: name_ja (name_en), starts_on, ends_on, target_size (invite_ratio,
    how many are invited per member wanted; 8.5 as Kumamoto's 18,160 for 2,124)."""
    unknown = set(fields) - set(TERM_FIELDS)
    if unknown:
        raise TypeError(f"unknown term fields: {sorted(unknown)}")
    _require_coordinator(actor)
    name = (fields.get("name_ja") or "").strip()
    if not name:
        raise SurveyError(_("Give the term a name in Japanese."), "name_ja")
    starts_on, ends_on = fields.get("starts_on"), fields.get("ends_on")
    if not isinstance(starts_on, date):
        raise SurveyError(_("Enter the day the term starts."), "starts_on")
    if not isinstance(ends_on, date):
        raise SurveyError(_("Enter the day the term ends."), "ends_on")
    if ends_on <= starts_on:
        raise SurveyError(_("The term must end after it starts."), "ends_on")
    size = _as_int(fields.get("target_size"))
    if size is None or size < 1:
        raise SurveyError(_("Enter how many members the panel should have."), "target_size")
    try:
        ratio = float(fields.get("invite_ratio") or 8.5)
    except (TypeError, ValueError):
        ratio = 0.0
    if not 1 <= ratio <= 100:
        raise SurveyError(
            _("Enter how many residents to invite per member wanted (from 1 to 100)."),
            "invite_ratio",
        )
    term = PanelTerm(
        name_ja=name,
        name_en=(fields.get("name_en") or "").strip(),
        starts_on=starts_on,
        ends_on=ends_on,
        target_size=size,
        invite_ratio=ratio,
    )
    db.session.add(term)
    db.session.flush()
    audit.record(
        actor, "surveys.panel_term", term, f"created panel term {term.id}", after={"name": name}
    )
    db.session.commit()
    return term


_CSV_COLUMNS = {
    "register_ref": ("register_ref", "住民番号", "番号"),
    "name": ("name", "氏名"),
    "postal_code": ("postal_code", "郵便番号"),
    "address": ("address", "住所"),
    "ward": ("ward", "区"),
    "age_band": ("age_band", "年齢区分"),
    "birth_date": ("birth_date", "生年月日"),
}


def _age_band(age: int) -> AgeBand:
    if age < 20:
        return AgeBand.UNDER_20
    if age >= 70:
        return AgeBand.SEVENTY_PLUS
    return AgeBand(f"{age // 10 * 10}s")


def _age_on(born: date, day: date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def import_residents(actor: Any, term: PanelTerm, csv_text: str) -> int:
    """The resident register's extract (CSV with a header: register_ref, name, postal_code,
    address, ward (code or name), and age_band or birth_date; Japanese headers 住民番号, 氏名,
    郵便番号, 住所, 区, 年齢区分, 生年月日 too); refuses the whole file with the line and reason
    of the first bad row (nothing half-imported); replaces an earlier import until the seed is
    published; stores the population per stratum as the weights' source. Returns the count."""
    import csv
    import io
    from collections import Counter

    from app.plan.models import Ward

    _require_coordinator(actor)
    if term.seed_published_at is not None:
        raise SurveyError(
            _("The seed has been published: the resident list can no longer be changed.")
        )
    text = (csv_text or "").lstrip("\ufeff")
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if not header:
        raise SurveyError(_("The file is empty."), "csv")
    names = [unicodedata.normalize("NFKC", h).strip().lower() for h in header]
    where: dict[str, int] = {}
    for column, aliases in _CSV_COLUMNS.items():
        for alias in aliases:
            if alias.lower() in names:
                where[column] = names.index(alias.lower())
                break
    missing = [c for c in ("register_ref", "name", "address", "ward") if c not in where]
    if "age_band" not in where and "birth_date" not in where:
        missing.append("age_band / birth_date")
    if missing:
        raise SurveyError(
            _(
                "The first line must name the columns; missing: %(columns)s.",
                columns=", ".join(missing),
            ),
            "csv",
        )
    wards: dict[str, tuple[int, str]] = {}
    for ward in db.session.scalars(sa.select(Ward)):
        for label in (ward.code, ward.name_ja, ward.name_en):
            if label:
                wards[unicodedata.normalize("NFKC", label).strip().lower()] = (ward.id, ward.code)
    rows: list[dict[str, Any]] = []
    seen: set[str] = set()
    population: Counter[str] = Counter()
    for line, record in enumerate(reader, start=2):
        if not any(cell.strip() for cell in record):
            continue

        def cell(column: str, record: list[str] = record) -> str:
            index = where.get(column)
            if index is None or index >= len(record):
                return ""
            return unicodedata.normalize("NFKC", record[index]).strip()

        def bad(reason: str, line: int = line) -> SurveyError:
            return SurveyError(_("Line %(line)d: %(reason)s", line=line, reason=reason), "csv")

        ref, name, address = cell("register_ref"), cell("name"), cell("address")
        if not ref:
            raise bad(_("the register number is missing."))
        if len(ref) > 40:
            raise bad(_("the register number is longer than 40 characters."))
        if ref in seen:
            raise bad(_("the register number %(ref)s appears twice.", ref=ref))
        seen.add(ref)
        if not name:
            raise bad(_("the name is missing."))
        if not address:
            raise bad(_("the address is missing."))
        ward = wards.get(cell("ward").lower())
        if ward is None:
            raise bad(_("“%(ward)s” is not one of the city's wards.", ward=cell("ward")))
        band_text = cell("age_band")
        if band_text:
            try:
                band = AgeBand(band_text.lower())
            except ValueError:
                raise bad(_("“%(band)s” is not an age band.", band=band_text)) from None
        else:
            try:
                born = date.fromisoformat(cell("birth_date").replace("/", "-"))
            except ValueError:
                raise bad(_("the birth date is not a date (year-month-day).")) from None
            age = _age_on(born, term.starts_on)
            if age < 18:
                raise bad(_("the resident is under 18 when the term starts."))
            band = _age_band(age)
        rows.append(
            {
                "term_id": term.id,
                "register_ref": ref,
                "name": name[:100],
                "postal_code": cell("postal_code")[:10],
                "address": address[:300],
                "ward_id": ward[0],
                "age_band": band,
            }
        )
        population[f"{ward[1]}|{band.value}"] += 1
    if not rows:
        raise SurveyError(_("The file has no residents."), "csv")
    term = _locked_term(term.id)
    if term.seed_published_at is not None:
        db.session.rollback()
        raise SurveyError(
            _("The seed has been published: the resident list can no longer be changed.")
        )
    db.session.execute(sa.delete(Resident).where(Resident.term_id == term.id))
    db.session.execute(sa.insert(Resident), rows)
    term.population = dict(sorted(population.items()))
    term.population_source = (
        f"住民基本台帳からの抽出 {len(rows):,}人（{format_date(clock.today(), weekday=False)}取込）"
    )
    audit.record(
        actor,
        "surveys.panel_import",
        term,
        f"imported {len(rows)} residents for panel term {term.id}",
        after={"residents": len(rows), "strata": len(population)},
    )
    db.session.commit()
    return len(rows)


def _locked_term(term_id: int) -> PanelTerm:
    begin_write()
    return db.session.scalars(
        sa.select(PanelTerm)
        .where(PanelTerm.id == term_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def publish_seed(actor: Any, term: PanelTerm, seed: str) -> None:
    """The seed is published before the draw (as the council lottery's commitment), after the
    resident list is imported and its strata published, so neither can be chosen to suit the
    other; once published it cannot change."""
    _require_coordinator(actor)
    seed = unicodedata.normalize("NFKC", seed or "").strip()
    if not seed:
        raise SurveyError(_("Enter the seed."), "seed")
    if len(seed) > 64 or not seed.isprintable():
        raise SurveyError(_("The seed can be at most 64 characters, on one line."), "seed")
    term = _locked_term(term.id)
    if term.seed_published_at is not None:
        db.session.rollback()
        raise SurveyError(_("The seed has been published and cannot be changed."), "seed")
    if not term.population:
        db.session.rollback()
        raise SurveyError(_("Import the resident list before publishing the seed."), "seed")
    term.seed, term.seed_published_at = seed, clock.now()
    audit.record(
        actor,
        "surveys.panel_seed",
        term,
        f"published the seed of term {term.id}",
        after={"seed": seed},
    )
    db.session.commit()


def stratum_plan(population: dict[str, int], size: int) -> dict[str, int]:
    """How many to draw per stratum: proportional, largest remainder, summing to `size`
    (or the whole population when it is smaller). Exact integer arithmetic; ties of the
    remainders go to the larger stratum, then the key's order."""
    total = sum(max(0, int(n)) for n in population.values())
    if size >= total:
        return {key: max(0, int(n)) for key, n in population.items()}
    if size <= 0:
        return {key: 0 for key in population}
    plan = {key: max(0, int(n)) * size // total for key, n in population.items()}
    left = size - sum(plan.values())
    order = sorted(
        population,
        key=lambda key: (-(max(0, int(population[key])) * size % total), -population[key], key),
    )
    for key in order[:left]:
        plan[key] += 1
    return plan


def draw(actor: Any, term: PanelTerm) -> list[PanelMember]:
    """Stratified random draw by ward × age band, proportional to the population's shares
    (largest remainder), target_size × invite_ratio invitations, reproducible from the published
    seed and the list alone (`draw_order`, the council lottery's hash order, within each
    stratum); every resident's draw_rank (place in their stratum's order) kept for
    replacements; the invitation letters' codes are printed from `invitation_letters`."""
    from app.plan.models import Ward

    _require_coordinator(actor)
    term = _locked_term(term.id)
    if term.drawn_at is not None:
        db.session.rollback()
        raise SurveyError(_("This term has already been drawn."))
    if term.seed_published_at is None or not term.seed:
        db.session.rollback()
        raise SurveyError(_("Publish the seed before the draw."))
    codes = dict(db.session.execute(sa.select(Ward.id, Ward.code)).all())
    residents = db.session.execute(
        sa.select(Resident.id, Resident.register_ref, Resident.ward_id, Resident.age_band).where(
            Resident.term_id == term.id
        )
    ).all()
    strata: dict[str, dict[str, int]] = {}
    for resident_id, ref, ward, band in residents:
        strata.setdefault(f"{codes[ward]}|{AgeBand(band).value}", {})[ref] = resident_id
    wanted = min(len(residents), round(term.target_size * term.invite_ratio))
    plan = stratum_plan({key: len(refs) for key, refs in strata.items()}, wanted)
    ranks: list[dict[str, int]] = []
    chosen: list[int] = []
    for key in sorted(strata):
        order = draw_order(term.seed, list(strata[key]))
        for rank, ref in enumerate(order, start=1):
            ranks.append({"id": strata[key][ref], "draw_rank": rank})
            if rank <= plan.get(key, 0):
                chosen.append(strata[key][ref])
    if ranks:
        # The ORM's bulk UPDATE by primary key: one executemany.
        db.session.execute(sa.update(Resident), ranks)
    members = [_new_member(term, resident_id) for resident_id in chosen]
    term.drawn_at = clock.now()
    audit.record(
        actor,
        "surveys.panel_draw",
        term,
        f"drew {len(members)} residents for panel term {term.id}",
        after={"seed": term.seed, "invited": len(members), "plan": plan},
    )
    db.session.commit()
    return members


def _new_member(term: PanelTerm, resident_id: int, replaces_id: int | None = None) -> PanelMember:
    member = PanelMember(
        term_id=term.id,
        resident_id=resident_id,
        state=MemberState.INVITED,
        code_hash=_placeholder_hash(),
        invited_at=clock.now(),
        replaces_id=replaces_id,
    )
    db.session.add(member)
    db.session.flush()
    member.code_hash = code_hash(member_code(member))
    return member


def invitation_letters(term: PanelTerm) -> list[tuple[PanelMember, str]]:
    """The invited residents who have not answered yet, with the codes of their letters (by
    ward and postal code, as the post sorts them). Personal data: staff pages only."""
    members = db.session.scalars(
        sa.select(PanelMember)
        .join(Resident, Resident.id == PanelMember.resident_id)
        .where(PanelMember.term_id == term.id, PanelMember.state == MemberState.INVITED)
        .order_by(Resident.ward_id, Resident.postal_code, Resident.register_ref)
        .options(sa.orm.joinedload(PanelMember.resident))
    ).all()
    return [(member, member_code(member)) for member in members]


def _locked_member_by_code(code: str) -> PanelMember:
    found = db.session.scalar(
        sa.select(PanelMember.id).where(PanelMember.code_hash == code_hash(code))
    )
    if not normalize_code(code) or found is None:
        raise SurveyError(_("This code is not valid. Please check it against your letter."), "code")
    begin_write()
    return db.session.scalars(
        sa.select(PanelMember)
        .where(PanelMember.id == found)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def _require_invited(member: PanelMember) -> None:
    messages = {
        MemberState.ACCEPTED: _("You have already joined the panel. Thank you."),
        MemberState.DECLINED: _("This invitation has been declined."),
        MemberState.RETIRED: _("You have left the panel; this invitation can no longer be used."),
    }
    if member.state != MemberState.INVITED:
        db.session.rollback()
        raise SurveyError(messages[member.state], "code")
    term = db.session.get(PanelTerm, member.term_id)
    if term.ends_on < clock.today():
        db.session.rollback()
        raise SurveyError(_("This term of the panel has ended."), "code")


def accept(code: str, email: str = "", user: Any = None) -> PanelMember:
    """A drawn resident accepts with the letter's code (once); with an e-mail address (or the
    account's) the surveys come by mail, with a welcome now."""
    email = (email or "").strip()
    if not email and _authenticated(user):
        email = user.email
    if email and ("@" not in email or len(email) > 254 or any(c.isspace() for c in email)):
        raise SurveyError(_("Enter a valid e-mail address, or leave it empty."), "email")
    member = _locked_member_by_code(code)
    _require_invited(member)
    member.state = MemberState.ACCEPTED
    member.accepted_at = clock.now()
    member.email = email
    if _authenticated(user):
        member.user_id = user.id
    if email:
        term = db.session.get(PanelTerm, member.term_id)
        _mail(
            email,
            getattr(user, "language", None) or "ja",
            "panel_welcome",
            lambda: _("Welcome to the citizens' panel"),
            term=term,
            starts_on=term.starts_on,
            ends_on=term.ends_on,
            link=_link("surveys.panel_leave", "/surveys/panel/leave"),
        )
    db.session.commit()
    return member


def decline(code: str) -> PanelMember:
    """A drawn resident declines with the letter's code (once)."""
    member = _locked_member_by_code(code)
    _require_invited(member)
    member.state = MemberState.DECLINED
    member.left_at = clock.now()
    db.session.commit()
    return member


def leave(member: PanelMember, reason: str = "") -> None:
    """A member leaves the panel (by their own choice on the site, or recorded by staff). The
    invitations of surveys still open that they have not used are withdrawn."""
    begin_write()
    member = db.session.scalars(
        sa.select(PanelMember)
        .where(PanelMember.id == member.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    if member.state not in (MemberState.ACCEPTED, MemberState.INVITED):
        db.session.rollback()
        raise SurveyError(_("This person is not a member of the panel."))
    member.state = MemberState.RETIRED
    member.left_at = clock.now()
    member.left_reason = (reason or "").strip()[:1000]
    db.session.execute(
        sa.delete(Invitation).where(
            Invitation.panel_member_id == member.id, Invitation.used_at.is_(None)
        )
    )
    audit.record(None, "surveys.panel_leave", member, f"panel member {member.id} left")
    db.session.commit()


def replace(actor: Any, member: PanelMember) -> PanelMember:
    """Invite the next resident of the same stratum in the draw's order (the lowest
    draw_rank not yet invited) in place of a member who left or declined."""
    _require_coordinator(actor)
    term = _locked_term(member.term_id)
    member = db.session.scalars(
        sa.select(PanelMember)
        .where(PanelMember.id == member.id)
        .execution_options(populate_existing=True)
    ).one()
    if member.state not in (MemberState.RETIRED, MemberState.DECLINED):
        db.session.rollback()
        raise SurveyError(_("Only a member who left or declined is replaced."))
    if db.session.scalar(sa.select(PanelMember.id).where(PanelMember.replaces_id == member.id)):
        db.session.rollback()
        raise SurveyError(_("This member has already been replaced."))
    resident = db.session.get(Resident, member.resident_id)
    invited = sa.select(PanelMember.resident_id).where(PanelMember.term_id == term.id)
    following = db.session.scalar(
        sa.select(Resident.id)
        .where(
            Resident.term_id == term.id,
            Resident.ward_id == resident.ward_id,
            Resident.age_band == resident.age_band,
            Resident.draw_rank.is_not(None),
            Resident.id.not_in(invited),
        )
        .order_by(Resident.draw_rank)
        .limit(1)
    )
    if following is None:
        db.session.rollback()
        raise SurveyError(_("No one is left to invite in this member's ward and age band."))
    new = _new_member(term, following, replaces_id=member.id)
    audit.record(
        actor,
        "surveys.panel_replace",
        term,
        f"panel member {member.id} replaced by {new.id}",
        after={"replaced": member.id, "by": new.id},
    )
    db.session.commit()
    return new


def balance(term: PanelTerm) -> list[dict[str, Any]]:
    """Members per stratum against the population's shares (for the staff page and results):
    one dict per stratum in ward and age order: ward (the Ward), age_band, population,
    population_share, planned (the target size's share, largest remainder), invited (all
    invited), accepted (members now), accepted_share. Counted in SQL, in one statement."""
    from app.plan.models import Ward

    wards = {
        ward.code: ward
        for ward in db.session.scalars(sa.select(Ward).order_by(Ward.position, Ward.id))
    }
    counts = db.session.execute(
        sa.select(
            Resident.ward_id,
            Resident.age_band,
            sa.func.count(PanelMember.id),
            sa.func.count(PanelMember.id).filter(PanelMember.state == MemberState.ACCEPTED),
        )
        .join(Resident, Resident.id == PanelMember.resident_id)
        .where(PanelMember.term_id == term.id)
        .group_by(Resident.ward_id, Resident.age_band)
    ).all()
    by_id = {ward.id: code for code, ward in wards.items()}
    found = {
        f"{by_id[ward_id]}|{AgeBand(band).value}": (invited, accepted)
        for ward_id, band, invited, accepted in counts
    }
    population = term.population or {}
    total = sum(population.values())
    plan = stratum_plan(population, term.target_size)
    members = sum(accepted for _invited, accepted in found.values())
    band_order = {band.value: i for i, band in enumerate(AgeBand)}
    rows = []
    for key in sorted(
        population,
        key=lambda k: (
            list(wards).index(k.split("|")[0]) if k.split("|")[0] in wards else 99,
            band_order.get(k.split("|")[1], 99),
        ),
    ):
        code, band = key.split("|")
        invited, accepted = found.get(key, (0, 0))
        rows.append(
            {
                "key": key,
                "ward": wards.get(code),
                "age_band": AgeBand(band),
                "population": population[key],
                "population_share": population[key] / total if total else 0.0,
                "planned": plan.get(key, 0),
                "invited": invited,
                "accepted": accepted,
                "accepted_share": accepted / members if members else 0.0,
            }
        )
    return rows


# Participant feedback ----------------------------------------------------------------------

FEEDBACK_QUESTIONS: list[dict[str, Any]] = [
    {
        "key": "heard",
        "kind": QuestionKind.MULTIPLE,
        "text_ja": "この会をどこでお知りになりましたか。（複数回答可）",
        "text_en": "How did you hear about this meeting? (choose all that apply)",
        "options": [
            {"ja": "市政だより", "en": "The city newsletter"},
            {"ja": "市のホームページ・さんかく", "en": "The city's website or Sankaku"},
            {"ja": "SNS", "en": "Social media"},
            {
                "ja": "町内自治会・まちづくりセンター",
                "en": "Neighbourhood association or community centre",
            },
            {"ja": "家族・知人", "en": "Family or friends"},
        ],
        "allow_other": True,
    },
    {
        "key": "clarity",
        "kind": QuestionKind.SCALE,
        "text_ja": "説明や資料はわかりやすかったですか。",
        "text_en": "Were the explanations and materials clear?",
        "help_ja": "1：わかりにくかった　〜　5：わかりやすかった",
        "help_en": "1: not clear at all — 5: very clear",
        "required": True,
    },
    {
        "key": "length",
        "kind": QuestionKind.SINGLE,
        "text_ja": "会の長さはいかがでしたか。",
        "text_en": "How was the length of the meeting?",
        "options": [
            {"ja": "短かった", "en": "Too short"},
            {"ja": "ちょうどよかった", "en": "About right"},
            {"ja": "長かった", "en": "Too long"},
        ],
    },
    {
        "key": "glad",
        "kind": QuestionKind.SCALE,
        "text_ja": "参加してよかったと思いますか。",
        "text_en": "Are you glad you took part?",
        "help_ja": "1：そう思わない　〜　5：そう思う",
        "help_en": "1: not at all — 5: very much",
        "required": True,
    },
    {
        "key": "again",
        "kind": QuestionKind.SINGLE,
        "text_ja": "また市の会に参加したいと思いますか。",
        "text_en": "Would you take part in a city meeting again?",
        "options": [
            {"ja": "参加したい", "en": "Yes"},
            {"ja": "どちらともいえない", "en": "Not sure"},
            {"ja": "参加したくない", "en": "No"},
        ],
    },
    {
        "key": "comment",
        "kind": QuestionKind.LONG_TEXT,
        "text_ja": "ご意見・ご感想をご自由にお書きください。",
        "text_en": "Any comments? (optional)",
        "help_ja": "お名前や連絡先は書かないでください。",
        "help_en": "Please do not write your name or contact details.",
    },
]


def feedback_initiative_number(session: Any) -> int:
    """18 (the quality of participation), or 19 when the session is a collaboration
    project's event: a proposals call's public presentation (its consultation)."""
    from app.proposals.models import ProposalCall

    collaboration = db.session.scalar(
        sa.select(ProposalCall.id)
        .where(ProposalCall.presentation_consultation_id == session.consultation_id)
        .limit(1)
    )
    return COLLABORATION_FEEDBACK_INITIATIVE if collaboration else FEEDBACK_INITIATIVE


def offer_feedback(session_id: int) -> Survey | None:
    """The standard feedback questionnaire (how you heard, clarity, length, glad I took part,
    would take part again, free comment) for one held session: created approved and open for
    FEEDBACK_DAYS, invitations mailed with one-time links to the attended (or, without a
    check-in list, confirmed) registrations; initiative 18, or 19 for a collaboration
    project's event. Once per session; None when it was offered already, the session has not
    ended or was cancelled, or no participant has an address to mail."""
    from app.consultations.models import Consultation, Session
    from app.plan.services import default_initiative_id

    begin_write()
    # Locked: two runs at once queue on the session, and the second finds the questionnaire.
    session = db.session.scalars(
        sa.select(Session).where(Session.id == session_id).with_for_update()
    ).one_or_none()
    now = clock.now()
    if session is None or session.cancelled_at is not None or session.ends_at > now:
        db.session.rollback()
        return None
    if db.session.scalar(sa.select(Survey.id).where(Survey.session_id == session_id)):
        db.session.rollback()
        return None
    participants = [r for r in _participant_registrations([session_id]) if r.email]
    if not participants:
        db.session.rollback()
        return None
    consultation = db.session.get(Consultation, session.consultation_id)
    opens_at, closes_at = feedback_window(now)
    # The consultation's name with the session's own ("まちづくり懇話会 第1回"): several
    # consultations have a "第1回", and a resident must know which questionnaire is theirs.
    title_ja = " ".join(filter(None, (consultation.title_ja, session.title_ja)))
    title_en = " ".join(filter(None, (consultation.title_en, session.title_en))) or title_ja
    survey = Survey(
        kind=SurveyKind.FEEDBACK,
        # Within the columns' lengths, however long the two names are.
        title_ja=f"「{title_ja[:180]}」参加者アンケート",
        title_en=f"Participant feedback: {title_en[:270]}",
        purpose_ja="ご参加いただいた会の運営を改善するため、また市民参画の質の指標として公表するためです。",
        purpose_en=(
            "To improve the city's meetings, and to publish as the figures on the quality "
            "of participation."
        ),
        audience=Audience.PARTICIPANTS,
        anonymous=True,
        opens_at=opens_at,
        closes_at=closes_at,
        status=SurveyStatus.APPROVED,
        session_id=session_id,
        initiative_id=default_initiative_id(feedback_initiative_number(session), SurveyError),
        department_id=consultation.department_id,
        ward_id=session.ward_id or consultation.ward_id,
        fiscal_year=fiscal_year(session.ends_at),
    )
    db.session.add(survey)
    try:
        db.session.flush()
    except sa.exc.IntegrityError:
        db.session.rollback()  # offered by another run in the meantime
        return None
    db.session.execute(
        survey_session.insert(), [{"survey_id": survey.id, "session_id": session_id}]
    )
    for position, spec in enumerate(FEEDBACK_QUESTIONS):
        db.session.add(Question(survey_id=survey.id, position=position, **spec))
    with_session = {
        "session_title": {"ja": title_ja, "en": title_en},
        "session_date": to_jst(session.starts_at).date(),
    }
    invited = _invite(survey, with_session)
    audit.record(
        None,
        "surveys.feedback",
        survey,
        f"feedback questionnaire offered for session {session_id}",
        after={"invited": invited},
    )
    db.session.commit()
    return survey


def offer_feedback_for_held_sessions() -> int:
    """For cron: every session that ended (within the last FEEDBACK_DAYS, so that turning the
    feature on does not mail people about meetings long past) and has no feedback
    questionnaire yet. Returns how many were offered."""
    from app.consultations.models import Session

    now = clock.now()
    offered_already = sa.select(Survey.session_id).where(Survey.session_id.is_not(None))
    candidates = db.session.scalars(
        sa.select(Session.id)
        .where(
            Session.ends_at <= now,
            Session.ends_at > now - timedelta(days=FEEDBACK_DAYS),
            Session.cancelled_at.is_(None),
            Session.id.not_in(offered_already),
        )
        .order_by(Session.ends_at, Session.id)
    ).all()
    db.session.rollback()
    return sum(1 for session_id in candidates if offer_feedback(session_id) is not None)


def feedback_window(now: datetime) -> tuple[datetime, datetime]:
    """From now for FEEDBACK_DAYS: while the meeting is fresh in mind."""
    return now, now + timedelta(days=FEEDBACK_DAYS)


def today() -> date:
    """Today in the city's calendar (a response is dated by it)."""
    return clock.today()
