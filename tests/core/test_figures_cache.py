"""The registry computes each kind's figures at most once per FIGURES_CACHE_SECONDS."""

from __future__ import annotations

from dataclasses import replace

import pytest

from app.core import activity
from app.core.activity import ActivityFilter
from tests.kinds import PROGRESS_KIND


@pytest.fixture
def counted_kind():
    calls: list[ActivityFilter] = []

    def figures(flt: ActivityFilter) -> dict[int, dict[str, float]]:
        calls.append(flt)
        return {1: {"entries": len(calls), "years": 0}}

    activity.register(replace(PROGRESS_KIND, key="counted", figures=figures))
    yield calls
    activity.unregister("counted")


def test_figures_are_computed_once_per_period_and_filter(app, counted_kind, monkeypatch):
    app.config["FIGURES_CACHE_SECONDS"] = 60
    clock = [1000.0]
    monkeypatch.setattr(activity.time, "monotonic", lambda: clock[0])
    with app.app_context():
        first = activity.figures_by_initiative()["counted"]
        first[1]["entries"] = 99  # a caller changing its copy changes nobody else's
        assert activity.figures_by_initiative()["counted"] == {1: {"entries": 1, "years": 0}}
        assert len(counted_kind) == 1
        activity.figures_by_initiative(ActivityFilter(fiscal_years=(2024,)))
        assert len(counted_kind) == 2  # another filter is another entry
        clock[0] += 61
        assert activity.figures_by_initiative()["counted"][1]["entries"] == 3
        assert len(counted_kind) == 3


def test_no_cache_when_switched_off(app, counted_kind):
    app.config["FIGURES_CACHE_SECONDS"] = 0
    with app.app_context():
        activity.figures_by_initiative()
        activity.figures_by_initiative()
    assert len(counted_kind) == 2


def test_cache_is_bounded(app, counted_kind, monkeypatch):
    app.config["FIGURES_CACHE_SECONDS"] = 60
    monkeypatch.setattr(activity, "FIGURES_CACHE_ENTRIES", 3)
    with app.app_context():
        for year in range(2000, 2010):
            activity.figures_by_initiative(ActivityFilter(fiscal_years=(year,)))
        assert len(app.extensions["activity_figures"]) <= 3
