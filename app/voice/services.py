"""Every state change of a voice (DESIGN.md §3): views, CLI commands, the demo and tests call
these, nothing else writes. Each staff change writes the audit log.

Refusals: a request the rules refuse raises `VoiceError` (message for the person, `field` for
the form input it belongs beside; `core.forms.show_error` puts it there). A person without the
right to the change (not 広聴課, not the lead division, not the approver) raises
`VoicePermissionError`, a subclass of `VoiceError` that is also werkzeug's `Forbidden`: views
catch it before `VoiceError` and answer 403 (one left uncaught is answered 403 by the error
handlers).
"""

from __future__ import annotations

import hashlib
import secrets
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import jpholiday
import sqlalchemy as sa
from flask import current_app, render_template
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeSerializer
from werkzeug.exceptions import Forbidden

from app.core import audit, clock
from app.core.db import begin_write
from app.core.domain import DomainError
from app.core.i18n import current_language, fiscal_year, format_date, to_jst
from app.core.mail import queue_mail
from app.core.permissions import Role, is_staff
from app.core.receipts import next_receipt_number
from app.core.urls import public_url
from app.extensions import db
from app.voice import permissions
from app.voice.models import (
    OPEN_STATUSES,
    VOICE_INITIATIVE,
    AgeBand,
    AnswerState,
    AnswerTemplate,
    FollowUpAnswer,
    InterimAnswer,
    Reflection,
    ReplyBy,
    ResponseKind,
    Voice,
    VoiceAnswer,
    VoiceChannel,
    VoiceFollowUp,
    VoiceKind,
    VoicePublication,
    VoiceRoute,
    VoiceStatus,
)


class VoiceError(DomainError):
    """A refused change, with a message for the person and the field it concerns."""


class VoicePermissionError(VoiceError, Forbidden):
    """The person may not make this change to this voice: views answer 403."""

    def __init__(self, message: str | None = None) -> None:
        message = message or _("You may not make this change to this voice.")
        VoiceError.__init__(self, message)
        # werkzeug's HTTPException state, so that an uncaught refusal renders as a 403 page.
        self.description = message
        self.response = None

    def __str__(self) -> str:
        # The message alone, as every DomainError shows it (not werkzeug's "403 Forbidden: …").
        return str(self.description)


# Deadlines -------------------------------------------------------------------------------


def is_working_day(day: date) -> bool:
    """The city's offices are open: not a weekend, not a national holiday (jpholiday, which
    knows substitute and citizens' holidays), not the year-end closure 12/29–1/3."""
    if day.weekday() >= 5 or jpholiday.is_holiday(day):
        return False
    return not ((day.month == 12 and day.day >= 29) or (day.month == 1 and day.day <= 3))


def due_date(received_on: date, days: int | None = None, working_days: bool | None = None) -> date:
    """The JST date the answer is due: `days` (VOICE_ANSWER_DAYS) counted from the day after
    receipt (the day of receipt is not counted, as Osaka counts); with working days, weekends,
    national holidays (jpholiday) and the city's 12/29–1/3 closure are skipped."""
    config = current_app.config
    days = config["VOICE_ANSWER_DAYS"] if days is None else days
    working_days = config["VOICE_WORKING_DAYS"] if working_days is None else working_days
    if not working_days:
        return received_on + timedelta(days=days)
    day, counted = received_on, 0
    while counted < days:
        day += timedelta(days=1)
        if is_working_day(day):
            counted += 1
    return day


# Sending ---------------------------------------------------------------------------------


@dataclass
class VoiceInput:
    kind: VoiceKind
    title: str
    body: str
    reply_by: ReplyBy = ReplyBy.NONE
    name: str = ""
    email: str = ""
    postal_code: str = ""
    postal_address: str = ""
    phone: str = ""
    age_band: AgeBand | None = None
    school_district: str = ""
    sender_ward_id: int | None = None
    ward_id: int | None = None  # the ward the voice concerns (public)
    topic_initiative_id: int | None = None
    to_mayor: bool = False
    consent_to_publish: bool = False
    follow_up_wanted: bool = False
    attachment_id: int | None = None


def _check_input(data: VoiceInput) -> None:
    """What the form checks too, checked here for every caller (staff entry, the demo, the
    API): an answer needs a name and a way to send it."""
    if not data.title.strip():
        raise VoiceError(_("Give your voice a title."), "title")
    if not data.body.strip():
        raise VoiceError(_("Write your opinion."), "body")
    if data.reply_by == ReplyBy.EMAIL and not data.email.strip():
        raise VoiceError(_("Give the e-mail address the answer should be sent to."), "email")
    if data.reply_by != ReplyBy.NONE and not data.name.strip():
        raise VoiceError(_("Give your name, so that the answer can be addressed to you."), "name")
    if data.reply_by == ReplyBy.POST and not data.postal_address.strip():
        raise VoiceError(
            _("Give the postal address the answer should be sent to."), "postal_address"
        )
    if data.follow_up_wanted and not data.email.strip():
        raise VoiceError(
            _("The follow-up question is sent by e-mail: give your e-mail address."), "email"
        )


def _coordinator_department_id() -> int:
    from app.plan.models import Department

    code = current_app.config["COORDINATOR_DEPARTMENTS"]["voice"]
    found = db.session.scalar(sa.select(Department.id).where(Department.code == code))
    if found is None:
        raise VoiceError(
            _("The division that receives voices (%(code)s) is not set up.", code=code)
        )
    return found


# Stand for the receipt code and the status link in a receipt mail written before the number
# is taken (and the voice's id known). Control characters never survive the forms
# (clean_text), so they cannot occur in what was typed.
_CODE_TO_COME = "\x00receipt-code\x00"
_LINK_TO_COME = "\x00status-link\x00"


def submit_voice(
    data: VoiceInput,
    submission_token: str,
    channel: VoiceChannel = VoiceChannel.WEB,
    user: Any = None,
    entered_by: Any = None,
    received_at: datetime | None = None,
) -> tuple[Voice, bool]:
    """Store one voice with its gapless receipt number (scope "voice:<fiscal year>", code
    "V<fiscal year>-<5 digits>"), its due date, 広聴課 as its department and the default
    initiative; returns (voice, created). The same token returns the voice already stored.
    Queues the receipt mail when there is an e-mail address. Staff entry (`entered_by`, a
    channel other than web, `received_at` the day it came in) is audited."""
    from app.plan.services import default_initiative_id

    now = clock.now()
    if channel == VoiceChannel.WEB:
        # When the request reached the site (the view passes clock.received_at), never later.
        received_at = min(received_at or now, now)
    else:
        if entered_by is None:
            raise VoiceError(_("A letter, call or visit is entered by staff."))
        if received_at is None:
            raise VoiceError(_("Enter the date the voice was received."), "received_on")
        if received_at > now:
            raise VoiceError(_("The date received cannot be in the future."), "received_on")
    _check_input(data)
    received_on = to_jst(received_at).date()
    year = fiscal_year(received_on)
    voice = Voice(
        receipt_code=_CODE_TO_COME,
        submission_token=submission_token,
        channel=channel,
        received_at=received_at,
        due_on=due_date(received_on),
        fiscal_year=year,
        initiative_id=default_initiative_id(VOICE_INITIATIVE, VoiceError),
        department_id=_coordinator_department_id(),
        status=VoiceStatus.RECEIVED,
        kind=data.kind,
        title=data.title.strip(),
        body=data.body.strip(),
        attachment_id=data.attachment_id,
        topic_initiative_id=data.topic_initiative_id,
        ward_id=data.ward_id,
        to_mayor=data.to_mayor,
        reply_by=data.reply_by,
        name=data.name.strip(),
        email=data.email.strip(),
        postal_code=data.postal_code.strip(),
        postal_address=data.postal_address.strip(),
        phone=data.phone.strip(),
        age_band=data.age_band,
        school_district=data.school_district.strip(),
        sender_ward_id=data.sender_ward_id,
        consent_to_publish=data.consent_to_publish,
        follow_up_wanted=data.follow_up_wanted and bool(data.email.strip()),
        user_id=getattr(user, "id", None),
        entered_by_id=getattr(entered_by, "id", None),
        language=current_language(),
    )
    # The receipt mail is written before the voice takes its turn (all but its number and id
    # is known by now), so that the turn, from taking the number to the commit, is short.
    receipt = _receipt_mail(voice) if voice.email else None
    begin_write()
    # Senders queue on the receipt counter's row (PostgreSQL's row lock; SQLite's write lock
    # taken by begin_write) from taking their number to their commit: no gap, no repeat.
    number = next_receipt_number(f"voice:{year}")
    voice.receipt_number = number
    voice.receipt_code = f"V{year}-{number:05d}"
    db.session.add(voice)
    try:
        db.session.flush()
    except sa.exc.IntegrityError:
        # The same form sent again (a double click, the back button): the unique token refuses
        # it, its number goes back with the rollback, and the voice stored first is returned.
        db.session.rollback()
        existing = db.session.scalar(
            sa.select(Voice).where(Voice.submission_token == submission_token)
        )
        if existing is None:
            raise
        return existing, False
    if entered_by is not None:
        audit.record(
            entered_by,
            "voice.enter",
            voice,
            f"entered {channel.value} voice {voice.receipt_code}",
        )
    if receipt is not None:
        link = public_url("voice.status", token=status_token(voice))
        subject, body = (
            part.replace(_CODE_TO_COME, voice.receipt_code).replace(_LINK_TO_COME, link)
            for part in receipt
        )
        queue_mail(voice.email, subject, body)
    db.session.commit()
    return voice, True


def _receipt_mail(voice: Voice) -> tuple[str, str]:
    """Subject and body of the receipt mail, in the sender's language."""
    with force_locale(voice.language):
        subject = _(
            "Receipt %(code)s: your voice “%(title)s”", code=_CODE_TO_COME, title=voice.title
        )
        body = render_template("voice/mail/receipt.txt", voice=voice, link=_LINK_TO_COME)
    return subject, body


def _status_serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="voice-status")


def status_token(voice: Voice) -> str:
    """The sender's private link to their voice's page: the voice's id, signed; no expiry (an
    answer may come months later)."""
    return str(_status_serializer().dumps(voice.id))


def voice_by_status_token(token: str) -> Voice | None:
    try:
        voice_id = _status_serializer().loads(token)
    except BadSignature:
        return None
    if not isinstance(voice_id, int):
        return None
    return db.session.get(Voice, voice_id)


def voice_by_receipt(code: str) -> Voice | None:
    """The voice with this receipt code, as read out on the phone or typed in full width."""
    code = unicodedata.normalize("NFKC", code or "").strip().upper()
    if not code:
        return None
    return db.session.scalar(sa.select(Voice).where(Voice.receipt_code == code))


def routed_department_ids(voice: Voice) -> set[int]:
    """The divisions the voice is routed to now (routes not ended)."""
    return set(
        db.session.scalars(
            sa.select(VoiceRoute.department_id).where(
                VoiceRoute.voice_id == voice.id, VoiceRoute.ended_at.is_(None)
            )
        )
    )


# Who may: checked here too, whatever page or command calls --------------------------------


def _require_coordinator(actor: Any) -> None:
    if not permissions.is_coordinator(actor):
        raise VoicePermissionError(_("Only the public hearing division (広聴課) can do this."))


def _require_lead(actor: Any, voice: Voice) -> None:
    """The lead division drafts the answer and sends interim answers; 広聴課 may stand in."""
    if permissions.is_coordinator(actor):
        return
    if (
        is_staff(actor)
        and actor.department_id == voice.department_id
        and actor.department_id in routed_department_ids(voice)
    ):
        return
    raise VoicePermissionError(_("Only the lead division of this voice can do this."))


def _require_approver(actor: Any, voice: Voice) -> None:
    if not permissions.can_approve(actor, voice):
        raise VoicePermissionError(
            _("Only the mayor's office approves the answer to a letter to the mayor.")
            if voice.to_mayor
            else _("Only the public hearing division (広聴課) approves answers.")
        )


def _locked(voice_id: int) -> Voice:
    """The voice, read afresh and locked until the commit: two clicks or two approvers queue
    here, and the second sees what the first did (PostgreSQL: FOR UPDATE; SQLite: begin_write
    takes the database's write lock)."""
    begin_write()
    return db.session.scalars(
        sa.select(Voice)
        .where(Voice.id == voice_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def _require_open(voice: Voice) -> None:
    if not voice.is_open:
        raise VoiceError(_("This voice is closed."))


def _department_staff(department_ids: set[int] | list[int]) -> list[Any]:
    """The active staff of these divisions, who are mailed about their voices."""
    from app.accounts.models import User

    if not department_ids:
        return []
    return list(
        db.session.scalars(
            sa.select(User)
            .where(
                User.department_id.in_(list(department_ids)),
                User.role == Role.STAFF,
                User.active.is_(True),
            )
            .order_by(User.id)
        )
    )


def _mail_staff(users: list[Any], template: str, subject: Any, **context: Any) -> None:
    """One mail to each staff member, in their language. `subject` is called inside it."""
    for user in users:
        with force_locale(user.language or "ja"):
            body = render_template(f"voice/mail/{template}.txt", **context)
            queue_mail(user.email, subject(), body)


def _mail_sender(voice: Voice, template: str, subject: Any, **context: Any) -> None:
    """A mail to the sender, in the language they wrote in, with their voice's page."""
    with force_locale(voice.language or "ja"):
        link = public_url("voice.status", token=status_token(voice))
        body = render_template(f"voice/mail/{template}.txt", voice=voice, link=link, **context)
        queue_mail(voice.email, subject(), body)


# 広聴課: routing and marking -------------------------------------------------------------


def route(
    actor: Any, voice: Voice, department_ids: list[int], lead_id: int, note: str = ""
) -> None:
    """Route to one or more divisions (one is the lead, which drafts the answer); status
    ROUTED; each division's staff are mailed. Routing again ends the routes not kept (with
    `note` as the reason) and adds the new ones: re-routing is recorded, never overwritten.
    A kept division whose lead role changes gets a new route row too, so the history shows
    who led when."""
    from app.plan.models import Department

    _require_coordinator(actor)
    wanted = list(dict.fromkeys(int(i) for i in department_ids))
    if not wanted:
        raise VoiceError(_("Choose at least one division."), "department_ids")
    if lead_id not in wanted:
        raise VoiceError(_("The lead division must be one of the divisions chosen."), "lead_id")
    known = set(db.session.scalars(sa.select(Department.id).where(Department.id.in_(wanted))))
    if known != set(wanted):
        raise VoiceError(_("Choose divisions from the list."), "department_ids")
    voice = _locked(voice.id)
    _require_open(voice)
    if voice.status == VoiceStatus.IN_APPROVAL:
        raise VoiceError(_("An answer is in approval: return it before routing the voice again."))
    now = clock.now()
    # Read afresh (a collection loaded earlier in the request could be stale).
    current = db.session.scalars(
        sa.select(VoiceRoute)
        .where(VoiceRoute.voice_id == voice.id, VoiceRoute.ended_at.is_(None))
        .order_by(VoiceRoute.id)
    ).all()
    before = {
        "departments": sorted(r.department_id for r in current),
        "lead": next((r.department_id for r in current if r.lead), None),
    }
    kept: set[int] = set()
    for existing in current:
        keep = existing.department_id in wanted and existing.lead == (
            existing.department_id == lead_id
        )
        if keep:
            kept.add(existing.department_id)
            continue
        existing.ended_at, existing.ended_by_id = now, actor.id
        existing.end_reason = note.strip() or (
            "lead changed" if existing.department_id in wanted else "re-routed"
        )
    previously = {r.department_id for r in current}
    for department_id in wanted:
        if department_id in kept:
            continue
        db.session.add(
            VoiceRoute(
                voice_id=voice.id,
                department_id=department_id,
                lead=department_id == lead_id,
                note=note.strip(),
                routed_at=now,
                routed_by_id=actor.id,
            )
        )
    voice.department_id = lead_id
    voice.status = VoiceStatus.ROUTED
    after = {"departments": sorted(wanted), "lead": lead_id}
    audit.record(
        actor, "voice.route", voice, f"routed {voice.receipt_code}", before, {**after, "note": note}
    )
    # Only the divisions newly given the voice are told; the mail names the voice by its
    # receipt code and title, nothing of the sender.
    newly = set(wanted) - previously
    _mail_staff(
        _department_staff(newly),
        "routed",
        lambda: _("Voice %(code)s has been routed to your division", code=voice.receipt_code),
        voice=voice,
        link=public_url("voice_staff.voice", voice_id=voice.id),
    )
    db.session.commit()


def mark_duplicate(actor: Any, voice: Voice, of: Voice, reason: str) -> None:
    """The same voice received twice: closed as DUPLICATE, pointing at the original; counted
    once in the figures."""
    _require_coordinator(actor)
    if of.id == voice.id:
        raise VoiceError(_("A voice cannot be a duplicate of itself."), "duplicate_of")
    if of.status == VoiceStatus.DUPLICATE:
        raise VoiceError(
            _("%(code)s is itself a duplicate: choose the original voice.", code=of.receipt_code),
            "duplicate_of",
        )
    if not reason.strip():
        raise VoiceError(_("Say why it is a duplicate."), "reason")
    originals = db.session.scalar(
        sa.select(sa.func.count(Voice.id)).where(Voice.duplicate_of_id == voice.id)
    )
    if originals:
        raise VoiceError(
            _("Other voices are marked as duplicates of this one; it cannot be a duplicate."),
            "duplicate_of",
        )
    voice = _locked(voice.id)
    _require_open(voice)
    before = audit.snapshot(voice, ["status", "duplicate_of_id"])
    voice.status = VoiceStatus.DUPLICATE
    voice.duplicate_of_id = of.id
    voice.closed_at = clock.now()
    audit.record(
        actor,
        "voice.duplicate",
        voice,
        f"{voice.receipt_code} duplicate of {of.receipt_code}: {reason.strip()}",
        before,
        audit.snapshot(voice, ["status", "duplicate_of_id"]),
    )
    db.session.commit()


def mark_repeat(actor: Any, voice: Voice, of: Voice) -> None:
    """Another voice of the same sender on the same matter (stays open, answered on its own
    or together; the staff pages show the link both ways)."""
    _require_coordinator(actor)
    if of.id == voice.id:
        raise VoiceError(_("A voice cannot be a repeat of itself."), "repeat_of")
    # Always point at the first voice of the series, so that the links never make a loop.
    first_id = of.repeat_of_id or of.id
    if first_id == voice.id:
        raise VoiceError(_("%(code)s is already a repeat of this voice.", code=of.receipt_code))
    voice = _locked(voice.id)
    before = audit.snapshot(voice, ["repeat_of_id"])
    voice.repeat_of_id = first_id
    audit.record(
        actor,
        "voice.repeat",
        voice,
        f"{voice.receipt_code} repeats {of.receipt_code}",
        before,
        audit.snapshot(voice, ["repeat_of_id"]),
    )
    db.session.commit()


CLASSIFICATION_FIELDS = ["kind", "initiative_id", "ward_id", "to_mayor"]


def set_classification(
    actor: Any,
    voice: Voice,
    kind: VoiceKind,
    initiative_id: int,
    ward_id: int | None,
    to_mayor: bool,
) -> None:
    """広聴課 corrects the kind, the initiative it fulfils, the ward and the mayor flag."""
    _require_coordinator(actor)
    voice = _locked(voice.id)
    before = audit.snapshot(voice, CLASSIFICATION_FIELDS)
    voice.kind, voice.initiative_id, voice.ward_id = kind, initiative_id, ward_id
    voice.to_mayor = to_mayor
    audit.record(
        actor,
        "voice.classify",
        voice,
        f"classified {voice.receipt_code}",
        before,
        audit.snapshot(voice, CLASSIFICATION_FIELDS),
    )
    db.session.commit()


# The division: interim answers and answers ------------------------------------------------


def send_interim(actor: Any, voice: Voice, reason: str, expected_on: date) -> InterimAnswer:
    """中間回答: mailed (or kept as a letter to print, `sent_at` empty, for post) to the sender
    with the reason and the expected date, which becomes `voice.expected_on`; refused for an
    anonymous voice, without a reason, or for a date not after today and the date the sender
    was last given. The division is reminded again before the new date."""
    _require_lead(actor, voice)
    if voice.anonymous:
        raise VoiceError(_("The sender asked for no answer, so no interim answer is sent."))
    if not reason.strip():
        raise VoiceError(_("Give the reason the answer is late."), "reason")
    voice = _locked(voice.id)
    _require_open(voice)
    earliest = max(clock.today(), voice.answer_due_on)
    if expected_on <= earliest:
        raise VoiceError(
            _("The expected date must be after %(date)s.", date=format_date(earliest)),
            "expected_on",
        )
    interim = InterimAnswer(
        voice_id=voice.id,
        reason=reason.strip(),
        expected_on=expected_on,
        created_by_id=actor.id,
    )
    db.session.add(interim)
    before = audit.snapshot(voice, ["expected_on"])
    voice.expected_on = expected_on
    voice.reminded_at = None
    if voice.reply_by == ReplyBy.EMAIL:
        interim.sent_at = clock.now()
        _mail_sender(
            voice,
            "interim",
            lambda: _(
                "About your voice %(code)s: the answer will take longer", code=voice.receipt_code
            ),
            interim=interim,
        )
    audit.record(
        actor,
        "voice.interim",
        voice,
        f"interim answer to {voice.receipt_code}",
        before,
        audit.snapshot(voice, ["expected_on"]),
    )
    db.session.commit()
    return interim


def draft_answer(
    actor: Any,
    voice: Voice,
    body: str,
    response_kind: ResponseKind,
    reflection: Reflection | None = None,
    submit: bool = False,
) -> VoiceAnswer:
    """The lead division saves (and with `submit` sends for approval: status IN_APPROVAL) its
    answer: one open draft per voice, saved over until it is submitted; a returned draft stays
    as it was returned and the next is a new row. An anonymous voice gets no answer to the
    sender, but still a response kind and an internal note, which closes it on approval."""
    _require_lead(actor, voice)
    if not body.strip():
        raise VoiceError(
            _("Write the internal note on how the voice was dealt with.")
            if voice.anonymous
            else _("Write the answer."),
            "body",
        )
    voice = _locked(voice.id)
    _require_open(voice)
    if voice.status == VoiceStatus.IN_APPROVAL:
        raise VoiceError(_("An answer is already in approval."))
    answer = db.session.scalar(
        sa.select(VoiceAnswer).where(
            VoiceAnswer.voice_id == voice.id, VoiceAnswer.state == AnswerState.DRAFT
        )
    )
    if answer is None:
        answer = VoiceAnswer(voice_id=voice.id, state=AnswerState.DRAFT)
        db.session.add(answer)
    answer.department_id = voice.department_id
    answer.body = body.strip()
    answer.response_kind = response_kind
    answer.reflection = reflection
    answer.drafted_by_id = actor.id
    answer.drafted_at = clock.now()
    if submit:
        answer.state = AnswerState.SUBMITTED
        voice.status = VoiceStatus.IN_APPROVAL
    db.session.flush()
    audit.record(
        actor,
        "voice.submit_answer" if submit else "voice.draft_answer",
        voice,
        f"{'submitted' if submit else 'drafted'} answer {answer.id} to {voice.receipt_code}",
        after={"answer": answer.id, "response_kind": response_kind.value},
    )
    db.session.commit()
    return answer


def _locked_answer(actor: Any, answer: VoiceAnswer) -> tuple[VoiceAnswer, Voice]:
    """The answer and its voice, locked and read afresh, once the actor may decide on it."""
    _require_approver(actor, answer.voice)
    voice = _locked(answer.voice_id)
    answer = db.session.scalars(
        sa.select(VoiceAnswer)
        .where(VoiceAnswer.id == answer.id)
        .execution_options(populate_existing=True)
    ).one()
    if answer.state != AnswerState.SUBMITTED:
        db.session.rollback()
        raise VoiceError(
            _("This answer has already been approved.")
            if answer.state == AnswerState.APPROVED
            else _("This answer is not waiting for approval.")
        )
    return answer, voice


def return_answer(actor: Any, answer: VoiceAnswer, note: str) -> None:
    """The approver sends the draft back with a note (status ROUTED again)."""
    if not note.strip():
        raise VoiceError(_("Say what should change."), "note")
    answer, voice = _locked_answer(actor, answer)
    answer.state = AnswerState.RETURNED
    answer.decided_by_id, answer.decided_at = actor.id, clock.now()
    answer.decision_note = note.strip()
    voice.status = VoiceStatus.ROUTED if routed_department_ids(voice) else VoiceStatus.RECEIVED
    audit.record(
        actor,
        "voice.return_answer",
        voice,
        f"returned answer {answer.id} to {voice.receipt_code}",
        after={"answer": answer.id, "note": answer.decision_note},
    )
    db.session.commit()


def approve_answer(actor: Any, answer: VoiceAnswer, note: str = "") -> None:
    """Approve and send: the answer mail is queued (reply by e-mail); for a reply by post the
    staff pages print the letter from the answer (`answered_at` is the day it is approved and
    goes out); the voice closes with the answer's response kind and reflection (answered_at,
    closed_at). An anonymous voice closes without an answer to anyone. Only
    `permissions.can_approve`; a second approval (two clicks, two approvers) finds the answer
    approved and is refused, so the voice closes once and the mail goes once."""
    answer, voice = _locked_answer(actor, answer)
    now = clock.now()
    answer.state = AnswerState.APPROVED
    answer.decided_by_id, answer.decided_at = actor.id, now
    answer.decision_note = note.strip()
    voice.answer_body = answer.body
    voice.response_kind = answer.response_kind
    if answer.reflection is not None:
        voice.reflection, voice.reflection_on = answer.reflection, clock.today()
    voice.answered_at = None if voice.anonymous else now
    voice.closed_at = now
    voice.status = VoiceStatus.CLOSED
    if voice.reply_by == ReplyBy.EMAIL:
        _mail_sender(
            voice,
            "answer",
            lambda: _("The city's answer to your voice %(code)s", code=voice.receipt_code),
            answer=answer,
        )
    audit.record(
        actor,
        "voice.approve_answer",
        voice,
        f"approved answer {answer.id} to {voice.receipt_code}",
        after={"answer": answer.id, "response_kind": answer.response_kind.value},
    )
    db.session.commit()


def record_follow_up(actor: Any, voice: Voice, reflection: Reflection, note: str, on: date) -> None:
    """A later update of 反映状況 with its date (VoiceFollowUp), shown on the published voice.
    The voice shows the latest by date; an update dated before it is kept in the history."""
    _require_lead(actor, voice)
    if on > clock.today():
        raise VoiceError(_("The date cannot be in the future."), "noted_on")
    voice = _locked(voice.id)
    if voice.status != VoiceStatus.CLOSED:
        raise VoiceError(_("The state of reflection is updated after the voice is answered."))
    before = audit.snapshot(voice, ["reflection", "reflection_on"])
    db.session.add(
        VoiceFollowUp(
            voice_id=voice.id,
            reflection=reflection,
            note=note.strip(),
            noted_on=on,
            created_by_id=actor.id,
        )
    )
    if voice.reflection_on is None or on >= voice.reflection_on:
        voice.reflection, voice.reflection_note, voice.reflection_on = reflection, note.strip(), on
    audit.record(
        actor,
        "voice.follow_up",
        voice,
        f"reflection of {voice.receipt_code}: {reflection.value}",
        before,
        audit.snapshot(voice, ["reflection", "reflection_on"]),
    )
    db.session.commit()


# Publication ----------------------------------------------------------------------------


def _squeezed(text: str) -> str:
    """Text compared for the privacy check: full/half width and case folded, spaces and
    hyphens dropped (so 096-000-9999 and 山田 太郎 are found however they are written)."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return "".join(ch for ch in text if not ch.isspace() and ch not in "-‐‑–—−ｰ")


def identifying_text(voice: Voice, text: str) -> bool:
    """Whether the text repeats the sender's name, e-mail, phone, postal address or 校区."""
    haystack = _squeezed(text)
    for value in (
        voice.name,
        voice.email,
        voice.phone,
        voice.postal_address,
        voice.school_district,
    ):
        needle = _squeezed(value or "")
        if len(needle) >= 2 and needle in haystack:
            return True
    return False


def publish(
    actor: Any, voice: Voice, public_title: str, public_summary: str, public_view: str
) -> None:
    """広聴課 publishes its own summary and the city's view (never the sender's words), only for
    a closed voice whose sender consented (or one entered by staff with consent recorded).
    Each publication is a VoicePublication row; text that repeats the sender's name, contact,
    address or 校区 is refused."""
    _require_coordinator(actor)
    texts = {
        "public_title": public_title.strip(),
        "public_summary": public_summary.strip(),
        "public_view": public_view.strip(),
    }
    missing = {
        "public_title": _("Write the published title."),
        "public_summary": _("Write the published summary of the voice."),
        "public_view": _("Write the city's view and response."),
    }
    for name, text in texts.items():
        if not text:
            raise VoiceError(missing[name], name)
    for name, text in texts.items():
        if identifying_text(voice, text):
            raise VoiceError(
                _(
                    "This text contains words that could identify the sender (their name, "
                    "contact, address or school district). Remove them before publishing."
                ),
                name,
            )
    voice = _locked(voice.id)
    if voice.status != VoiceStatus.CLOSED:
        raise VoiceError(_("Only an answered, closed voice can be published."))
    if not voice.consent_to_publish:
        raise VoiceError(_("The sender did not agree to publication."))
    if voice.is_published:
        raise VoiceError(_("This voice is published. Withdraw it first to publish a correction."))
    now = clock.now()
    db.session.add(
        VoicePublication(voice_id=voice.id, published_at=now, published_by_id=actor.id, **texts)
    )
    before = audit.snapshot(voice, ["public_title", "public_summary", "public_view"])
    for name, text in texts.items():
        setattr(voice, name, text)
    voice.published_at = now
    audit.record(
        actor,
        "voice.publish",
        voice,
        f"published {voice.receipt_code}",
        before,
        audit.snapshot(voice, ["public_title", "public_summary", "public_view"]),
    )
    db.session.commit()


def withdraw(actor: Any, voice: Voice, reason: str) -> None:
    """Take a published voice down (it turned out to identify someone); kept, with the reason;
    it can be published again corrected. The public_* columns keep the withdrawn text (for
    the staff pages) until the next publication; only `published_at` makes it public."""
    _require_coordinator(actor)
    if not reason.strip():
        raise VoiceError(_("Give the reason for withdrawing it."), "reason")
    voice = _locked(voice.id)
    if not voice.is_published:
        raise VoiceError(_("This voice is not published."))
    now = clock.now()
    current = db.session.scalars(
        sa.select(VoicePublication).where(
            VoicePublication.voice_id == voice.id, VoicePublication.withdrawn_at.is_(None)
        )
    ).all()
    for publication in current:
        publication.withdrawn_at, publication.withdrawn_by_id = now, actor.id
        publication.withdraw_reason = reason.strip()
    voice.published_at = None
    audit.record(
        actor,
        "voice.withdraw",
        voice,
        f"withdrew {voice.receipt_code}: {reason.strip()}",
    )
    db.session.commit()


# Reminders and the follow-up question ----------------------------------------------------


def send_reminders() -> int:
    """Mail the lead division of each open, answerable voice due within VOICE_REMINDER_DAYS
    (or overdue and never reminded), once per deadline (reminded_at; an interim answer clears
    it for its new date); returns how many voices. The voices are claimed by one UPDATE …
    RETURNING: two cron runners at once each take rows the other did not (the second waits
    on the first's row locks, then finds them reminded), so no division is mailed twice."""
    begin_write()
    limit = clock.today() + timedelta(days=current_app.config["VOICE_REMINDER_DAYS"])
    claimed = db.session.scalars(
        sa.update(Voice)
        .where(
            Voice.status.in_(OPEN_STATUSES),
            Voice.reply_by != ReplyBy.NONE,
            Voice.reminded_at.is_(None),
            sa.func.coalesce(Voice.expected_on, Voice.due_on) <= limit,
        )
        .values(reminded_at=clock.now())
        .returning(Voice.id)
    ).all()
    if not claimed:
        db.session.commit()
        return 0
    voices = db.session.scalars(
        sa.select(Voice)
        .where(Voice.id.in_(claimed))
        .order_by(sa.func.coalesce(Voice.expected_on, Voice.due_on), Voice.id)
        .execution_options(populate_existing=True)
    ).all()
    by_department: dict[int, list[Voice]] = {}
    for voice in voices:
        by_department.setdefault(voice.department_id, []).append(voice)
    today = clock.today()
    for department_id, listed in by_department.items():
        _mail_staff(
            _department_staff([department_id]),
            "reminder",
            lambda listed=listed: ngettext(
                "An answer to a voice is due soon",
                "%(num)d answers to voices are due soon",
                len(listed),
            ),
            voices=listed,
            today=today,
            link=public_url("voice_staff.inbox"),
        )
    db.session.commit()
    return len(claimed)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def send_follow_ups() -> int:
    """Mail the one-question follow-up, once, to senders who asked for it, VOICE_FOLLOW_UP_DAYS
    after the close, with a one-time link (token stored hashed); returns how many. Claimed by
    one UPDATE … RETURNING, as the reminders are."""
    begin_write()
    before = clock.now() - timedelta(days=current_app.config["VOICE_FOLLOW_UP_DAYS"])
    claimed = db.session.scalars(
        sa.update(Voice)
        .where(
            Voice.status == VoiceStatus.CLOSED,
            Voice.follow_up_wanted.is_(True),
            Voice.email != "",
            Voice.follow_up_sent_at.is_(None),
            Voice.closed_at <= before,
        )
        .values(follow_up_sent_at=clock.now())
        .returning(Voice.id)
    ).all()
    voices = (
        db.session.scalars(
            sa.select(Voice)
            .where(Voice.id.in_(claimed))
            .order_by(Voice.id)
            .execution_options(populate_existing=True)
        ).all()
        if claimed
        else []
    )
    for voice in voices:
        token = secrets.token_urlsafe(32)
        voice.follow_up_token_hash = _token_hash(token)
        _mail_sender(
            voice,
            "follow_up",
            lambda voice=voice: _(
                "One question about your voice %(code)s", code=voice.receipt_code
            ),
            follow_up_link=public_url("voice.follow_up", token=token),
        )
    db.session.commit()
    return len(voices)


def voice_by_follow_up_token(token: str) -> Voice | None:
    """The voice a follow-up link was sent for (the page shows its question), or None."""
    if not token:
        return None
    return db.session.scalar(
        sa.select(Voice).where(Voice.follow_up_token_hash == _token_hash(token))
    )


def answer_follow_up(token: str, answer: FollowUpAnswer) -> Voice:
    """The sender's answer through the one-time link; a second answer is refused."""
    found = voice_by_follow_up_token(token)
    if found is None:
        raise VoiceError(_("This link is not valid. Please use the link in the mail we sent."))
    voice = _locked(found.id)
    if voice.follow_up_answered_at is not None:
        db.session.rollback()
        raise VoiceError(_("You have already answered this question. Thank you."))
    voice.follow_up_answer = answer
    voice.follow_up_answered_at = clock.now()
    db.session.commit()
    return voice


# Templates ------------------------------------------------------------------------------

TEMPLATE_FIELDS = ["title", "body", "department_id", "response_kind"]


def save_template(actor: Any, template: AnswerTemplate | None, **fields: Any) -> AnswerTemplate:
    """An answer template: a division's own (its staff write it), or everyone's (no division;
    広聴課 writes those and may edit any)."""
    unknown = set(fields) - set(TEMPLATE_FIELDS)
    if unknown:
        raise TypeError(f"unknown template fields: {sorted(unknown)}")
    coordinator = permissions.is_coordinator(actor)
    department_id = fields.get(
        "department_id", template.department_id if template else actor.department_id
    )
    for owner in {department_id, template.department_id if template else department_id}:
        if not coordinator and (not is_staff(actor) or owner != actor.department_id):
            raise VoicePermissionError(
                _("A division edits its own templates; 広聴課 edits shared ones.")
            )
    title = (fields.get("title", template.title if template else "") or "").strip()
    body = (fields.get("body", template.body if template else "") or "").strip()
    if not title:
        raise VoiceError(_("Give the template a title."), "title")
    if not body:
        raise VoiceError(_("Write the template's text."), "body")
    before = audit.snapshot(template, TEMPLATE_FIELDS) if template else None
    if template is None:
        template = AnswerTemplate(created_by_id=actor.id)
        db.session.add(template)
    template.title, template.body, template.department_id = title, body, department_id
    if "response_kind" in fields:
        template.response_kind = fields["response_kind"]
    db.session.flush()
    audit.record(
        actor,
        "voice.template",
        template,
        f"saved answer template {template.title}",
        before,
        audit.snapshot(template, TEMPLATE_FIELDS),
    )
    db.session.commit()
    return template


@dataclass
class PublicFilter:
    kind: VoiceKind | None = None
    ward_id: int | None = None
    initiative_id: int | None = None  # the topic initiative
    department_id: int | None = None
    fiscal_year: int | None = None
    reflected_only: bool = False
    extra: dict[str, Any] = field(default_factory=dict)
