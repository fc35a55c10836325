"""Reports in the browser: accessible in both languages; the annual report prints to PDF."""

import io
from datetime import date

import pytest
from pypdf import PdfReader

from tests.e2e.conftest import visit


@pytest.mark.parametrize("language", ["ja", "en"])
def test_report_pages_pass_axe(page, plan, add_case, language):
    add_case(date(2024, 6, 1), comments=3)
    visit(page, "/reports?year=2024", language)
    visit(page, "/reports/initiatives/8?year=2023&year=2024", language)
    assert page.locator("svg.chart").count() >= 1
    visit(page, "/reports/annual?year=2024", language)
    visit(page, "/open-data", language)


def test_annual_report_prints_to_pdf_with_the_table(page, plan, add_case):
    add_case(date(2024, 6, 1), comments=3)
    visit(page, "/reports/annual?year=2024", "en")
    page.emulate_media(media="print")
    pdf = page.pdf(format="A4", landscape=True, print_background=True)
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    flat = " ".join(text.split())
    for expected in (
        "(A) Recommendation to Kumamoto City",
        "(F) Results",
        "Strengthen public hearing systems",
        "Comments 3",
    ):
        assert expected in flat, expected
    assert "Progress report" not in flat.split("(A)")[0]  # navigation is not printed


@pytest.mark.parametrize("language", ["ja", "en"])
def test_pages_changed_for_issue_17_pass_axe_and_speak_one_language(
    page, plan, add_case, make_user, language
):
    """The home page and annual report with initiative 14's pairs, the annual report without a
    year, and the admin pages that now name roles and actions (visit checks axe-core and the
    page's language)."""
    from playwright.sync_api import expect

    from tests.e2e.conftest import login

    add_case(date(2024, 6, 1), comments=3)
    visit(page, "/", language)
    guide_rows = page.locator('tr[data-initiative="14"]')
    expect(guide_rows).to_have_count(2)
    if language == "ja":
        expect(guide_rows.nth(0).locator("td.plan-departments")).to_contain_text(
            "各区まちづくり推進課"
        )
        expect(guide_rows.nth(1).locator("td.plan-actions")).to_contain_text("あいぽーと")
    visit(page, "/initiatives/14", language)
    visit(page, "/reports/annual", language)
    expect(page.locator("#year-error")).to_have_count(0)
    expect(page.locator('tr[data-initiative="14"]')).to_have_count(2)
    visit(page, "/open-data", language)
    login(page, make_user("admin").email, language)
    for path in ("/admin/users/", "/admin/audit", "/admin/dispositions", "/admin/dispositions/1"):
        visit(page, path, language)
