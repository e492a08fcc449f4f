"""Division rows are checked before any is stored: statistical codes become scope
prefixes, and every bad row is named with its row number and the reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.cases.projections.division_rows import (
    DivisionName,
    DivisionRow,
    DivisionsRefusedError,
    check_rows,
    read_csv,
    scope_code,
)


@pytest.mark.parametrize(
    ("code", "scope"),
    [
        ("360000000000", "36"),  # 江西省, as the statistical files pad it
        ("360100000000", "3601"),
        ("360124000000", "360124"),
        ("360124105000", "360124105"),
        ("360124105203", "360124105203"),  # a village is never padded
        ("360000", "36"),  # the six-digit administrative codes pad too
        ("360100", "3601"),
        ("36", "36"),
        ("3601", "3601"),
        ("360124105", "360124105"),
        ("3601241", None),  # seven digits: no level ends there
        ("36012410520", None),
        ("3601x4", None),
        ("３６", None),  # full-width digits
        ("00", None),
        ("000000000000", None),
        ("360021100000", None),  # a county under city 00
        ("360124000203", None),  # a village under township 000
    ],
)
def test_a_code_is_stored_as_its_scope_prefix_or_refused(code: str, scope: str | None) -> None:
    assert scope_code(code) == scope


def test_the_parent_of_a_division_is_the_code_one_level_up() -> None:
    assert [DivisionName(c, "x").parent for c in ("36", "3601", "360124105203")] == [
        "",
        "36",
        "360124105",
    ]


def test_every_bad_row_is_named_with_its_number_and_reason() -> None:
    rows = [
        DivisionRow(2, "360124000000", "进贤县"),
        DivisionRow(3, "3601x", "南昌市"),
        DivisionRow(4, "360124105203", "  "),
        DivisionRow(5, "", "无码村"),
        DivisionRow(6, "360124", "别的名字"),
        DivisionRow(7, "360124", "进贤县"),  # the same name again is no problem
        DivisionRow(8, "360124105204", "村" * 101),
    ]

    with pytest.raises(DivisionsRefusedError) as refused:
        check_rows(rows)

    assert [str(p) for p in refused.value.problems] == [
        "row 3: code '3601x' is not a division code (12 digits, or a prefix of 2, 4, 6 or 9 "
        "digits, with no level of zeros above a level that has a number)",
        "row 4: code 360124105203 has no name",
        "row 5: no code",
        "row 6: code 360124 was given the name '进贤县' on row 2",
        "row 8: code 360124105204 has a name longer than 100 or not on one line",
    ]


def test_good_rows_come_back_once_each_in_their_order_with_names_trimmed() -> None:
    rows = [DivisionRow(1, " 360124 ", " 进贤县 "), DivisionRow(2, "36", "江西省")]
    rows.append(DivisionRow(3, "360124000000", "进贤县"))

    assert check_rows(rows) == [DivisionName("360124", "进贤县"), DivisionName("36", "江西省")]


def write(tmp_path: Path, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / "divisions.csv"
    path.write_bytes(text.encode(encoding))
    return path


def test_a_csv_names_its_columns_in_a_header_and_rows_are_numbered_by_line(
    tmp_path: Path,
) -> None:
    path = write(tmp_path, "\ufeffname,level,code\n进贤县,county,360124\n\n张公镇,,360124105\n")

    assert read_csv(path) == [
        DivisionRow(2, "360124", "进贤县"),
        DivisionRow(4, "360124105", "张公镇"),
    ]


def test_a_csv_whose_first_cell_is_a_number_has_no_header(tmp_path: Path) -> None:
    path = write(tmp_path, "360124000000,进贤县\n360124105000,张公镇\n")

    assert read_csv(path) == [
        DivisionRow(1, "360124000000", "进贤县"),
        DivisionRow(2, "360124105000", "张公镇"),
    ]


@pytest.mark.parametrize(
    ("text", "encoding", "reason"),
    [
        ("", "utf-8", "row 1: the file is empty"),
        ("code,name\n", "utf-8", "row 1: the file holds no division"),
        (
            "代码,名称\n360124,进贤县\n",
            "utf-8",
            "row 1: the header names no `code` and `name` columns",
        ),
        ("code,name\n360124,进贤县\n", "gbk", "row 1: the file is not UTF-8 text"),
    ],
)
def test_a_file_that_is_not_a_csv_of_divisions_is_refused(
    tmp_path: Path, text: str, encoding: str, reason: str
) -> None:
    with pytest.raises(DivisionsRefusedError) as refused:
        read_csv(write(tmp_path, text, encoding))

    assert [str(p) for p in refused.value.problems] == [reason]
