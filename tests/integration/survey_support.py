"""Survey sheets for the import tests: a valid row in the template's words, and the sheet
written as .xlsx (with openpyxl, as a township's Excel would) or .csv."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

from openpyxl import Workbook

from services.cases.register.columns import HEADERS
from tests.support import VILLAGE

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def id_number(serial: int, birth: str = "20150302") -> str:
    """An 18-character ID number with a right check digit (GB 11643)."""
    body = f"360124{birth}{serial % 1000:03d}"
    total = sum(int(d) * w for d, w in zip(body, _WEIGHTS, strict=True))
    return body + "10X98765432"[total % 11]


def wrong_check_digit(number: str) -> str:
    """The same number with another check digit."""
    return number[:17] + ("1" if number[17] != "1" else "2")


def survey_row(**cells: Any) -> dict[str, Any]:
    """A valid row (header → cell), with cells replaced."""
    row: dict[str, Any] = {
        "姓名": "王小明",
        "性别": "女",
        "出生日期": "2015-03-02",
        "身份证号": None,
        "户籍已登记": "是",
        "就学状态": "在校",
        "学校": "前坊小学",
        "年级": "3",
        "村（社区）代码": VILLAGE,
        "详细地址": "前坊村三组12号",
        "父亲状况": "外出务工",
        "父亲务工地": "广东省东莞市",
        "父亲电话": "13800138000",
        "母亲状况": "外出务工",
        "监护类型": "祖父母",
        "监护人姓名": "李秀英",
        "监护人关系": "祖母",
        "监护人电话": "13900139000",
        "监护能力": "有",
        "来源": "摸底排查",
        "摸底日期": "2026-03-01",
    }
    row.update(cells)
    return row


def xlsx(
    rows: Sequence[dict[str, Any] | None],
    headers: Sequence[str] = HEADERS,
    merge: Sequence[str] = (),
    title: str | None = None,
) -> bytes:
    """The rows as an .xlsx sheet under `headers` (None: an empty row), with the cell
    ranges of `merge` merged and an optional title row above the header."""
    book = Workbook()
    sheet = book.active
    if title:
        sheet.append([title])
    sheet.append(list(headers))
    for row in rows:
        sheet.append([None if row is None else row.get(h) for h in headers])
    for cells in merge:
        sheet.merge_cells(cells)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_bytes(rows: Sequence[dict[str, Any]], encoding: str = "utf-8-sig") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADERS)
    for row in rows:
        writer.writerow(["" if row.get(h) is None else row.get(h) for h in HEADERS])
    return out.getvalue().encode(encoding)
