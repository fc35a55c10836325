"""Assigning external reviewers (審査委員) to a call, shared by the modules that score with
reviewers: councils' recruitment calls and proposals' calls. Each keeps its own assignment
table (a row per call and reviewer, unique together) and its own words around this: what it
audits and whom it mails."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from app.extensions import db


def assign(model: type[Any], call_id: int, reviewer_id: int) -> tuple[Any, bool]:
    """The reviewer's assignment to the call, added (and flushed) when missing. Returns it and
    whether it is new: assigning twice changes nothing, so the caller audits and mails once."""
    existing = db.session.scalar(
        sa.select(model).where(model.call_id == call_id, model.reviewer_id == reviewer_id)
    )
    if existing is not None:
        return existing, False
    assignment = model(call_id=call_id, reviewer_id=reviewer_id)
    db.session.add(assignment)
    db.session.flush()
    return assignment, True


def is_assigned(model: type[Any], reviewer_id: int, call_id: int) -> bool:
    """Whether the reviewer scores for this call (one statement)."""
    return (
        db.session.scalar(
            sa.select(model.id).where(model.call_id == call_id, model.reviewer_id == reviewer_id)
        )
        is not None
    )
