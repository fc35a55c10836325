"""Reports: every figure equals a hand count, filters hold at the fiscal-year boundary, exports
have the table's structure, and pages cost a fixed number of statements."""

import csv
import io
import json
import re
from datetime import date

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from app.extensions import db
from app.plan.models import Department, Ward
from app.public_comment.models import CaseStatus
from tests.conftest import count_statements


def _csv(client, query=""):
    """The CSV's rows keyed by initiative number, each cell under its column's machine key (the
    CSV's header reads in the page's language; the JSON export names the same columns)."""
    response = client.get(f"/reports/export.csv{query}")
    assert response.data.startswith("\ufeff".encode())
    header, *rows = csv.reader(io.StringIO(response.data.decode("utf-8-sig")))
    columns = client.get(f"/reports/export.json{query}").get_json()["meta"]["columns"]
    assert header == [c["label"] for c in columns]
    keys = [c["key"] for c in columns]
    return {int(r["initiative"]): r for r in (dict(zip(keys, row, strict=True)) for row in rows)}


def test_fiscal_year_boundary_31_march_and_1_april(client, add_case):
    add_case(date(2025, 3, 31), comments=2)  # FY2024
    add_case(date(2025, 4, 1), comments=3)  # FY2025
    fy2024 = _csv(client, "?year=2024")[8]
    fy2025 = _csv(client, "?year=2025")[8]
    both = _csv(client, "?year=2024&year=2025")[8]
    assert (fy2024["public_comment.cases"], fy2024["public_comment.comments"]) == ("1", "2")
    assert (fy2025["public_comment.cases"], fy2025["public_comment.comments"]) == ("1", "3")
    assert (both["public_comment.cases"], both["public_comment.comments"]) == ("2", "5")


def test_every_column_and_filter_equals_a_hand_count(client, add_case, app):
    add_case(date(2024, 6, 1), comments=4, initiative=8, department="kikaku")
    add_case(date(2024, 7, 1), comments=1, initiative=8, department="ku-yakusho-kita", ward="kita")
    add_case(date(2024, 8, 1), comments=2, initiative=21, department="ku-yakusho-chuo", ward="chuo")
    # A draft is not counted (it cannot have comments: they arrive once a case is approved).
    add_case(date(2024, 9, 1), comments=0, initiative=21, status=CaseStatus.DRAFT)
    rows = _csv(client)
    assert rows[8]["public_comment.cases"] == "2" and rows[8]["public_comment.comments"] == "5"
    # n0 commented on both cases of initiative 8: one person, counted once.
    assert rows[8]["public_comment.people"] == "4"
    # The same when a year narrows the report (counted from that year's cases' comments).
    assert _csv(client, "?year=2024")[8]["public_comment.people"] == "4"
    assert rows[21]["public_comment.cases"] == "1" and rows[21]["public_comment.comments"] == "2"
    assert rows[1]["public_comment.cases"] == "0"
    with app.app_context():
        kita = db.session.scalar(sa.select(Ward.id).where(Ward.code == "kita"))
        kikaku = db.session.scalar(sa.select(Department.id).where(Department.code == "kikaku"))
    by_ward = _csv(client, f"?ward={kita}")
    assert (
        by_ward[8]["public_comment.comments"] == "1" and by_ward[21]["public_comment.cases"] == "0"
    )
    by_department = _csv(client, f"?department={kikaku}")
    assert by_department[8]["public_comment.comments"] == "4"
    assert len(rows) == 22
    assert rows[8]["title"] == "パブリックコメントを含む広聴制度の強化"  # Japanese intact


def test_report_page_shows_the_figures(client, add_case):
    add_case(date(2024, 6, 1), comments=3)
    html = client.get("/reports?year=2024&lang=en").text
    assert "Public comment" in html and "People who commented" in html
    assert 'href="/reports/initiatives/8?year=2024' in html


def test_json_export(client, add_case):
    add_case(date(2024, 6, 1), comments=3)
    data = json.loads(client.get("/reports/export.json?year=2024").data)
    assert data["meta"]["fiscal_years"] == [2024]
    eight = next(r for r in data["rows"] if r["initiative"] == 8)
    assert eight["public_comment.comments"] == 3


def test_xlsx_export_and_annual_report_have_the_tables_structure(client, add_case):
    add_case(date(2024, 6, 1), comments=3)
    sheet = load_workbook(io.BytesIO(client.get("/reports/export.xlsx").data)).active
    assert sheet["C1"].value == "取組番号" and sheet.max_row == 23
    annual = client.get("/reports/annual.xlsx?year=2024&lang=ja")
    sheet = load_workbook(io.BytesIO(annual.data)).active
    headers = [c.value for c in sheet[2]]
    assert headers[0] == "（ア）熊本市への答申" and headers[4] == "（オ）各課での具体的な動き"
    assert headers[5] == "（カ）実績"
    values = [c.value for row in sheet.iter_rows() for c in row if c.value]
    for text in ("情報共有", "参画", "協働", "総括", "8 パブリックコメントを含む広聴制度の強化"):
        assert text in values
    achievements = next(v for v in values if isinstance(v, str) and "意見数 3" in v)
    assert "パブリックコメント" in achievements
    # Recommendation ③ of information sharing spans initiatives 3–5, as on paper.
    assert any(str(r).startswith("A") and ":A" in str(r) for r in sheet.merged_cells.ranges)
    assert sheet.page_setup.orientation == "landscape"


def test_annual_report_on_screen(client, add_case, plan):
    add_case(date(2012, 6, 1), comments=2)
    html = client.get("/reports/annual?year=2012&lang=ja").text
    assert "（カ）実績" in html and "平成24年度(2012年度)" in html
    assert "意見数 2" in html


def _statements(app, client, url):
    with app.app_context(), count_statements() as statements:
        assert client.get(url).status_code == 200
    return len(statements)


@pytest.mark.parametrize(
    "url",
    [
        "/reports?year=2024",
        "/reports/annual?year=2024",
        "/reports/initiatives/8",
        "/reports/export.csv",
    ],
)
def test_report_pages_cost_the_same_with_ten_times_the_data(app, client, add_case, url):
    add_case(date(2024, 6, 1), comments=2, initiative=8)
    small = _statements(app, client, url)
    for number in range(1, 23):
        for month in (5, 6, 7, 8, 9):
            add_case(date(2024, month, 1), comments=4, initiative=number)
    assert _statements(app, client, url) == small


def test_staff_dashboard_lists_overdue_results(app, client, add_case, login_as):
    add_case(date(2020, 6, 1), comments=1)
    login_as("staff", "kikaku")
    html = client.get("/staff/reports/attention?lang=en").text
    assert "closed without published results" in html
    assert "案件 2020-06-01" in html


def test_open_data_page_lists_datasets(client, add_case):
    add_case(date(2024, 6, 1))
    html = client.get("/open-data?lang=en").text
    assert "CC BY 4.0" in html and "/reports/export.csv" in html and "feed.atom" in html


def test_staff_dashboard_gathers_every_module(app, client, login_as):
    from app.core.demo import load_demo
    from tests.conftest import PLAN_FILE

    with app.app_context():
        load_demo(str(PLAN_FILE))
    login_as("staff", "kikaku")
    html = client.get("/staff/reports/attention?lang=en").text
    assert "public seats filled" in html  # councils under their public-seat target
    for heading in ("Public comment", "Council recruitment"):
        assert heading in html


def test_initiative_report_trend_counts_that_initiative_per_year(client, add_case):
    add_case(date(2023, 6, 1), comments=1, initiative=8)
    add_case(date(2024, 6, 1), comments=1, initiative=8)
    add_case(date(2024, 7, 1), comments=1, initiative=8)
    add_case(date(2024, 8, 1), comments=1, initiative=21)  # another initiative, same year
    html = client.get("/reports/initiatives/8?year=2023&year=2024&lang=en").text
    section = html.split('id="kind-public_comment"')[1].split("</section>")[0]
    # The yearly table under the chart: cases of initiative 8 in FY2023 and FY2024.
    assert re.findall(r'<td class="number">(\d+)</td>', section) == ["1", "2"]
