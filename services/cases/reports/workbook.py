"""The report as an Excel workbook: one sheet per table, numbers stored as numbers."""

from __future__ import annotations

from io import BytesIO

from openpyxl import Workbook

from .content import Report

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def render(report: Report, missing_title: str) -> bytes:
    """The workbook's bytes."""
    book = Workbook()
    book.remove(book.active)
    for table in report.tables:
        sheet = book.create_sheet(table.title[:31])  # Excel's limit on sheet names
        sheet.append([report.title])
        sheet.append(table.headers)
        for row in table.rows:
            sheet.append(row)  # ints and floats stay numeric; None is an empty cell
        sheet.column_dimensions["A"].width = 28
    if report.missing:
        notes = book.create_sheet(missing_title[:31])
        for line in report.missing:
            notes.append([line])
    out = BytesIO()
    book.save(out)
    return out.getvalue()
