"""What the browser suite learns about every page it checks, kept for the end of the session
(issue 18): the page's HTML for the Nu HTML Checker, run once over all of them because Java
starts slowly, and axe-core's verdict for the accessibility test-results page.

`check_a11y` (conftest.py) calls `record` for each page state it checks: a page opened with
`visit`, and a page after a click or a failed submit; test_ui_language.py adds the HTML of every
page of the URL map (`record_html`). The conftest's session hook then calls
`nu_html_errors` and, when SANKAKU_WRITE_A11Y_RESULTS=1 (`make a11y-results`), `write_results`.
Each pytest process keeps its own records, so under pytest-xdist every worker checks its pages.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map

from app.config import BASE_DIR
from app.core import clock

VNU_JAR = Path(
    os.environ.get("VNU_JAR", Path(__file__).parent / "node_modules/vnu-jar/build/dist/vnu.jar")
)
RESULTS_FILE = Path(
    os.environ.get("SANKAKU_A11Y_RESULTS_FILE", BASE_DIR / "data" / "accessibility-results.json")
)
# The form token differs on every load; without it, a page seen twice is stored once.
CSRF_VALUE = re.compile(r'(name="csrf_token"[^>]*value=")[^"]*')


@dataclass(frozen=True)
class PageSource:
    path: str
    language: str
    test: str
    html: str


@dataclass(frozen=True)
class AxeVerdict:
    page: str  # the route, e.g. /consultations/sessions/<session_id>, so ids do not matter
    language: str
    width: int
    violations: int


SOURCES: dict[str, PageSource] = {}
VERDICTS: list[AxeVerdict] = []
AXE_VERSION: list[str] = []
# The served application's URL map, set by the live_server fixture.
URL_MAP: list[Map] = []


def route_of(path: str) -> str:
    """The URL rule a path matched, with converters left out; the path itself if none did."""
    if URL_MAP:
        try:
            rule, _ = URL_MAP[0].bind("localhost").match(path, return_rule=True)
        except HTTPException:
            return path
        return re.sub(r"<(?:\w+:)?(\w+)>", r"<\1>", rule.rule)
    return path


def record(page: Any, axe_response: dict[str, Any]) -> None:
    """Keep axe-core's verdict on the page and the page's HTML."""
    url = urlsplit(page.url)
    language = page.locator("html").get_attribute("lang") or "?"
    viewport = page.viewport_size
    width = viewport["width"] if viewport else page.evaluate("window.innerWidth")
    VERDICTS.append(
        AxeVerdict(route_of(url.path), language, width, len(axe_response["violations"]))
    )
    if not AXE_VERSION:
        AXE_VERSION.append(axe_response.get("testEngine", {}).get("version", ""))
    record_html(page)


def record_html(page: Any) -> None:
    """Keep the page's HTML for the Nu HTML Checker, once per distinct content."""
    url = urlsplit(page.url)
    language = page.locator("html").get_attribute("lang") or "?"
    html = page.content()
    key = hashlib.sha1(CSRF_VALUE.sub(r"\1", html).encode()).hexdigest()
    if key not in SOURCES:
        test = os.environ.get("PYTEST_CURRENT_TEST", "?").rsplit(" ", 1)[0]
        query = re.sub(r"(^|&)lang=\w+", "", url.query).lstrip("&")
        path = url.path + (f"?{query}" if query else "")
        SOURCES[key] = PageSource(path, language, test, html)


def java_missing() -> str | None:
    """Why the checker cannot run here, or None."""
    if not VNU_JAR.exists():
        return f"the Nu HTML Checker is not installed at {VNU_JAR} (make vnu)"
    try:
        subprocess.run(["java", "-version"], capture_output=True, check=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return "java not found (apt-get install default-jre-headless)"
    return None


def nu_html_errors(sources: list[PageSource]) -> dict[PageSource, list[str]]:
    """Run vnu once over every page and return its errors by page (only pages with errors)."""
    with tempfile.TemporaryDirectory(prefix="sankaku-vnu-") as folder:
        files = {}
        for number, source in enumerate(sources):
            name = Path(folder) / f"page-{number:04d}.html"
            name.write_text(source.html, encoding="utf-8")
            files[name.name] = source
        command = ["java", "-jar", str(VNU_JAR), "--errors-only", "--exit-zero-always"]
        command += ["--format", "json", *sorted(str(Path(folder) / name) for name in files)]
        completed = subprocess.run(command, capture_output=True, text=True, timeout=600)
    try:
        messages = json.loads(completed.stderr)["messages"]
    except (ValueError, KeyError) as error:
        raise RuntimeError(f"vnu did not answer in JSON: {completed.stderr[:2000]}") from error
    errors: dict[PageSource, list[str]] = {}
    for message in messages:
        source = files.get(Path(urlsplit(message.get("url", "")).path).name)
        where = f"line {message['lastLine']}: " if "lastLine" in message else ""
        extract = f" «{message['extract'].strip()}»" if message.get("extract") else ""
        text = f"{where}{message['message']}{extract}"
        if source is None:  # the checker's own trouble (an unreadable file)
            raise RuntimeError(f"vnu: {text}")
        errors.setdefault(source, []).append(text)
    return errors


def error_report(errors: dict[PageSource, list[str]]) -> str:
    lines = []
    for source, messages in errors.items():
        lines.append(f"{source.language} {source.path} (seen in {source.test}):")
        lines.extend(f"    {message}" for message in messages)
    return "\n".join(lines)


def write_results(path: Path = RESULTS_FILE) -> dict[str, Any]:
    """axe-core's verdicts of this run, one row per route, language and width, for the
    accessibility test-results page (/accessibility/results)."""
    rows: dict[tuple[str, str, int], dict[str, Any]] = {}
    for verdict in VERDICTS:
        key = (verdict.page, verdict.language, verdict.width)
        row = rows.setdefault(
            key,
            {
                "page": verdict.page,
                "language": verdict.language,
                "width": verdict.width,
                "checks": 0,
                "violations": 0,
            },
        )
        row["checks"] += 1
        row["violations"] += verdict.violations
    results = {
        "tested_on": clock.today().isoformat(),
        "tool": f"axe-core {AXE_VERSION[0]}" if AXE_VERSION else "axe-core",
        "pages": [rows[key] for key in sorted(rows)],
    }
    path.write_text(json.dumps(results, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return results
