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

import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import jpholiday
import sqlalchemy as sa
from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeSerializer
from werkzeug.exceptions import Forbidden

from app.core import audit, clock
from app.core.db import begin_write
from app.core.domain import DomainError
from app.core.i18n import current_language, fiscal_year, to_jst
from app.core.mail import queue_mail
from app.core.receipts import next_receipt_number
from app.core.urls import public_url
from app.extensions import db
from app.voice.models import (
    VOICE_INITIATIVE,
    AgeBand,
    AnswerTemplate,
    FollowUpAnswer,
    InterimAnswer,
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


# 広聴課: routing and marking -------------------------------------------------------------


def route(
    actor: Any, voice: Voice, department_ids: list[int], lead_id: int, note: str = ""
) -> None:
    """Route to one or more divisions (one is the lead, which drafts the answer); status
    ROUTED; each division's staff are mailed. Routing again ends the routes not kept (with
    `note` as the reason) and adds the new ones: re-routing is recorded, never overwritten."""
    raise NotImplementedError


def mark_duplicate(actor: Any, voice: Voice, of: Voice, reason: str) -> None:
    """The same voice received twice: closed as DUPLICATE, pointing at the original; counted
    once in the figures."""
    raise NotImplementedError


def mark_repeat(actor: Any, voice: Voice, of: Voice) -> None:
    """Another voice of the same sender on the same matter (stays open, answered on its own
    or together; the staff pages show the link both ways)."""
    raise NotImplementedError


def set_classification(
    actor: Any,
    voice: Voice,
    kind: VoiceKind,
    initiative_id: int,
    ward_id: int | None,
    to_mayor: bool,
) -> None:
    """広聴課 corrects the kind, the initiative it fulfils, the ward and the mayor flag."""
    raise NotImplementedError


# The division: interim answers and answers ------------------------------------------------


def send_interim(actor: Any, voice: Voice, reason: str, expected_on: date) -> InterimAnswer:
    """中間回答: mailed (or queued as a letter for post) to the sender with the reason and the
    expected date, which becomes `voice.expected_on`; refused for an anonymous voice, for a
    date not after today, or without a reason."""
    raise NotImplementedError


def draft_answer(
    actor: Any,
    voice: Voice,
    body: str,
    response_kind: ResponseKind,
    reflection: Reflection | None = None,
    submit: bool = False,
) -> VoiceAnswer:
    """The lead division saves (and with `submit` sends for approval: status IN_APPROVAL) its
    answer. An anonymous voice gets no answer to the sender, but still a response kind and an
    internal note, which closes it on approval."""
    raise NotImplementedError


def return_answer(actor: Any, answer: VoiceAnswer, note: str) -> None:
    """The approver sends the draft back with a note (status ROUTED again)."""
    raise NotImplementedError


def approve_answer(actor: Any, answer: VoiceAnswer, note: str = "") -> None:
    """Approve and send: the answer mail is queued (reply by e-mail) or the letter is marked
    to print (reply by post); the voice closes with the answer's response kind and reflection
    (answered_at, closed_at). Only `permissions.can_approve`."""
    raise NotImplementedError


def record_follow_up(actor: Any, voice: Voice, reflection: Reflection, note: str, on: date) -> None:
    """A later update of 反映状況 with its date (VoiceFollowUp), shown on the published voice."""
    raise NotImplementedError


# Publication ----------------------------------------------------------------------------


def publish(
    actor: Any, voice: Voice, public_title: str, public_summary: str, public_view: str
) -> None:
    """広聴課 publishes its own summary and the city's view (never the sender's words), only for
    a closed voice whose sender consented (or one entered by staff with consent recorded)."""
    raise NotImplementedError


def withdraw(actor: Any, voice: Voice, reason: str) -> None:
    """Take a published voice down (it turned out to identify someone); kept, with the reason;
    it can be published again corrected."""
    raise NotImplementedError


# Reminders and the follow-up question ----------------------------------------------------


def send_reminders() -> int:
    """Mail the lead division of each open, answerable voice due within VOICE_REMINDER_DAYS
    (once per voice: reminded_at); returns how many."""
    raise NotImplementedError


def send_follow_ups() -> int:
    """Mail the one-question follow-up, once, to senders who asked for it, VOICE_FOLLOW_UP_DAYS
    after the close, with a one-time link (token stored hashed); returns how many."""
    raise NotImplementedError


def answer_follow_up(token: str, answer: FollowUpAnswer) -> Voice:
    """The sender's answer through the one-time link; a second answer is refused."""
    raise NotImplementedError


# Templates ------------------------------------------------------------------------------


def save_template(actor: Any, template: AnswerTemplate | None, **fields: Any) -> AnswerTemplate:
    raise NotImplementedError


@dataclass
class PublicFilter:
    kind: VoiceKind | None = None
    ward_id: int | None = None
    initiative_id: int | None = None  # the topic initiative
    department_id: int | None = None
    fiscal_year: int | None = None
    reflected_only: bool = False
    extra: dict[str, Any] = field(default_factory=dict)
