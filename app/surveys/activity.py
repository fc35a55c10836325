"""The surveys activity kind. PLACEHOLDER: the results-and-manifest helper fills it in."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.core.activity import ActivityFilter, ActivityKind, ActivityRecord, Metric
from app.surveys.models import Survey


def figures(flt: ActivityFilter) -> dict[int, dict[str, float]]:
    return {}


def records(initiative_id: int, limit: int) -> list[ActivityRecord]:
    return []


KIND = ActivityKind(
    key="surveys",
    label=_l("Surveys"),
    model=Survey,
    metrics=[Metric("surveys", _l("Surveys run"))],
    figures=figures,
    records=records,
    list_endpoint="surveys.index",
    order=70,
)
