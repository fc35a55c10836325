"""The citizens' voice activity kind (the module's manifest, DESIGN.md §3).

PLACEHOLDER: the manifest helper replaces this with figures, records, attention, api,
datasets and demo.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.core.activity import ActivityFilter, ActivityKind, ActivityRecord, Metric
from app.voice.models import Voice


def figures(flt: ActivityFilter) -> dict[int, dict[str, float]]:
    return {}


def records(initiative_id: int, limit: int) -> list[ActivityRecord]:
    return []


KIND = ActivityKind(
    key="voice",
    label=_l("Citizens' voice"),
    model=Voice,
    metrics=[Metric("received", _l("Voices received"))],
    figures=figures,
    records=records,
    list_endpoint="voice.index",
    order=60,
)
