"""市民の声: opinions a resident sends the city at any time (a letter to the mayor, a request,
a complaint, a question), routed by 広聴課 to the divisions concerned, answered on a deadline,
and published, summarised by the city, with its view and how each voice was reflected.

A `Voice` is the activity record that fulfils an initiative (8, 広聴の充実, by default; its
publication is initiative 3's own action). The sender's name, contact, age band, 校区 and ward
are personal data: seen by 広聴課 and the divisions the voice is routed to, never published.
What the public reads is only what 広聴課 wrote for publication (`public_summary`,
`public_view`), never the sender's words.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core import clock
from app.core.activity import FulfilsInitiative
from app.core.db import TimestampMixin, UTCDateTime, value_enum
from app.core.enums import AgeBand, LabelledEnum
from app.extensions import db

if TYPE_CHECKING:
    from app.core.uploads import StoredFile
    from app.plan.models import Department, Initiative, Ward

VOICE_INITIATIVE = 8  # 広聴制度の強化: "a quick and accurate response to every opinion"


class VoiceKind(LabelledEnum):
    """Sapporo's classification, which Kumamoto's statistics can be compared with."""

    PROPOSAL = "proposal", _l("Proposal")  # 提言
    REQUEST = "request", _l("Request")  # 要望
    COMPLAINT = "complaint", _l("Complaint")  # 苦情
    INQUIRY = "inquiry", _l("Question")  # 問合せ
    OTHER = "other", _l("Other")  # その他


class VoiceChannel(LabelledEnum):
    WEB = "web", _l("Web form")
    LETTER = "letter", _l("Letter")
    PHONE = "phone", _l("Telephone call")
    VISIT = "visit", _l("Visit to a city office")
    EMAIL = "email", _l("E-mail")
    FAX = "fax", _l("Fax")
    DIALOGUE = "dialogue", _l("Dialogue with the mayor")  # 市民と市長の直接対話


class ReplyBy(LabelledEnum):
    NONE = "none", _l("No answer needed")
    EMAIL = "email", _l("By e-mail")
    POST = "post", _l("By post")


class VoiceStatus(LabelledEnum):
    """FixMyStreet's families: open (received, routed, answer in approval), closed."""

    RECEIVED = "received", _l("Received, not yet routed")  # 受付: with 広聴課, not yet routed
    ROUTED = "routed", _l("With the division")  # 担当課で対応中
    IN_APPROVAL = "in_approval", _l("Answer in approval")  # 回答案の決裁中
    CLOSED = "closed", _l("Closed with a response")  # 完了: answered, or closed without an answer
    # The same voice received twice; see duplicate_of.
    DUPLICATE = "duplicate", _l("Duplicate of another voice")


OPEN_STATUSES = (VoiceStatus.RECEIVED, VoiceStatus.ROUTED, VoiceStatus.IN_APPROVAL)


class ResponseKind(LabelledEnum):
    """How the city responded (the published kind of response; Osaka's and Kawasaki's terms)."""

    EXPLAINED = "explained", _l("Answered and explained")  # 回答・説明
    DONE = "done", _l("Dealt with")  # 対応済み
    REFLECTED = "reflected", _l("Reflected in the city's work")  # 反映
    NOTED = "noted", _l("Taken as a reference")  # 参考
    DIFFICULT = "difficult", _l("Difficult to act on")  # 対応困難
    OUT_OF_SCOPE = "out_of_scope", _l("Outside the city's remit")  # 所管外


class Reflection(LabelledEnum):
    """反映状況: where the voice stands in the city's work; updated later as follow-ups."""

    CONSIDERING = "considering", _l("Under consideration")  # 検討中
    PLANNED = "planned", _l("To be reflected")  # 反映予定
    REFLECTED = "reflected", _l("Reflected")  # 反映済み
    NOT_REFLECTED = "not_reflected", _l("Not reflected")  # 反映しない


class AnswerState(LabelledEnum):
    DRAFT = "draft", _l("Draft")
    SUBMITTED = "submitted", _l("Submitted for approval")
    RETURNED = "returned", _l("Returned")
    APPROVED = "approved", _l("Approved and sent")


class FollowUpAnswer(LabelledEnum):
    """The one question asked of the sender some weeks after closing."""

    HELPED = "helped", _l("Yes, it helped")
    PARTLY = "partly", _l("Partly")
    NOT_HELPED = "not_helped", _l("No, it did not help")


# The published voices shown as reflected (views.reflected uses the same condition, which lets
# the databases use the partial index below).
REFLECTED_PUBLISHED = sa.text(
    "published_at IS NOT NULL AND (response_kind = 'reflected' OR reflection IS NOT NULL)"
)


class Voice(FulfilsInitiative, TimestampMixin, db.Model):
    """One voice. Never deleted: a duplicate is marked, a publication withdrawn, with a reason.

    `department_id` (FulfilsInitiative) is the lead division answering it, 広聴課 until it is
    routed; `ward_id` is the ward the voice concerns, chosen by the sender or by 広聴課
    (public); `sender_ward_id`, `school_district` and `age_band` are the sender's, statistical
    and personal."""

    __table_args__ = (
        # 受付番号 gapless per fiscal year (core.receipts, scope "voice:<year>").
        sa.UniqueConstraint("fiscal_year", "receipt_number"),
        sa.UniqueConstraint("submission_token"),
        # The published list, newest first, and its filters: with the filter's column first,
        # a filtered page and its count read only the index (at 500,000 voices a count by
        # kind through ix_voice_kind took 381 ms).
        sa.Index("ix_voice_published_at", "published_at"),
        sa.Index("ix_voice_kind_published_at", "kind", "published_at"),
        sa.Index("ix_voice_ward_published_at", "ward_id", "published_at"),
        sa.Index("ix_voice_topic_published_at", "topic_initiative_id", "published_at"),
        sa.Index("ix_voice_department_published_at", "department_id", "published_at"),
        sa.Index("ix_voice_year_published_at", "fiscal_year", "published_at"),
        # An initiative's page lists its newest published voices: through ix_voice_initiative_id
        # and a sort, 222 ms at 500,000 voices, each time the page's fragment was drawn.
        sa.Index("ix_voice_initiative_published_at", "initiative_id", "published_at"),
        # "How your voices changed the city": a tenth of the published voices, counted through
        # this partial index in ms instead of a 176 ms scan at 500,000 voices.
        sa.Index(
            "ix_voice_reflected_published_at",
            "published_at",
            sqlite_where=REFLECTED_PUBLISHED,
            postgresql_where=REFLECTED_PUBLISHED,
        ),
        # The staff inbox and the overdue list: open voices by deadline.
        sa.Index("ix_voice_status_due_on", "status", "due_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    receipt_number: Mapped[int]
    receipt_code: Mapped[str] = mapped_column(sa.String(32), unique=True)  # e.g. V2026-00042
    # One per form shown: a double click or a resubmitted form finds the same voice.
    submission_token: Mapped[str] = mapped_column(sa.String(64))
    channel: Mapped[VoiceChannel] = mapped_column(value_enum(VoiceChannel), index=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    # The answer is due on this JST date: VOICE_ANSWER_DAYS from the day after receipt
    # (working days when VOICE_WORKING_DAYS); an interim answer sets `expected_on` later.
    due_on: Mapped[date]
    expected_on: Mapped[date | None]
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    kind: Mapped[VoiceKind] = mapped_column(value_enum(VoiceKind), index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text)
    attachment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("stored_file.id"))
    # The initiative the sender says the voice concerns (optional; public filter).
    topic_initiative_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("initiative.id"), index=True
    )
    to_mayor: Mapped[bool] = mapped_column(
        default=False
    )  # 市長への手紙: the mayor's office approves

    # The sender. Personal data: never on a public page, feed, export or API.
    reply_by: Mapped[ReplyBy] = mapped_column(value_enum(ReplyBy), default=ReplyBy.NONE)
    name: Mapped[str] = mapped_column(sa.String(100), default="")
    email: Mapped[str] = mapped_column(sa.String(254), default="")
    postal_code: Mapped[str] = mapped_column(sa.String(10), default="")
    postal_address: Mapped[str] = mapped_column(sa.String(300), default="")
    phone: Mapped[str] = mapped_column(sa.String(40), default="")
    age_band: Mapped[AgeBand | None] = mapped_column(value_enum(AgeBand, 16))
    school_district: Mapped[str] = mapped_column(sa.String(60), default="")  # 校区
    sender_ward_id: Mapped[int | None] = mapped_column(sa.ForeignKey("ward.id"))
    consent_to_publish: Mapped[bool] = mapped_column(default=False)
    follow_up_wanted: Mapped[bool] = mapped_column(default=False)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"), index=True)
    entered_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    language: Mapped[str] = mapped_column(sa.String(5), default="ja")

    status: Mapped[VoiceStatus] = mapped_column(
        value_enum(VoiceStatus, 16), default=VoiceStatus.RECEIVED, index=True
    )
    # 広聴課 marks a voice received twice (duplicate) or another voice of the same sender on
    # the same matter (repeat: answered together, counted once in "answered").
    duplicate_of_id: Mapped[int | None] = mapped_column(sa.ForeignKey("voice.id"))
    repeat_of_id: Mapped[int | None] = mapped_column(sa.ForeignKey("voice.id"))

    # The answer as sent (the approved VoiceAnswer's text) and the close.
    response_kind: Mapped[ResponseKind | None] = mapped_column(value_enum(ResponseKind, 16))
    answer_body: Mapped[str] = mapped_column(sa.Text, default="")
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # sent to the sender
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    # 反映状況 and its latest follow-up (history in VoiceFollowUp).
    reflection: Mapped[Reflection | None] = mapped_column(value_enum(Reflection, 16))
    reflection_note: Mapped[str] = mapped_column(sa.Text, default="")
    reflection_on: Mapped[date | None]

    # Publication: what 広聴課 wrote for the public, never the sender's words. Withdrawn and
    # republished corrected as VoicePublication rows; these columns hold the current one.
    public_title: Mapped[str] = mapped_column(sa.String(200), default="")
    public_summary: Mapped[str] = mapped_column(sa.Text, default="")
    public_view: Mapped[str] = mapped_column(sa.Text, default="")  # 市の考え方・対応
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # The follow-up question, sent once some weeks after closing to a sender who asked for it.
    follow_up_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    follow_up_token_hash: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    follow_up_answer: Mapped[FollowUpAnswer | None] = mapped_column(value_enum(FollowUpAnswer, 16))
    follow_up_answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    initiative: Mapped[Initiative] = relationship(foreign_keys="Voice.initiative_id")
    topic_initiative: Mapped[Initiative | None] = relationship(foreign_keys=[topic_initiative_id])
    department: Mapped[Department] = relationship()
    ward: Mapped[Ward | None] = relationship(foreign_keys="Voice.ward_id")
    attachment: Mapped[StoredFile | None] = relationship()
    routes: Mapped[list[VoiceRoute]] = relationship(
        back_populates="voice", order_by="VoiceRoute.id"
    )
    answers: Mapped[list[VoiceAnswer]] = relationship(
        back_populates="voice", order_by="VoiceAnswer.id"
    )
    interims: Mapped[list[InterimAnswer]] = relationship(
        back_populates="voice", order_by="InterimAnswer.id"
    )
    follow_ups: Mapped[list[VoiceFollowUp]] = relationship(
        back_populates="voice", order_by="VoiceFollowUp.id"
    )
    publications: Mapped[list[VoicePublication]] = relationship(
        back_populates="voice", order_by="VoicePublication.id"
    )

    @property
    def anonymous(self) -> bool:
        """Sent without a way to answer: accepted, never answered."""
        return self.reply_by == ReplyBy.NONE

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def answer_due_on(self) -> date:
        """The date the sender was told to expect the answer: the interim answer's, if any."""
        return self.expected_on or self.due_on

    def overdue(self, today: date) -> bool:
        return self.is_open and not self.anonymous and today > self.answer_due_on

    @property
    def is_published(self) -> bool:
        return self.published_at is not None


class VoiceRoute(db.Model):
    """A division a voice was routed to; re-routing ends a route (kept, with who and when)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    voice_id: Mapped[int] = mapped_column(sa.ForeignKey("voice.id"), index=True)
    department_id: Mapped[int] = mapped_column(sa.ForeignKey("department.id"), index=True)
    lead: Mapped[bool] = mapped_column(default=False)  # the division that drafts the answer
    note: Mapped[str] = mapped_column(sa.Text, default="")
    routed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.stamp)
    routed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    end_reason: Mapped[str] = mapped_column(sa.Text, default="")

    voice: Mapped[Voice] = relationship(back_populates="routes")
    department: Mapped[Department] = relationship(lazy="joined")


class VoiceAnswer(db.Model):
    """A division's answer draft; 広聴課 (or the mayor's office) approves it, and it is sent."""

    id: Mapped[int] = mapped_column(primary_key=True)
    voice_id: Mapped[int] = mapped_column(sa.ForeignKey("voice.id"), index=True)
    department_id: Mapped[int] = mapped_column(sa.ForeignKey("department.id"))
    body: Mapped[str] = mapped_column(sa.Text)
    response_kind: Mapped[ResponseKind] = mapped_column(value_enum(ResponseKind, 16))
    reflection: Mapped[Reflection | None] = mapped_column(value_enum(Reflection, 16))
    state: Mapped[AnswerState] = mapped_column(
        value_enum(AnswerState, 16), default=AnswerState.DRAFT
    )
    drafted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    drafted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.stamp)
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_note: Mapped[str] = mapped_column(sa.Text, default="")

    voice: Mapped[Voice] = relationship(back_populates="answers")
    department: Mapped[Department] = relationship(lazy="joined")


class InterimAnswer(db.Model):
    """中間回答: the division cannot answer by the deadline; the sender is told why and when."""

    id: Mapped[int] = mapped_column(primary_key=True)
    voice_id: Mapped[int] = mapped_column(sa.ForeignKey("voice.id"), index=True)
    reason: Mapped[str] = mapped_column(sa.Text)
    expected_on: Mapped[date]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.stamp)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    voice: Mapped[Voice] = relationship(back_populates="interims")


class VoiceFollowUp(db.Model):
    """An update of 反映状況 after the close, with its date (public once the voice is)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    voice_id: Mapped[int] = mapped_column(sa.ForeignKey("voice.id"), index=True)
    reflection: Mapped[Reflection] = mapped_column(value_enum(Reflection, 16))
    note: Mapped[str] = mapped_column(sa.Text, default="")
    noted_on: Mapped[date]
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.stamp)

    voice: Mapped[Voice] = relationship(back_populates="follow_ups")


class VoicePublication(db.Model):
    """Each time a voice was published: the text as published, and its withdrawal (an item
    that turned out to identify someone is taken down, corrected and published again)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    voice_id: Mapped[int] = mapped_column(sa.ForeignKey("voice.id"), index=True)
    public_title: Mapped[str] = mapped_column(sa.String(200))
    public_summary: Mapped[str] = mapped_column(sa.Text)
    public_view: Mapped[str] = mapped_column(sa.Text)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.stamp)
    published_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    # Indexed: its maximum is part of the published lists' cache key (a withdrawal shows at once).
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    withdrawn_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    withdraw_reason: Mapped[str] = mapped_column(sa.Text, default="")

    voice: Mapped[Voice] = relationship(back_populates="publications")


class AnswerTemplate(db.Model):
    """A division's (or everyone's, without a division) reusable answer text."""

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int | None] = mapped_column(sa.ForeignKey("department.id"), index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text)
    response_kind: Mapped[ResponseKind | None] = mapped_column(value_enum(ResponseKind, 16))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.stamp)
