"""The XLSX files as the city prints and edits them (issue 18): the demo city's annual report and
report export, downloaded through their public and staff addresses, print on A4 landscape one
page wide with their headings on every page; every row is as tall as its wrapped text, (ア)(イ)
span their initiatives, and the report export reads in the page's language with its columns
fitted, its header row frozen and a filter on its data.

Row heights are checked against an estimate made here, independently of the writer's: a column
`w` wide holds 7·w − 6 pixels of text, filled a whole character at a time; a Japanese character
takes 14.7 px (11 pt), any other 7."""

import io
import re
import unicodedata

import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter, range_boundaries

from app.core import clock
from app.core.i18n import fiscal_year

DEFAULT_ROW_HEIGHT = 15
# The least a line of 11 pt text needs (Excel's default row is 15 pt for one line).
LINE_PITCH = 14


@pytest.fixture
def demo(app, runner):
    """The demo city: the response table, a year of activity and progress notes in every row."""
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output


def _workbook(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    assert response.headers["Content-Type"].startswith("application/vnd.openxmlformats")
    return load_workbook(io.BytesIO(response.data)).active


def _pixels(text):
    return sum(14.7 if unicodedata.east_asian_width(ch) in "WF" else 7 for ch in text)


def _lines(value, width):
    """Lines of a wrapped cell, filled a whole character at a time (a word-wrapped English line
    holds fewer, so this is the least it can take)."""
    room = 7 * width - 6
    lines = 0
    for text in str(value).split("\n"):
        lines, used = lines + 1, 0
        for ch in text:
            if used and used + _pixels(ch) > room:
                lines, used = lines + 1, 0
            used += _pixels(ch)
    return lines


def _areas(sheet):
    """Each cell with a value, with the rows and columns it covers (its merged range or itself)."""
    merged = {}
    for area in sheet.merged_cells.ranges:
        min_col, min_row, max_col, max_row = range_boundaries(area.coord)
        merged[(min_row, min_col)] = (min_row, max_row, min_col, max_col)
    for row in sheet.iter_rows():
        for cell in row:
            if cell.value not in (None, "") and type(cell).__name__ == "Cell":
                yield (
                    cell,
                    merged.get(
                        (cell.row, cell.column), (cell.row, cell.row, cell.column, cell.column)
                    ),
                )


def _width(sheet, column):
    dimension = sheet.column_dimensions[get_column_letter(column)]
    assert dimension.customWidth, f"column {get_column_letter(column)} has no width"
    return dimension.width


def assert_prints_one_page_wide_on_a4_landscape(sheet, title_rows):
    setup = sheet.page_setup
    assert setup.orientation == "landscape"
    assert int(setup.paperSize) == 9  # A4
    assert sheet.sheet_properties.pageSetUpPr.fitToPage is True
    assert int(setup.fitToWidth) == 1
    assert int(setup.fitToHeight) == 0  # as many pages tall as the rows need
    assert sheet.print_title_rows == title_rows
    assert "&P" in sheet.oddFooter.center.text and "&N" in sheet.oddFooter.center.text
    assert 0 < sheet.page_margins.left < 1 and 0 < sheet.page_margins.top < 1


def assert_every_wrapped_row_is_tall_enough(sheet):
    """Every cell whose text wraps (a line break, or longer than its column) stands in rows whose
    heights add up to more than one default row and to at least its lines."""
    wrapped = 0
    for cell, (top, bottom, left, right) in _areas(sheet):
        width = sum(_width(sheet, c) for c in range(left, right + 1))
        lines = _lines(cell.value, width)
        if lines == 1:
            continue
        assert cell.alignment.wrap_text, f"{cell.coordinate} has {lines} lines but does not wrap"
        assert cell.alignment.vertical == "top", cell.coordinate
        wrapped += 1
        heights = [sheet.row_dimensions[r].height for r in range(top, bottom + 1)]
        assert None not in heights, f"rows {top}–{bottom} have no height ({cell.coordinate})"
        assert sum(heights) > DEFAULT_ROW_HEIGHT * (bottom - top + 1), cell.coordinate
        size = cell.font.sz or 11
        assert sum(heights) >= lines * LINE_PITCH * size / 11, (
            f"{cell.coordinate}: {lines} lines in {sum(heights)} pt: {cell.value[:40]!r}"
        )
    assert wrapped > 10  # the check saw the wrapped cells it is about


def test_annual_xlsx_prints_readably(client, demo):
    year = fiscal_year(clock.now())
    sheet = _workbook(client, "/reports/annual.xlsx?lang=ja")
    assert_prints_one_page_wide_on_a4_landscape(sheet, "$2:$2")
    assert_every_wrapped_row_is_tall_enough(sheet)

    # The title names the year with its era, across the table, tall enough for its 14 pt.
    assert re.fullmatch(rf"答申対応状況報告書 令和\d+年度\({year}年度\)", sheet["A1"].value)
    assert "A1:F1" in {area.coord for area in sheet.merged_cells.ranges}
    assert sheet.row_dimensions[1].height >= 14 * 1.2
    # Pages after the first are headed by the title too, the first by the title row alone.
    assert sheet.oddHeader.right.text == sheet["A1"].value and sheet.HeaderFooter.differentFirst
    assert "&P" in sheet.firstFooter.center.text
    assert sheet.freeze_panes == "A3"

    # (エ) holds every department's name on one line (never 「市民協/働課」).
    names = {n for row in sheet.iter_rows(min_row=3) for n in str(row[3].value or "").split("\n")}
    assert "各区まちづくり推進課" in names
    assert not [n for n in names if _lines(n, _width(sheet, 4)) > 1]

    # (ア)(イ) span the rows of their initiatives: information sharing's ③ is over 3, 4 and 5.
    rows_of = {}
    for row in sheet.iter_rows(min_row=3):
        match = re.match(r"(\d+) ", str(row[2].value or ""))
        if match:
            rows_of[int(match.group(1))] = row[2].row
    assert sorted(rows_of) == list(range(1, 23))
    merged = {area.coord for area in sheet.merged_cells.ranges}
    top, bottom = rows_of[3], rows_of[6] - 2  # 6 begins the next category, after its heading
    assert sheet.cell(top, 1).value.startswith("③")
    assert {f"A{top}:A{bottom}", f"B{top}:B{bottom}"} <= merged
    # Every recommendation over several initiatives is merged in both columns alike.
    over_a = {c for c in merged if c.startswith("A") and ":A" in c}
    over_b = {c.replace("A", "B") for c in over_a}
    assert len(over_a) >= 5 and over_b <= merged

    # A page ends neither between a category's heading and its rows nor inside a merged
    # recommendation (the estimate is the writer's; LibreOffice's pages are in the note).
    headings = {row[0].row for row in sheet.iter_rows(min_row=3) if row[0].value in CATEGORIES}
    spans = [range_boundaries(c) for c in over_a]
    for page_end in (brk.id for brk in sheet.row_breaks.brk):
        assert page_end not in headings, page_end
        assert not [s for s in spans if s[1] <= page_end < s[3]], page_end
    assert sheet.row_breaks.brk  # the demo year takes more than one page


CATEGORIES = {"情報共有", "参画", "協働", "総括"}


@pytest.mark.parametrize(
    "url, department",
    [("/reports/export.xlsx", None), ("/staff/reports/export.xlsx", "kikaku")],
)
def test_report_xlsx_reads_in_the_page_language_with_fitted_columns(
    client, auth, make_user, demo, url, department
):
    if department:
        auth.login(make_user("staff", department).email)
    sheet = _workbook(client, f"{url}?lang=ja")
    assert_prints_one_page_wide_on_a4_landscape(sheet, "$1:$1")
    assert_every_wrapped_row_is_tall_enough(sheet)

    header = [c.value for c in sheet[1]]
    assert header[:5] == ["区分", "答申番号", "取組番号", "取組内容", "関係課"]
    assert "パブリックコメント：意見数" in header
    assert not [h for h in header if re.search(r"[a-z_]+\.[a-z_]+", h)]  # no machine keys
    english = [c.value for c in _workbook(client, f"{url}?lang=en")[1]]
    assert english[:3] == ["Category", "Recommendation no.", "Initiative no."]
    assert "Public comment: Comments" in english and len(english) == len(header)
    keys = client.get(url.replace(".xlsx", ".json") + "?lang=ja").get_json()["rows"][0]
    assert {"category", "title", "public_comment.comments"} <= set(keys)

    # The header stays in view and every column can be filtered.
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == f"A1:{get_column_letter(len(header))}{sheet.max_row}"
    assert sheet.max_row == 23  # the header and the 22 initiatives

    # Each column as wide as its values (long texts wrap within a wide column instead), and no
    # wider than its widest value or a few lines of its header need.
    for column, label in enumerate(header, start=1):
        width = _width(sheet, column)
        values = [sheet.cell(r, column).value for r in range(2, sheet.max_row + 1)]
        widest = max(_pixels(str(v)) for v in values) / 7
        assert width >= min(widest, 24), (label, width, widest)
        # (a narrow column still holds three Japanese characters a line of its header)
        assert width <= max(widest, _pixels(label) / 7 / 4, 6) + 3, (label, width, widest)
        if isinstance(values[0], int | float):
            assert all(sheet.cell(r, column).data_type == "n" for r in range(2, 24)), label
