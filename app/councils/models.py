"""Councils (審議会), their members and meetings, the guidelines for public members, and the
recruitment of public members (公募): calls, applications, blind review scores and lotteries."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

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
    from app.plan.models import Department


class MemberCategory(LabelledEnum):
    ACADEMIC = "academic", _l("Academic expert")  # 学識経験者
    ORGANISATION = "organisation", _l("Related organisation")  # 関係団体
    PUBLIC = "public", _l("Public member")  # 公募
    GOVERNMENT = "government", _l("Related government body")  # 関係行政機関
    OTHER = "other", _l("Other")  # その他


class Gender(LabelledEnum):
    FEMALE = "female", _l("Female")
    MALE = "male", _l("Male")
    OTHER = "other", _l("Other or prefer to describe")


class Residency(LabelledEnum):
    LIVES = "lives", _l("Lives in the city")
    WORKS = "works", _l("Works in the city")
    STUDIES = "studies", _l("Studies in the city")
    NONE = "none", _l("None of these")


class Exclusion(LabelledEnum):
    CITY_EMPLOYEE = "city_employee", _l("I am an employee of Kumamoto City")
    ASSEMBLY_MEMBER = "assembly_member", _l("I am a member of a national or local assembly")


class SelectionMethod(LabelledEnum):
    DOCUMENTS = "documents", _l("Screening of documents")  # 書類選考
    INTERVIEW = "interview", _l("Interview")  # 面接
    LOTTERY = "lottery", _l("Public lottery")  # 抽選
    # 書類選考のうえ抽選
    DOCUMENTS_THEN_LOTTERY = (
        "documents_then_lottery",
        _l("Screening of documents, then a public lottery"),
    )

    @property
    def uses_lottery(self) -> bool:
        return self in (SelectionMethod.LOTTERY, SelectionMethod.DOCUMENTS_THEN_LOTTERY)

    @property
    def uses_review(self) -> bool:
        return self is not SelectionMethod.LOTTERY


class MeetingOpenness(LabelledEnum):
    OPEN = "open", _l("Open to the public")
    CLOSED = "closed", _l("Closed")
    PARTLY_CLOSED = "partly_closed", _l("Partly closed")


class ApplicationStatus(LabelledEnum):
    # Not the bare "Received", whose translation is the date column's (受付日時).
    SUBMITTED = "submitted", _l("Application received")
    INELIGIBLE = "ineligible", _l("Not eligible")
    SELECTED = "selected", _l("Selected")
    NOT_SELECTED = "not_selected", _l("Not selected")
    WITHDRAWN = "withdrawn", _l("Withdrawn")


# Reason codes returned by eligibility.eligibility_reasons.
INELIGIBILITY_LABELS = {
    "too_young": _l("You are under the minimum age on the closing date."),
    "residency": _l("You do not live, work or study in the city as the guidelines require."),
    "address": _l(
        "You say you live in the city, but the address you gave is not in Kumamoto City."
    ),
    "too_many_memberships": _l(
        "You already sit on, or have been appointed to, the most councils one person may sit on."
    ),
    "consecutive_terms": _l("You have served the most consecutive terms allowed on this council."),
    "exclusion:city_employee": _l("Employees of Kumamoto City cannot apply for public seats."),
    "exclusion:assembly_member": _l("Assembly members cannot apply for public seats."),
}


class CouncilGuidelines(TimestampMixin, db.Model):
    """The city's guidelines for councils (審議会等の設置及び運営に関する指針): one record, edited
    by 行政経営課. Ratios are whole percentages."""

    id: Mapped[int] = mapped_column(primary_key=True)
    minimum_age: Mapped[int] = mapped_column(default=18)
    residency_categories: Mapped[list[str]] = mapped_column(
        sa.JSON, default=lambda: ["lives", "works", "studies"]
    )
    exclusions: Mapped[list[str]] = mapped_column(
        sa.JSON, default=lambda: ["city_employee", "assembly_member"]
    )
    max_concurrent_memberships: Mapped[int] = mapped_column(default=3)
    max_consecutive_terms: Mapped[int] = mapped_column(default=3)
    public_seat_target_percent: Mapped[int] = mapped_column(default=10)
    women_target_percent: Mapped[int] = mapped_column(default=40)
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))


class Council(Localized, TimestampMixin, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(sa.ForeignKey("department.id"), index=True)
    name_ja: Mapped[str] = mapped_column(sa.String(200))
    name_en: Mapped[str] = mapped_column(sa.String(300), default="")
    purpose_ja: Mapped[str] = mapped_column(sa.Text)
    purpose_en: Mapped[str] = mapped_column(sa.Text, default="")
    legal_basis_ja: Mapped[str] = mapped_column(sa.String(300), default="")
    legal_basis_en: Mapped[str] = mapped_column(sa.String(300), default="")
    total_seats: Mapped[int]
    public_seat_target: Mapped[int] = mapped_column(default=0)
    term_years: Mapped[int] = mapped_column(default=2)
    meetings_open_by_default: Mapped[bool] = mapped_column(default=True)

    department: Mapped[Department] = relationship()
    members: Mapped[list[CouncilMember]] = relationship(
        back_populates="council", order_by="(CouncilMember.category, CouncilMember.id)"
    )
    meetings: Mapped[list[CouncilMeeting]] = relationship(
        back_populates="council", order_by="CouncilMeeting.starts_at.desc()"
    )


class CouncilMember(TimestampMixin, db.Model):
    """A seat held by a person. Members are public office holders: name and category are
    public; gender is kept only for the statistics."""

    id: Mapped[int] = mapped_column(primary_key=True)
    council_id: Mapped[int] = mapped_column(sa.ForeignKey("council.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    category: Mapped[MemberCategory] = mapped_column(value_enum(MemberCategory), index=True)
    gender: Mapped[Gender | None] = mapped_column(value_enum(Gender))
    appointed_on: Mapped[date]
    term_ends_on: Mapped[date]
    ended_on: Mapped[date | None]
    # Set when the seat came from a recruitment: the applicant's account and application.
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"), index=True)
    application_id: Mapped[int | None] = mapped_column(sa.ForeignKey("council_application.id"))

    council: Mapped[Council] = relationship(back_populates="members")

    def is_current(self, on: date) -> bool:
        return self.appointed_on <= on <= self.term_ends_on and (
            self.ended_on is None or self.ended_on > on
        )


class CouncilMeeting(Localized, TimestampMixin, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    council_id: Mapped[int] = mapped_column(sa.ForeignKey("council.id"), index=True)
    title_ja: Mapped[str] = mapped_column(sa.String(200))
    title_en: Mapped[str] = mapped_column(sa.String(300), default="")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    place_ja: Mapped[str] = mapped_column(sa.String(200), default="")
    place_en: Mapped[str] = mapped_column(sa.String(300), default="")
    openness: Mapped[MeetingOpenness] = mapped_column(value_enum(MeetingOpenness))
    closed_reason_ja: Mapped[str] = mapped_column(sa.Text, default="")
    closed_reason_en: Mapped[str] = mapped_column(sa.Text, default="")
    observer_seats: Mapped[int] = mapped_column(default=0)
    noticed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.stamp)
    minutes_ja: Mapped[str] = mapped_column(sa.Text, default="")
    minutes_en: Mapped[str] = mapped_column(sa.Text, default="")
    minutes_published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    council: Mapped[Council] = relationship(back_populates="meetings")
    observers: Mapped[list[ObserverRegistration]] = relationship(
        back_populates="meeting", order_by="ObserverRegistration.id"
    )

    @property
    def notice_days(self) -> int:
        return (self.starts_at - self.noticed_at).days


class ObserverRegistration(TimestampMixin, db.Model):
    """A seat for an observer (傍聴), taken first come; cancelled, never deleted. One seat per
    e-mail address per meeting, checked under the meeting's lock (register_observer): seats
    booked before that rule may share an address, so it is not a constraint."""

    __table_args__ = (
        # One seat per form sent, however often it is sent (None: booked before forms carried
        # a token).
        sa.UniqueConstraint("meeting_id", "submission_token"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(sa.ForeignKey("council_meeting.id"), index=True)
    receipt_number: Mapped[str] = mapped_column(sa.String(32), unique=True)
    submission_token: Mapped[str | None] = mapped_column(sa.String(64))
    name: Mapped[str] = mapped_column(sa.String(100))
    email: Mapped[str] = mapped_column(sa.String(254))
    # sha256 of the token in the cancel link of the seat's mail; the token itself is never
    # stored (None: booked before seats could be cancelled with a link).
    cancel_token_hash: Mapped[str | None] = mapped_column(sa.String(64))
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    meeting: Mapped[CouncilMeeting] = relationship(back_populates="observers")


class RecruitmentCall(Localized, FulfilsInitiative, TimestampMixin, db.Model):
    """A call for public members (委員公募) of one council."""

    id: Mapped[int] = mapped_column(primary_key=True)
    council_id: Mapped[int] = mapped_column(sa.ForeignKey("council.id"), index=True)
    title_ja: Mapped[str] = mapped_column(sa.String(200))
    title_en: Mapped[str] = mapped_column(sa.String(300), default="")
    purpose_ja: Mapped[str] = mapped_column(sa.Text)
    purpose_en: Mapped[str] = mapped_column(sa.Text, default="")
    seats: Mapped[int]
    opens_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    term_starts_on: Mapped[date]
    term_ends_on: Mapped[date]
    meeting_frequency_ja: Mapped[str] = mapped_column(sa.String(200), default="")
    meeting_frequency_en: Mapped[str] = mapped_column(sa.String(300), default="")
    fee_per_meeting: Mapped[int] = mapped_column(default=0)  # yen
    essay_theme_ja: Mapped[str] = mapped_column(sa.String(300))
    essay_theme_en: Mapped[str] = mapped_column(sa.String(400), default="")
    essay_min_chars: Mapped[int] = mapped_column(default=400)
    essay_max_chars: Mapped[int] = mapped_column(default=800)
    selection_method: Mapped[SelectionMethod] = mapped_column(value_enum(SelectionMethod))
    # Review criteria, one per line; each is scored 0–5 by every reviewer.
    criteria_ja: Mapped[str] = mapped_column(sa.Text, default="")
    criteria_en: Mapped[str] = mapped_column(sa.Text, default="")
    # For screening then lottery: the average total a application needs to enter the lottery.
    pass_mark: Mapped[int | None]
    contact_ja: Mapped[str] = mapped_column(sa.Text, default="")
    contact_en: Mapped[str] = mapped_column(sa.Text, default="")
    published: Mapped[bool] = mapped_column(default=False)
    # The public lottery as a commitment (services.commit_lottery, draw_lottery): before the
    # draw, the pool of receipt numbers and the SHA-256 of the seed are published with the time;
    # the seed itself stays secret until the draw publishes it with the order.
    lottery_pool: Mapped[list[str] | None] = mapped_column(sa.JSON)
    lottery_seed_hash: Mapped[str | None] = mapped_column(sa.String(64))
    lottery_committed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lottery_seed: Mapped[str | None] = mapped_column(sa.String(128))
    lottery_order: Mapped[list[str] | None] = mapped_column(sa.JSON)
    lottery_drawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    selected_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    council: Mapped[Council] = relationship()
    applications: Mapped[list[Application]] = relationship(
        back_populates="call", order_by="Application.number"
    )
    reviewers: Mapped[list[ReviewerAssignment]] = relationship(back_populates="call")

    @property
    def receipt_prefix(self) -> str:
        return f"KB{self.id:03d}"

    def criteria(self) -> list[str]:
        return [line.strip() for line in self.tr("criteria").splitlines() if line.strip()]

    def is_open(self, now: datetime) -> bool:
        return self.published and self.opens_at <= now <= self.closes_at


class Application(TimestampMixin, db.Model):
    """An application for a public seat (応募). Personal data here is shown only to the
    council's department and 行政経営課; reviewers and the public see the receipt number."""

    __tablename__ = "council_application"
    __table_args__ = (sa.UniqueConstraint("call_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(sa.ForeignKey("recruitment_call.id"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True)
    number: Mapped[int]
    receipt_number: Mapped[str] = mapped_column(sa.String(32), unique=True)
    status: Mapped[ApplicationStatus] = mapped_column(value_enum(ApplicationStatus), index=True)
    ineligible_reasons: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    name: Mapped[str] = mapped_column(sa.String(100))
    kana: Mapped[str] = mapped_column(sa.String(100))
    address: Mapped[str] = mapped_column(sa.String(300))
    birth_date: Mapped[date]
    gender: Mapped[Gender | None] = mapped_column(value_enum(Gender))
    phone: Mapped[str] = mapped_column(sa.String(30))
    email: Mapped[str] = mapped_column(sa.String(254))
    residency: Mapped[Residency] = mapped_column(value_enum(Residency))
    occupation: Mapped[str] = mapped_column(sa.String(200), default="")
    experience: Mapped[str] = mapped_column(sa.Text, default="")
    motivation: Mapped[str] = mapped_column(sa.Text, default="")
    essay: Mapped[str] = mapped_column(sa.Text)
    declared_exclusions: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_reason: Mapped[str] = mapped_column(sa.String(500), default="")
    withdrawn_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))

    call: Mapped[RecruitmentCall] = relationship(back_populates="applications")
    user: Mapped[User] = relationship(foreign_keys=[user_id])
    scores: Mapped[list[ReviewScore]] = relationship(back_populates="application")

    @property
    def eligible(self) -> bool:
        return not self.ineligible_reasons

    def reason_labels(self) -> list[str]:
        return [str(INELIGIBILITY_LABELS.get(code, code)) for code in self.ineligible_reasons]


class ReviewerAssignment(db.Model):
    __table_args__ = (sa.UniqueConstraint("call_id", "reviewer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(sa.ForeignKey("recruitment_call.id"), index=True)
    reviewer_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True)
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.stamp)

    call: Mapped[RecruitmentCall] = relationship(back_populates="reviewers")
    reviewer: Mapped[User] = relationship()


class ReviewScore(TimestampMixin, db.Model):
    """One reviewer's blind scores for one essay: points per criterion (0–5) and their sum."""

    __table_args__ = (sa.UniqueConstraint("application_id", "reviewer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(sa.ForeignKey("council_application.id"), index=True)
    reviewer_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True)
    points: Mapped[list[int]] = mapped_column(sa.JSON)
    total: Mapped[int]
    comment: Mapped[str] = mapped_column(sa.Text, default="")

    application: Mapped[Application] = relationship(back_populates="scores")
