"""The report's own exports: the JSON rows and the annual report's XLSX. Every cell is written
through app.core.exports, the writer of every CSV and XLSX file."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from app.core.exports import append_row, write_cell, xlsx_file


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
    initiative and results cells merged over its pairs."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = sheet_name[:31]
    append_row(sheet, [title])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=6)
    sheet["A1"].font = Font(bold=True, size=14)
    append_row(sheet, columns)
    for cell in sheet[2]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="E8F1FE")
    wrap = Alignment(wrap_text=True, vertical="top")
    row_number = 3

    def merge_down(column: int, first: int, last: int) -> None:
        if last > first:
            sheet.merge_cells(start_row=first, start_column=column, end_row=last, end_column=column)

    for category in report.categories:
        write_cell(sheet, row_number, 1, category.tr("name")).font = Font(bold=True)
        sheet.merge_cells(start_row=row_number, start_column=1, end_row=row_number, end_column=6)
        row_number += 1
        for recommendation in category.recommendations:
            first_of_recommendation = row_number
            for item in report.rows_for(recommendation):
                initiative = item.initiative
                first_of_initiative = row_number
                for pair in initiative.pairs or [None]:
                    values = [
                        f"{recommendation.circled_number} {recommendation.tr('text')}",
                        recommendation.tr("policy"),
                        f"{initiative.number} {initiative.tr('title')}",
                        "\n".join(d.tr("name") for d in pair.departments) if pair else "",
                        "\n".join(f"・{a.tr('text')}" for a in pair.actions) if pair else "",
                        "\n".join(achievements(item, report.kinds)),
                    ]
                    for column, value in enumerate(values, start=1):
                        write_cell(sheet, row_number, column, value).alignment = wrap
                    row_number += 1
                for column in (3, 6):
                    merge_down(column, first_of_initiative, row_number - 1)
            for column in (1, 2):
                merge_down(column, first_of_recommendation, row_number - 1)
    for column, width in enumerate((30, 30, 28, 16, 40, 40), start=1):
        sheet.column_dimensions[get_column_letter(column)].width = width
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.print_title_rows = "2:2"
    return xlsx_file(workbook, filename)
