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
