"""The survey spreadsheet's columns (摸底排查表): their Chinese headers, the field of the
identify body each one fills, and the words allowed in each.

One table for the importer, the template and the export, so the three always agree. A
cell is turned into the value the API takes (a vocabulary term, a YYYY-MM-DD date, a
flag); the rules themselves (lengths, ID numbers' check digits, eligibility) stay with
the domain, which the importer reaches through the same use case as the API.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import shared.vocabulary as v
from shared.jurisdictions import is_village_code


class CellError(ValueError):
    """A cell that cannot be read as its column's kind of value (the reason in Chinese)."""


def _labels(terms: tuple[str, ...], words: tuple[str, ...]) -> dict[str, str]:
    assert len(terms) == len(words)
    return dict(zip(words, terms, strict=True))


SEX = _labels(v.SEXES, ("女", "男"))
YES_NO = {"是": True, "否": False}
SCHOOL_STATUS = _labels(v.SCHOOL_STATUSES, ("在校", "辍学", "未入学"))
PARENT_STATUS = _labels(
    v.PARENT_STATUSES, ("外出务工", "在家", "死亡", "下落不明", "服刑", "无监护能力")
)
GUARDIAN_TYPE = _labels(v.GUARDIAN_TYPES, ("父母", "祖父母", "其他亲属", "受委托人", "机构", "无"))
CAPACITY = _labels(v.CAPACITIES, ("有", "有限", "无"))
SOURCE = _labels(v.SOURCES, ("摸底排查", "学校", "公安", "热线", "本人报告", "其他"))


@dataclass(frozen=True)
class Column:
    """One column: its header, the dotted path in the identify body it fills (`parents`
    paths name the relation, `parents.father.status`), and how a cell is read."""

    header: str
    path: str
    kind: str = "text"  # text, date, id_number, village, choice, flag
    choices: dict[str, Any] = field(default_factory=dict)
    required: bool = False
    note: str = ""

    def read(self, value: Any) -> Any:
        """The cell as the API's value, or None when it is empty; raises CellError."""
        if value is None or (isinstance(value, str) and not value.strip()):
            if self.required:
                raise CellError("必填，不能为空")
            return None
        if self.kind == "date":
            return read_date(value)
        if self.kind == "id_number":
            return read_id_number(value)
        text = _as_text(value)
        if self.kind == "village" and not is_village_code(text):
            # The API's schema checks this before the domain (which takes any code).
            raise CellError(f"「{text}」不是 12 位的村（社区）区划代码")
        if self.choices:
            if text not in self.choices:
                raise CellError(f"「{text}」不是允许的值，应为：{'、'.join(self.choices)}")
            return self.choices[text]
        return text


COLUMNS: tuple[Column, ...] = (
    Column("姓名", "child.name", required=True),
    Column("性别", "child.sex", "choice", SEX, required=True),
    Column("出生日期", "child.birth_date", "date", required=True, note="如 2015-03-08"),
    Column("身份证号", "child.id_number", "id_number", note="18 位，请设为文本格式"),
    Column("户籍已登记", "child.hukou_registered", "flag", YES_NO, note="空白视为“是”"),
    Column("就学状态", "child.school.status", "choice", SCHOOL_STATUS),
    Column("学校", "child.school.name"),
    Column("年级", "child.school.grade"),
    Column("健康状况", "child.health"),
    Column("残疾情况", "child.disability"),
    Column(
        "村（社区）代码", "address.jurisdiction", "village", required=True, note="12 位区划代码"
    ),
    Column("详细地址", "address.detail", required=True),
    Column("父亲状况", "parents.father.status", "choice", PARENT_STATUS),
    Column("父亲务工地", "parents.father.work_location"),
    Column("父亲电话", "parents.father.phone"),
    Column("母亲状况", "parents.mother.status", "choice", PARENT_STATUS),
    Column("母亲务工地", "parents.mother.work_location"),
    Column("母亲电话", "parents.mother.phone"),
    Column("监护类型", "guardian.type", "choice", GUARDIAN_TYPE, required=True),
    Column("监护人姓名", "guardian.name"),
    Column("监护人关系", "guardian.relation", note="如 祖母"),
    Column("监护人电话", "guardian.phone"),
    Column("监护能力", "guardian.capacity", "choice", CAPACITY),
    Column("来源", "source", "choice", SOURCE, note="空白视为“摸底排查”"),
    Column("摸底日期", "identified_on", "date", required=True, note="如 2026-03-01"),
)
HEADERS = tuple(c.header for c in COLUMNS)
# Two columns the export adds to the template's: which case a row is, and whether it is
# open. The importer reads past them, so an exported sheet can be checked by a dry run.
EXPORT_ONLY = (
    Column("案件编号", "id"),
    Column("案件状态", "status", "choice", {"在册": "active", "已结案": "closed"}),
)
_BY_PATH = {c.path: c for c in COLUMNS}


def column_of(path: str, parents: list[str]) -> str:
    """The header of the column a domain error's field (`parents.1.phone`) came from;
    `parents` lists the relations in the order the record holds them."""
    parts = path.split(".")
    if parts[0] == "parents":
        if len(parts) < 2 or not parts[1].isdigit():
            return "父亲状况/母亲状况"
        index = int(parts[1])
        relation = parents[index] if index < len(parents) else "father"
        parts = ["parents", relation, *(parts[2:] or ["status"])]
    while parts:
        found = _BY_PATH.get(".".join(parts))
        if found:
            return found.header
        parts.pop()
    return path


def to_record(values: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The identify body a row's read values (path → value) make, and the relations of
    its parents in the order they are listed."""
    record: dict[str, Any] = {"child": {}, "address": {}, "guardian": {}}
    parents: dict[str, dict[str, Any]] = {}
    for path, value in values.items():
        head, *rest = path.split(".")
        if head == "parents":
            relation, key = rest
            if value is not None:
                parents.setdefault(relation, {"relation": relation})[key] = value
            continue
        if value is None:
            continue
        node = record
        for part in [head, *rest][:-1]:
            node = node.setdefault(part, {})
        node[[head, *rest][-1]] = value
    if "school" in record["child"] and "status" not in record["child"]["school"]:
        record["child"]["school"]["status"] = None  # named, so the domain says it is missing
    record.setdefault("source", "survey")
    # A parent is listed when his or her status is given; a phone alone is not a parent.
    listed = [p for p in parents.values() if "status" in p]
    record["parents"] = listed
    return record, [p["relation"] for p in listed]


# ---- cells --------------------------------------------------------------------------------

# Excel counts days from 1899-12-30 (its 1900 leap-year bug included); serials in this
# range are dates from 1900 to 2100.
_EXCEL_EPOCH = date(1899, 12, 30)
_SERIALS = range(1, 73051)
_TEXT_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
_COMPACT_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")


def read_date(value: Any) -> str:
    """A date cell as YYYY-MM-DD: a real date, an Excel serial number (a date column that
    lost its format), or text written year first (2015-03-08, 2015/3/8, 2015年3月8日,
    20150308). Anything else is refused: 03/08/2015 could be March or August."""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        raise CellError("不是日期")
    if isinstance(value, int | float):
        if value != int(value) or int(value) not in _SERIALS:
            raise CellError(f"{value} 不是日期（也不是 Excel 日期序号）")
        return (_EXCEL_EPOCH + timedelta(days=int(value))).isoformat()
    text = _as_text(value)
    if text.isdigit() and not _COMPACT_DATE.match(text) and int(text) in _SERIALS:
        return (_EXCEL_EPOCH + timedelta(days=int(text))).isoformat()
    match = _TEXT_DATE.match(text) or _COMPACT_DATE.match(text)
    if not match:
        raise CellError(f"「{text}」不是日期，请写作 年-月-日（如 2015-03-08）")
    try:
        return date(*(int(g) for g in match.groups())).isoformat()
    except ValueError:
        raise CellError(f"「{text}」不是存在的日期") from None


def read_id_number(value: Any) -> str:
    """An ID number cell as text. A number is refused: Excel keeps 15 significant digits,
    so an 18-digit number stored as a number has already lost its last ones."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise CellError("身份证号被存为数字，末几位已丢失：请把该列设为文本后重新填写")
    return _as_text(value).upper()


def _as_text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a phone or a code typed into a number cell
    return str(value).strip()


# ---- the domain's words, in Chinese ---------------------------------------------------------

_MESSAGES = (
    (re.compile(r"^Missing data for required field\.$"), "必填，不能为空"),
    (re.compile(r"^Field may not be null\.$"), "必填，不能为空"),
    (
        re.compile(r"^Not a valid 18-character resident ID number\.$"),
        "身份证号无效（须 18 位且校验位正确）",
    ),
    (re.compile(r"^Not a valid phone number\.$"), "电话号码无效"),
    (re.compile(r"^Length must be between 1 and 2\.$"), "至少填写父亲或母亲一方的状况"),
    (re.compile(r"^Length must be between 1 and (\d+)\.$"), "长度不能超过 {0} 个字"),
    (re.compile(r"^Must not be blank\.$"), "不能为空"),
    (re.compile(r"^Must not contain control"), "含有控制字符或不可见的格式字符"),
    (re.compile(r"^Required unless the type is none\.$"), "监护类型不是“无”时必填"),
    (re.compile(r"^Each parent may be listed once\.$"), "父母每人只能填一次"),
    (re.compile(r"is after today$"), "日期不能晚于今天"),
    (re.compile(r"^the birth date is after the identification"), "出生日期晚于摸底日期"),
    (re.compile(r"^the child was already (\d+) on"), "儿童在摸底日期已满 {0} 周岁，不属于留守儿童"),
    (re.compile(r"^neither parent works away"), "父母均未外出务工，不属于留守儿童"),
    (
        re.compile(r"^one parent works away but the other"),
        "一方外出务工、另一方在家且有监护能力，不属于留守儿童",
    ),
    (re.compile(r"is outside your scope"), "村（社区）代码不在您的管辖范围内"),
    (re.compile(r"^the role \S+ may not"), "您的角色不能登记儿童"),
)


def in_chinese(message: str) -> str:
    """The domain's refusal in the words a township's staff read; unknown ones as given."""
    for pattern, words in _MESSAGES:
        match = pattern.search(message)
        if match:
            return words.format(*match.groups())
    return message
