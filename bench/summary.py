"""Markdown tables of the results in bench/results/, for docs/BENCHMARKS.md.

.venv/bin/python -m bench.summary
"""

from __future__ import annotations

import json
from typing import Any

from bench.run import RESULTS

P95_BUDGET_MS = 200


def _load(pattern: str) -> list[dict[str, Any]]:
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted(RESULTS.glob(pattern))]


def tail(figures: dict[str, Any], name: str) -> str:
    """A tail figure, or "–" for runs recorded before it was (older result files)."""
    return f"{figures[name]:.0f}" if name in figures else "–"


def load_table(run: dict[str, Any]) -> str:
    lines = [
        f"**{run['scale']} on {run['backend']}** ({run['date']}; "
        f"{run['load']['concurrent_clients']} clients, {run['load']['seconds_per_endpoint']} s "
        f"per endpoint, {run['server']['gunicorn_workers']} gunicorn workers; peak server "
        f"memory {run['server']['peak_rss_mb']} MB; machine load average "
        f"{run.get('load_average', {}).get('before', ['?'])[0]:.1f} before the run)",
        "",
        "| endpoint | requests | errors | p50 ms | p95 ms | p99 ms | p99.9 ms | max ms | req/s "
        "| share of ceiling |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, f in run["endpoints"].items():
        flag = " ✗" if f["p95_ms"] >= P95_BUDGET_MS and name != "healthz" else ""
        lines.append(
            f"| {name} | {f['requests']} | {f['errors']} | {f['p50_ms']:.0f} | "
            f"{f['p95_ms']:.0f}{flag} | {f['p99_ms']:.0f} | {tail(f, 'p99_9_ms')} | "
            f"{tail(f, 'max_ms')} | {f['throughput_rps']} | "
            f"{f['share_of_ceiling']:.0%} |"
        )
    for key, what in (
        ("comments", "Comments"),
        ("registrations", "Registrations"),
        ("survey_responses", "Survey responses"),
    ):
        counted = run.get(key) or {}
        if counted:
            lines += [
                "",
                f"{what} acknowledged {counted['acknowledged']}, stored {counted['stored']}: "
                f"{'equal' if counted['equal'] else 'NOT EQUAL'}.",
            ]
    return "\n".join(lines)


def pages_table(results: list[dict[str, Any]]) -> str:
    if not results:
        return ""
    # Every page any run measured, in the order first seen (a newer run may measure more).
    names = list(dict.fromkeys(name for r in results for name in r["pages"]))
    heads = [f"{r['scale']} {r['backend']}" for r in results]
    lines = [
        "| page | " + " | ".join(f"{h} statements | {h} ms | {h} ms cached" for h in heads) + " |",
        "|---|" + "---:|---:|---:|" * len(results),
    ]
    for name in names:
        cells = []
        for r in results:
            page = r["pages"].get(name, {})
            cells += [
                str(page.get("statements", "")),
                str(page.get("ms", "")),
                str(page.get("ms_cached", "")),
            ]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    for name in results[0]["reports"]:
        cells = []
        for r in results:
            report = r["reports"].get(name, {})
            cells += ["", str(report.get("ms", "")), str(report.get("ms_cached", ""))]
        lines.append(f"| report: {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    for run in _load("run-*.json"):
        print(load_table(run), end="\n\n")
    print(pages_table(_load("pages-*.json")))


if __name__ == "__main__":
    main()
