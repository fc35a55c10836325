"""The audit log: every staff change of state writes one entry (who, what, when, before/after)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import has_request_context, request
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import UTCDateTime, utcnow
from app.extensions import db


class AuditEntry(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"), index=True)
    action: Mapped[str] = mapped_column(sa.String(64), index=True)
    object_type: Mapped[str] = mapped_column(sa.String(64), index=True)
    object_id: Mapped[str] = mapped_column(sa.String(64))
    summary: Mapped[str] = mapped_column(sa.String(500))
    before: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    remote_addr: Mapped[str | None] = mapped_column(sa.String(64))

    actor = relationship("User", lazy="joined")


def snapshot(obj: Any, fields: list[str]) -> dict[str, Any]:
    """The named fields of a model as JSON-safe values, for `before` and `after`."""
    result: dict[str, Any] = {}
    for name in fields:
        value = getattr(obj, name)
        if hasattr(value, "isoformat"):
            value = value.isoformat()
        elif hasattr(value, "value"):  # enums
            value = value.value
        result[name] = value
    return result


def record(
    actor: Any,
    action: str,
    obj: Any,
    summary: str,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEntry:
    """Add an audit entry to the session; it commits with the change it describes."""
    if before and after:
        # Keep only what changed, so the log reads as a diff.
        changed = {k for k in set(before) | set(after) if before.get(k) != after.get(k)}
        before = {k: before.get(k) for k in sorted(changed)}
        after = {k: after.get(k) for k in sorted(changed)}
    entry = AuditEntry(
        actor_id=getattr(actor, "id", None),
        action=action,
        # None for an event about no stored object (a login attempt for an unknown address).
        object_type=type(obj).__name__ if obj is not None else "-",
        object_id=str(getattr(obj, "id", "") or ""),
        summary=summary[:500],
        before=before,
        after=after,
        remote_addr=request.remote_addr if has_request_context() else None,
    )
    db.session.add(entry)
    return entry
