"""Surveys (アンケート), the citizens' panel (2000人市民委員会) and participant feedback.

A `Survey` is the activity record that fulfils an initiative (3 and 9 for the panel's surveys,
18 for the feedback after a session, 19 after a collaboration project's event). Its answers are
`Response` rows of `Answer` rows, one row per chosen option, so a multiple-choice question is
counted per option in SQL, never per combination.

Anonymity: in an anonymous survey a response holds no link to its invitation (one-time code),
its account or its panel member, and its time is kept to the day only, so it cannot be matched
to the moment a code was used. What it keeps is the sample it came from (panel, open, the
participants of a session) and the two strata the weights need (ward, age band), copied from
the panel member: results are weighted and cells under 10 suppressed, never listed per person.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core import clock
from app.core.activity import FulfilsInitiative
from app.core.db import Localized, TimestampMixin, UTCDateTime, value_enum
from app.core.enums import AgeBand, LabelledEnum
from app.extensions import db

if TYPE_CHECKING:
    from app.plan.models import Department, Initiative

SURVEY_INITIATIVE = 9  # research on new ways to take part (the panel's surveys report to 3 too)
FEEDBACK_INITIATIVE = 18  # the quality of participation
COLLABORATION_FEEDBACK_INITIATIVE = 19  # the quality of collaboration (proposals' events)
SUPPRESS_UNDER = 10  # no count under 10 is published (health-data guidelines)


class SurveyKind(LabelledEnum):
    SURVEY = "survey", _l("Survey")
    FEEDBACK = "feedback", _l("Participant feedback")  # the standard questionnaire after a session


class Audience(LabelledEnum):
    ANYONE = "anyone", _l("Anyone")
    ACCOUNTS = "accounts", _l("Account holders")
    PANEL = "panel", _l("The citizens' panel")
    PARTICIPANTS = "participants", _l("Participants of given sessions")


class SurveyStatus(LabelledEnum):
    DRAFT = "draft", _l("Draft")
    IN_REVIEW = "in_review", _l("In review")  # 広聴課 approves before it opens
    APPROVED = "approved", _l("Approved")  # opens and closes by itself at its times
    PUBLISHED = "published", _l("Results published")
    ABANDONED = "abandoned", _l("Abandoned")


class Source(LabelledEnum):
    """The sample a response came from: results never pool different samples."""

    PANEL = "panel", _l("Citizens' panel (random sample)")
    OPEN = "open", _l("Open to anyone")
    PARTICIPANTS = "participants", _l("Session participants")


class QuestionKind(LabelledEnum):
    SHORT_TEXT = "short_text", _l("Short answer")
    LONG_TEXT = "long_text", _l("Long answer")
    SINGLE = "single", _l("One choice")
    MULTIPLE = "multiple", _l("Several choices")
    SCALE = "scale", _l("Five-point scale")
    MATRIX = "matrix", _l("Grid of five-point scales")
    NUMBER = "number", _l("Number")
    DATE = "date", _l("Date")


CHOICE_KINDS = frozenset({QuestionKind.SINGLE, QuestionKind.MULTIPLE})
SCALE_POINTS = 5


class Survey(FulfilsInitiative, Localized, TimestampMixin, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[SurveyKind] = mapped_column(value_enum(SurveyKind, 16), default=SurveyKind.SURVEY)
    title_ja: Mapped[str] = mapped_column(sa.String(200))
    title_en: Mapped[str] = mapped_column(sa.String(300), default="")
    purpose_ja: Mapped[str] = mapped_column(sa.Text, default="")
    purpose_en: Mapped[str] = mapped_column(sa.Text, default="")
    audience: Mapped[Audience] = mapped_column(value_enum(Audience, 16))
    anonymous: Mapped[bool] = mapped_column(default=True)
    opens_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    status: Mapped[SurveyStatus] = mapped_column(
        value_enum(SurveyStatus, 16), default=SurveyStatus.DRAFT, index=True
    )
    # The panel's term whose members are invited (audience PANEL).
    panel_term_id: Mapped[int | None] = mapped_column(sa.ForeignKey("panel_term.id"))
    # The session a feedback questionnaire follows (kind FEEDBACK), one per session.
    session_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("consultation_session.id"), unique=True
    )
    review_note: Mapped[str] = mapped_column(sa.Text, default="")
    reviewed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    # Results: published after the close, with 「その後」, how the division used them.
    results_published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    afterwards_ja: Mapped[str] = mapped_column(sa.Text, default="")
    afterwards_en: Mapped[str] = mapped_column(sa.Text, default="")
    # Responses counted when the survey closed (a response rate needs the invitations sent).
    invited_count: Mapped[int] = mapped_column(default=0)
    # The published results as the public pages, files and API show them, after suppression
    # (results.snapshot_data): computed when they change (publication, a redaction), so that a
    # visitor reads one row instead of counting every answer. Deferred: lists of surveys never
    # need it; results.load_survey loads it with the survey.
    results_snapshot: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON, deferred=True)

    initiative: Mapped[Initiative] = relationship()
    department: Mapped[Department] = relationship()
    questions: Mapped[list[Question]] = relationship(
        back_populates="survey", order_by="Question.position", cascade="all, delete-orphan"
    )
    panel_term: Mapped[PanelTerm | None] = relationship()

    def is_open(self, now: datetime) -> bool:
        return self.status == SurveyStatus.APPROVED and self.opens_at <= now < self.closes_at

    def is_closed(self, now: datetime) -> bool:
        return self.status in (SurveyStatus.APPROVED, SurveyStatus.PUBLISHED) and (
            now >= self.closes_at
        )


survey_session = sa.Table(
    "survey_session",
    db.metadata,
    sa.Column("survey_id", sa.ForeignKey("survey.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("session_id", sa.ForeignKey("consultation_session.id"), primary_key=True),
)


class Question(Localized, db.Model):
    """One question. `options` are [{"ja": …, "en": …}] (choices; a matrix's columns are the
    five scale points, its `rows` the items rated). A condition shows the question only when an
    earlier question's answer is one of `condition_options` (indexes into its options)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(sa.ForeignKey("survey.id"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    kind: Mapped[QuestionKind] = mapped_column(value_enum(QuestionKind, 16))
    text_ja: Mapped[str] = mapped_column(sa.Text)
    text_en: Mapped[str] = mapped_column(sa.Text, default="")
    help_ja: Mapped[str] = mapped_column(sa.Text, default="")
    help_en: Mapped[str] = mapped_column(sa.Text, default="")
    required: Mapped[bool] = mapped_column(default=False)
    options: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
    rows: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
    allow_other: Mapped[bool] = mapped_column(default=False)  # 「その他」 with a text
    condition_question_id: Mapped[int | None] = mapped_column(sa.ForeignKey("question.id"))
    condition_options: Mapped[list[int]] = mapped_column(sa.JSON, default=list)
    # A standard feedback question's key ("heard", "clarity", "length", "glad", "again",
    # "comment"), so the feedback scores are found whatever the wording.
    key: Mapped[str] = mapped_column(sa.String(32), default="")

    survey: Mapped[Survey] = relationship(back_populates="questions")


class Invitation(db.Model):
    """A one-time code to answer a survey: a panel member's, a session participant's, or an
    account's. Used once (`used_at`, set in the transaction that stores the response); an
    anonymous survey's response does not point back at it."""

    __table_args__ = (sa.Index("ix_invitation_survey_id_used_at", "survey_id", "used_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(sa.ForeignKey("survey.id"), index=True)
    code_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)  # sha256 of the code
    panel_member_id: Mapped[int | None] = mapped_column(sa.ForeignKey("panel_member.id"))
    registration_id: Mapped[int | None] = mapped_column(sa.ForeignKey("registration.id"))
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    email: Mapped[str] = mapped_column(sa.String(254), default="")
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Response(db.Model):
    """One person's answers. Never deleted. In an anonymous survey: no invitation, account or
    member, and the day only."""

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(sa.ForeignKey("survey.id"), index=True)
    source: Mapped[Source] = mapped_column(value_enum(Source, 16))
    submitted_on: Mapped[date]
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # named surveys only
    # Strata for weighting (from the panel member, or as the respondent said; may be empty).
    ward_id: Mapped[int | None] = mapped_column(sa.ForeignKey("ward.id"))
    age_band: Mapped[AgeBand | None] = mapped_column(value_enum(AgeBand, 16))
    # Named surveys only: who answered.
    invitation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("invitation.id"), unique=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    # One per form shown: a double submit stores one response.
    submission_token: Mapped[str] = mapped_column(sa.String(64), unique=True)
    receipt_code: Mapped[str] = mapped_column(sa.String(32), default="")
    # Hidden by staff (e.g. a test answer), with the reason; still counted nowhere.
    hidden_reason: Mapped[str] = mapped_column(sa.Text, default="")

    answers: Mapped[list[Answer]] = relationship(back_populates="response")


class Answer(db.Model):
    """One answer cell: a chosen option (one row per option chosen), a scale point (matrix: per
    row), a number, a date, or a text (a free answer, or the text of 「その他」)."""

    __table_args__ = (sa.Index("ix_answer_question_id_option", "question_id", "option"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(sa.ForeignKey("response.id"), index=True)
    question_id: Mapped[int] = mapped_column(sa.ForeignKey("question.id"))
    row: Mapped[int | None]  # a matrix's row
    option: Mapped[int | None]  # option index; a scale point 1–5; -1 for 「その他」
    number: Mapped[float | None]
    day: Mapped[date | None]
    text: Mapped[str] = mapped_column(sa.Text, default="")
    # Free text published only after redaction: the redacted text, or None (not published).
    redacted_text: Mapped[str | None] = mapped_column(sa.Text)

    response: Mapped[Response] = relationship(back_populates="answers")


class ResponseDraft(db.Model):
    """Saved progress of an unfinished response, keyed by the invitation code's hash or the
    account (never both), removed when the response is sent: a draft is not yet a response."""

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(sa.ForeignKey("survey.id"), index=True)
    key_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    answers: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    saved_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.stamp)


# The citizens' panel ----------------------------------------------------------------------


class PanelTerm(Localized, TimestampMixin, db.Model):
    """A term of the panel (e.g. two years) with its target size and its published draw."""

    id: Mapped[int] = mapped_column(primary_key=True)
    name_ja: Mapped[str] = mapped_column(sa.String(200))
    name_en: Mapped[str] = mapped_column(sa.String(300), default="")
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    target_size: Mapped[int]
    # How many to invite per member wanted (18,160 drawn for 2,124 members: about 8.5).
    invite_ratio: Mapped[float] = mapped_column(default=8.5)
    # The draw: its seed, published before it is drawn, and when it was drawn.
    seed: Mapped[str] = mapped_column(sa.String(64), default="")
    seed_published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    drawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The population per stratum ({"<ward code>|<age band>": count}) from the resident
    # register's list as imported, and where it came from: the weights' published source.
    population: Mapped[dict[str, int]] = mapped_column(sa.JSON, default=dict)
    population_source: Mapped[str] = mapped_column(sa.Text, default="")

    members: Mapped[list[PanelMember]] = relationship(back_populates="term")


class Resident(db.Model):
    """One row of the resident register's extract imported for a draw. Personal data: seen by
    the division running the panel only, never published; kept for the term's replacements."""

    __table_args__ = (sa.UniqueConstraint("term_id", "register_ref"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    term_id: Mapped[int] = mapped_column(sa.ForeignKey("panel_term.id"), index=True)
    register_ref: Mapped[str] = mapped_column(sa.String(40))  # the register's own number
    name: Mapped[str] = mapped_column(sa.String(100))
    postal_code: Mapped[str] = mapped_column(sa.String(10), default="")
    address: Mapped[str] = mapped_column(sa.String(300))
    ward_id: Mapped[int] = mapped_column(sa.ForeignKey("ward.id"))
    age_band: Mapped[AgeBand] = mapped_column(value_enum(AgeBand, 16))
    # Position in the published draw's order (None: not drawn).
    draw_rank: Mapped[int | None]


class MemberState(LabelledEnum):
    INVITED = "invited", _l("Invited")
    ACCEPTED = "accepted", _l("Member")
    DECLINED = "declined", _l("Declined")
    RETIRED = "retired", _l("Left the panel")


class PanelMember(db.Model):
    """A drawn resident invited to the panel (by a letter with a one-time code, or e-mail)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    term_id: Mapped[int] = mapped_column(sa.ForeignKey("panel_term.id"), index=True)
    resident_id: Mapped[int] = mapped_column(sa.ForeignKey("resident.id"), unique=True)
    state: Mapped[MemberState] = mapped_column(
        value_enum(MemberState, 16), default=MemberState.INVITED, index=True
    )
    code_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)  # the letter's code
    invited_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.stamp)
    email: Mapped[str] = mapped_column(sa.String(254), default="")
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"), index=True)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    left_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    left_reason: Mapped[str] = mapped_column(sa.Text, default="")
    # A member who left, replaced from the same stratum by the next in the draw's order.
    replaces_id: Mapped[int | None] = mapped_column(sa.ForeignKey("panel_member.id"))

    term: Mapped[PanelTerm] = relationship(back_populates="members")
    resident: Mapped[Resident] = relationship()


def favourable_answer() -> Any:
    """Whether a feedback answer is favourable, as the quality figures of initiatives 18 and 19
    and the staff's feedback page both count it (one rule, so the two agree): a five-point
    scale's 4 or 5, the length "about right" (its second option), otherwise a choice's first
    option ("would take part again")."""
    return sa.case(
        (Question.kind == QuestionKind.SCALE, Answer.option >= 4),
        (Question.key == "length", Answer.option == 1),
        else_=Answer.option == 0,
    )
