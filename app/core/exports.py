"""The one writer of every CSV and XLSX file Sankaku serves (reports, open data, staff lists).

Texts in these files are written by staff and read by spreadsheets, which run a cell that starts
with `=`, `+`, `-` or `@` (or a tab or carriage return before one) as a formula: a title such as
`=HYPERLINK("http://x","y")` would become a live link or worse on the reader's machine. Every
cell therefore passes through `neutralise` (OWASP's rule for CSV injection); numbers stay numbers.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

from flask import Response
from openpyxl import Workbook
from openpyxl.cell import Cell
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE = "text/csv; charset=utf-8"
# https://owasp.org/www-community/attacks/CSV_Injection
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


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


def xlsx_response(
    header: Sequence[Any], rows: Iterable[Sequence[Any]], filename: str, title: str
) -> Response:
    """One sheet: a bold header row kept in view, then the rows."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title[:31]
    append_row(sheet, header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        append_row(sheet, row)
    sheet.freeze_panes = "A2"
    return xlsx_file(workbook, filename)


def xlsx_file(workbook: Workbook, filename: str) -> Response:
    return attachment(xlsx_bytes(workbook), XLSX_TYPE, filename)
