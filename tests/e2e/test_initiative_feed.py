"""The initiative page offers its Atom feed, to feed readers (rel=alternate) and to people (a
visible link), in both languages, and passes axe-core."""

import pytest

from tests.e2e.conftest import visit

LABELS = {
    "ja": "この取組の活動をフィードで受け取る（Atom）",
    "en": "Follow this initiative's activity (Atom feed)",
}


@pytest.mark.parametrize("language", ["ja", "en"])
def test_initiative_page_links_its_atom_feed(page, plan, make_case, language):
    from playwright.sync_api import expect

    make_case(initiative=6)
    visit(page, "/initiatives/6", language)
    alternate = page.locator('head link[rel="alternate"][type="application/atom+xml"]')
    expect(alternate).to_have_attribute("href", "/initiatives/6/feed.atom")
    link = page.get_by_role("link", name=LABELS[language])
    expect(link).to_be_visible()
    # The link leads to the feed itself, opened as a visitor would: Chromium asks a document
    # that declares no icon (the feed) for /favicon.ico, which must not be a 404 in the console
    # (the page fixture fails on any console error).
    feed = page.goto(link.get_attribute("href"))
    assert feed.status == 200
    assert feed.headers["content-type"].startswith("application/atom+xml")
    assert "熊本市テスト計画(案)" in feed.text()
    icon = page.request.get("/favicon.ico")
    assert icon.status == 200 and icon.headers["content-type"].startswith("image/svg+xml")
