"""An activity kind for tests of the registry plumbing, before the domain modules exist.

It counts recorded action progress per initiative with a real GROUP BY, so pages, the API and
statement counts are exercised exactly as a domain module's kind would exercise them.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import url_for

from app.core.activity import ActivityFilter, ActivityKind, ActivityRecord, Metric
from app.extensions import db
from app.plan.models import Action, ActionProgress, Initiative


def _figures(flt: ActivityFilter) -> dict[int, dict[str, float]]:
    stmt = (
        sa.select(
            Action.initiative_id,
            sa.func.count(ActionProgress.id),
            sa.func.count(sa.distinct(ActionProgress.fiscal_year)),
        )
        .join(Action, ActionProgress.action_id == Action.id)
        .group_by(Action.initiative_id)
    )
    if flt.fiscal_years:
        stmt = stmt.where(ActionProgress.fiscal_year.in_(flt.fiscal_years))
    return {row[0]: {"entries": row[1], "years": row[2]} for row in db.session.execute(stmt)}


def _records(initiative_id: int, limit: int) -> list[ActivityRecord]:
    rows = db.session.execute(
        sa.select(
            ActionProgress.id, ActionProgress.note, ActionProgress.recorded_on, Initiative.number
        )
        .join(Action, ActionProgress.action_id == Action.id)
        .join(Initiative, Action.initiative_id == Initiative.id)
        .where(Action.initiative_id == initiative_id)
        .order_by(ActionProgress.id.desc())
        .limit(limit)
    )
    return [
        ActivityRecord(
            title=note or f"#{pid}", day=day, url=url_for("plan.initiative", number=number)
        )
        for pid, note, day, number in rows
    ]


PROGRESS_KIND = ActivityKind(
    key="test_progress",
    label="Progress entries",
    model=ActionProgress,
    metrics=[Metric("entries", "Entries"), Metric("years", "Years")],
    figures=_figures,
    records=_records,
    list_endpoint="plan.index",
)
