"""Browser tests: Debian's Chromium driven by Playwright, with axe-core on every page visited
and the Nu HTML Checker over all of them at the end of the session.

Chromium is found at CHROMIUM_PATH (default /usr/bin/chromium), the checker at VNU_JAR (default:
the npm package installed by `make vnu`, run with Debian's java). Without them the browser tests
and the HTML check are skipped, unless REQUIRE_BROWSER=1 (as in CI), where either missing fails
the run.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from werkzeug.serving import make_server

from tests.e2e import page_checks
from tests.e2e.ui_language import page_slips

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",  # we run as root in CI
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not (os.path.exists(CHROMIUM) or shutil.which(CHROMIUM)):
        message = f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def _from_memory(app: Any) -> Any:
    """The app, sending each response from memory. Werkzeug's development server does not close
    a response's file when the browser drops the connection while it is being sent (a page left
    mid-stylesheet): the unclosed file is reported later, as an error of whichever test is then
    running. Read whole and closed here, no file is left open, whatever the browser does."""

    def wsgi(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        iterable = app(environ, start_response)
        try:
            return [b"".join(iterable)]
        finally:
            if hasattr(iterable, "close"):
                iterable.close()

    return wsgi


@pytest.fixture
def live_server(app: Any, no_rate_limit: None) -> Iterator[str]:
    """The test's app served over HTTP on a free loopback port, in a thread."""
    page_checks.URL_MAP[:] = [app.url_map]
    server = make_server("127.0.0.1", 0, _from_memory(app), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture
def page(browser: Any, live_server: str) -> Iterator[Any]:
    context = browser.new_context(base_url=live_server, locale="ja-JP")
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    yield page
    context.close()
    assert errors == [], f"browser console errors: {errors}"


def check_a11y(page: Any) -> None:
    """axe-core on the page as it is now: no violation of any impact."""
    from axe_playwright_python.sync_playwright import Axe
    from playwright.sync_api import Error as PlaywrightError

    # A click on a link returns once the navigation has started: axe run at that moment finds
    # no document (or a document torn down under it). Wait for the page that is arriving to have
    # loaded; if a navigation still lands mid-run, run once more on the page that then stands.
    page.wait_for_load_state("load")
    try:
        results = Axe().run(page)
    except PlaywrightError as error:
        if "documentElement" not in str(error) and "context was destroyed" not in str(error):
            raise
        page.wait_for_load_state("load")
        results = Axe().run(page)
    page_checks.record(page, results.response)
    violations = results.response["violations"]
    report = "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(n["target"][0] if n["target"] else "?" for n in v["nodes"][:5])
        for v in violations
    )
    assert not violations, f"axe-core on {page.url}:\n{report}"


# Pages whose templates speak one language already: a slip there fails the test that visits it.
# Slips on other pages are collected (LANGUAGE_SLIPS), listed at the end of the run and checked
# by tests/e2e/test_ui_language.py, so that one module's slip does not fail another's tests.
ONE_LANGUAGE_PAGES = (
    "/initiatives",
    "/reports",
    "/staff/reports",
    "/open-data",
    "/admin/audit",
    "/admin/dispositions",
    "/admin/users",
)
LANGUAGE_SLIPS: dict[str, list[str]] = {}


def check_language(page: Any, path: str, language: str) -> list[str]:
    """The page's UI text is in its own language (tests/e2e/ui_language.py)."""
    slips = page_slips(page, language)
    bare = path.split("?")[0]
    if bare == "/" or bare.startswith(ONE_LANGUAGE_PAGES):
        assert not slips, f"{language} page {path} shows UI text in the other language: {slips}"
    elif slips:
        LANGUAGE_SLIPS.setdefault(f"{language} {bare}", slips)
    return slips


HTML_CHECK_SUMMARY: list[str] = []


def _session_report(session: pytest.Session, outcome: str, longrepr: Any) -> None:
    """Report a check of the whole session as if it were a test, so that a failure makes
    pytest exit non-zero (and, under pytest-xdist, reaches the controller like any report)."""
    nodeid = "tests/e2e/conftest.py::nu_html_checker"
    location = ("tests/e2e/conftest.py", 0, "nu_html_checker")
    # No logstart/logfinish: the progress counter is for collected tests.
    report = pytest.TestReport(nodeid, location, {}, outcome, longrepr, "call")
    session.ihook.pytest_runtest_logreport(report=report)


def _check_html(session: pytest.Session) -> None:
    """The Nu HTML Checker once over every page the browser tests checked (issue 18)."""
    sources = list(page_checks.SOURCES.values())
    missing = page_checks.java_missing()
    if missing:
        if os.environ.get("REQUIRE_BROWSER") == "1":
            _session_report(session, "failed", f"Nu HTML Checker: {missing}")
        else:
            reason = f"Skipped: Nu HTML Checker: {missing}"
            _session_report(session, "skipped", (__file__, 0, reason))
        return
    started = time.monotonic()
    try:
        errors = page_checks.nu_html_errors(sources)
    except (RuntimeError, OSError, subprocess.SubprocessError) as error:
        _session_report(session, "failed", f"Nu HTML Checker: {error}")
        return
    seconds = time.monotonic() - started
    if errors:
        report = page_checks.error_report(errors)
        _session_report(
            session,
            "failed",
            f"The Nu HTML Checker found errors on {len(errors)} of {len(sources)} pages:\n{report}",
        )
    else:
        HTML_CHECK_SUMMARY.append(f"{len(sources)} page states checked, no error ({seconds:.1f} s)")


@pytest.hookimpl(wrapper=True)
def pytest_runtestloop(session: pytest.Session) -> Any:
    result = yield
    # After the last test, before pytest counts the failures, so that one here counts.
    if page_checks.SOURCES:
        _check_html(session)
    if page_checks.VERDICTS and os.environ.get("SANKAKU_WRITE_A11Y_RESULTS") == "1":
        written = page_checks.write_results()
        HTML_CHECK_SUMMARY.append(
            f"axe-core results of {len(written['pages'])} pages written to "
            f"{page_checks.RESULTS_FILE}"
        )
    return result


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if LANGUAGE_SLIPS:
        terminalreporter.section("UI text in the other language (tests/e2e/ui_language.py)")
        for where, slips in sorted(LANGUAGE_SLIPS.items()):
            terminalreporter.write_line(f"{where}: {slips}")
    if HTML_CHECK_SUMMARY:
        terminalreporter.section("Nu HTML Checker and axe-core results")
        for line in HTML_CHECK_SUMMARY:
            terminalreporter.write_line(line)


def visit(
    page: Any,
    path: str,
    language: str = "ja",
    expect_status: int = 200,
    expect_path: str | None = None,
) -> Any:
    """Open a page in a language, check that it answered as the test expects, then check it
    with axe-core and for UI text in the other language.

    The browser follows redirects, so a page that sends to the login form would answer 200:
    the final address must be the one asked for, or `expect_path` when the test expects a
    redirect."""
    separator = "&" if "?" in path else "?"
    response = page.goto(f"{path}{separator}lang={language}")
    assert response is not None, f"{path}: no response"
    assert response.status == expect_status, (
        f"{path}: status {response.status}, expected {expect_status} (at {page.url})"
    )
    landed = urlsplit(page.url).path
    wanted = expect_path or urlsplit(path).path
    assert landed == wanted, f"{path}: landed on {page.url}, expected {wanted}"
    assert page.locator("html").get_attribute("lang") == language
    check_a11y(page)
    check_language(page, path, language)
    return response


def login(page: Any, email: str, language: str = "en") -> None:
    """Log in through the login page (checked with axe-core) and wait for the welcome."""
    from playwright.sync_api import expect

    from tests.conftest import PASSWORD

    visit(page, "/login", language)
    page.locator("#email").fill(email)
    page.locator("#password").fill(PASSWORD)
    page.locator("#password").press("Enter")
    expect(page.locator(".flash.success")).to_be_visible()
