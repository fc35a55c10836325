"""The benchmark cannot rot: the generator and the load driver run at the tiny scale.

Timings are never asserted (they depend on the machine); only that every endpoint answered
without an error and that every acknowledged comment was stored.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.config import BASE_DIR
from bench.run import AGAIN, PAGES


@pytest.fixture
def bench_database(tmp_path: Path) -> Iterator[str]:
    """An empty database of the backend under test, apart from the suite's own."""
    if os.environ.get("SANKAKU_TEST_BACKEND", "sqlite") != "postgresql":
        yield f"sqlite:///{tmp_path / 'bench.sqlite3'}"
        return
    server = sa.make_url(os.environ["TEST_DATABASE_URL"]).set(drivername="postgresql+psycopg")
    name = f"sankaku_bench_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


# The limits only catch a hang, they time nothing. At tiny scale the generation and the load
# run take 80 s together on a quiet two-core host and more than twice that on a loaded one
# (95 and 83 s with other suites running beside the two of `make test`), where the test's old
# 180 s for both failed with nothing wrong.
STEP_SECONDS = 300


def _run(
    args: list[str], database_url: str, tmp_path: Path, settings: dict[str, str] | None = None
) -> None:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "UPLOAD_FOLDER": str(tmp_path / "uploads"),
        "PYTHONPATH": str(BASE_DIR),
        **(settings or {}),
    }
    done = subprocess.run(
        [sys.executable, "-m", *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=STEP_SECONDS,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]


@pytest.mark.timeout(2 * STEP_SECONDS + 60)
def test_generator_and_load_driver_at_tiny_scale(bench_database: str, tmp_path: Path) -> None:
    output = tmp_path / "run.json"
    _run(["bench.generate", "--scale", "tiny"], bench_database, tmp_path)
    _run(
        [
            "bench.run",
            "--scale",
            "tiny",
            "--users",
            "4",
            "--workers",
            "2",
            # Three seconds, not one: each client of a "form held" run first opens its form,
            # and on a loaded host the run could end before any of them had sent one.
            "--seconds",
            "3",
            "--warmup",
            "0",
            "--max-requests",
            "300",
            "--output",
            str(output),
        ],
        bench_database,
        tmp_path,
    )
    result = json.loads(output.read_text(encoding="utf-8"))
    expected = [
        *PAGES,
        AGAIN.format("healthz"),
        "comment: form",
        "comment: confirm",
        "comment: send",
        "comment: form (once per client)",
        "comment: send (form held)",
        "register: form",
        "register: send",
        "register: receipt",
        "register: form (once per client)",
        "register: send (form held)",
        "voice: form",
        "voice: confirm",
        "voice: send",
        "survey: form",
        "survey: send",
    ]
    assert sorted(result["endpoints"]) == sorted(expected)
    for name, figures in result["endpoints"].items():
        assert figures["requests"] > 0, name
        assert figures["errors"] == 0, name
        # The tail is recorded beside p95, in order (issue 23's budgets are on p99.9 and max).
        assert figures["p95_ms"] <= figures["p99_ms"] <= figures["p99_9_ms"], name
        # Locust rounds the histogram (to two significant digits above 100 ms).
        assert figures["p99_9_ms"] <= figures["max_ms"] * 1.05 + 1, name
        # Each request of 250 ms or more is listed with when it began, within its phase.
        began, ended = figures["phase_s"]
        slow = figures["slow_requests"]
        assert all(began - 1 <= r["at_s"] <= ended and r["ms"] >= 250 for r in slow), name
        if slow:
            assert max(r["ms"] for r in slow) == pytest.approx(figures["max_ms"], abs=1), name
        else:
            assert figures["max_ms"] < 250.1, name
    comments = result["comments"]
    assert comments["acknowledged"] > 0
    assert comments["stored"] == comments["acknowledged"]
    assert comments["equal"] is True
    # Both registration phases register for the bench session: every receipt is a row, once.
    registrations = result["registrations"]
    assert registrations["acknowledged"] > 0
    assert registrations["stored"] == registrations["acknowledged"]
    assert registrations["equal"] is True
    responses = result["survey_responses"]
    assert responses["acknowledged"] > 0
    assert responses["stored"] == responses["acknowledged"]
    assert result["server"]["peak_rss_mb"] > 0
    # Shares are against the mean of the ceiling measured first and last.
    first, last = (
        result["endpoints"][name]["throughput_rps"] for name in ("healthz", AGAIN.format("healthz"))
    )
    assert result["ceiling_rps"] == pytest.approx((first + last) / 2, abs=0.1)
    assert result["endpoints"]["healthz"]["share_of_ceiling"] == pytest.approx(
        first / result["ceiling_rps"], abs=0.001
    )


@pytest.mark.timeout(2 * STEP_SECONDS + 60)
def test_load_driver_warms_the_figures_as_cron_does(
    bench_database: str, tmp_path: Path, redis_cache: dict
) -> None:
    """With Redis, `--cron-warm` runs `flask reports warm` while the pages are measured."""
    output = tmp_path / "run.json"
    settings = {key: str(value) for key, value in redis_cache.items()}
    _run(["bench.generate", "--scale", "tiny"], bench_database, tmp_path)
    _run(
        [
            "bench.run",
            *("--scale", "tiny", "--users", "2", "--workers", "1", "--warmup", "0"),
            *("--seconds", "2", "--endpoints", "healthz", "reports", "--cron-warm", "1"),
            *("--output", str(output)),
        ],
        bench_database,
        tmp_path,
        settings,
    )
    result = json.loads(output.read_text(encoding="utf-8"))
    assert result["endpoints"]["reports"]["errors"] == 0
    cron = result["load"]["cron_warm"]
    assert cron["every_seconds"] == 1
    assert len(cron["runs_seconds"]) >= 1
    # When each run began, in the run's own time, as the phases' spans are given: the first
    # while /reports was measured (the cron never runs in the ceiling's phase).
    assert len(cron["runs_began_s"]) == len(cron["runs_seconds"])
    began, ended = result["endpoints"]["reports"]["phase_s"]
    assert result["endpoints"]["healthz"]["phase_s"][1] <= began < ended
    assert began - 1 <= cron["runs_began_s"][0] <= ended
