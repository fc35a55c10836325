"""Every page speaks one language (issue 17): with the demo city loaded, every HTML page of the
URL map (objects taken as id 1) is opened as an administrator in Japanese and in English, and
its UI text is read as the browser shows it (tests/e2e/ui_language.py; `visit` runs the same
check on every page of the other browser tests).

Pages whose templates already speak one language fail on any slip. Pages of modules still being
mended are listed in KNOWN_SLIPS with what is wrong (each owner removes theirs when fixed): a
slip on any other page fails here, and only here, not in the module's own browser tests."""

from __future__ import annotations

import re

import pytest

from app.core.demo import load_demo
from tests.conftest import PLAN_FILE
from tests.e2e import page_checks
from tests.e2e.conftest import ONE_LANGUAGE_PAGES, login
from tests.e2e.ui_language import page_slips

KNOWN_SLIPS: dict[str, str] = {}


def _pages(app) -> list[str]:
    pages = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint.startswith(("static", "api", "core.")):
            continue
        if rule.endpoint in {"accounts.confirm_email", "accounts.reset_password"}:
            continue  # one-time links: their own browser test opens them
        if any(name not in {"case_id", "call_id", "council_id", "consultation_id",
                            "session_id", "meeting_id", "proposal_id", "application_id",
                            "user_id", "number", "initiative_id", "action_id", "rec_id",
                            "kind_id", "disposition_id", "comment_id", "summary_id",
                            "group_id", "cluster_id", "section_id", "opinion_id",
                            "registration_id", "material_id"}
               for name in rule.arguments):  # fmt: skip
            continue
        pages.append(re.sub(r"<int:\w+>", "1", rule.rule))
    return sorted(set(pages))


@pytest.fixture
def demo(app):
    with app.app_context():
        return load_demo(str(PLAN_FILE))


def test_every_page_speaks_one_language(page, app, demo, make_user):
    login(page, make_user("admin").email)
    found: dict[str, set[str]] = {}
    for path in _pages(app):
        for language in ("ja", "en"):
            # Downloads (CSV, calendars, feeds, files) are not pages: asked for first.
            head = page.request.get(f"{path}?lang={language}", max_redirects=0)
            if head.status != 200 or "text/html" not in head.headers.get("content-type", ""):
                continue
            page.goto(f"{path}?lang={language}")
            page_checks.record_html(page)  # every page of the URL map for the Nu HTML Checker
            slips = page_slips(page, language)
            if slips:
                found[f"{language} {path}"] = set(slips)
    own = {
        where: slips
        for where, slips in found.items()
        if where.split()[1] == "/" or where.split()[1].startswith(ONE_LANGUAGE_PAGES)
    }
    assert own == {}, f"UI text in the other language: {own}"
    new = {where: slips for where, slips in found.items() if where not in KNOWN_SLIPS}
    report = "\n".join(f"{where}: {sorted(slips)}" for where, slips in sorted(new.items()))
    assert new == {}, f"UI text in the other language:\n{report}"
