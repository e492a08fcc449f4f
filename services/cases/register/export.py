"""Exporting the register in scope to a spreadsheet with the survey template's columns.

Each case is read as the API reads it (`Cases.get_case`, the caller's access checked) and
shown through the caller's field-level view (`shared/field_views.py`, by the presenter
the caller hands in), so a role finds in the export only what it may see in the API:
a column the role may not see is left out, a masked value stays masked. Every case
exported is written to the access log as a read, with the purpose `export`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from shared import field_views
from shared.jurisdictions import is_scope
from shared.roles import Capability

from ..access import Actor, require, require_in_scope
from ..access_log import AccessEntry, AccessLog
from ..application import Cases
from ..domain import Case, InvalidValueError
from ..projections.queries import CaseFilter
from ..projections.read_models import ReadModels
from .columns import COLUMNS, EXPORT_ONLY, Column
from .workbooks import register_bytes

_PAGE = 500


@dataclass(frozen=True)
class Export:
    """The spreadsheet, and how many cases it holds."""

    content: bytes
    cases: int
    behind: bool  # the read models had not caught up with the log when it was listed


def export_register(
    cases: Cases,
    read_models: ReadModels,
    access_log: AccessLog,
    actor: Actor,
    view: Callable[[Case], dict[str, Any]],
    *,
    scope: str | None = None,
    min_position: int | None = None,
    progress: Progress | None = None,
) -> Export:
    """The register of `scope` (the caller's whole scope when None) as an .xlsx."""
    require(actor, Capability.READ_CASE)
    scope = scope or actor.scope
    if not is_scope(scope):
        raise InvalidValueError(
            "Must be a jurisdiction code of 2, 4, 6, 9 or 12 digits.", field="scope"
        )
    require_in_scope(actor, scope, "scope")
    ids, behind = _case_ids(read_models, actor, scope, cases, min_position)
    columns = visible_columns(actor)

    def rows(advance: Callable[[int], None]) -> Iterator[list[Any]]:
        reads: list[AccessEntry] = []
        for case_id in ids:
            case = cases.get_case(actor, UUID(case_id))
            reads.append(_read(actor, case, cases))
            yield cells(columns, view(case))
            advance(1)
            if len(reads) == _PAGE:  # one write to the access log per page of cases
                access_log.record(reads)
                reads = []
        access_log.record(reads)

    with (progress or _no_progress)(len(ids)) as advance:
        content = register_bytes(columns, rows(advance))
    return Export(content, len(ids), behind)


# Given the number of cases, a context yielding `advance(n)` (shared/progress.py).
Progress = Callable[[int], AbstractContextManager[Callable[[int], None]]]


@contextmanager
def _no_progress(_total: int) -> Iterator[Callable[[int], None]]:
    yield lambda _: None


def visible_columns(actor: Actor) -> list[Column]:
    """The template's columns the caller's role may see, and the case's id and status."""
    return [*EXPORT_ONLY] + [
        c
        for c in COLUMNS
        if field_views.visibility(actor.role, _view_path(c.path))
        is not field_views.Visibility.ABSENT
    ]


def cells(columns: list[Column], case: dict[str, Any]) -> list[Any]:
    """One row: each column's value in the case as shown, in the template's words."""
    words = {c.path: {term: label for label, term in c.choices.items()} for c in columns}
    row = []
    for column in columns:
        value = _value(case, column.path)
        row.append(words[column.path].get(value, value) if isinstance(value, str | bool) else value)
    return row


def _value(case: dict[str, Any], path: str) -> Any:
    head, *rest = path.split(".")
    if head == "parents":
        relation, key = rest
        parents: list[dict[str, Any]] = case.get("parents", [])
        parent = next((p for p in parents if p.get("relation") == relation), {})
        return parent.get(key)
    node: Any = case
    for part in path.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    return node


def _view_path(path: str) -> str:
    """The field's path as field_views names it: parents are a list there."""
    parts = path.split(".")
    return ".".join(["parents", "*", parts[2]]) if parts[0] == "parents" else path


def _case_ids(
    read_models: ReadModels, actor: Actor, scope: str, cases: Cases, min_position: int | None
) -> tuple[list[str], bool]:
    ids: list[str] = []
    seen: set[str] = set()
    behind = False
    page = 1
    while True:
        served = read_models.list_cases(
            actor,
            CaseFilter(jurisdiction=scope),
            page=page,
            per_page=_PAGE,
            today=cases.clock.today(),
            min_position=min_position,
        )
        behind = behind or served.behind
        for row in served.value.items:
            if row.id not in seen:  # a case identified meanwhile shifts the pages
                seen.add(row.id)
                ids.append(row.id)
        if page * _PAGE >= served.value.total or not served.value.items:
            return ids, behind
        page += 1


def _read(actor: Actor, case: Case, cases: Cases) -> AccessEntry:
    return AccessEntry(
        cases.clock.now(),
        actor.username,
        str(actor.role),
        str(case.id),
        case.jurisdiction,
        "export",
        actor.request_id,
    )
