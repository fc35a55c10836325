"""An activity kind for tests of the registry plumbing, before the domain modules exist.

It counts recorded action progress per initiative with a real GROUP BY, so pages, the API and
statement counts are exercised exactly as a domain module's kind would exercise them. Its
manifest is whole, like a domain module's activity.py: a list in the API with its OpenAPI
fragment, a dataset of its own on /open-data, and a demo loader.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from flask import url_for

from app.core.activity import ActivityFilter, ActivityKind, ActivityRecord, ApiList, Metric
from app.core.opendata import Dataset, Distribution
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


def _api_query() -> sa.Select[Any]:
    return sa.select(ActionProgress.id, ActionProgress.fiscal_year, ActionProgress.note).order_by(
        ActionProgress.id
    )


def _api_items(rows: Sequence[Any]) -> list[dict[str, Any]]:
    return [{"id": pid, "fiscal_year": year, "note": note} for pid, year, note in rows]


def _datasets() -> list[Dataset]:
    return [
        Dataset(
            "test_progress_notes",
            "Progress notes",
            [Distribution("JSON", url_for("api.collection", collection="test-progress"))],
        )
    ]


# Calls of the kind's demo loader, so a test sees `flask demo load` run it.
DEMO_RUNS: list[str] = []

PROGRESS_KIND = ActivityKind(
    key="test_progress",
    label="Progress entries",
    model=ActionProgress,
    metrics=[Metric("entries", "Entries"), Metric("years", "Years")],
    figures=_figures,
    records=_records,
    list_endpoint="plan.index",
    api=[
        ApiList(
            path="/test-progress",
            operation_id="listTestProgress",
            summary="Progress entries",
            schema_name="TestProgress",
            schema={
                "type": "object",
                "required": ["id", "fiscal_year", "note"],
                "properties": {
                    "id": {"type": "integer"},
                    "fiscal_year": {"type": "integer"},
                    "note": {"type": "string"},
                },
            },
            query=_api_query,
            serialize=_api_items,
            rows=True,
        )
    ],
    datasets=_datasets,
    demo=lambda: DEMO_RUNS.append("test_progress"),
)
