"""The registry computes each kind's figures at most once per FIGURES_CACHE_SECONDS, in one
cache (app/core/cache.py): in memory per worker, or in Redis shared by all of them."""

from __future__ import annotations

from dataclasses import replace

import cachelib.simple
import pytest
import redis

from app.core import activity
from app.core.activity import ActivityFilter
from app.core.cache import KEY_PREFIX
from app.extensions import cache
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


def cached_app(app, another_app, **settings):
    return another_app({**app.config, "FIGURES_CACHE_SECONDS": 60, **settings})


def test_figures_are_computed_once_per_period_and_filter(
    app, another_app, counted_kind, monkeypatch
):
    clock = [1000.0]
    monkeypatch.setattr(cachelib.simple, "time", lambda: clock[0])
    with cached_app(app, another_app).app_context():
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
    assert app.config["FIGURES_CACHE_SECONDS"] == 0
    with app.app_context():
        activity.figures_by_initiative()
        activity.figures_by_initiative()
    assert len(counted_kind) == 2


def test_cache_is_bounded(app, another_app, counted_kind):
    with cached_app(app, another_app, CACHE_THRESHOLD=3).app_context():
        for year in range(2000, 2010):
            activity.figures_by_initiative(ActivityFilter(fiscal_years=(year,)))
        assert len(cache.cache._cache) <= 4  # pruned before each insertion


def test_workers_share_the_figures_through_redis(app, another_app, counted_kind):
    url = "redis://127.0.0.1:6379/15"
    try:
        redis.Redis.from_url(url).ping()
    except redis.ConnectionError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    workers = [cached_app(app, another_app, CACHE_REDIS_URL=url) for _ in range(2)]
    with workers[0].app_context():
        cache.clear()
    try:
        for worker in workers:
            with worker.app_context():
                assert activity.figures_by_initiative()["counted"][1]["entries"] == 1
        assert len(counted_kind) == 1  # the second worker read what the first computed
        assert redis.Redis.from_url(url).keys(f"{KEY_PREFIX}figures:counted:*")
    finally:
        with workers[0].app_context():
            cache.clear()
