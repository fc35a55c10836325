"""The one place the application reads the time, so that tests can move it (deadlines, windows).

Tests replace `app.core.clock.now`; code always calls `clock.now()` through the module.
"""

from __future__ import annotations

from datetime import UTC, datetime


def now() -> datetime:
    return datetime.now(UTC)
