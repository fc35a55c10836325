"""Consultations (参加の場): a programme of sessions, with registration, waitlists, attendance and
a published record (議事要旨) of the opinions raised and the city's answers.

A `Consultation` is the activity record that fulfils an initiative; its sessions, registrations
and opinions roll up to it. `Venue` and `Session` are kept generic (a session is a dated
gathering in a venue or online) so other modules can reuse them.
"""

from __future__ import annotations

import re
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
    from app.core.dispositions import Disposition
    from app.plan.models import Department, Initiative, Ward


class Accommodation(LabelledEnum):
    """Support a session can offer; requests are collected at registration."""

    SIGN_LANGUAGE = "sign_language", _l("Sign language interpretation")
    CAPTIONING = "captioning", _l("Summary captioning")
    CHILDCARE = "childcare", _l("Childcare")


class RegistrationStatus(LabelledEnum):
    CONFIRMED = "confirmed", _l("Confirmed")
    WAITLISTED = "waitlisted", _l("On the waiting list")
    CANCELLED = "cancelled", _l("Cancelled")


class Audience(LabelledEnum):
    """Who a kind of consultation is for. Staff training and internal meetings (initiatives 5,
    13, 15, 19, 22) are held and counted like any session, but never offered to the public."""

    CITIZENS = "citizens", _l("Citizens")
    STAFF = "staff", _l("City staff only")
    BOTH = "both", _l("Citizens and city staff")

    @property
    def offered_to_public(self) -> bool:
        return self is not Audience.STAFF


# Initiative 6 (様々な参画の手法の積極的な取り入れ): its action is 市民協働課's advice on the
# participation method, so advice counts there, not under the advised consultation's initiative.
ADVICE_INITIATIVE = 6


class ConsultationKind(Localized, db.Model):
    """PI協議, ワークショップ, 説明会 …: an editable list, like the dispositions."""

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    name_ja: Mapped[str] = mapped_column(sa.String(50))
    name_en: Mapped[str] = mapped_column(sa.String(80), default="")
    position: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)
    audience: Mapped[Audience] = mapped_column(
        value_enum(Audience, 16), default=Audience.CITIZENS, server_default=Audience.CITIZENS.value
    )


class Venue(Localized, TimestampMixin, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    name_ja: Mapped[str] = mapped_column(sa.String(200))
    name_en: Mapped[str] = mapped_column(sa.String(200), default="")
    address_ja: Mapped[str] = mapped_column(sa.String(300))
    address_en: Mapped[str] = mapped_column(sa.String(300), default="")
    ward_id: Mapped[int | None] = mapped_column(sa.ForeignKey("ward.id"), index=True)
    capacity: Mapped[int]
    # Step-free access, hearing loop, accessible toilet … as the venue describes them.
    accessibility_ja: Mapped[str] = mapped_column(sa.Text, default="")
    accessibility_en: Mapped[str] = mapped_column(sa.Text, default="")
    # WGS 84 degrees as staff read them off a map (no geocoding service is reachable); both or
    # neither, checked by the form. The events open data gives them as 緯度/経度.
    latitude: Mapped[float | None] = mapped_column(sa.Float)
    longitude: Mapped[float | None] = mapped_column(sa.Float)
    active: Mapped[bool] = mapped_column(default=True)

    ward: Mapped[Ward | None] = relationship()


class Consultation(FulfilsInitiative, Localized, TimestampMixin, db.Model):
    """A programme of one or more sessions (workshop series, PI consultation, round table …)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    kind_id: Mapped[int] = mapped_column(sa.ForeignKey("consultation_kind.id"), index=True)
    title_ja: Mapped[str] = mapped_column(sa.String(300))
    title_en: Mapped[str] = mapped_column(sa.String(300), default="")
    purpose_ja: Mapped[str] = mapped_column(sa.Text, default="")
    purpose_en: Mapped[str] = mapped_column(sa.Text, default="")
    # For PI consultations: the stage of the plan this feeds (構想段階, 計画段階 …).
    plan_stage_ja: Mapped[str] = mapped_column(sa.String(200), default="")
    plan_stage_en: Mapped[str] = mapped_column(sa.String(200), default="")
    contact_ja: Mapped[str] = mapped_column(sa.String(300), default="")
    contact_en: Mapped[str] = mapped_column(sa.String(300), default="")
    # Its own field so the open data's 連絡先電話番号 is a number, not part of a sentence.
    contact_phone: Mapped[str] = mapped_column(sa.String(30), default="", server_default="")
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))

    kind: Mapped[ConsultationKind] = relationship(lazy="joined")
    department: Mapped[Department] = relationship()
    ward: Mapped[Ward | None] = relationship()
    initiative: Mapped[Initiative] = relationship()
    sessions: Mapped[list[Session]] = relationship(
        back_populates="consultation", order_by="Session.starts_at"
    )
    advice: Mapped[list[Advice]] = relationship(
        back_populates="consultation", order_by="Advice.advised_on"
    )


class Advice(FulfilsInitiative, TimestampMixin, db.Model):
    """市民協働課's advice on the participation method, asked for at the planning stage: an
    activity of its own, fulfilling initiative 6 (ADVICE_INITIATIVE) in the advising
    department's name, in the fiscal year it was given."""

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(sa.ForeignKey("consultation.id"), index=True)
    advised_on: Mapped[date]
    text: Mapped[str] = mapped_column(sa.Text)
    advised_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))

    consultation: Mapped[Consultation] = relationship(back_populates="advice")
    advised_by: Mapped[User | None] = relationship()


class Session(Localized, TimestampMixin, db.Model):
    """One dated gathering: in a venue or online."""

    __tablename__ = "consultation_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(sa.ForeignKey("consultation.id"), index=True)
    title_ja: Mapped[str] = mapped_column(sa.String(200), default="")
    title_en: Mapped[str] = mapped_column(sa.String(200), default="")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    venue_id: Mapped[int | None] = mapped_column(sa.ForeignKey("venue.id"), index=True)
    online_url: Mapped[str] = mapped_column(sa.String(500), default="")
    # The ward the session takes place in (the venue's), for filters and the per-ward feed.
    ward_id: Mapped[int | None] = mapped_column(sa.ForeignKey("ward.id"), index=True)
    capacity: Mapped[int]
    registration_required: Mapped[bool] = mapped_column(default=True)
    registration_opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    registration_closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    accommodations: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    walk_ins: Mapped[int] = mapped_column(default=0)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The iCalendar SEQUENCE (RFC 5545 §3.8.7.4): raised when the time or place changes or the
    # session is called off, so calendars replace the copy they hold with the update.
    sequence: Mapped[int] = mapped_column(default=0, server_default="0")
    # The places taken: the party sizes of the confirmed registrations, summed. Kept here in
    # the session's lock by whatever confirms or cancels a registration (services.take_places),
    # so that neither judging a newcomer nor listing sessions sums a popular session's
    # registrations.
    places_taken: Mapped[int] = mapped_column(default=0, server_default="0")

    consultation: Mapped[Consultation] = relationship(back_populates="sessions")
    venue: Mapped[Venue | None] = relationship()
    ward: Mapped[Ward | None] = relationship()
    record: Mapped[SessionRecord | None] = relationship(back_populates="session")

    def display_title(self) -> str:
        own = self.tr("title")
        base = self.consultation.tr("title")
        return f"{base} {own}" if own else base

    @property
    def is_past(self) -> bool:
        return self.ends_at <= clock.now()


class Registration(TimestampMixin, db.Model):
    """A sign-up for a session: never deleted, cancelled with who did it and why."""

    __table_args__ = (
        sa.UniqueConstraint("session_id", "receipt_number"),
        # One registration per form sent, however often it is sent (None: entered by staff,
        # or registered before forms carried a token).
        sa.UniqueConstraint("session_id", "submission_token"),
        # Seats taken and registrations per session are summed from this index alone.
        sa.Index("ix_registration_session_id_status", "session_id", "status", "party_size"),
        # Whether an address is already registered for the session (registration's standing)
        # is found in the index, not by reading every registration of a popular session.
        sa.Index("ix_registration_session_id_email", "session_id", sa.text("lower(email)")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(sa.ForeignKey("consultation_session.id"), index=True)
    receipt_number: Mapped[int]
    submission_token: Mapped[str | None] = mapped_column(sa.String(64))
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    email: Mapped[str] = mapped_column(sa.String(254))
    phone: Mapped[str] = mapped_column(sa.String(30), default="")
    party_size: Mapped[int] = mapped_column(default=1)
    accommodations: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    notes: Mapped[str] = mapped_column(sa.Text, default="")
    language: Mapped[str] = mapped_column(sa.String(5), default="ja")
    status: Mapped[RegistrationStatus] = mapped_column(
        value_enum(RegistrationStatus, 16), index=True
    )
    # Order on the waiting list (first come, first promoted); kept after promotion.
    waitlist_position: Mapped[int | None]
    promoted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # sha256 of the token in the guest's cancel link; the token itself is never stored.
    cancel_token_hash: Mapped[str] = mapped_column(sa.String(64))
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    cancel_reason: Mapped[str] = mapped_column(sa.String(300), default="")
    # None until the check-in list is kept: True attended, False did not come (no-show).
    attended: Mapped[bool | None]

    session: Mapped[Session] = relationship()

    @property
    def seats(self) -> int:
        return self.party_size


class SessionRecord(Localized, TimestampMixin, db.Model):
    """The record (議事要旨) of a session; public once published."""

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(sa.ForeignKey("consultation_session.id"), unique=True)
    summary_ja: Mapped[str] = mapped_column(sa.Text, default="")
    summary_en: Mapped[str] = mapped_column(sa.Text, default="")
    attendees: Mapped[int] = mapped_column(default=0)
    # Materials handed out, one title or address per line.
    materials: Mapped[str] = mapped_column(sa.Text, default="")
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)

    session: Mapped[Session] = relationship(back_populates="record")
    opinions: Mapped[list[Opinion]] = relationship(
        back_populates="record", order_by="Opinion.position"
    )

    def material_items(self) -> list[tuple[str, str | None]]:
        """Each line of the materials as (title, address): a line is a title, an address, or a
        title followed by its address; the page shows an address as a link."""
        items = []
        for line in self.materials.splitlines():
            line = line.strip()
            if not line:
                continue
            match = _WEB_ADDRESS.search(line)
            if match is None:
                items.append((line, None))
                continue
            title = (line[: match.start()] + line[match.end() :]).strip(" 　:：-")
            items.append((title or match.group(), match.group()))
        return items


# Only web addresses become links (never javascript: or data:).
_WEB_ADDRESS = re.compile(r"https?://[^\s　]+")


class Opinion(Localized, TimestampMixin, db.Model):
    """An opinion raised at a session, with the city's response and its disposition."""

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(sa.ForeignKey("session_record.id"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    text_ja: Mapped[str] = mapped_column(sa.Text)
    text_en: Mapped[str] = mapped_column(sa.Text, default="")
    response_ja: Mapped[str] = mapped_column(sa.Text, default="")
    response_en: Mapped[str] = mapped_column(sa.Text, default="")
    disposition_id: Mapped[int | None] = mapped_column(sa.ForeignKey("disposition.id"))
    # Where the opinion concerns another initiative than the consultation's own.
    concerns_initiative_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("initiative.id"), index=True
    )

    record: Mapped[SessionRecord] = relationship(back_populates="opinions")
    disposition: Mapped[Disposition | None] = relationship()
    concerns_initiative: Mapped[Initiative | None] = relationship()
