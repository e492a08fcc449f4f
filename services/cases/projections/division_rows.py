"""Rows of division names (code and name), as a deployment loads them, checked before any
is stored: `careledger divisions import FILE` reads them from a CSV file, the demo makes
its own. Pure: no database here (divisions.py stores them).

A code is a statistical division code (统计用区划代码): 12 digits, whose levels above the
village are padded with zeros (南昌县 is 360121000000), or the 2, 4, 6 or 9-digit prefix
the rest of CareLedger uses for a scope (360121). Both are stored as the prefix.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from shared.jurisdictions import SCOPE_LENGTHS

MAX_NAME_LENGTH = 100


@dataclass(frozen=True)
class DivisionRow:
    """One row as given: its row number (the line in the file), and its code and name."""

    row: int
    code: str
    name: str


@dataclass(frozen=True)
class DivisionName:
    """One checked division: its scope code (2, 4, 6, 9 or 12 digits) and its name."""

    code: str
    name: str

    @property
    def parent(self) -> str:
        """The code one level up ('' for a province)."""
        index = SCOPE_LENGTHS.index(len(self.code))
        return self.code[: SCOPE_LENGTHS[index - 1]] if index else ""


@dataclass(frozen=True)
class RowProblem:
    """Why one row was refused."""

    row: int
    reason: str

    def __str__(self) -> str:
        return f"row {self.row}: {self.reason}"


class DivisionsRefusedError(ValueError):
    """Raised when any row of a set of divisions is bad; none of them is stored then."""

    def __init__(self, problems: list[RowProblem]) -> None:
        super().__init__("; ".join(map(str, problems)))
        self.problems = problems


def scope_code(code: str) -> str | None:
    """The scope prefix of a division code (360121000000 → 360121), or None when `code`
    is no division code: not 2, 4, 6, 9 or 12 digits, or a level of zeros above one that
    is not."""
    if not (code.isascii() and code.isdigit()) or len(code) not in SCOPE_LENGTHS:
        return None
    # The padding: the shortest prefix after which only zeros follow.
    length = next(n for n in SCOPE_LENGTHS if n == len(code) or not code[n:].strip("0"))
    code = code[:length]
    levels = [code[a:b] for a, b in zip((0, *SCOPE_LENGTHS), SCOPE_LENGTHS, strict=False)]
    if any(not level.strip("0") for level in levels if level):
        return None
    return code


def check_rows(rows: Iterable[DivisionRow]) -> list[DivisionName]:
    """The divisions of `rows`, in their order, once each. Raises DivisionsRefusedError
    naming every bad row (a bad code, no name, one code given two names)."""
    checked: dict[str, DivisionName] = {}
    first_row: dict[str, int] = {}
    problems: list[RowProblem] = []
    for row in rows:
        reason, division = _check(row)
        if division is not None:
            earlier = checked.get(division.code)
            if earlier is None:
                checked[division.code] = division
                first_row[division.code] = row.row
                continue
            if earlier.name == division.name:
                continue  # the same division twice says nothing new
            reason = (
                f"code {division.code} was given the name {earlier.name!r} "
                f"on row {first_row[division.code]}"
            )
        problems.append(RowProblem(row.row, reason))
    if problems:
        raise DivisionsRefusedError(problems)
    return list(checked.values())


def _check(row: DivisionRow) -> tuple[str, DivisionName | None]:
    code, name = row.code.strip(), row.name.strip()
    if not code:
        return "no code", None
    scope = scope_code(code)
    if scope is None:
        return (
            f"code {code!r} is not a division code "
            "(12 digits, or a prefix of 2, 4, 6 or 9 digits, with no level of zeros "
            "above a level that has a number)"
        ), None
    if not name:
        return f"code {code} has no name", None
    if len(name) > MAX_NAME_LENGTH or not name.isprintable():
        return f"code {code} has a name longer than {MAX_NAME_LENGTH} or not on one line", None
    return "", DivisionName(scope, name)


def read_csv(path: Path) -> list[DivisionRow]:
    """The rows of a CSV file of divisions, UTF-8 (a byte-order mark is fine). The header
    names a `code` and a `name` column (others are ignored, such as the shipped file's
    `level`); a file whose first cell is a number has no header: code, then name. Raises
    DivisionsRefusedError when the file cannot be read as such."""
    try:
        text = path.read_text("utf-8-sig")
    except UnicodeDecodeError:
        raise DivisionsRefusedError([RowProblem(1, "the file is not UTF-8 text")]) from None
    reader = csv.reader(text.splitlines())
    header = next(reader, None)
    if header is None:
        raise DivisionsRefusedError([RowProblem(1, "the file is empty")])
    rows: list[DivisionRow] = []
    if header and header[0].strip().isdigit():
        code_at, name_at = 0, 1
        rows.append(_row(1, header, code_at, name_at))
    else:
        columns = [cell.strip().lower() for cell in header]
        if "code" not in columns or "name" not in columns:
            raise DivisionsRefusedError(
                [RowProblem(1, "the header names no `code` and `name` columns")]
            )
        code_at, name_at = columns.index("code"), columns.index("name")
    rows += [_row(reader.line_num, cells, code_at, name_at) for cells in reader if any(cells)]
    if not rows:
        raise DivisionsRefusedError([RowProblem(1, "the file holds no division")])
    return rows


def _row(number: int, cells: list[str], code_at: int, name_at: int) -> DivisionRow:
    def cell(at: int) -> str:
        return cells[at] if at < len(cells) else ""

    return DivisionRow(number, cell(code_at), cell(name_at))
