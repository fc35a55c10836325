"""The report's own exports: the JSON rows and the annual report's XLSX. Every cell is written
through app.core.exports, the writer of every CSV and XLSX file."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from app.core.exports import (
    HEADER_FILL,
    WRAP_TOP,
    append_row,
    fit_row_heights,
    keep_rows_together,
    print_layout,
    text_width,
    width_for,
    write_cell,
    xlsx_file,
)

CATEGORY_FILL = PatternFill("solid", fgColor="F2F2F2")
# Ruled like the city's printed table; a sheet's gridlines are not printed.
THIN = Side(style="thin", color="808080")
GRID = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)


def json_response(header: list[str], rows: list[list[Any]], meta: dict[str, Any]) -> Response:
    """The report's rows keyed by the machine names of their columns (a program's keys do not
    change with the reader's language, as the CSV and XLSX headers do)."""
    return jsonify(meta=meta, rows=[dict(zip(header, row, strict=True)) for row in rows])


def annual_xlsx(
    report: Any, columns: list[str], title: str, sheet_name: str, achievements: Any, filename: str
) -> Response:
    """The annual response-status report with the table's own structure: category rows across
    the sheet, recommendation and policy cells merged over their initiatives, and one row per
    pairing of departments with their actions (Initiative.pairs; initiative 14 has two), the
    initiative and results cells merged over its pairs. Every row is as tall as its wrapped
    text, and the sheet prints on A4 landscape one page wide with the column headings on every
    page."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = sheet_name[:31]
    last = len(columns)
    title_cell = write_cell(sheet, 1, 1, title)
    title_cell.font = Font(bold=True, size=14)
    title_cell.alignment = Alignment(wrap_text=True, vertical="center")
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=last)
    append_row(sheet, columns)
    for cell in sheet[2]:
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        cell.alignment = WRAP_TOP
    row_number = 3

    def merge_down(column: int, first: int, last: int) -> None:
        if last > first:
            sheet.merge_cells(start_row=first, start_column=column, end_row=last, end_column=column)

    department_names: list[str] = []
    # Rows kept on one page: each recommendation with its initiatives, the first one of a
    # category with the category's heading.
    blocks: list[tuple[int, int]] = []
    for category in report.categories:
        heading_row = row_number
        heading = write_cell(sheet, row_number, 1, category.tr("name"))
        heading.font = Font(bold=True)
        heading.fill = CATEGORY_FILL
        sheet.merge_cells(start_row=row_number, start_column=1, end_row=row_number, end_column=last)
        row_number += 1
        for recommendation in category.recommendations:
            first_of_recommendation = row_number
            for item in report.rows_for(recommendation):
                initiative = item.initiative
                first_of_initiative = row_number
                for pair in initiative.pairs or [None]:
                    names = [d.tr("name") for d in pair.departments] if pair else []
                    department_names += names
                    values = [
                        f"{recommendation.circled_number} {recommendation.tr('text')}",
                        recommendation.tr("policy"),
                        f"{initiative.number} {initiative.tr('title')}",
                        "\n".join(names),
                        "\n".join(f"・{a.tr('text')}" for a in pair.actions) if pair else "",
                        "\n".join(achievements(item, report.kinds)),
                    ]
                    for column, value in enumerate(values, start=1):
                        write_cell(sheet, row_number, column, value).alignment = WRAP_TOP
                    row_number += 1
                for column in (3, 6):
                    merge_down(column, first_of_initiative, row_number - 1)
            for column in (1, 2):
                merge_down(column, first_of_recommendation, row_number - 1)
            blocks.append((heading_row or first_of_recommendation, row_number - 1))
            heading_row = 0
    # (エ) as wide as the longest department name, so that no name breaks inside (「市民協/働課」).
    longest = max((text_width(name) for name in department_names), default=12)
    departments = min(width_for(longest), 30)
    for column, width in enumerate((30, 30, 28, departments, 40, 40), start=1):
        sheet.column_dimensions[get_column_letter(column)].width = width
    for row in sheet.iter_rows(min_row=2, max_row=row_number - 1, max_col=last):
        for cell in row:
            cell.border = GRID
    fit_row_heights(sheet)
    sheet.freeze_panes = "A3"
    print_layout(sheet, "2:2", running_head=title)
    keep_rows_together(sheet, blocks, repeated_row=2)
    return xlsx_file(workbook, filename)
