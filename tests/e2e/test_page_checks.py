"""The session's own checks (tests/e2e/page_checks.py): the Nu HTML Checker finds what it
should, and `make a11y-results` rewrites the results the accessibility test-results page shows.
Also the policy and its results page at both widths in both languages."""

import json
import os
import shlex
import subprocess

import pytest

from app.config import BASE_DIR
from app.core import clock
from tests.e2e import page_checks
from tests.e2e.conftest import visit

WIDTHS = (390, 1280)


def test_accessibility_pages_at_both_widths(page, plan):
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        for language in ("ja", "en"):
            visit(page, "/accessibility", language)
            visit(page, "/accessibility/results", language)
            assert page.locator("h1").count() == 1


def test_the_html_checker_reports_errors_by_page():
    missing = page_checks.java_missing()
    if missing:
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(missing)
        pytest.skip(missing)
    head = '<!DOCTYPE html><html lang="ja"><head><title>t</title></head><body><main>'
    good = page_checks.PageSource("/good", "ja", "t", head + "<p>ok</p></main></body></html>")
    bad = page_checks.PageSource(
        "/bad",
        "en",
        "t",
        head + '<select required name="s"><option value="1">one</option></select>'
        '<input name="a" autocomplete="street-address"></main></body></html>',
    )
    errors = page_checks.nu_html_errors([good, bad])
    assert list(errors) == [bad]
    assert len(errors[bad]) == 2
    assert "first “option” element" in errors[bad][0]
    assert "street-address" in errors[bad][1]
    assert "en /bad" in page_checks.error_report(errors)


def test_make_a11y_results_rewrites_the_results_file(browser, tmp_path):
    """The target's own command, run on one test: the file lists its pages, languages and
    widths with today's date."""
    selected = "tests/e2e/test_page_checks.py::test_accessibility_pages_at_both_widths"
    dry_run = subprocess.run(
        ["make", "-s", "-n", "a11y-results", f"A11Y_TESTS={selected}"],
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    [command] = [line for line in dry_run if "SANKAKU_WRITE_A11Y_RESULTS=1" in line]
    assert selected in shlex.split(command)
    output = tmp_path / "results.json"
    environment = {
        **os.environ,
        "SANKAKU_A11Y_RESULTS_FILE": str(output),
        # This run is about the results file: the HTML check of its pages is skipped.
        "VNU_JAR": str(tmp_path / "none.jar"),
    }
    environment.pop("REQUIRE_BROWSER", None)
    environment.pop("PYTEST_CURRENT_TEST", None)
    run = subprocess.run(
        command, shell=True, cwd=BASE_DIR, env=environment, capture_output=True, text=True
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    results = json.loads(output.read_text(encoding="utf-8"))
    assert results["tested_on"] == clock.today().isoformat()
    assert results["tool"].startswith("axe-core 4.")
    assert {(row["page"], row["language"], row["width"]) for row in results["pages"]} == {
        (page, language, width)
        for page in ("/accessibility", "/accessibility/results")
        for language in ("ja", "en")
        for width in WIDTHS
    }
    assert all(row["checks"] == 1 and row["violations"] == 0 for row in results["pages"])
