"""The annual response-status report (issue 17): the current fiscal year by default, years named
with their era on Japanese pages, column (カ) as one readable line per activity kind, and
initiative 14's departments shown beside their own actions."""

import io
import re
from datetime import UTC, date, datetime

import pytest
from openpyxl import load_workbook

from app.core import clock


@pytest.fixture
def may_2025(monkeypatch):
    """Ten days into fiscal year 2025 (令和7年度)."""
    monkeypatch.setattr(clock, "now", lambda: datetime(2025, 5, 10, 3, 0, tzinfo=UTC))


def _selected(html, name):
    select = re.search(rf'<select[^>]*name="{name}".*?</select>', html, re.S).group(0)
    return re.findall(r"<option[^>]*selected[^>]*>([^<]*)</option>", select)


def test_annual_report_without_a_year_shows_the_current_fiscal_year(client, plan, may_2025):
    html = client.get("/reports/annual?lang=ja").text
    assert "選択肢が正しくありません" not in html
    assert 'aria-invalid="true"' not in html
    assert re.search(r"<h1>[^<]*令和7年度\(2025年度\)</h1>", html)
    assert _selected(html, "year") == ["令和7年度(2025年度)"]
    assert 'href="/reports/annual.xlsx?year=2025"' in html
    sheet = load_workbook(io.BytesIO(client.get("/reports/annual.xlsx?lang=ja").data)).active
    assert "令和7年度(2025年度)" in sheet["A1"].value


def test_a_year_outside_the_choices_is_told_beside_the_field(client, plan, may_2025):
    html = client.get("/reports/annual?year=1999&lang=en").text
    assert 'aria-invalid="true"' in html and "from the options." in html
    assert "FY2025" in html  # the report still shows a year: the current one


def test_year_selectors_name_the_era_in_japanese_and_not_in_english(client, plan, may_2025):
    for path in ("/reports/annual?year=2024", "/reports?year=2024"):
        ja = client.get(f"{path}&lang=ja").text
        assert _selected(ja, "year") == ["令和6年度(2024年度)"], path
        assert ">平成23年度(2011年度)</option>" in ja, path
        assert ">令和元年度(2019年度)</option>" in ja, path
        en = client.get(f"{path}&lang=en").text
        assert _selected(en, "year") == ["FY2024"], path
        assert "年度" not in "".join(re.findall(r"<option[^>]*>([^<]*)</option>", en)), path


def test_annual_xlsx_title_names_the_era_in_japanese(client, plan):
    sheet = load_workbook(io.BytesIO(client.get("/reports/annual.xlsx?year=2024&lang=ja").data))
    assert sheet.active["A1"].value == "答申対応状況報告書 令和6年度(2024年度)"
    sheet = load_workbook(io.BytesIO(client.get("/reports/annual.xlsx?year=2024&lang=en").data))
    assert sheet.active["A1"].value == "Response status report, FY2024"


def test_results_column_is_one_readable_line_per_activity_kind(client, add_case):
    add_case(date(2024, 6, 1), comments=3)
    html = client.get("/reports/annual?year=2024&lang=ja").text
    row = html.split(">8 パブリックコメントを含む広聴制度の強化<")[1].split("</tr>")[0]
    lines = [
        re.sub(r"<[^>]+>", "", li) for li in re.findall(r"<li>(.*?)</li>", row.split("results")[-1])
    ]
    public_comment = next(line for line in lines if line.startswith("パブリックコメント"))
    assert public_comment == "パブリックコメント：案件数 1、意見数 3、意見提出者数 3"
    assert "," not in "".join(lines)  # no half-width commas, no dump of empty figures
    sheet = load_workbook(
        io.BytesIO(client.get("/reports/annual.xlsx?year=2024&lang=ja").data)
    ).active
    cell = next(
        c
        for r in sheet.iter_rows()
        for c in r
        if str(c.value or "").startswith("パブリックコメント：")
    )
    assert cell.value.splitlines()[0] == "パブリックコメント：案件数 1、意見数 3、意見提出者数 3"
    assert cell.alignment.wrap_text
    en = client.get("/reports/annual?year=2024&lang=en").text
    assert "Public comment: Cases 1, Comments 3, People who commented 3" in en


PAIRS_14 = [
    (
        ["区政推進課", "各区まちづくり推進課"],
        ["まちづくり活動の手引きを毎年度作成し自治会等へ配布"],
    ),
    (["市民協働課"], ["あいぽーとでの活用・コーディネート"]),
]
# As on paper, actions of the same departments share one cell of departments.
PAIRS_4 = [
    (
        ["総務課", "市民協働課"],
        [
            "市政情報プラザでの情報提供。",
            "ホームページでの「目録公開、要綱公開」",
            "「市政情報の市民提供に関する基本的な考え方」の周知、徹底",
        ],
    )
]


def _pairs(html, number):
    """(departments, actions) per row of the table that belongs to one initiative."""
    rows = re.findall(rf'<tr[^>]*data-initiative="{number}"[^>]*>(.*?)</tr>', html, re.S)
    pairs = []
    for row in rows:
        cells = {
            name: re.findall(r"<li>([^<]*)</li>", cell)
            for name, cell in re.findall(
                r'<td[^>]*class="plan-(departments|actions)"[^>]*>(.*?)</td>', row, re.S
            )
        }
        pairs.append((cells["departments"], cells["actions"]))
    return pairs


def test_home_page_shows_initiative_14_departments_beside_their_actions(client, plan):
    html = client.get("/?lang=ja").text
    assert _pairs(html, 14) == PAIRS_14
    assert _pairs(html, 4) == PAIRS_4


def test_annual_report_shows_initiative_14_departments_beside_their_actions(client, plan):
    html = client.get("/reports/annual?year=2024&lang=ja").text
    assert _pairs(html, 14) == PAIRS_14
    assert _pairs(html, 4) == PAIRS_4
    sheet = load_workbook(
        io.BytesIO(client.get("/reports/annual.xlsx?year=2024&lang=ja").data)
    ).active
    rows = [[c.value for c in r] for r in sheet.iter_rows()]
    guide = next(r for r in rows if r[4] == f"・{PAIRS_14[0][1][0]}")
    iport = next(r for r in rows if r[4] == f"・{PAIRS_14[1][1][0]}")
    assert guide[3] == "区政推進課\n各区まちづくり推進課" and iport[3] == "市民協働課"
