from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import TimestampMixin, UTCDateTime, value_enum
from app.core.permissions import Role
from app.extensions import db

if TYPE_CHECKING:
    from app.plan.models import Department


class User(UserMixin, TimestampMixin, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    display_name: Mapped[str] = mapped_column(sa.String(100))
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    role: Mapped[Role] = mapped_column(
        value_enum(Role, 16),
        default=Role.CITIZEN,
        index=True,
    )
    department_id: Mapped[int | None] = mapped_column(sa.ForeignKey("department.id"), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    language: Mapped[str | None] = mapped_column(sa.String(5))
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Citizens confirm their address by e-mail before they can log in; staff accounts are
    # confirmed by the invitation link (or at creation, when staff set the password).
    email_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    department: Mapped[Department | None] = relationship(lazy="joined")

    @property
    def is_active(self) -> bool:  # Flask-Login refuses to log in deactivated accounts
        return self.active

    # The login this request runs under (set by the user loader); Flask-Login keeps its
    # token, not the user id, in the session and the remember cookie.
    login_token = None  # a str while logged in; not a column

    def get_id(self) -> str | None:
        return self.login_token

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role.value}>"


class LoginSession(db.Model):
    """One login on one browser. The session and remember cookies carry a random token whose
    hash is stored here, so ending the row (logout, password change, reset, a remember cookie
    used and replaced) makes every copy of those cookies worthless."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    remember: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_reason: Mapped[str | None] = mapped_column(sa.String(32))

    user: Mapped[User] = relationship(lazy="joined", innerjoin=True)
