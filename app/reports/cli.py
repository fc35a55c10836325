"""`flask reports warm`: the figures every public page shows by default, computed ahead."""

from __future__ import annotations

import sys
import time

import click
from flask.cli import AppGroup

from app.core import activity
from app.core.activity import ActivityFilter
from app.core.cache import shared_cache, store
from app.core.db import in_background
from app.plan import services as plan_services

reports_cli = AppGroup("reports", help="Figures and reports.")


@reports_cli.command("warm")
def warm() -> None:
    """Compute the figures for all years and for each fiscal year into the shared cache: each
    run all years, the current and the last fiscal year, and one settled year in turn (each
    settled year's figures are kept fresh SETTLED_FRESH_FACTOR periods, core.activity).

    Run it from cron once per FIGURES_CACHE_SECONDS (with CACHE_REDIS_URL set): the entries it
    writes stay fresh twice that long, so they are replaced before they go stale and no
    request even starts a recomputation of figures over millions of rows (seconds of SQL at
    national scale; without cron, stale figures are served while one thread recomputes them).
    The other values the kinds' public pages cache (their manifests' `cached`) are computed
    each run likewise."""
    if not shared_cache():
        click.echo(
            "nothing to warm: without CACHE_REDIS_URL (and FIGURES_CACHE_SECONDS > 0) each "
            "worker keeps its own cache, which another process cannot fill",
            err=True,
        )
        sys.exit(1)
    filters = [
        ActivityFilter(),
        *(ActivityFilter(fiscal_years=(y,)) for y in plan_services.fiscal_years()),
    ]
    started = time.perf_counter()
    due = activity.due_for_refresh(filters)
    in_background()  # one transaction: nothing below commits
    for flt in due:
        # Fresh for twice their period: a live filter's are replaced by the next run before they
        # go stale, a settled year's long before its turn comes round again.
        timeout = 2 * activity.figures_fresh_seconds(flt)
        for kind in activity.kinds():
            activity.refresh_figures(kind, flt, timeout=timeout)
    # The other values the kinds' pages cache, each run, fresh as long as the live figures.
    values = [value for kind in activity.kinds() if kind.cached for value in kind.cached()]
    timeout = 2 * activity.figures_fresh_seconds(ActivityFilter())
    for key, compute in values:
        store(key, compute(), timeout)
    click.echo(
        f"warmed {len(due)} of {len(filters)} filters × {len(activity.kinds())} kinds "
        f"and {len(values)} other values in {time.perf_counter() - started:.1f} s",
        err=True,
    )
