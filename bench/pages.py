"""SQL statements and single-request time per page, and report generation time (issue 9).

    DATABASE_URL=sqlite:////tmp/bench/city.sqlite3 .venv/bin/python -m bench.pages --scale city
    .venv/bin/python -m bench.pages --compare bench/results/pages-city-sqlite.json \\
        bench/results/pages-national-sqlite.json

Each page is requested through the Flask test client on the generated database, once to warm
the process and then measured: the statements counted with SQLAlchemy's before_cursor_execute
event, the time with perf_counter. The cache is off here (FIGURES_CACHE_SECONDS=0), so the
counts and times are those of a page whose figures and fragments must be computed; each page is
then timed again through a second app with the cache filled ("ms_cached"), as workers serve it
between two refreshes. The statement count of a page must not depend on the amount of data:
`--compare` fails when two scales differ.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bench.run import RESULTS, machine, prepare_targets

# Exports that the reports module builds; the annual report is for the last whole fiscal year.
REPORTS = {
    "annual": "/reports/annual?year={year}",
    "annual_xlsx": "/reports/annual.xlsx?year={year}",
    "report_xlsx": "/reports/export.xlsx",
    "report_csv": "/reports/export.csv",
    "voice_report_xlsx": "/voice/report/{year}.xlsx",
}


def measure(client: Any, cached_client: Any, path: str) -> dict[str, Any]:
    from app.extensions import db

    statements: list[str] = []

    def before(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not statement.lstrip().upper().startswith(("PRAGMA", "SAVEPOINT", "RELEASE")):
            statements.append(statement)

    client.get(path)  # warm: templates compiled, connections open, pages cached by the OS
    sa.event.listen(db.engine, "before_cursor_execute", before)
    try:
        started = time.perf_counter()
        response = client.get(path)
        elapsed = time.perf_counter() - started
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", before)
    # Again with the cache on (figures and fragments), as gunicorn serves the page between
    # two refreshes: the same database through a second app built with FIGURES_CACHE_SECONDS.
    cached_client.get(path)
    started = time.perf_counter()
    cached_client.get(path)
    cached = time.perf_counter() - started
    return {
        "path": path,
        "status": response.status_code,
        "statements": len(statements),
        "ms": round(1000 * elapsed, 1),
        "ms_cached": round(1000 * cached, 1),
        "bytes": len(response.data),
    }


def compare(first: dict[str, Any], second: dict[str, Any]) -> list[str]:
    """Pages whose statement counts differ between two result files."""
    problems = []
    for name, page in first["pages"].items():
        other = second["pages"].get(name)
        if other is not None and other["statements"] != page["statements"]:
            problems.append(
                f"{name}: {page['statements']} statements at {first['scale']}, "
                f"{other['statements']} at {second['scale']}"
            )
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scale", default="city", help="name of the generated scale (a label)")
    parser.add_argument("--year", type=int, default=2025, help="fiscal year of the annual report")
    parser.add_argument("--output", type=Path)
    parser.add_argument("--compare", nargs=2, type=Path, metavar=("FIRST", "SECOND"))
    args = parser.parse_args(argv)
    if args.compare:
        first, second = (json.loads(p.read_text(encoding="utf-8")) for p in args.compare)
        problems = compare(first, second)
        for problem in problems:
            print(problem)
        print("statement counts equal" if not problems else "statement counts DIFFER")
        return 1 if problems else 0

    from app import create_app
    from app.extensions import db

    bench = {"DEVELOPMENT": True, "RATELIMIT_ENABLED": False}
    app = create_app({**bench, "FIGURES_CACHE_SECONDS": 0})
    cached_app = create_app({**bench, "FIGURES_CACHE_SECONDS": 600})
    cached_client = cached_app.test_client()
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    with app.app_context():
        targets = prepare_targets()
        info = machine(url)
        db.session.remove()
    paths = dict(targets["paths"])
    paths["comment_form"] = f"/public-comments/{targets['open_case']}/comment"
    paths["register_form"] = f"/consultations/sessions/{targets['open_session']}/register"
    paths["reports_initiative"] = "/reports/initiatives/8"
    paths["proposals"] = "/proposals/"
    paths["projects"] = "/proposals/projects"
    paths["api_proposals"] = "/api/v1/proposals"
    paths["voice_form"] = "/voice/send"
    paths["voice_report"] = f"/voice/report/{args.year}"
    paths["api_voices"] = "/api/v1/voices"
    # Surveys: the list, the open questionnaire, and the published results (100,000 responses
    # at national scale; the page is in targets["paths"]) as files.
    paths["surveys"] = "/surveys/"
    paths["survey_form"] = f"/surveys/{targets['open_survey']}"
    results = targets["paths"]["survey_results"]
    paths["survey_results_csv"] = f"{results}.csv"
    paths["survey_results_xlsx"] = f"{results}.xlsx"
    paths["survey_results_json"] = f"{results}.json"
    client = app.test_client()
    # The machine may be shared (2 cores): its load says how far to trust the times.
    load_before = os.getloadavg()
    pages = {}
    for name, path in paths.items():
        with app.app_context():
            pages[name] = measure(client, cached_client, path)
        page = pages[name]
        print(
            f"{name}: {page['statements']} statements, {page['ms']} ms, "
            f"{page['ms_cached']} ms with figures cached",
            flush=True,
        )
    reports = {}
    for name, path in REPORTS.items():
        with app.app_context():
            reports[name] = measure(client, cached_client, path.format(year=args.year))
        report = reports[name]
        print(f"{name}: {report['ms']} ms, {report['ms_cached']} ms cached", flush=True)
    backend = "postgresql" if url.startswith("postgresql") else "sqlite"
    report = {
        "command": "python -m bench.pages " + " ".join(argv if argv is not None else sys.argv[1:]),
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "scale": args.scale,
        "backend": backend,
        "machine": info,
        "load_average": {"before": load_before, "after": os.getloadavg()},
        "note": "one warm request each through the Flask test client; ms and statements with "
        "the figures computed (no cache), ms_cached with them cached; statements exclude "
        "PRAGMA and savepoints",
        "pages": pages,
        "reports": reports,
    }
    output = args.output or RESULTS / f"pages-{args.scale}-{backend}.json"
    output.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"written to {output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
