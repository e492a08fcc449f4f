"""Importing a survey sheet: each row becomes an identification through `Cases.identify`,
the API's own use case, acting as the uploading user, so every rule and permission the
API applies applies here.

Idempotent and resumable: each row is written with an idempotency key made of the file's
content hash and the row's number, saved in the same atomic append as the case. Importing
the same file again (after it succeeded, or after a crash halfway) finds the rows already
written and writes only the others. A dry run checks each row by the same rules
(`Cases.try_identify`) and writes nothing.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from shared.jurisdictions import divisions, in_scope, is_scope
from shared.roles import Capability

from ..access import Actor, ForbiddenError, require, require_in_scope
from ..application import AlreadyRegisteredError, Cases, IdempotencyKeyReusedError
from ..domain.errors import DomainError, InvalidValueError
from ..idempotency import IdempotencyKey
from .columns import COLUMNS, CellError, column_of, in_chinese, to_record
from .lookalikes import Lookalikes
from .sheets import Row, Sheet

# Whose idempotency keys the import's are. Not the uploader's: the same file imported by
# two people (a supervisor, then civil affairs) must still create each child once.
# Usernames made over the API cannot hold a colon, so no user's own keys collide.
KEY_OWNER = "survey:import"


@dataclass(frozen=True)
class Problem:
    """Why a row is refused, or what makes it a likely duplicate: where, and in Chinese."""

    column: str
    message: str

    def to_json(self) -> dict[str, str]:
        return {"column": self.column, "message": self.message}


@dataclass
class RowOutcome:
    """What happened to (or, in a dry run, would happen to) one row."""

    row: int
    outcome: str  # created | would_create | already_imported | refused
    case_id: str | None = None
    problems: list[Problem] = field(default_factory=list)
    duplicates: list[Problem] = field(default_factory=list)
    record: dict[str, Any] | None = field(default=None, repr=False)  # the identify body

    def to_json(self) -> dict[str, Any]:
        return {
            "row": self.row,
            "outcome": self.outcome,
            "case_id": self.case_id,
            "problems": [p.to_json() for p in self.problems],
            "likely_duplicates": [d.to_json() for d in self.duplicates],
        }


@dataclass
class ImportReport:
    """Every row's outcome, and the counts a one-line summary gives."""

    dry_run: bool
    content_hash: str
    rows: list[RowOutcome]
    skipped_empty: int

    def count(self, outcome: str) -> int:
        return sum(r.outcome == outcome for r in self.rows)

    def counts(self) -> dict[str, int]:
        counted = ("created", "would_create", "already_imported", "refused")
        return {o: self.count(o) for o in counted} | {
            "likely_duplicates": sum(bool(r.duplicates) for r in self.rows),
            "empty_rows_skipped": self.skipped_empty,
        }

    def summary(self) -> str:
        """One line, in the words of the people who run it."""
        c = self.counts()
        made = f"可新建 {c['would_create']} 行" if self.dry_run else f"新建 {c['created']} 行"
        return (
            f"{'试导入（未写入）' if self.dry_run else '导入完成'}：{made}，"
            f"已导入过 {c['already_imported']} 行，拒绝 {c['refused']} 行，"
            f"疑似重复 {c['likely_duplicates']} 行，空行 {c['empty_rows_skipped']} 行"
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "file_sha256": self.content_hash,
            "counts": self.counts(),
            "summary": self.summary(),
            "rows": [r.to_json() for r in self.rows],
        }


def import_survey(
    cases: Cases,
    actor: Actor,
    sheet: Sheet,
    *,
    scope: str | None = None,
    dry_run: bool = False,
    advance: Callable[[int], None] = lambda _: None,
    lookalikes: Lookalikes | None = None,
) -> ImportReport:
    """Imports (or, when `dry_run`, checks) every row of `sheet` into `scope` (the
    caller's whole scope when None; a narrower one refuses rows outside it).
    `lookalikes` (register/lookalikes.py) flags rows like children registered already."""
    # Who may import, before anything is read: supervisors and civil affairs.
    require(actor, Capability.IMPORT_SURVEY)
    scope = scope or actor.scope
    if not is_scope(scope):
        raise InvalidValueError(
            "Must be a jurisdiction code of 2, 4, 6, 9 or 12 digits.", field="scope"
        )
    require_in_scope(actor, scope, "scope")
    seen = _SeenRows()
    outcomes = []
    for row in sheet.rows:
        outcome = _import_row(cases, actor, sheet.content_hash, row, scope, dry_run, seen)
        if lookalikes and outcome.outcome in ("created", "would_create") and outcome.record:
            alike = [a for a in lookalikes(outcome.record) if a.case_id != outcome.case_id]
            outcome.duplicates += [Problem("姓名", a.in_chinese()) for a in alike]
            if outcome.outcome == "created" and outcome.case_id:
                # Flagged on the new case too (an event), for the supervisor's list.
                cases.flag_duplicates(
                    actor, UUID(outcome.case_id), {a.case_id: a.reasons for a in alike}
                )
        outcomes.append(outcome)
        advance(1)
    return ImportReport(dry_run, sheet.content_hash, outcomes, sheet.skipped_empty)


def _import_row(
    cases: Cases,
    actor: Actor,
    content_hash: str,
    row: Row,
    scope: str,
    dry_run: bool,
    seen: _SeenRows,
) -> RowOutcome:
    outcome = RowOutcome(row.number, "refused")
    outcome.problems = [Problem(h, "合并单元格：请取消合并，在每一行填写") for h in row.merged]
    values: dict[str, Any] = {}
    for column in COLUMNS:
        if column.header in row.merged:
            continue  # said once: merged
        try:
            values[column.path] = column.read(row.cells.get(column.header))
        except CellError as error:
            outcome.problems.append(Problem(column.header, str(error)))
    if outcome.problems:
        return outcome
    record, parents = to_record(values)
    outcome.record = record
    village = record["address"]["jurisdiction"]
    if not in_scope(village, scope):
        outcome.problems.append(Problem("村（社区）代码", f"不在本次导入的范围 {scope} 内"))
        return outcome
    outcome.duplicates, same_id = seen.check(row.number, record)
    if same_id:
        # The same child twice in one file: the first row counts, this one is refused.
        outcome.problems.append(same_id)
        return outcome
    key = _row_key(content_hash, row.number, record)
    try:
        if written := cases.written_with(key):
            outcome.outcome, outcome.case_id = "already_imported", str(written)
        elif dry_run:
            cases.try_identify(actor, record)
            outcome.outcome = "would_create"
        else:
            result = cases.identify(actor, record, key)
            created = "already_imported" if result.replayed else "created"
            outcome.outcome, outcome.case_id = created, str(result.case.id)
    except DomainError as error:
        header = column_of(error.field or "", parents)
        outcome.problems.append(Problem(header, in_chinese(str(error))))
    except AlreadyRegisteredError as error:
        outcome.problems.append(Problem("身份证号", _registered(error)))
    except ForbiddenError as error:
        outcome.problems.append(Problem("村（社区）代码", in_chinese(str(error))))
    except IdempotencyKeyReusedError:
        outcome.problems.append(Problem("", "该行与上次导入同一文件时不同：文件内容已变"))
    return outcome


def _registered(error: AlreadyRegisteredError) -> str:
    if error.in_view:
        return f"该身份证号已登记：案件 {error.case_id}"
    township = divisions().get(error.township)
    where = f"{township.name}（{error.township}）" if township else error.township
    return f"该身份证号已在{where}登记，请联系该乡镇儿童督导员"


def _row_key(content_hash: str, number: int, record: dict[str, Any]) -> IdempotencyKey:
    body = json.dumps(record, sort_keys=True, ensure_ascii=False).encode()
    return IdempotencyKey(KEY_OWNER, f"{content_hash}:{number}", hashlib.sha256(body).hexdigest())


class _SeenRows:
    """The rows met so far in the file, by ID number and by name and birth date."""

    def __init__(self) -> None:
        self.by_id: dict[str, int] = {}
        self.by_name: dict[tuple[str, str], int] = {}

    def check(self, number: int, record: dict[str, Any]) -> tuple[list[Problem], Problem | None]:
        child = record["child"]
        same_id = None
        id_number = child.get("id_number")
        if id_number:
            if id_number in self.by_id:
                same_id = Problem("身份证号", f"与第 {self.by_id[id_number]} 行的身份证号相同")
            self.by_id.setdefault(id_number, number)
        likely = []
        name_key = (str(child.get("name", "")).strip(), str(child.get("birth_date", "")))
        if name_key in self.by_name and same_id is None:
            likely.append(
                Problem("姓名", f"与第 {self.by_name[name_key]} 行姓名、出生日期相同，疑似重复")
            )
        self.by_name.setdefault(name_key, number)
        return likely, same_id
