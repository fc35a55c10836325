"""Every state change of a voice (DESIGN.md §3): views, CLI commands, the demo and tests call
these, nothing else writes. Each staff change writes the audit log.

CONTRACT (filled in by the services helper; signatures are fixed, other helpers code against
them):
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from app.core.domain import DomainError
from app.voice.models import (
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
)


class VoiceError(DomainError):
    """A refused change, with a message for the person and the field it concerns."""


# Deadlines -------------------------------------------------------------------------------


def due_date(received_on: date, days: int | None = None, working_days: bool | None = None) -> date:
    """The JST date the answer is due: `days` (VOICE_ANSWER_DAYS) counted from the day after
    receipt (the day of receipt is not counted, as Osaka counts); with working days, weekends,
    national holidays (jpholiday) and the city's 12/29–1/3 closure are skipped."""
    raise NotImplementedError


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
    raise NotImplementedError


def voice_by_receipt(code: str) -> Voice | None: ...


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
