"""Browser tests: Debian's Chromium driven by Playwright, with axe-core on every page visited.

Chromium is found at CHROMIUM_PATH (default /usr/bin/chromium). Without it the browser tests
are skipped, unless REQUIRE_BROWSER=1 (as in CI), where a missing browser fails the run.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from werkzeug.serving import make_server

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


@pytest.fixture
def live_server(app: Any, no_rate_limit: None) -> Iterator[str]:
    """The test's app served over HTTP on a free loopback port, in a thread."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
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

    results = Axe().run(page)
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


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if LANGUAGE_SLIPS:
        terminalreporter.section("UI text in the other language (tests/e2e/ui_language.py)")
        for where, slips in sorted(LANGUAGE_SLIPS.items()):
            terminalreporter.write_line(f"{where}: {slips}")


def visit(page: Any, path: str, language: str = "ja") -> Any:
    """Open a page in a language, check it with axe-core and for UI text in the other
    language."""
    separator = "&" if "?" in path else "?"
    response = page.goto(f"{path}{separator}lang={language}")
    assert response is not None and response.status < 500, f"{path}: {response and response.status}"
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
