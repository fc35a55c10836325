"""The one writer of every CSV and XLSX file Sankaku serves (reports, open data, staff lists).

Texts in these files are written by staff and read by spreadsheets, which run a cell that starts
with `=`, `+`, `-` or `@` (or a tab or carriage return before one) as a formula: a title such as
`=HYPERLINK("http://x","y")` would become a live link or worse on the reader's machine. Every
cell therefore passes through `neutralise` (OWASP's rule for CSV injection); numbers stay numbers.

The city prints what it downloads, so every XLSX sheet also carries its page set-up
(`print_layout`): A4 landscape, one page wide, header rows on every page, page numbers. Row
heights are computed here (`fit_row_heights`) because neither Excel nor LibreOffice grows a row
for wrapped text when the file is opened: a row written without a height shows one line.
"""

from __future__ import annotations

import csv
import io
import math
import re
import unicodedata
from collections.abc import Iterable, Sequence
from typing import Any

from flask import Response
from openpyxl import Workbook
from openpyxl.cell import Cell, MergedCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.worksheet import Worksheet

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE = "text/csv; charset=utf-8"
# https://owasp.org/www-community/attacks/CSV_Injection
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

# Row heights in points for the default 11 pt font. A line of Japanese text in the fonts Excel
# and LibreOffice fall back to (Yu Gothic, Noto Sans CJK) is about 16 pt; the padding keeps the
# last line clear of the border.
LINE_HEIGHT = 16.0
ROW_PADDING = 4.0
DEFAULT_ROW_HEIGHT = 15.0
DEFAULT_FONT_SIZE = 11.0
# A column `w` wide holds w − 1 units of text (the rest is the cell's padding), counted in the
# default font's digit (7 px at 11 pt). A Japanese character is counted as two of them but takes
# a little more (14.7 px), so only this share of the room is filled: 18 kanji a line in a column
# 40 wide, as Excel shows them.
USABLE_SHARE = 0.95
# The page in points: A4 landscape less the margins print_layout sets (0.4 in each side, 0.6 in
# top and bottom), and a column's width unit in points (7 px of the default font's digit).
PRINTABLE_WIDTH = 842 - 0.8 * 72
PRINTABLE_HEIGHT = 595 - 1.2 * 72
POINTS_PER_WIDTH_UNIT = 5.25
# What a line wraps between: a run of spaces, a word of narrow characters, or one character.
WRAP_TOKEN = re.compile(r" +|[!-~]+|.")
HEADER_FILL = PatternFill("solid", fgColor="E8F1FE")
WRAP_TOP = Alignment(wrap_text=True, vertical="top")


def neutralise(value: Any) -> Any:
    """A string a spreadsheet would read as a formula, prefixed with a single quote so it is
    read as text; any other value unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_bytes(header: Sequence[Any], rows: Iterable[Sequence[Any]]) -> bytes:
    """UTF-8 with a byte-order mark (Excel opens Japanese correctly), CRLF line ends (RFC 4180)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([neutralise(value) for value in header])
    writer.writerows([neutralise(value) for value in row] for row in rows)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def attachment(data: bytes, content_type: str, filename: str) -> Response:
    # The whole Content-Type is given as the header: Response(mimetype=…) would add the
    # charset a second time to a type that already names one.
    response = Response(data, content_type=content_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def csv_response(header: Sequence[Any], rows: Iterable[Sequence[Any]], filename: str) -> Response:
    return attachment(csv_bytes(header, rows), CSV_TYPE, filename)


def write_cell(sheet: Worksheet, row: int, column: int, value: Any) -> Cell:
    """Set one XLSX cell: openpyxl stores a string starting with `=` as a formula, so texts are
    neutralised first and always land as string cells."""
    return sheet.cell(row=row, column=column, value=neutralise(value))


def append_row(sheet: Worksheet, values: Sequence[Any]) -> None:
    sheet.append([neutralise(value) for value in values])


def xlsx_bytes(workbook: Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def text_width(text: str) -> int:
    """A text's width in the units of a column's width: a wide or full-width character (kanji,
    kana, full-width forms) takes two, any other one."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def line_count(value: Any, width: float, font_size: float = DEFAULT_FONT_SIZE) -> int:
    """How many lines a value takes in a wrapping cell `width` units wide, wrapped as a
    spreadsheet wraps it: Japanese between any two characters, English between words (a word
    longer than the cell breaks where it must); each of the value's own lines on its own. Whole
    characters per line matter in a narrow column: one 7 wide holds two kanji a line, not 2.85."""
    room = max((width - 1) * USABLE_SHARE * DEFAULT_FONT_SIZE / font_size, 1.0)
    lines = 0
    for text in str("" if value is None else value).split("\n"):
        lines += 1
        used = 0
        for token in WRAP_TOKEN.findall(text):
            size = text_width(token)
            if used + size <= room or (token.isspace() and used):
                used += size
            elif token.isspace():
                continue  # a space at the start of a wrapped line takes no room
            elif size <= room:
                lines, used = lines + 1, size
            else:
                # A word wider than the cell: its pieces fill whole lines.
                extra, used = divmod(used + size, room)
                lines += int(extra)
    return max(lines, 1)


def width_for(units: float) -> int:
    """The column width that holds a text `units` wide (text_width) on one line."""
    return math.ceil(units / USABLE_SHARE) + 1


def column_width(sheet: Worksheet, column: int) -> float:
    dimension = sheet.column_dimensions.get(get_column_letter(column))
    # openpyxl reports 13 for a column never given a width; the file then has none and the
    # spreadsheet's default (8.43 characters) applies.
    return dimension.width if dimension is not None and dimension.customWidth else 8.43


def fit_row_heights(sheet: Worksheet, first_row: int = 1) -> None:
    """Give every row from `first_row` the height its wrapped text needs. A cell merged across
    columns wraps within their summed width; a cell merged down several rows (a recommendation
    over its initiatives) needs the rows' heights together, and what they lack is shared among
    them."""
    merged_at = {(r.min_row, r.min_col): r for r in sheet.merged_cells.ranges}
    widths = {c: column_width(sheet, c) for c in range(1, sheet.max_column + 1)}
    needed = dict.fromkeys(range(first_row, sheet.max_row + 1), DEFAULT_ROW_HEIGHT)
    spans: list[tuple[int, int, float]] = []
    for row in sheet.iter_rows(min_row=first_row):
        for cell in row:
            if cell.value is None or isinstance(cell, MergedCell):
                continue  # empty, or covered by a merged range (its top-left cell counts)
            area = merged_at.get((cell.row, cell.column))
            last_col = area.max_col if area else cell.column
            width = sum(widths[c] for c in range(cell.column, last_col + 1))
            size = float(cell.font.sz or DEFAULT_FONT_SIZE)
            lines = line_count(cell.value, width, size) if cell.alignment.wrap_text else 1
            height = lines * LINE_HEIGHT * size / DEFAULT_FONT_SIZE + ROW_PADDING
            if area is not None and area.max_row > area.min_row:
                spans.append((area.min_row, area.max_row, height))
            else:
                needed[cell.row] = max(needed[cell.row], height)
    for top, bottom, height in sorted(spans, key=lambda span: span[1] - span[0]):
        rows = range(top, bottom + 1)
        lacking = height - sum(needed[r] for r in rows)
        if lacking > 0:
            for r in rows:
                needed[r] += lacking / len(rows)
    for number, height in needed.items():
        sheet.row_dimensions[number].height = round(height, 1)


def print_layout(sheet: Worksheet, title_rows: str, running_head: str | None = None) -> None:
    """Page set-up for printing: A4 landscape, scaled to one page wide and as many pages tall as
    it takes, the header rows (`title_rows`, e.g. "1:1") repeated on every page, narrow margins
    and 「1 / 3」 page numbers in the footer. A `running_head` (the report's title, which its
    first page shows in the sheet) heads every page after the first, so that a loose page still
    says what it belongs to."""
    sheet.page_setup.orientation = sheet.ORIENTATION_LANDSCAPE
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.page_setup.fitToWidth = 1
    # 0 lets the rows run over as many pages as they need (only the width is fitted).
    sheet.page_setup.fitToHeight = 0
    sheet.print_title_rows = title_rows
    sheet.print_options.horizontalCentered = True
    sheet.page_margins = PageMargins(
        left=0.4, right=0.4, top=0.6, bottom=0.6, header=0.3, footer=0.3
    )
    sheet.oddFooter.center.text = "&P / &N"
    if running_head:
        sheet.HeaderFooter.differentFirst = True
        sheet.firstFooter.center.text = "&P / &N"
        # & starts a code in a header (&P, &N); a literal one is doubled.
        sheet.oddHeader.right.text = running_head.replace("&", "&&")
        sheet.oddHeader.right.size = 9


def keep_rows_together(
    sheet: Worksheet, blocks: Sequence[tuple[int, int]], repeated_row: int
) -> None:
    """Put a page break before each block of rows (first, last) that would otherwise start on
    one page and end on the next, so that a heading stays with its rows and a merged cell is
    not cut by a page end. The pages are estimated as the spreadsheet will lay them out: the
    sheet scaled to one page wide, `repeated_row` (the column headings) printed on every page
    below what comes before it on the first. A block taller than a page runs on from where it
    starts."""
    width = sum(column_width(sheet, c) for c in range(1, sheet.max_column + 1))
    scale = min(1.0, PRINTABLE_WIDTH / (width * POINTS_PER_WIDTH_UNIT))
    # A little to spare: a spreadsheet rounds its scale down to a whole percent.
    page = PRINTABLE_HEIGHT / scale * 0.97

    def height(first: int, last: int) -> float:
        return sum(
            sheet.row_dimensions[r].height or DEFAULT_ROW_HEIGHT for r in range(first, last + 1)
        )

    repeated = height(repeated_row, repeated_row)
    used = height(1, repeated_row)
    for first, last in blocks:
        needed = height(first, last)
        if used + needed > page and used > repeated:
            sheet.row_breaks.append(Break(id=first - 1))
            used = repeated
        used += needed
        while used > page:
            used -= page - repeated


def fit_column_widths(
    sheet: Worksheet, header_row: int = 1, header_lines: int = 6, widest: int = 30
) -> None:
    """Each column as wide as its longest value (up to `widest`, beyond which it wraps), and
    at least wide enough for its header in `header_lines` lines: a column of small numbers
    under a long header stays narrow and the header wraps. An English header's longest word
    fits on a line (bold, a tenth wider), so that it is not broken mid-word; Japanese wraps
    between any two characters."""
    for column in range(1, sheet.max_column + 1):
        header = str(sheet.cell(row=header_row, column=column).value or "")
        values = (
            sheet.cell(row=r, column=column).value for r in range(header_row + 1, sheet.max_row + 1)
        )
        content = max((text_width(str(v)) for v in values if v is not None), default=0)
        words = header.split() if " " in header else []
        heading = max(
            text_width(header) / header_lines,
            max((text_width(word) * 1.1 for word in words), default=0),
        )
        # Never narrower than three Japanese characters a line.
        width = width_for(max(content, heading, 6))
        sheet.column_dimensions[get_column_letter(column)].width = min(width, widest)


def xlsx_response(
    header: Sequence[Any], rows: Iterable[Sequence[Any]], filename: str, title: str
) -> Response:
    """One sheet of data: a header row kept in view while scrolling and repeated on every
    printed page, a filter on every column, columns as wide as their contents."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title[:31]
    append_row(sheet, header)
    for row in rows:
        append_row(sheet, row)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        cell.alignment = WRAP_TOP
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = WRAP_TOP
    fit_column_widths(sheet)
    fit_row_heights(sheet)
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions
    print_layout(sheet, "1:1")
    return xlsx_file(workbook, filename)


def xlsx_file(workbook: Workbook, filename: str) -> Response:
    return attachment(xlsx_bytes(workbook), XLSX_TYPE, filename)
