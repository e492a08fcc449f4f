"""Listing and searching cases by reading aggregates.

A stop-gap until the read models land: which cases sit in which village is followed
incrementally from the notification log (identifications and transfers only), and the
cases in the caller's scope are then loaded to filter them. Fine for a county's worth
of cases; the dashboard read models replace it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from threading import Lock
from typing import Any
from uuid import UUID

from eventsourcing.utils import get_topic

from shared.roles import Capability, Role

from .access import Actor, may_see, require
from .application import Cases
from .domain import Case

_TOPICS = (get_topic(Case.Identified), get_topic(Case.Transferred))  # type: ignore[attr-defined]
_PAGE = 1000


@dataclass(frozen=True)
class CaseFilter:
    """The list filters of api.md; None means "any"."""

    jurisdiction: str | None = None
    status: str | None = None
    risk_level: str | None = None
    guardian_type: str | None = None
    overdue: bool | None = None
    q: str | None = None


@dataclass(frozen=True)
class CasePage:
    """One page of matching cases, newest identification first."""

    cases: list[Case]
    total: int
    page: int
    per_page: int


class CaseListing:
    """Lists the cases a caller may see, filtered and paginated."""

    def __init__(self, cases: Cases) -> None:
        self.cases = cases
        self._lock = Lock()
        self._position = 0
        self._village_of: dict[UUID, str] = {}  # in identification order

    def list(self, actor: Actor, filters: CaseFilter, page: int, per_page: int,
             today: date) -> CasePage:
        """The page-th page of the caller's cases that match every filter."""
        require(actor, Capability.READ_CASE)
        prefix = filters.jurisdiction or actor.scope
        candidates = [case_id for case_id, village in reversed(self._villages().items())
                      if village.startswith(prefix) and village.startswith(actor.scope)]
        start = (page - 1) * per_page
        if not _needs_state(actor, filters):
            # Scope alone decides: load only the page asked for.
            page_cases = [c for c in map(self.cases.find_case,
                                         candidates[start:start + per_page]) if c is not None]
            return CasePage(page_cases, len(candidates), page, per_page)
        matching = []
        for case_id in candidates:
            case = self.cases.find_case(case_id)
            if case is not None and may_see(actor, case) and _matches(case, filters, today):
                matching.append(case)
        return CasePage(matching[start:start + per_page], len(matching), page, per_page)

    def _villages(self) -> dict[UUID, str]:
        with self._lock:
            recorder = self.cases.recorder
            while batch := recorder.select_notifications(
                    self._position, _PAGE, topics=_TOPICS, inclusive_of_start=False):
                for notification in batch:
                    event: Any = self.cases.mapper.to_domain_event(notification)
                    if isinstance(event, Case.Identified):  # type: ignore[attr-defined]
                        village = event.record["address"]["jurisdiction"]
                    else:
                        village = event.jurisdiction
                    self._village_of[event.originator_id] = village
                self._position = batch[-1].id
            return dict(self._village_of)


def _needs_state(actor: Actor, f: CaseFilter) -> bool:
    # The police see only cases with a mandatory report, which only the case itself tells.
    return actor.role is Role.POLICE or any(
        value is not None for value in (f.status, f.risk_level, f.guardian_type, f.overdue, f.q))


def _matches(case: Case, f: CaseFilter, today: date) -> bool:
    if f.status is not None and case.status != f.status:
        return False
    if f.risk_level is not None and case.risk_level != f.risk_level:
        return False
    if f.guardian_type is not None and case.guardian_type != f.guardian_type:
        return False
    if f.overdue is not None:
        overdue = case.status == "active" and case.next_visit_due < today.isoformat()
        if overdue != f.overdue:
            return False
    if f.q:
        needle = f.q.strip().lower()
        child = case.child
        if needle not in str(child["name"]).lower() and needle != str(
                child.get("id_number") or "").lower():
            return False
    return True
