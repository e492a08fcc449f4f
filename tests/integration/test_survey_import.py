"""The survey import (摸底排查表) through the same use case as the API: dry runs, real
runs that are idempotent and resumable, and every bad path of issue 11."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import pytest

from services.cases.access import Actor, ForbiddenError
from services.cases.bootstrap import CaseService
from services.cases.register.lookalikes import register_lookalikes
from services.cases.register.sheets import SheetError, read_sheet
from services.cases.register.survey import ImportReport, import_survey
from shared.roles import Role
from tests.integration.survey_support import (
    csv_bytes,
    id_number,
    survey_row,
    wrong_check_digit,
    xlsx,
)
from tests.support import COUNTY, OTHER_VILLAGE, TOWNSHIP, VILLAGE, caught_up

SUPERVISOR = Actor("supervisor", Role.CHILD_SUPERVISOR, TOWNSHIP, "test-import")


def run(
    service: CaseService, content: bytes, *, dry_run: bool = False, name: str = "s.xlsx", **kw: Any
) -> ImportReport:
    return import_survey(
        service.cases, kw.pop("actor", SUPERVISOR), read_sheet(content, name), dry_run=dry_run, **kw
    )


def head(service: CaseService) -> int:
    return service.cases.recorder.max_notification_id() or 0


def problems(report: ImportReport, row: int) -> list[tuple[str, str]]:
    (found,) = [r for r in report.rows if r.row == row]
    return [(p.column, p.message) for p in found.problems]


def test_a_dry_run_reports_each_row_and_writes_nothing(service: CaseService) -> None:
    content = xlsx(
        [
            survey_row(身份证号=id_number(1)),
            survey_row(姓名="李四", 性别="不详"),
            survey_row(姓名="张三", 父亲状况="在家", 母亲状况="在家"),
            None,  # an empty row, skipped
            survey_row(姓名="赵五", 出生日期="2015/3/2"),
        ]
    )
    before = head(service)

    report = run(service, content, dry_run=True)

    assert head(service) == before
    assert [r.outcome for r in report.rows] == [
        "would_create",
        "refused",
        "refused",
        "would_create",
    ]
    assert problems(report, 3) == [("性别", "「不详」不是允许的值，应为：女、男")]
    assert problems(report, 4) == [("父亲状况/母亲状况", "父母均未外出务工，不属于留守儿童")]
    assert report.counts()["empty_rows_skipped"] == 1
    assert report.summary().startswith("试导入（未写入）：可新建 2 行")


def test_a_real_run_creates_each_row_through_identify_as_the_uploader(
    service: CaseService,
) -> None:
    report = run(service, xlsx([survey_row(), survey_row(姓名="李四")]))

    assert [r.outcome for r in report.rows] == ["created", "created"]
    case = service.cases.find_case(__import__("uuid").UUID(report.rows[0].case_id))
    assert case is not None
    assert case.record["child"]["name"] == "王小明"
    assert case.record["child"]["school"] == {
        "name": "前坊小学",
        "grade": "3",
        "status": "enrolled",
    }
    assert case.record["parents"][0]["relation"] == "father"
    assert case.guardian["relation"] == "祖母"
    assert case.identified_by["username"] == "supervisor"


def test_importing_the_same_file_twice_creates_nothing_the_second_time(
    service: CaseService,
) -> None:
    content = xlsx([survey_row(), survey_row(姓名="李四")])
    first = run(service, content)
    after_first = head(service)

    # Another user with the right to import brings the same file: still nothing new.
    civil = Actor("civil", Role.CIVIL_AFFAIRS, COUNTY, "test-import-2")
    second = run(service, content, actor=civil)

    assert head(service) == after_first
    assert [r.outcome for r in second.rows] == ["already_imported", "already_imported"]
    assert [r.case_id for r in second.rows] == [r.case_id for r in first.rows]
    assert run(service, content, dry_run=True).count("already_imported") == 2


def test_an_import_cut_short_resumes_where_it_stopped(service: CaseService) -> None:
    content = xlsx([survey_row(姓名=f"王{n}") for n in "一二三四"])
    done = []

    def crash_after_two(n: int) -> None:
        done.append(n)
        if len(done) == 2:
            raise KeyboardInterrupt  # the process dies after writing two rows

    with pytest.raises(KeyboardInterrupt):
        import_survey(
            service.cases, SUPERVISOR, read_sheet(content, "s.xlsx"), advance=crash_after_two
        )
    resumed = run(service, content)

    assert [r.outcome for r in resumed.rows] == [
        "already_imported",
        "already_imported",
        "created",
        "created",
    ]


def test_wrong_columns_refuse_the_whole_file(service: CaseService) -> None:
    headers = ["姓名", "性别", "生日", "村（社区）代码", "详细地址", "监护类型", "摸底日期"]

    with pytest.raises(SheetError) as refused:
        read_sheet(xlsx([{"姓名": "王小明"}], headers=headers), "s.xlsx")

    assert "缺少必填列：出生日期" in str(refused.value)
    assert "未知的列：生日" in str(refused.value)


def test_a_sheet_without_a_header_is_refused(service: CaseService) -> None:
    with pytest.raises(SheetError, match="找不到表头"):
        read_sheet(xlsx([survey_row()], headers=["a", "b", "c"]), "s.xlsx")


def test_a_title_row_above_the_header_is_read_past(service: CaseService) -> None:
    report = run(service, xlsx([survey_row()], title="前坊村留守儿童摸底排查表"), dry_run=True)

    assert [(r.row, r.outcome) for r in report.rows] == [(3, "would_create")]


def test_a_cell_merged_across_rows_refuses_those_rows(service: CaseService) -> None:
    # 详细地址 is column L; rows 2 and 3 share one merged address cell.
    content = xlsx(
        [survey_row(), survey_row(姓名="李四"), survey_row(姓名="赵五")], merge=["L2:L3"]
    )

    report = run(service, content, dry_run=True)

    assert [r.outcome for r in report.rows] == ["refused", "refused", "would_create"]
    assert problems(report, 3) == [("详细地址", "合并单元格：请取消合并，在每一行填写")]


def test_a_merged_header_refuses_the_file(service: CaseService) -> None:
    with pytest.raises(SheetError, match="表头含有合并单元格"):
        read_sheet(xlsx([survey_row()], merge=["A1:B1"]), "s.xlsx")


@pytest.mark.parametrize(
    ("cell", "stored"),
    [
        ("2015-03-02", "2015-03-02"),
        ("2015/3/2", "2015-03-02"),
        ("2015年3月2日", "2015-03-02"),
        ("20150302", "2015-03-02"),
        (42065, "2015-03-02"),  # the Excel serial number of 2015-03-02
        ("42065", "2015-03-02"),  # the same, as text (a CSV saved from Excel)
    ],
)
def test_dates_as_text_or_excel_serial_numbers_are_read(
    service: CaseService, cell: Any, stored: str
) -> None:
    report = run(service, xlsx([survey_row(出生日期=cell)]))

    case = service.cases.find_case(__import__("uuid").UUID(report.rows[0].case_id))
    assert case is not None and case.record["child"]["birth_date"] == stored


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        ("03/02/2015", "「03/02/2015」不是日期，请写作 年-月-日（如 2015-03-08）"),
        ("2015-02-30", "「2015-02-30」不是存在的日期"),
        ("去年三月", "「去年三月」不是日期，请写作 年-月-日（如 2015-03-08）"),
        (42065.5, "42065.5 不是日期（也不是 Excel 日期序号）"),
        ("2027-01-01", "日期不能晚于今天"),
    ],
)
def test_unreadable_dates_are_refused_with_row_and_column(
    service: CaseService, cell: Any, message: str
) -> None:
    report = run(service, xlsx([survey_row(出生日期=cell)]), dry_run=True)

    assert problems(report, 2) == [("出生日期", message)]


def test_an_id_number_with_a_wrong_check_digit_is_refused_by_the_domain(
    service: CaseService,
) -> None:
    content = xlsx([survey_row(身份证号=wrong_check_digit(id_number(7)))])

    report = run(service, content)

    assert problems(report, 2) == [("身份证号", "身份证号无效（须 18 位且校验位正确）")]
    assert report.count("created") == 0


def test_an_id_number_stored_as_a_number_is_refused(service: CaseService) -> None:
    report = run(service, xlsx([survey_row(身份证号=360124201503020011)]), dry_run=True)

    assert problems(report, 2) == [
        ("身份证号", "身份证号被存为数字，末几位已丢失：请把该列设为文本后重新填写")
    ]


def test_the_same_id_number_twice_in_a_file_counts_once(service: CaseService) -> None:
    same = id_number(3)
    content = xlsx(
        [survey_row(身份证号=same), survey_row(姓名="李四", 身份证号=same), survey_row()]
    )

    report = run(service, content)

    assert [r.outcome for r in report.rows] == ["created", "refused", "created"]
    assert problems(report, 3) == [("身份证号", "与第 2 行的身份证号相同")]
    # The third row has the first one's name and birth date: flagged, not refused.
    assert [d.message for d in report.rows[2].duplicates] == [
        "与第 2 行姓名、出生日期相同，疑似重复"
    ]


def test_rows_outside_the_scope_are_refused(service: CaseService) -> None:
    content = xlsx([survey_row(), survey_row(**{"村（社区）代码": OTHER_VILLAGE})])

    report = run(service, content, scope=VILLAGE, dry_run=True)

    assert [r.outcome for r in report.rows] == ["would_create", "refused"]
    assert problems(report, 3) == [("村（社区）代码", f"不在本次导入的范围 {VILLAGE} 内")]


def test_without_a_scope_the_uploaders_own_is_the_import_scope(service: CaseService) -> None:
    report = run(service, xlsx([survey_row(**{"村（社区）代码": "360121100201"})]), dry_run=True)

    assert problems(report, 2) == [("村（社区）代码", f"不在本次导入的范围 {TOWNSHIP} 内")]


def test_child_directors_and_departments_may_not_import(service: CaseService) -> None:
    director = Actor("director", Role.CHILD_DIRECTOR, VILLAGE, "t")
    education = Actor("education", Role.EDUCATION, COUNTY, "t")
    for actor in (director, education):
        with pytest.raises(ForbiddenError):
            run(service, xlsx([survey_row()]), actor=actor, dry_run=True)


def test_a_scope_wider_than_the_uploaders_is_refused(service: CaseService) -> None:
    with pytest.raises(ForbiddenError):
        run(service, xlsx([survey_row()]), scope=COUNTY, dry_run=True)


def test_every_refusal_of_a_row_is_listed_with_its_column(service: CaseService) -> None:
    row = survey_row(性别="?", 监护能力="很好", 摸底日期=None)

    report = run(service, xlsx([row]), dry_run=True)

    assert [c for c, _ in problems(report, 2)] == ["性别", "监护能力", "摸底日期"]
    assert problems(report, 2)[2] == ("摸底日期", "必填，不能为空")


def test_a_guardian_without_a_name_is_refused_by_the_domain_rule(service: CaseService) -> None:
    report = run(service, xlsx([survey_row(监护人姓名=None)]), dry_run=True)

    assert problems(report, 2) == [("监护人姓名", "监护类型不是“无”时必填")]


def test_a_bad_phone_is_named_by_its_parents_column(service: CaseService) -> None:
    report = run(service, xlsx([survey_row(母亲电话="12", 父亲状况=None)]), dry_run=True)

    # Only the mother is listed (the father's status is blank): parents.0 is the mother.
    assert problems(report, 2) == [("母亲电话", "电话号码无效")]


def test_csv_files_in_utf8_or_gbk_are_read(service: CaseService) -> None:
    for encoding in ("utf-8-sig", "gb18030"):
        content = csv_bytes([survey_row(姓名=f"王{encoding[:3]}")], encoding=encoding)
        report = run(service, content, name="s.csv", dry_run=True)
        assert [r.outcome for r in report.rows] == ["would_create"]


def test_a_file_that_is_not_a_spreadsheet_is_refused(service: CaseService) -> None:
    with pytest.raises(SheetError):
        read_sheet(b"PK\x03\x04 not really", "s.xlsx")
    with pytest.raises(SheetError, match="只能导入"):
        read_sheet(b"x", "s.pdf")


def test_a_row_like_a_registered_child_is_flagged_and_still_imported(
    service: CaseService,
) -> None:
    # 王小明 born 2015-03-02 is registered; the sheet spells him 王晓明 (read the same).
    registered = run(service, xlsx([survey_row()])).rows[0].case_id
    caught_up(service)
    content = xlsx(
        [
            survey_row(姓名="王晓明"),
            survey_row(姓名="王晓明", 出生日期="2015-03-03"),  # another birthday
            survey_row(姓名="汪小敏", 父亲电话="13500135000"),  # another name, other parents
        ]
    )
    lookalikes = register_lookalikes(service.read_models)

    report = run(service, content, lookalikes=lookalikes)

    assert [r.outcome for r in report.rows] == ["created", "created", "created"]
    assert [[d.message for d in r.duplicates] for r in report.rows] == [
        # the sheet's rows give the same father's phone, too
        [f"与已登记的案件 {registered} 姓名读音相同、出生日期相同、父母电话相同，疑似重复"],
        [],
        [],
    ]
    # Flagged on the new case too, as an event naming the other case (no names).
    flags = [
        (getattr(e, "other_case_id"), getattr(e, "reasons"))  # noqa: B009 (an event's fields)
        for r in report.rows
        for e in service.cases.history(SUPERVISOR, UUID(str(r.case_id))).events
        if type(e).__name__ == "DuplicateSuspected"
    ]
    assert flags == [(str(registered), ["name_reading", "birth_date", "same_parents"])]


@pytest.mark.parametrize("code", ["360124", "36012410520", "3601241052031", "36012410520X"])
def test_a_village_code_that_is_not_twelve_digits_is_refused(
    service: CaseService, code: str
) -> None:
    report = run(
        service,
        xlsx([survey_row(**{"村（社区）代码": code})]),
        scope=TOWNSHIP[:6],
        actor=Actor("civil", Role.CIVIL_AFFAIRS, COUNTY, "t"),
        dry_run=True,
    )

    assert problems(report, 2) == [("村（社区）代码", f"「{code}」不是 12 位的村（社区）区划代码")]


def test_a_village_code_typed_as_a_number_is_read(service: CaseService) -> None:
    report = run(service, xlsx([survey_row(**{"村（社区）代码": int(VILLAGE)})]), dry_run=True)

    assert [r.outcome for r in report.rows] == ["would_create"]
