"""`careledger import survey|template` and `careledger export register`, run as the
command line runs them (settings from the environment, a named user)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from services.cli import main
from tests.integration.survey_support import id_number, survey_row, wrong_check_digit, xlsx
from tests.support import TOWNSHIP, VILLAGE


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("CARELEDGER_DATA_DIR", str(tmp_path / "var"))
    cli = CliRunner()
    for username, role, scope in (
        ("sup", "child_supervisor", TOWNSHIP),
        ("dir", "child_director", VILLAGE),
        ("edu", "education", TOWNSHIP[:6]),
    ):
        added = cli.invoke(
            main,
            ["users", "add", username, "--role", role, "--scope", scope, "--password-stdin"],
            input="a long enough password\n",
        )
        assert added.exit_code == 0, added.output
    return cli


def test_import_then_import_again_then_export(runner: CliRunner, tmp_path: Path) -> None:
    sheet = tmp_path / "survey.xlsx"
    sheet.write_bytes(xlsx([survey_row(身份证号=id_number(5)), survey_row(姓名="李四"), None]))
    args = ["import", "survey", str(sheet), "--scope", TOWNSHIP, "--as", "sup"]

    checked = runner.invoke(main, [*args, "--dry-run"])
    first = runner.invoke(main, args)
    second = runner.invoke(main, args)

    assert checked.exit_code == 0, checked.output
    assert "试导入（未写入）：可新建 2 行" in checked.output
    assert "导入完成：新建 2 行，已导入过 0 行，拒绝 0 行，疑似重复 0 行，空行 0 行" in first.output
    assert "导入完成：新建 0 行，已导入过 2 行" in second.output

    out = tmp_path / "register.xlsx"
    exported = runner.invoke(
        main, ["export", "register", str(out), "--scope", TOWNSHIP, "--as", "sup"]
    )
    assert exported.exit_code == 0, exported.output
    rows = list(load_workbook(out).worksheets[0].iter_rows(values_only=True))
    assert rows[0][:4] == ("案件编号", "案件状态", "姓名", "性别")
    assert sorted(r[2] for r in rows[1:]) == ["李四", "王小明"]
    assert id_number(5) in [r[5] for r in rows[1:]]


def test_refused_rows_are_listed_and_the_command_fails(runner: CliRunner, tmp_path: Path) -> None:
    sheet = tmp_path / "survey.xlsx"
    sheet.write_bytes(xlsx([survey_row(身份证号=wrong_check_digit(id_number(1)))]))

    result = runner.invoke(
        main, ["import", "survey", str(sheet), "--scope", TOWNSHIP, "--as", "sup"]
    )

    assert result.exit_code == 1
    assert "第 2 行「身份证号」：身份证号无效（须 18 位且校验位正确）" in result.output
    assert "拒绝 1 行" in result.output


def test_the_command_acts_within_the_named_users_rights(runner: CliRunner, tmp_path: Path) -> None:
    sheet = tmp_path / "survey.xlsx"
    sheet.write_bytes(xlsx([survey_row()]))

    as_director = runner.invoke(
        main, ["import", "survey", str(sheet), "--scope", VILLAGE, "--as", "dir"]
    )
    as_nobody = runner.invoke(
        main, ["import", "survey", str(sheet), "--scope", VILLAGE, "--as", "nobody"]
    )

    assert as_director.exit_code != 0 and "may not import survey" in as_director.output
    assert as_nobody.exit_code != 0 and "no user called 'nobody'" in as_nobody.output


def test_a_sheet_with_wrong_columns_stops_before_anything(
    runner: CliRunner, tmp_path: Path
) -> None:
    sheet = tmp_path / "survey.xlsx"
    sheet.write_bytes(xlsx([{"姓名": "王"}], headers=["姓名", "性别", "监护类型", "备注"]))

    result = runner.invoke(
        main, ["import", "survey", str(sheet), "--scope", TOWNSHIP, "--as", "sup"]
    )

    assert result.exit_code == 1
    assert "缺少必填列" in result.output and "未知的列：备注" in result.output


def test_the_template_is_written(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "template.xlsx"

    result = runner.invoke(main, ["import", "template", str(out)])

    assert result.exit_code == 0
    assert load_workbook(out).worksheets[0]["A1"].value == "姓名"


def test_a_scope_that_is_not_a_jurisdiction_code_is_refused(
    runner: CliRunner, tmp_path: Path
) -> None:
    sheet = tmp_path / "survey.xlsx"
    sheet.write_bytes(xlsx([survey_row()]))

    result = runner.invoke(
        main, ["import", "survey", str(sheet), "--scope", TOWNSHIP + "2", "--as", "sup"]
    )

    assert result.exit_code == 1
    assert "scope: Must be a jurisdiction code of 2, 4, 6, 9 or 12 digits." in result.output
