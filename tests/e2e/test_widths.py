"""The main public pages on the demo data at a phone's width (390 px) and a desktop's (1280 px),
in Japanese and in English (issue 18): each passes axe-core at that width (`visit`) and joins
the pages the Nu HTML Checker reads at the end of the session. A generic sweep: the layout of
each page (no sideways scroll, no narrow text column) has its own tests."""

import pytest

from app.core.demo import load_demo
from bench.screenshots import LANGUAGES, WIDTHS, main_public_pages
from tests.conftest import PLAN_FILE
from tests.e2e.conftest import visit


@pytest.fixture
def demo(app):
    with app.app_context():
        return load_demo(str(PLAN_FILE))


@pytest.mark.parametrize("width", WIDTHS)
def test_main_public_pages_pass_axe_at_both_widths(page, demo, width):
    page.set_viewport_size({"width": width, "height": 900})
    pages = main_public_pages(lambda path: page.request.get(path).text())
    # The demo has an initiative, a case and a session to open: none of them was left out.
    assert len(pages) == 11, pages
    for language in LANGUAGES:
        for path in pages:
            visit(page, path, language)
            assert page.viewport_size["width"] == width
