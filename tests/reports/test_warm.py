"""`flask reports warm` fills the shared cache ahead of visitors (cron, with CACHE_REDIS_URL)."""

from __future__ import annotations

import time
from dataclasses import astuple, replace
from datetime import UTC, datetime

import pytest
import redis

from app.core import activity
from app.core.activity import SETTLED_FRESH_FACTOR, ActivityFilter
from app.core.cache import STALE_FACTOR
from app.core.i18n import fiscal_year
from app.extensions import cache, db
from tests.conftest import REDIS_TEST_URL, parallel_workers
from tests.kinds import PROGRESS_KIND


@pytest.fixture
def counted_kind():
    calls = []

    def figures(flt):
        calls.append(flt)
        return {1: {"entries": len(calls), "years": 0}}

    activity.register(replace(PROGRESS_KIND, key="counted", figures=figures))
    yield calls
    activity.unregister("counted")


@pytest.fixture
def shared(app, plan, another_app, redis_cache):
    """An app whose cache is shared in Redis under the test's own key prefix."""
    return another_app({**app.config, **redis_cache})


def test_warm_computes_every_default_filter_ahead_and_pages_only_read(shared, counted_kind):
    result = shared.test_cli_runner().invoke(args=["reports", "warm"])
    assert result.exit_code == 0, result.output
    warmed = len(counted_kind)
    assert warmed >= 2  # all years, and each fiscal year since the plan's
    assert activity.ActivityFilter() in counted_kind
    prefix = shared.config["CACHE_KEY_PREFIX"]
    keys = redis.Redis.from_url(REDIS_TEST_URL).keys(f"{prefix}figures:counted:*")
    assert len(keys) == warmed
    # Fresh for twice the period, so the next run replaces them before they go stale (and
    # kept STALE_FACTOR times that, to be served stale should cron stop).
    everything = f"{prefix}figures:counted:{astuple(activity.ActivityFilter())}"
    with shared.app_context():
        fresh_until, _ = cache.get(everything.removeprefix(prefix))
    assert 60 < fresh_until - time.time() <= 120
    ttl = redis.Redis.from_url(REDIS_TEST_URL).ttl(everything)
    assert 60 * STALE_FACTOR < ttl <= 120 * STALE_FACTOR
    assert shared.test_client().get("/").status_code == 200
    with shared.app_context():
        activity.figures_by_initiative()
    assert len(counted_kind) == warmed  # the page and the call read what was warmed


def test_warm_refreshes_the_live_figures_every_run_and_one_settled_year_in_turn(
    shared, counted_kind
):
    this_year = fiscal_year(datetime.now(UTC))
    live = [ActivityFilter(), ActivityFilter((this_year - 1,)), ActivityFilter((this_year,))]
    runner = shared.test_cli_runner()
    assert runner.invoke(args=["reports", "warm"]).exit_code == 0
    first = list(counted_kind)
    # The plan's first year (2011) to this one, and all years: all computed the first time.
    assert sorted(first, key=astuple) == sorted(
        [ActivityFilter(), *(ActivityFilter((y,)) for y in range(2011, this_year + 1))],
        key=astuple,
    )
    settled = [flt for flt in first if flt.settled]
    assert len(settled) == len(first) - 3

    # Each later run: all years, the last and the current year, and the settled year whose
    # figures were refreshed longest ago; a turn of them refreshes every settled year once.
    turns = []
    for _ in settled:
        counted_kind.clear()
        result = runner.invoke(args=["reports", "warm"])
        assert result.exit_code == 0, result.output
        assert f"warmed 4 of {len(first)} filters" in result.output
        assert sorted(counted_kind[:3], key=astuple) == sorted(live, key=astuple)
        turns.append(counted_kind[3])
    assert turns == settled

    # A settled year's figures are fresh far longer than a period, and pages read them.
    key = f"figures:counted:{astuple(settled[0])}"
    with shared.app_context():
        fresh_until, _ = cache.get(key)
    assert 60 * SETTLED_FRESH_FACTOR < fresh_until - time.time() <= 120 * SETTLED_FRESH_FACTOR
    counted_kind.clear()
    year = settled[0].fiscal_years[0]
    assert shared.test_client().get(f"/reports?year={year}").status_code == 200
    with shared.app_context():
        activity.figures_by_initiative(settled[0])
    assert counted_kind == []


def test_warm_refuses_without_a_shared_cache(app, plan):
    result = app.test_cli_runner().invoke(args=["reports", "warm"])
    assert result.exit_code == 1
    assert "CACHE_REDIS_URL" in result.output


def test_warm_runs_its_statements_without_parallel_workers(shared):
    """Cron's warm shares the host's cores with the web workers: on PostgreSQL it plans without
    parallel workers, so a scan over millions of rows takes one core, not all of them."""
    with shared.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("parallel workers are PostgreSQL's")
    seen = []

    def figures(flt):
        seen.append(parallel_workers())
        return {1: {"entries": 1, "years": 0}}

    activity.register(replace(PROGRESS_KIND, key="parallel", figures=figures))
    try:
        result = shared.test_cli_runner().invoke(args=["reports", "warm"])
    finally:
        activity.unregister("parallel")
    assert result.exit_code == 0, result.output
    assert seen and set(seen) == {"0"}


def test_warm_computes_the_voice_statistics_pages_show_by_default(shared, monkeypatch):
    """The kinds' other cached values (the manifest's `cached`): 市民の声's statistics of this
    fiscal year and the last, which /voice/statistics then reads without computing them."""
    from app.voice import statistics

    computed: list[int] = []
    compute_year = statistics.compute_year

    def counted(year: int) -> statistics.YearFigures:
        computed.append(year)
        return compute_year(year)

    monkeypatch.setattr(statistics, "compute_year", counted)
    result = shared.test_cli_runner().invoke(args=["reports", "warm"])
    assert result.exit_code == 0, result.output
    assert "and 2 other values" in result.output
    this_year = fiscal_year(datetime.now(UTC))
    assert computed == [this_year, this_year - 1]
    for year in computed:
        with shared.app_context():
            fresh_until, figures = cache.get(f"voice-statistics:{year}")
        assert 60 < fresh_until - time.time() <= 120  # as long as the live figures
        assert figures.year == year
    client = shared.test_client()
    assert client.get("/voice/statistics").status_code == 200
    assert client.get(f"/voice/statistics?year={this_year - 1}").status_code == 200
    assert computed == [this_year, this_year - 1]  # both pages read what was warmed
