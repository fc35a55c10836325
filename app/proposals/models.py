"""Collaboration proposals (協働提案制度): yearly calls, proposals from citizen groups, the staged
review with weighted scores, adoption, the agreement, the project's progress and its joint
evaluation.

A `Proposal` is the activity record that fulfils an initiative (17 by default): the figures per
initiative count proposals submitted, adopted, carried out and evaluated, and the city's
contribution. Its public presentation is a consultations `Session`, so citizens register for
it like any other gathering.
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
from app.core.enums import LabelledEnum
from app.extensions import db

if TYPE_CHECKING:
    from app.accounts.models import User
    from app.consultations.models import Consultation, Session
    from app.core.uploads import StoredFile
    from app.plan.models import Department, Initiative


class CallType(LabelledEnum):
    CITIZEN = "citizen", _l("Citizen-proposed theme")  # 市民提案型: the group chooses the theme
    # 行政提案型: divisions offer themes
    ADMINISTRATION = "administration", _l("City-proposed themes")


class Stage(LabelledEnum):
    """Where a proposal is in the round; each change is a ProposalEvent the group sees."""

    DRAFT = "draft", _l("Draft")
    CONSULTING = "consulting", _l("Pre-consultation")  # 事前相談
    SUBMITTED = "submitted", _l("Submitted")  # 提出
    DIVISION = "division", _l("Discussion with the division")  # 担当課協議
    DOCUMENT_REVIEW = "document_review", _l("Document review")  # 一次審査
    PRESENTATION = "presentation", _l("Public presentation")  # 公開プレゼンテーション
    FINAL_REVIEW = "final_review", _l("Final review")  # 最終審査
    ADOPTED = "adopted", _l("Adopted")  # 採択
    REJECTED = "rejected", _l("Not adopted")  # 不採択
    # 協定締結: the project is under way (実施)
    AGREED = "agreed", _l("Agreement concluded; under way")
    # 完了: awaiting the joint evaluation
    COMPLETED = "completed", _l("Completed; awaiting evaluation")
    EVALUATED = "evaluated", _l("Evaluated")  # 評価
    WITHDRAWN = "withdrawn", _l("Withdrawn")


# The group may still change these; from submission on, the proposal is the city's record.
EDITABLE_STAGES = frozenset({Stage.DRAFT, Stage.CONSULTING})
# Adopted and after: public as a project, with progress and evaluation.
ADOPTED_STAGES = frozenset({Stage.ADOPTED, Stage.AGREED, Stage.COMPLETED, Stage.EVALUATED})
CARRIED_OUT_STAGES = frozenset({Stage.AGREED, Stage.COMPLETED, Stage.EVALUATED})
# Stages in which the review is still running (the division and reviewers act).
UNDER_REVIEW_STAGES = frozenset(
    {
        Stage.SUBMITTED,
        Stage.DIVISION,
        Stage.DOCUMENT_REVIEW,
        Stage.PRESENTATION,
        Stage.FINAL_REVIEW,
    }
)


class Round(LabelledEnum):
    DOCUMENT = "document", _l("Document review")  # 一次審査 (書類)
    FINAL = "final", _l("Final review")  # 最終審査 (after the presentation)


ROUND_STAGE = {Round.DOCUMENT: Stage.DOCUMENT_REVIEW, Round.FINAL: Stage.FINAL_REVIEW}

# The group's eligibility, declared by the group and checked by 市民協働課.
ELIGIBILITY_LABELS = {
    "based_in_city": _l("The group is based in Kumamoto City."),
    "five_members": _l("The group has at least five members."),
    "rules_and_accounts": _l("The group has written rules and keeps accounts."),
    "active_one_year": _l("The group has been active for at least a year."),
}
# Projects the scheme excludes: the group declares its project is none of them.
EXCLUSION_LABELS = {
    "profit": _l("It is not a profit-making activity."),
    "specific_persons": _l("It is not for specific persons only."),
    "political": _l("It is not political, religious or electoral."),
    "facilities": _l("It does not build facilities."),
    "funded_elsewhere": _l("It is not already funded by the city or another body."),
    "illegal": _l("It breaks no law and no public order."),
}

# (Japanese, English, weight): the ten criteria most cities use, summing to 100 points.
DEFAULT_CRITERIA = [
    ("公益性", "Public benefit", 15),
    ("協働の必要性", "Need for collaboration", 15),
    ("役割分担の明確さ・対等性", "Clear and equal division of roles", 10),
    ("予算の妥当性", "Soundness of the budget", 10),
    ("計画の具体性", "Concreteness of the plan", 10),
    ("団体の実行力", "The group's capacity to deliver", 10),
    ("継続性", "Continuity", 10),
    ("先駆性", "Originality", 5),
    ("波及効果", "Wider effect", 5),
    ("市民サービスの向上", "Better services for residents", 10),
]
POINTS_MAX = 5  # every criterion is scored 0–5, then weighted


def default_criteria() -> list[dict[str, Any]]:
    return [{"ja": ja, "en": en, "weight": weight} for ja, en, weight in DEFAULT_CRITERIA]


class ProposalCall(Localized, FulfilsInitiative, TimestampMixin, db.Model):
    """A yearly call (募集回), run by 市民協働課."""

    id: Mapped[int] = mapped_column(primary_key=True)
    title_ja: Mapped[str] = mapped_column(sa.String(200))
    title_en: Mapped[str] = mapped_column(sa.String(300), default="")
    summary_ja: Mapped[str] = mapped_column(sa.Text, default="")
    summary_en: Mapped[str] = mapped_column(sa.Text, default="")
    call_type: Mapped[CallType] = mapped_column(value_enum(CallType))
    # Pre-consultation (事前相談) is optional; its window usually ends before submission opens.
    consultation_opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    consultation_closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    opens_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    max_contribution: Mapped[int]  # yen per project
    # [{"ja": "公益性", "en": "Public benefit", "weight": 15}, …], weights summing to 100.
    criteria: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=default_criteria)
    published: Mapped[bool] = mapped_column(default=False)
    presentation_session_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("consultation_session.id")
    )
    # The consultation that holds the call's public presentations, linked by id: renaming the
    # call or the consultation keeps the link (it used to be found by its Japanese title).
    presentation_consultation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("consultation.id")
    )
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))

    department: Mapped[Department] = relationship()
    initiative: Mapped[Initiative] = relationship()
    themes: Mapped[list[CallTheme]] = relationship(back_populates="call", order_by="CallTheme.id")
    proposals: Mapped[list[Proposal]] = relationship(back_populates="call")
    presentation: Mapped[Session | None] = relationship()
    presentation_consultation: Mapped[Consultation | None] = relationship()

    @property
    def receipt_prefix(self) -> str:
        return f"KT{self.id:03d}"

    def criterion_names(self) -> list[str]:
        from app.core.i18n import current_language

        language = current_language()
        return [(c.get(language) or c["ja"]) for c in self.criteria]

    def is_open(self, now: datetime) -> bool:
        return self.published and self.opens_at <= now <= self.closes_at

    def consultation_open(self, now: datetime) -> bool:
        return (
            self.published
            and self.consultation_opens_at is not None
            and self.consultation_closes_at is not None
            and self.consultation_opens_at <= now <= self.consultation_closes_at
        )

    def accepts_drafts(self, now: datetime) -> bool:
        return self.published and now <= self.closes_at


class CallTheme(Localized, db.Model):
    """A theme a division offers in a 行政提案型 call."""

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(sa.ForeignKey("proposal_call.id"), index=True)
    department_id: Mapped[int] = mapped_column(sa.ForeignKey("department.id"), index=True)
    title_ja: Mapped[str] = mapped_column(sa.String(200))
    title_en: Mapped[str] = mapped_column(sa.String(300), default="")
    description_ja: Mapped[str] = mapped_column(sa.Text, default="")
    description_en: Mapped[str] = mapped_column(sa.Text, default="")

    call: Mapped[ProposalCall] = relationship(back_populates="themes")
    department: Mapped[Department] = relationship()


class Proposal(FulfilsInitiative, TimestampMixin, db.Model):
    """A group's proposal. Never deleted: withdrawn with a reason. The representative's name,
    address and contact details are seen only by 市民協働課 and the division addressed;
    the group's name, the project and its outcome become public once adopted."""

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(sa.ForeignKey("proposal_call.id"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True)
    stage: Mapped[Stage] = mapped_column(value_enum(Stage, 16), index=True)
    number: Mapped[int | None]
    receipt_number: Mapped[str | None] = mapped_column(sa.String(32), unique=True)
    theme_id: Mapped[int | None] = mapped_column(sa.ForeignKey("call_theme.id"))
    # The group (団体) and its representative.
    group_name: Mapped[str] = mapped_column(sa.String(200))
    representative: Mapped[str] = mapped_column(sa.String(100))
    members: Mapped[int]
    founded_on: Mapped[date]
    address: Mapped[str] = mapped_column(sa.String(300))
    phone: Mapped[str] = mapped_column(sa.String(30))
    email: Mapped[str] = mapped_column(sa.String(254))
    activity_record: Mapped[str] = mapped_column(sa.Text, default="")
    # The project.
    title: Mapped[str] = mapped_column(sa.String(200))
    summary: Mapped[str] = mapped_column(sa.Text)
    problem: Mapped[str] = mapped_column(sa.Text)
    plan: Mapped[str] = mapped_column(sa.Text)
    schedule: Mapped[str] = mapped_column(sa.Text)
    group_role: Mapped[str] = mapped_column(sa.Text)
    city_role: Mapped[str] = mapped_column(sa.Text)
    eligibility: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    declarations: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    attachment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("stored_file.id"))
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    # The review, filled in stage by stage.
    consultation_note: Mapped[str] = mapped_column(sa.Text, default="")
    eligibility_checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    division_feasible: Mapped[bool | None]
    division_opinion: Mapped[str] = mapped_column(sa.Text, default="")
    decision_reason: Mapped[str] = mapped_column(sa.Text, default="")  # published
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The agreement (協定) and the project.
    agreed_on: Mapped[date | None]
    agreement_roles: Mapped[str] = mapped_column(sa.Text, default="")
    agreement_budget: Mapped[int | None]  # the city's contribution, yen
    completed_on: Mapped[date | None]
    group_evaluation: Mapped[str] = mapped_column(sa.Text, default="")
    division_evaluation: Mapped[str] = mapped_column(sa.Text, default="")
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_reason: Mapped[str] = mapped_column(sa.String(500), default="")

    call: Mapped[ProposalCall] = relationship(back_populates="proposals")
    user: Mapped[User] = relationship()
    theme: Mapped[CallTheme | None] = relationship()
    department: Mapped[Department] = relationship()
    initiative: Mapped[Initiative] = relationship()
    attachment: Mapped[StoredFile | None] = relationship()
    budget_lines: Mapped[list[BudgetLine]] = relationship(
        back_populates="proposal", order_by="BudgetLine.position", cascade="all, delete-orphan"
    )
    events: Mapped[list[ProposalEvent]] = relationship(
        back_populates="proposal", order_by="ProposalEvent.id"
    )
    reports: Mapped[list[ProgressReport]] = relationship(
        back_populates="proposal", order_by="ProgressReport.reported_on"
    )

    @property
    def city_share(self) -> int:
        return sum(line.city_share for line in self.budget_lines)

    @property
    def total_cost(self) -> int:
        return sum(line.amount for line in self.budget_lines)

    @property
    def editable(self) -> bool:
        return self.stage in EDITABLE_STAGES

    @property
    def is_project(self) -> bool:
        return self.stage in ADOPTED_STAGES


class BudgetLine(db.Model):
    """One line of the project's budget; the city pays `city_share` of `amount`."""

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(sa.ForeignKey("proposal.id"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    item: Mapped[str] = mapped_column(sa.String(200))
    amount: Mapped[int]
    city_share: Mapped[int]

    proposal: Mapped[Proposal] = relationship(back_populates="budget_lines")


class ProposalEvent(db.Model):
    """A change of stage with its date and a note the group sees (the audit log keeps who)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(sa.ForeignKey("proposal.id"), index=True)
    stage: Mapped[Stage] = mapped_column(value_enum(Stage, 16))
    note: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.stamp)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))

    proposal: Mapped[Proposal] = relationship(back_populates="events")


class ReportKind(LabelledEnum):
    PROGRESS = "progress", _l("Progress report")  # by the group
    MIDTERM = "midterm", _l("Mid-term review")  # 中間評価, by the division or 市民協働課


class ProgressReport(TimestampMixin, db.Model):
    """What the project did, published on its public page."""

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(sa.ForeignKey("proposal.id"), index=True)
    kind: Mapped[ReportKind] = mapped_column(value_enum(ReportKind, 16))
    reported_on: Mapped[date]
    text: Mapped[str] = mapped_column(sa.Text)
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))

    proposal: Mapped[Proposal] = relationship(back_populates="reports")


class ProposalReviewer(db.Model):
    """A member of the review committee (審査委員会) assigned to a call."""

    __table_args__ = (sa.UniqueConstraint("call_id", "reviewer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(sa.ForeignKey("proposal_call.id"), index=True)
    reviewer_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True)
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.stamp)

    reviewer: Mapped[User] = relationship()


class ProposalScore(TimestampMixin, db.Model):
    """One reviewer's scores for one proposal in one round: 0–5 per criterion, and the total
    weighted to 100 points. A reviewer with a conflict of interest declares it and scores
    nothing; the declaration counts as their submission."""

    __tablename__ = "proposal_score"
    __table_args__ = (sa.UniqueConstraint("proposal_id", "reviewer_id", "round"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(sa.ForeignKey("proposal.id"), index=True)
    reviewer_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True)
    round: Mapped[Round] = mapped_column(value_enum(Round, 16))
    conflict: Mapped[bool] = mapped_column(default=False)
    points: Mapped[list[int]] = mapped_column(sa.JSON, default=list)
    total: Mapped[float | None] = mapped_column(sa.Float)
    comment: Mapped[str] = mapped_column(sa.Text, default="")
