"""Dispositions (反映区分): how the city answered an opinion. One list, editable by admins, shared
by public comment summaries and the opinions recorded at consultations, so reports can add them
up across both."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Localized
from app.extensions import db

# The defaults most Japanese cities use in published results.
DEFAULT_DISPOSITIONS = [
    ("revised", "修正", "Revised"),
    ("partly_revised", "一部修正", "Partly revised"),
    ("already_included", "既記載", "Already included"),
    ("explained", "説明", "Explained"),
    ("for_reference", "参考", "For reference"),
    ("other", "その他", "Other"),
]


class Disposition(Localized, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    name_ja: Mapped[str] = mapped_column(sa.String(50))
    name_en: Mapped[str] = mapped_column(sa.String(80), default="")
    position: Mapped[int] = mapped_column(default=0)
    # Retired entries stay attached to past answers but are not offered any more.
    active: Mapped[bool] = mapped_column(default=True)


def ensure_default_dispositions() -> None:
    """Insert the default list where it is missing (called by `flask demo load` and by
    `flask plan load`, so a new installation always has it); never overwrites edits."""
    existing = set(db.session.scalars(sa.select(Disposition.code)))
    for position, (code, name_ja, name_en) in enumerate(DEFAULT_DISPOSITIONS):
        if code not in existing:
            db.session.add(
                Disposition(code=code, name_ja=name_ja, name_en=name_en, position=position)
            )
    db.session.flush()


def active_dispositions() -> list[Disposition]:
    return list(
        db.session.scalars(
            sa.select(Disposition)
            .where(Disposition.active.is_(True))
            .order_by(Disposition.position)
        )
    )


def save_disposition(
    actor: object, disposition: Disposition | None, **fields: object
) -> Disposition:
    """Add or edit an entry (admins); retire one with active=False rather than deleting it."""
    from app.core import audit

    names = ["code", "name_ja", "name_en", "position", "active"]
    before = audit.snapshot(disposition, names) if disposition is not None else None
    if disposition is None:
        disposition = Disposition()
        db.session.add(disposition)
    for name, value in fields.items():
        setattr(disposition, name, value)
    db.session.flush()
    audit.record(
        actor,
        "core.save_disposition",
        disposition,
        f"disposition {disposition.code}",
        before,
        audit.snapshot(disposition, names),
    )
    db.session.commit()
    return disposition
