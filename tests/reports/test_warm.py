"""`flask reports warm` fills the shared cache ahead of visitors (cron, with CACHE_REDIS_URL)."""

from __future__ import annotations

import time
from dataclasses import replace

import pytest
import redis

from app.core import activity
from app.core.cache import KEY_PREFIX, STALE_FACTOR
from app.extensions import cache
from tests.kinds import PROGRESS_KIND

REDIS_URL = "redis://127.0.0.1:6379/15"


@pytest.fixture
def counted_kind():
    calls = []

    def figures(flt):
        calls.append(flt)
        return {1: {"entries": len(calls), "years": 0}}

    activity.register(replace(PROGRESS_KIND, key="counted", figures=figures))
    yield calls
    activity.unregister("counted")


def test_warm_computes_every_default_filter_ahead_and_pages_only_read(
    app, plan, another_app, counted_kind
):
    try:
        redis.Redis.from_url(REDIS_URL).ping()
    except redis.ConnectionError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    shared = another_app({**app.config, "FIGURES_CACHE_SECONDS": 60, "CACHE_REDIS_URL": REDIS_URL})
    with shared.app_context():
        cache.clear()
    try:
        result = shared.test_cli_runner().invoke(args=["reports", "warm"])
        assert result.exit_code == 0, result.output
        warmed = len(counted_kind)
        assert warmed >= 2  # all years, and each fiscal year since the plan's
        assert activity.ActivityFilter() in counted_kind
        keys = redis.Redis.from_url(REDIS_URL).keys(f"{KEY_PREFIX}figures:counted:*")
        assert len(keys) == warmed
        # Fresh for twice the period, so the next run replaces them before they go stale (and
        # kept STALE_FACTOR times that, to be served stale should cron stop).
        with shared.app_context():
            fresh_until, _ = cache.get(keys[0].decode().removeprefix(KEY_PREFIX))
        assert 60 < fresh_until - time.time() <= 120
        ttl = redis.Redis.from_url(REDIS_URL).ttl(keys[0])
        assert 60 * STALE_FACTOR < ttl <= 120 * STALE_FACTOR
        assert shared.test_client().get("/").status_code == 200
        with shared.app_context():
            activity.figures_by_initiative()
        assert len(counted_kind) == warmed  # the page and the call read what was warmed
    finally:
        with shared.app_context():
            cache.clear()


def test_warm_refuses_without_a_shared_cache(app, plan):
    result = app.test_cli_runner().invoke(args=["reports", "warm"])
    assert result.exit_code == 1
    assert "CACHE_REDIS_URL" in result.output
