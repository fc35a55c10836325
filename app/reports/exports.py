"""Exports: CSV (UTF-8 with a BOM, so Excel opens Japanese correctly), XLSX and JSON."""

from __future__ import annotations

import csv
import io
from typing import Any

from flask import Response, jsonify
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _attachment(data: bytes, mimetype: str, filename: str) -> Response:
    response = Response(data, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def csv_response(header: list[str], rows: list[list[Any]], filename: str) -> Response:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return _attachment(
        ("\ufeff" + buffer.getvalue()).encode("utf-8"), "text/csv; charset=utf-8", filename
    )


def xlsx_response(header: list[str], rows: list[list[Any]], filename: str, title: str) -> Response:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title[:31]
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(row)
    sheet.freeze_panes = "A2"
    return _save(workbook, filename)


def json_response(header: list[str], rows: list[list[Any]], meta: dict[str, Any]) -> Response:
    return jsonify(meta=meta, rows=[dict(zip(header, row, strict=True)) for row in rows])


def _save(workbook: Workbook, filename: str) -> Response:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return _attachment(buffer.getvalue(), XLSX_TYPE, filename)


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
    sheet.append([title])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=6)
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append(columns)
    for cell in sheet[2]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="E8F1FE")
    wrap = Alignment(wrap_text=True, vertical="top")
    row_number = 3

    def merge_down(column: int, first: int, last: int) -> None:
        if last > first:
            sheet.merge_cells(start_row=first, start_column=column, end_row=last, end_column=column)

    for category in report.categories:
        sheet.cell(row=row_number, column=1, value=category.tr("name")).font = Font(bold=True)
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
                        sheet.cell(row=row_number, column=column, value=value).alignment = wrap
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
    return _save(workbook, filename)
