"""The one place the application reads the time, so that tests can move it (deadlines, windows).

Tests replace `app.core.clock.now`; code always calls `clock.now()` through the module (and
column defaults `clock.stamp`), so one frozen clock moves every module's deadlines, logins and
row timestamps at once.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta

from flask import current_app, has_request_context, request

from app.core.i18n import jst_to_utc, to_jst


def now() -> datetime:
    return datetime.now(UTC)


def stamp() -> datetime:
    """When a row is written, for column defaults (`default=clock.stamp`): it looks `now` up
    when called, so a test that replaces `clock.now` dates the rows it writes as well (a
    default bound to `now` itself would keep reading the real time)."""
    return now()


def today() -> date:
    """Today in the city's calendar (Japan): from 00:00 to 09:00 JST, UTC's date is still
    yesterday's, so a date a person enters or the law counts is never taken from UTC."""
    return to_jst(now()).date()


def start_of_today() -> datetime:
    """Midnight of today in Japan, in UTC: a date for things dated by a day alone, which stays
    the same all day (so a feed polled through the day stays unchanged)."""
    return jst_to_utc(today(), time(0, 0))


def received_at() -> datetime:
    """When the request being served reached the site: the time of receipt of a submission.

    Under load a request can wait in front of the workers; one that reached the city's proxy
    before a deadline is not late. The proxy's X-Request-Start header (nginx:
    `proxy_set_header X-Request-Start "t=${msec}";`, seconds; milliseconds and microseconds are
    read too) is believed only behind a proxy (PROXY_COUNT > 0), which must overwrite it, and
    only up to REQUEST_START_MAX_SKEW seconds into the past: a forged header cannot reopen a
    window that closed long ago, nor date a request in the future.
    """
    current = now()
    if not has_request_context() or current_app.config["PROXY_COUNT"] < 1:
        return current
    value = request.headers.get("X-Request-Start", "").strip().removeprefix("t=")
    try:
        seconds = float(value)
    except ValueError:
        return current
    if seconds > 1e14:  # microseconds (Apache's %t)
        seconds /= 1e6
    elif seconds > 1e11:  # milliseconds
        seconds /= 1e3
    try:
        started = datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        return current
    skew = timedelta(seconds=current_app.config["REQUEST_START_MAX_SKEW"])
    return started if current - skew <= started <= current else current


@contextmanager
def running_at(moment: datetime) -> Iterator[None]:
    """Run a block as if it were `moment`: the demo loader replays past procedures through the
    real services at their own dates (it runs alone in its process, as tests do when they
    move the clock). Never inside a request."""
    module = sys.modules[__name__]
    real = module.now
    module.now = lambda: moment  # type: ignore[assignment]
    try:
        yield
    finally:
        module.now = real  # type: ignore[assignment]
