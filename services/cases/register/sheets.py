"""Reading a survey spreadsheet (.xlsx or .csv) into rows of cells by header.

What makes the whole file unreadable (not a spreadsheet, wrong or missing columns, a
merged header) raises SheetError and nothing is imported; what spoils one row (a merged
cell across rows) is reported on that row. Empty rows are skipped.
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass, field
from typing import Any
from zipfile import BadZipFile

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from .columns import COLUMNS, EXPORT_ONLY, HEADERS

# The header is on the first row that names at least this many known columns (a title
# row such as "XX镇留守儿童摸底排查表" may come first).
_HEADER_SEARCH_ROWS = 10
_MIN_KNOWN_HEADERS = 3
_REQUIRED = tuple(c.header for c in COLUMNS if c.required)


class SheetError(ValueError):
    """The file cannot be imported at all (the reason in Chinese)."""


@dataclass(frozen=True)
class Row:
    """One data row: its number in the sheet (as Excel shows it) and its cells by header."""

    number: int
    cells: dict[str, Any]
    # Headers of the cells of this row that are part of a merged range: the value sits in
    # the range's first cell only, so the other rows would silently be blank.
    merged: tuple[str, ...] = ()


@dataclass(frozen=True)
class Sheet:
    """A survey sheet as read: its rows, and the hash of the file's bytes."""

    rows: list[Row]
    content_hash: str
    skipped_empty: int = 0
    columns: dict[str, str] = field(default_factory=dict)  # header → column letter


def read_sheet(content: bytes, filename: str) -> Sheet:
    """Reads `content` (an .xlsx or .csv file named `filename`)."""
    digest = hashlib.sha256(content).hexdigest()
    merged: dict[tuple[int, int], str] = {}
    if filename.lower().endswith(".csv"):
        grid = _csv_grid(content)
    elif filename.lower().endswith((".xlsx", ".xlsm")):
        grid, merged = _xlsx_grid(content)
    else:
        raise SheetError("只能导入 .xlsx 或 .csv 文件")
    header_index = _find_header(grid)
    headers = [_header(v) for v in grid[header_index]]
    if any((header_index + 1, col) in merged for col in range(1, len(headers) + 1)):
        raise SheetError("表头含有合并单元格：请取消合并，每列一个表头")
    _check_headers(headers)
    letters = {h: get_column_letter(i + 1) for i, h in enumerate(headers) if h}
    rows: list[Row] = []
    skipped = empty = 0
    for offset, values in enumerate(grid[header_index + 1 :]):
        number = header_index + 2 + offset
        cells = {h: values[i] if i < len(values) else None for i, h in enumerate(headers) if h}
        if all(_blank(c) for c in cells.values()):
            empty += 1
            continue
        skipped, empty = skipped + empty, 0  # only empty rows between rows count
        spoilt = tuple(h for i, h in enumerate(headers) if h and (number, i + 1) in merged)
        rows.append(Row(number, cells, spoilt))
    return Sheet(rows, digest, skipped, letters)


def _xlsx_grid(content: bytes) -> tuple[list[list[Any]], dict[tuple[int, int], str]]:
    try:
        # Not read-only: read-only sheets do not report merged cells.
        book = load_workbook(io.BytesIO(content), data_only=True)
    except (BadZipFile, KeyError, OSError, ValueError) as error:
        raise SheetError(f"不是可读的 .xlsx 文件（{type(error).__name__}）") from None
    sheet = book.worksheets[0]
    merged: dict[tuple[int, int], str] = {}
    for cells in sheet.merged_cells.ranges:
        for row in range(cells.min_row, cells.max_row + 1):
            for col in range(cells.min_col, cells.max_col + 1):
                merged[(row, col)] = cells.coord
    grid = [list(row) for row in sheet.iter_rows(values_only=True)]
    book.close()
    return grid, merged


def _csv_grid(content: bytes) -> list[list[Any]]:
    for encoding in ("utf-8-sig", "gb18030"):  # Excel in China saves CSV as GBK
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise SheetError("CSV 文件的编码无法识别（请用 UTF-8 或 GBK）")
    return [list(r) for r in csv.reader(io.StringIO(text))]


def _find_header(grid: list[list[Any]]) -> int:
    known = set(HEADERS)
    for index, values in enumerate(grid[:_HEADER_SEARCH_ROWS]):
        if sum(_header(v) in known for v in values) >= _MIN_KNOWN_HEADERS:
            return index
    raise SheetError(f"找不到表头：第一行应为模板的列名（{'、'.join(HEADERS[:4])}……）")


def _check_headers(headers: list[str]) -> None:
    named = [h for h in headers if h]
    ignored = {c.header for c in EXPORT_ONLY}
    unknown = [h for h in named if h not in HEADERS and h not in ignored]
    missing = [h for h in _REQUIRED if h not in named]
    twice = sorted({h for h in named if named.count(h) > 1})
    problems = []
    if missing:
        problems.append(f"缺少必填列：{'、'.join(missing)}")
    if unknown:
        problems.append(f"未知的列：{'、'.join(unknown)}")
    if twice:
        problems.append(f"重复的列：{'、'.join(twice)}")
    if problems:
        raise SheetError("；".join(problems) + "。请使用下载的模板")


def _header(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())
