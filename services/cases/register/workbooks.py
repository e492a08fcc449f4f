"""Writing the survey template and the register export as .xlsx, with the same columns."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from .columns import COLUMNS, Column

SHEET_TITLE = "摸底排查表"
_DATA_ROWS = 2000  # how far down the template's drop-down lists reach


def template_bytes() -> bytes:
    """The empty survey sheet: the header row, a drop-down list on every column with
    allowed values, ID numbers and codes formatted as text, and a sheet of instructions."""
    book = Workbook()
    sheet = book.active
    sheet.title = SHEET_TITLE
    _header(sheet, COLUMNS)
    for index, column in enumerate(COLUMNS, start=1):
        letter = get_column_letter(index)
        if column.choices:
            allowed = ",".join(column.choices)
            check = DataValidation(type="list", formula1=f'"{allowed}"', allow_blank=True)
            check.error = f"应为：{'、'.join(column.choices)}"
            sheet.add_data_validation(check)
            check.add(f"{letter}2:{letter}{_DATA_ROWS + 1}")
        dimension = sheet.column_dimensions[letter]
        if column.kind == "date":
            dimension.number_format = "yyyy-mm-dd"
        elif column.path.endswith(("id_number", "jurisdiction", "phone")):
            # Text, so Excel keeps an ID number's 18 digits and a code's leading zeros.
            dimension.number_format = "@"
    notes = book.create_sheet("填写说明")
    notes.append(["列名", "是否必填", "允许的值", "说明"])
    for cell in notes[1]:
        cell.font = Font(bold=True)
    for column in COLUMNS:
        notes.append(
            [
                column.header,
                "必填" if column.required else "",
                "、".join(column.choices),
                column.note or ("日期：年-月-日" if column.kind == "date" else ""),
            ]
        )
    notes.append([])
    notes.append(["父亲、母亲：填写状况的一方即列入；至少填写一方。空行会被跳过。"])
    return _bytes(book)


def register_bytes(columns: Sequence[Column], rows: Iterable[Sequence[Any]]) -> bytes:
    """The register as a sheet with the template's columns (those given) and one row per
    case; written row by row, so a large register is not held twice."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(SHEET_TITLE)
    sheet.append([c.header for c in columns])
    for row in rows:
        sheet.append(list(row))
    return _bytes(book)


def _header(sheet: Any, columns: Sequence[Column]) -> None:
    sheet.append([c.header for c in columns])
    for index, column in enumerate(columns, start=1):
        cell = sheet.cell(row=1, column=index)
        cell.font = Font(bold=True, color="C00000" if column.required else None)
        sheet.column_dimensions[get_column_letter(index)].width = max(
            10, 2 * len(column.header) + 4
        )
    sheet.freeze_panes = "A2"


def _bytes(book: Workbook) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
