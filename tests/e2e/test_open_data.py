"""Open data in the browser (issue 19): /open-data lists the events CSV and the calendar feeds
beside the catalogue, and staff give a venue its coordinates, in both languages."""

import pytest

from tests.e2e.conftest import check_a11y, login, visit


@pytest.mark.parametrize("language", ["ja", "en"])
def test_open_data_page_and_venue_form(page, app, plan, make_user, language):
    from playwright.sync_api import expect

    visit(page, "/open-data", language)
    datasets = page.locator("table.datasets")
    expect(datasets.locator('a[href="/consultations/events.csv"]')).to_have_count(1)
    expect(datasets.locator('a[href="/consultations/feed.ics"]')).to_have_count(1)
    expect(datasets.locator('a[href="/consultations/wards/chuo/feed.ics"]')).to_have_count(1)
    expect(page.locator('a[href="/open-data/catalog.jsonld"]')).to_have_count(1)

    login(page, make_user("staff", "kikaku").email, language)
    visit(page, "/staff/consultations/venues", language)
    page.get_by_label("名称（日本語）" if language == "ja" else "Name (Japanese)").fill(
        "北部公民館"
    )
    page.get_by_label("所在地（日本語）" if language == "ja" else "Address (Japanese)").fill(
        "熊本市北区植木町岩野1"
    )
    page.get_by_label("定員" if language == "ja" else "Capacity", exact=True).fill("40")
    latitude = page.get_by_label("緯度（任意）" if language == "ja" else "Latitude (optional)")
    latitude.fill("95")
    page.get_by_label("経度（任意）" if language == "ja" else "Longitude (optional)").fill("130.68")
    page.locator("main form button[type=submit]").click()
    # Refused beside the field, with what was typed kept; the page is checked again.
    expect(page.locator("#latitude-error")).to_be_visible()
    expect(latitude).to_have_value("95")
    check_a11y(page)
    latitude.fill("32.9")
    page.locator("main form button[type=submit]").click()
    expect(page.locator("table")).to_contain_text("32.9, 130.68")
    visit(page, "/staff/consultations/venues/1", language)
