"""パブリックコメント: a case (案件) with its draft in sections, materials, review history,
comments (意見), opinion summaries (意見の概要) with the city's view (市の考え方), and results."""

from __future__ import annotations

import enum
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core import clock
from app.core.activity import FulfilsInitiative
from app.core.db import TimestampMixin, UTCDateTime, value_enum
from app.core.enums import LabelledEnum
from app.core.i18n import to_jst
from app.extensions import db

if TYPE_CHECKING:
    from app.core.dispositions import Disposition
    from app.core.uploads import StoredFile
    from app.plan.models import Department, Initiative, Ward

MINIMUM_DAYS = (
    30  # 行政手続法 art. 39 ¶3 and the city's guideline; shorter needs a reason (art. 40)
)
PUBLIC_COMMENT_INITIATIVE = 8


def period_days(opens_at: datetime, closes_at: datetime) -> int:
    """The comment period in days, as 行政手続法 art. 39 ¶3 counts it: in the city's calendar
    (Japan dates, whatever the stored UTC says), the day of publication (opening) counted as
    day 1 and the closing day included. 1 Dec 00:00 to 29 Dec 23:59 JST is 29 days; under
    MINIMUM_DAYS a published reason is required (art. 40). The one count used by the check,
    the pages and the API."""
    return (to_jst(closes_at).date() - to_jst(opens_at).date()).days + 1


class CaseStatus(enum.StrEnum):
    DRAFT = "draft"
    IN_REVIEW = "in_review"
    APPROVED = "approved"  # opens and closes by itself at its times
    RESULTS_REVIEW = "results_review"
    PUBLISHED = "published"
    ABANDONED = "abandoned"


# Statuses in which a case is visible to the public (after 広聴課 approved it).
PUBLIC_STATUSES = (
    CaseStatus.APPROVED,
    CaseStatus.RESULTS_REVIEW,
    CaseStatus.PUBLISHED,
    CaseStatus.ABANDONED,
)


class Phase(LabelledEnum):
    """What the public sees, derived from the status and the clock."""

    DRAFT = "draft", _l("Draft")
    IN_REVIEW = "in_review", _l("In review")
    UPCOMING = "upcoming", _l("Upcoming")
    OPEN = "open", _l("Open for comments")
    CLOSED = "closed", _l("Closed, results in preparation")
    RESULTS_REVIEW = "results_review", _l("Closed, results in review")
    PUBLISHED = "published", _l("Results published")
    ABANDONED = "abandoned", _l("Abandoned")


class Channel(LabelledEnum):
    WEB = "web", _l("Web form")
    POST = "post", _l("Post")
    FAX = "fax", _l("Fax")
    EMAIL = "email", _l("E-mail")
    IN_PERSON = "in_person", _l("In person")


class SubmitterCategory(LabelledEnum):
    RESIDENT = "resident", _l("Resident of the city")
    WORKER_STUDENT = "worker_student", _l("Works or studies in the city")
    BUSINESS = "business", _l("Business or organisation in the city")
    STAKEHOLDER = "stakeholder", _l("Other person with a stake in the matter")


class CommentCase(FulfilsInitiative, TimestampMixin, db.Model):
    # The open and upcoming cases of the public list: approved and closing from now on.
    __table_args__ = (sa.Index("ix_comment_case_status_closes_at", "status", "closes_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    title_en: Mapped[str] = mapped_column(sa.String(300), default="")
    summary: Mapped[str] = mapped_column(sa.Text)
    purpose: Mapped[str] = mapped_column(sa.Text, default="")  # 目的・背景
    legal_basis: Mapped[str] = mapped_column(sa.Text, default="")
    who_may_comment: Mapped[str] = mapped_column(sa.Text, default="")
    channels: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    postal_address: Mapped[str] = mapped_column(sa.String(300), default="")
    fax: Mapped[str] = mapped_column(sa.String(40), default="")
    email: Mapped[str] = mapped_column(sa.String(254), default="")
    opens_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    short_period_reason: Mapped[str] = mapped_column(sa.Text, default="")
    status: Mapped[CaseStatus] = mapped_column(
        value_enum(CaseStatus), default=CaseStatus.DRAFT, index=True
    )
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    # Results (結果の公示, 行政手続法 art. 43)
    changes: Mapped[str] = mapped_column(sa.Text, default="")  # what changed in the draft, why
    decision_date: Mapped[date | None]
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    abandoned_reason: Mapped[str] = mapped_column(sa.Text, default="")
    abandoned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    initiative: Mapped[Initiative] = relationship()
    department: Mapped[Department] = relationship()
    ward: Mapped[Ward | None] = relationship()
    sections: Mapped[list[DraftSection]] = relationship(
        back_populates="case", order_by="DraftSection.position", cascade="all, delete-orphan"
    )
    materials: Mapped[list[CaseMaterial]] = relationship(
        back_populates="case", order_by="CaseMaterial.id", cascade="all, delete-orphan"
    )
    reviews: Mapped[list[ReviewEvent]] = relationship(
        back_populates="case", order_by="ReviewEvent.id"
    )

    def closes_before(self) -> datetime:
        """Deadlines are inclusive to the minute shown: a case shown as closing at 23:59
        takes comments until 23:59:59."""
        return self.closes_at + timedelta(minutes=1)

    def phase_at(self, now: datetime) -> Phase:
        if self.status != CaseStatus.APPROVED:
            return Phase(self.status.value)
        if now < self.opens_at:
            return Phase.UPCOMING
        if now < self.closes_before():
            return Phase.OPEN
        return Phase.CLOSED

    @property
    def period_days(self) -> int:
        return period_days(self.opens_at, self.closes_at)

    def tr(self, field: str) -> str:
        from app.core.i18n import current_language

        english = getattr(self, f"{field}_en", "") if current_language() == "en" else ""
        return english or getattr(self, field)


class DraftSection(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("comment_case.id"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    heading: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text)

    case: Mapped[CommentCase] = relationship(back_populates="sections")


class CaseMaterial(db.Model):
    """A material published with the draft: an uploaded file, or a link to a page elsewhere
    (the national guideline, a council's minutes); never both, never neither."""

    __table_args__ = (
        sa.CheckConstraint(
            "(stored_file_id IS NULL) <> (url = '')",
            name="file_or_url",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("comment_case.id"), index=True)
    stored_file_id: Mapped[int | None] = mapped_column(sa.ForeignKey("stored_file.id"))
    url: Mapped[str] = mapped_column(sa.String(500), default="", server_default="")
    title: Mapped[str] = mapped_column(sa.String(200))

    case: Mapped[CommentCase] = relationship(back_populates="materials")
    file: Mapped[StoredFile | None] = relationship(lazy="joined")


class ReviewAction(LabelledEnum):
    SUBMITTED = "submitted", _l("Submitted for review")
    APPROVED = "approved", _l("Schedule and materials approved")
    RETURNED = "returned", _l("Returned with notes")
    RESULTS_SUBMITTED = "results_submitted", _l("Results submitted for approval")
    RESULTS_APPROVED = "results_approved", _l("Results approved and published")
    RESULTS_RETURNED = "results_returned", _l("Results returned with notes")
    ABANDONED = "abandoned", _l("Abandoned")


class ReviewEvent(db.Model):
    """The history of review between the division and 広聴課; kept, never edited."""

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("comment_case.id"), index=True)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    action: Mapped[ReviewAction] = mapped_column(value_enum(ReviewAction))
    note: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.stamp)

    case: Mapped[CommentCase] = relationship(back_populates="reviews")
    actor = relationship("User", lazy="joined")


comment_summary = sa.Table(
    "comment_summary",
    db.metadata,
    sa.Column("comment_id", sa.ForeignKey("comment.id"), primary_key=True),
    sa.Column(
        "summary_id", sa.ForeignKey("opinion_summary.id", ondelete="CASCADE"), primary_key=True
    ),
)


class Comment(db.Model):
    """One submitter's opinion. Never deleted: redacted or marked out of scope, with a reason."""

    __table_args__ = (
        sa.UniqueConstraint("case_id", "receipt_number"),
        sa.UniqueConstraint("case_id", "submission_token"),
        # Comments and people per case are counted from this index alone (lists, results).
        sa.Index("ix_comment_case_id_person_key", "case_id", "person_key"),
        # People per initiative over all years (the table, reports, API): walking this index in
        # order counts distinct people without sorting a million keys (docs/BENCHMARKS.md).
        sa.Index("ix_comment_initiative_id_person_key", "initiative_id", "person_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("comment_case.id"), index=True)
    # The initiative the comment fulfils: its case's, copied when it is stored. A case's
    # initiative is fixed before it opens (only drafts are edited), so the copy cannot drift.
    initiative_id: Mapped[int] = mapped_column(sa.ForeignKey("initiative.id"))
    receipt_number: Mapped[int]
    receipt_code: Mapped[str] = mapped_column(sa.String(32), index=True)
    # One per form shown: a double click or a resubmitted form finds the same comment.
    submission_token: Mapped[str] = mapped_column(sa.String(64))
    channel: Mapped[Channel] = mapped_column(value_enum(Channel), default=Channel.WEB)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    late_reason: Mapped[str] = mapped_column(sa.Text, default="")
    submitter_category: Mapped[SubmitterCategory] = mapped_column(value_enum(SubmitterCategory))
    # Personal data: shown only to the owning division and 広聴課, never published.
    name: Mapped[str] = mapped_column(sa.String(100))
    address: Mapped[str] = mapped_column(sa.String(300))
    email: Mapped[str] = mapped_column(sa.String(254), default="")
    phone: Mapped[str] = mapped_column(sa.String(40), default="")
    organisation: Mapped[str] = mapped_column(sa.String(200), default="")
    representative: Mapped[str] = mapped_column(sa.String(100), default="")
    # A hash of the normalised name and address, to count people without storing them twice.
    person_key: Mapped[str] = mapped_column(sa.String(64))
    section_id: Mapped[int | None] = mapped_column(sa.ForeignKey("draft_section.id"))
    body: Mapped[str] = mapped_column(sa.Text)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"), index=True)
    entered_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    # The language the comment was sent in (its receipt's): the notice of the results is
    # written in it too.
    language: Mapped[str] = mapped_column(sa.String(5), default="ja", server_default="ja")
    # Redaction (行政手続法 art. 43 ¶2–3): the original stays for staff.
    redacted_body: Mapped[str | None] = mapped_column(sa.Text)
    redaction_reason: Mapped[str] = mapped_column(sa.Text, default="")
    redacted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    out_of_scope_reason: Mapped[str] = mapped_column(sa.Text, default="")
    # Identical or near-identical comments (grouping.py); derived, recomputed on demand.
    group_id: Mapped[int | None] = mapped_column(sa.ForeignKey("comment_group.id"), index=True)
    # Topic of a comment outside the groups (grouping.topics); derived as well.
    cluster_id: Mapped[int | None] = mapped_column(sa.ForeignKey("comment_cluster.id"), index=True)
    # Why the last grouping run put the comment in its group, for staff to judge: a
    # grouping.Reason as {"kind", "confidence", "matched"}. None when the comment is alone or its
    # group's anchor, or when a staff decision placed it (the decision is then the reason).
    group_reason: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)

    case: Mapped[CommentCase] = relationship()
    section: Mapped[DraftSection | None] = relationship()
    summaries: Mapped[list[OpinionSummary]] = relationship(
        secondary=comment_summary, back_populates="comments"
    )

    @property
    def public_body(self) -> str:
        return self.redacted_body if self.redacted_body is not None else self.body


class OpinionSummary(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("comment_case.id"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    section_id: Mapped[int | None] = mapped_column(sa.ForeignKey("draft_section.id"))
    summary: Mapped[str] = mapped_column(sa.Text)  # 意見の概要
    city_view: Mapped[str] = mapped_column(sa.Text)  # 市の考え方
    disposition_id: Mapped[int] = mapped_column(sa.ForeignKey("disposition.id"), index=True)

    disposition: Mapped[Disposition] = relationship(lazy="joined")
    section: Mapped[DraftSection | None] = relationship()
    comments: Mapped[list[Comment]] = relationship(
        secondary=comment_summary, back_populates="summaries"
    )


class CommentGroup(db.Model):
    """Comments of (nearly) the same content, e.g. an organised campaign."""

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("comment_case.id"), index=True)
    # use_alter: comment and comment_group refer to each other.
    representative_id: Mapped[int] = mapped_column(sa.ForeignKey("comment.id", use_alter=True))
    size: Mapped[int]
    # Staff label a group as a campaign; the published results then show it once, with its size.
    is_campaign: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.stamp)

    representative: Mapped[Comment] = relationship(foreign_keys=[representative_id])


class CommentCluster(db.Model):
    """Comments outside the groups that share a topic, with the terms that characterise it."""

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("comment_case.id"), index=True)
    terms: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    size: Mapped[int]


class JobStatus(LabelledEnum):
    QUEUED = "queued", _l("queued")
    RUNNING = "running", _l("running")
    DONE = "done", _l("done")
    FAILED = "failed", _l("failed")


class GroupingJob(db.Model):
    """A grouping run for a large case, done by `flask public-comments work` (cron), so that
    no web worker is held; the case page shows its progress."""

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("comment_case.id"), index=True)
    status: Mapped[JobStatus] = mapped_column(
        value_enum(JobStatus, 16), default=JobStatus.QUEUED, index=True
    )
    progress: Mapped[int] = mapped_column(default=0)
    message: Mapped[str] = mapped_column(sa.String(300), default="")
    requested_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.stamp)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The `flask public-comments work` run doing it, renewed with each step of progress (see
    # run_grouping_jobs); a running job whose claim has expired was left by a crashed runner.
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_by: Mapped[str | None] = mapped_column(sa.String(120))

    requested_by = relationship("User")


class GroupingAction(enum.StrEnum):
    """What staff decided about a comment's group; kept, and applied after every grouping run."""

    SPLIT = "split"  # not part of that group: never again in a group with `with_comment`
    MERGE = "merge"  # its group was merged into `with_comment`'s: stays in a group with it
    CONFIRM = "confirm"  # a paraphrase staff confirmed: stays in a group with `with_comment`


class GroupingEdit(db.Model):
    """A staff decision about one comment's group (taken out of a group, moved with a merged
    group, or confirmed as a paraphrase of its campaign). Kept, never edited except to follow
    its anchor when that comment is itself taken out; every grouping run applies each comment's
    latest decision to its own groups (services.apply_grouping_decisions) and names them in the
    audit log."""

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("comment_case.id"), index=True)
    # Indexed: a group's page reads its members' decisions.
    comment_id: Mapped[int] = mapped_column(sa.ForeignKey("comment.id"), index=True)
    action: Mapped[GroupingAction] = mapped_column(value_enum(GroupingAction, 16))
    # The comment it was split from, merged with or confirmed with (its group's representative
    # when the decision was made).
    with_comment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("comment.id"))
    edited_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.stamp)

    edited_by = relationship("User", lazy="joined")
