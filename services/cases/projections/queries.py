"""Listing cases and the worklists, from the case rows (never from the aggregates).

Scopes are code prefixes, read as ranges (`jurisdiction >= '3601' AND < '3601:'`, since
':' sorts right after '9'), so the (jurisdiction, …) indexes serve every level alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from shared.overdue import is_overdue, overdue_before
from shared.vocabulary import POLICE_CASE_KINDS

from .personal import PersonalData
from .tx import Tx


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
class CaseRow:
    """One case as lists and worklists show it; `id` and `jurisdiction` for the access log."""

    id: str
    jurisdiction: str
    view: dict[str, Any]


@dataclass(frozen=True)
class WorkItem:
    """One line of a worklist: the case, the intervention it is about (if any), and how
    many days it is overdue (if it is about a due date)."""

    case: CaseRow
    intervention: dict[str, Any] | None
    days_overdue: int | None

    @property
    def id(self) -> str:
        """The case id (what the access log records)."""
        return self.case.id

    @property
    def jurisdiction(self) -> str:
        """The case's village."""
        return self.case.jurisdiction


# The worklists' one ranking, most urgent first (product: a child with no guardian, then an
# immediate intervention, then high risk, then the longest overdue). `immediate` is the
# SQL that says the line is about an immediate intervention; `then` orders what is left
# (the due date, oldest first) and breaks ties.
def urgency_order(immediate: str, then: str) -> str:
    """The ORDER BY of a worklist over the case rows `c`."""
    return (
        "CASE WHEN c.guardian_type = 'none' THEN 0 ELSE 1 END, "
        f"CASE WHEN {immediate} THEN 0 ELSE 1 END, "
        "CASE WHEN c.risk_level = 'high' THEN 0 ELSE 1 END, "
        f"{then}"
    )


# A case with an open immediate intervention (for worklists of cases, not of interventions).
_HAS_IMMEDIATE = (
    "EXISTS (SELECT 1 FROM {interventions} ix WHERE ix.case_id = c.case_id "
    "AND ix.status = 'open' AND ix.urgency = 'immediate')"
)


def scope_range(prefix: str) -> tuple[str, str]:
    """The code range of a prefix."""
    return prefix, prefix + ":"


class CaseQueries:
    """The case list and the worklists."""

    def __init__(self, personal: PersonalData) -> None:
        self.personal = personal

    def list_cases(
        self,
        tx: Tx,
        prefix: str,
        f: CaseFilter,
        *,
        reported_only: bool,
        today: date,
        page: int,
        per_page: int,
    ) -> tuple[list[CaseRow], int]:
        """A page of the cases under `prefix` matching every filter, newest first."""
        where, params = ["c.jurisdiction >= ?", "c.jurisdiction < ?"], [*scope_range(prefix)]
        for column, value in (
            ("status", f.status),
            ("risk_level", f.risk_level),
            ("guardian_type", f.guardian_type),
        ):
            if value is not None:
                where.append(f"c.{column} = ?")
                params.append(value)
        overdue = "(c.status = 'active' AND c.next_visit_due < ?)"
        if f.overdue is not None:
            where.append(overdue if f.overdue else f"NOT {overdue}")
            params.append(overdue_before(today))
        if reported_only:  # the police: the cases handed to them (Case.holds_police_work)
            kinds = ", ".join(f"'{k}'" for k in POLICE_CASE_KINDS)
            where.append(
                f"EXISTS (SELECT 1 FROM {{interventions}} pi WHERE pi.case_id = c.case_id "
                f"AND pi.kind IN ({kinds}))"
            )
        if f.q:
            tokens = self.personal.query_tokens(f.q)
            marks = ", ".join("?" * len(tokens))
            where.append(f"c.case_id IN (SELECT case_id FROM {{search}} WHERE token IN ({marks}))")
            params += tokens
        clause = " AND ".join(where)
        total = int(tx.value(f"SELECT COUNT(*) FROM {{cases}} c WHERE {clause}", params))
        rows = tx.rows(
            f"SELECT c.* FROM {{cases}} c WHERE {clause} ORDER BY c.position DESC LIMIT ? OFFSET ?",
            [*params, per_page, (page - 1) * per_page],
        )
        return [self.row(r, today) for r in rows], total

    def overdue_visits(
        self,
        tx: Tx,
        prefix: str,
        today: date,
        page: int,
        per_page: int,
        assignee: str | None = None,
    ) -> tuple[list[WorkItem], int]:
        """Active cases whose next visit is overdue, the most urgent first."""
        where = (
            "c.status = 'active' AND c.jurisdiction >= ? AND c.jurisdiction < ? "
            "AND c.next_visit_due < ?"
        )
        params: list[Any] = [*scope_range(prefix), overdue_before(today)]
        if assignee is not None:
            where += " AND c.assigned_to = ?"
            params.append(assignee)
        total = int(tx.value(f"SELECT COUNT(*) FROM {{cases}} c WHERE {where}", params))
        rows = tx.rows(
            f"SELECT c.* FROM {{cases}} c WHERE {where} "
            f"ORDER BY {urgency_order(_HAS_IMMEDIATE, 'c.next_visit_due, c.position DESC')} "
            "LIMIT ? OFFSET ?",
            [*params, per_page, (page - 1) * per_page],
        )
        return [
            WorkItem(self.row(r, today), None, _days(r["next_visit_due"], today)) for r in rows
        ], total

    def no_guardian(
        self, tx: Tx, prefix: str, today: date, page: int, per_page: int
    ) -> tuple[list[WorkItem], int]:
        """Active cases with nobody looking after the child, the most urgent first (all
        lack a guardian; then immediate interventions, high risk, the longest without)."""
        where = (
            "c.guardian_type = 'none' AND c.status = 'active' "
            "AND c.jurisdiction >= ? AND c.jurisdiction < ?"
        )
        params = [*scope_range(prefix)]
        total = int(tx.value(f"SELECT COUNT(*) FROM {{cases}} c WHERE {where}", params))
        rows = tx.rows(
            f"SELECT c.* FROM {{cases}} c WHERE {where} "
            f"ORDER BY {urgency_order(_HAS_IMMEDIATE, 'c.guardian_since, c.position DESC')} "
            "LIMIT ? OFFSET ?",
            [*params, per_page, (page - 1) * per_page],
        )
        return [WorkItem(self.row(r, today), None, None) for r in rows], total

    def reviews(
        self, tx: Tx, prefix: str, today: date, page: int, per_page: int, status: str
    ) -> tuple[list[WorkItem], int]:
        """Cases whose review is `status` (pending: awaiting review; returned: for the
        director to correct), the longest waiting first."""
        where = "c.review_status = ? AND c.jurisdiction >= ? AND c.jurisdiction < ?"
        params = [status, *scope_range(prefix)]
        total = int(tx.value(f"SELECT COUNT(*) FROM {{cases}} c WHERE {where}", params))
        rows = tx.rows(
            f"SELECT c.* FROM {{cases}} c WHERE {where} "
            "ORDER BY c.review_since, c.position LIMIT ? OFFSET ?",
            [*params, per_page, (page - 1) * per_page],
        )
        return [WorkItem(self.row(r, today), None, None) for r in rows], total

    def likely_duplicates(
        self, tx: Tx, prefix: str, today: date, page: int, per_page: int
    ) -> tuple[list[WorkItem], int]:
        """Active cases holding an open likely-duplicate flag, the newest first (the
        flag is on the case identified second)."""
        where = (
            "c.duplicates_open <> '' AND c.status = 'active' "
            "AND c.jurisdiction >= ? AND c.jurisdiction < ?"
        )
        params = [*scope_range(prefix)]
        total = int(tx.value(f"SELECT COUNT(*) FROM {{cases}} c WHERE {where}", params))
        rows = tx.rows(
            f"SELECT c.* FROM {{cases}} c WHERE {where} ORDER BY c.position DESC LIMIT ? OFFSET ?",
            [*params, per_page, (page - 1) * per_page],
        )
        return [WorkItem(self.row(r, today), None, None) for r in rows], total

    def interventions(
        self,
        tx: Tx,
        prefix: str,
        today: date,
        page: int,
        per_page: int,
        *,
        mandatory_reports: bool,
        overdue_only: bool = True,
        department: str | None = None,
    ) -> tuple[list[WorkItem], int]:
        """Open mandatory reports, or open interventions (only the overdue ones unless
        `overdue_only` is false), of active cases, the most urgent first (the oldest
        report; the longest overdue, then the soonest due)."""
        where = (
            "i.status = 'open' AND i.case_active = 1 AND i.jurisdiction >= ? AND i.jurisdiction < ?"
        )
        params: list[Any] = [*scope_range(prefix)]
        if mandatory_reports:
            where += " AND i.kind = 'mandatory_report'"
            order = urgency_order("i.urgency = 'immediate'", "i.opened_on, i.intervention_id")
        else:
            if overdue_only:
                where += " AND i.due_by < ?"
                params.append(overdue_before(today))
            # An intervention with no due date comes after those with one.
            order = urgency_order(
                "i.urgency = 'immediate'",
                "CASE WHEN i.due_by IS NULL THEN 1 ELSE 0 END, i.due_by, i.intervention_id",
            )
        if department is not None:
            where += " AND i.department = ?"
            params.append(department)
        total = int(tx.value(f"SELECT COUNT(*) FROM {{interventions}} i WHERE {where}", params))
        rows = tx.rows(
            "SELECT i.intervention_id, i.kind, i.department, i.urgency, i.opened_on, i.due_by, "
            f"c.* FROM {{interventions}} i JOIN {{cases}} c ON c.case_id = i.case_id "
            f"WHERE {where} ORDER BY {order} LIMIT ? OFFSET ?",
            [*params, per_page, (page - 1) * per_page],
        )
        items = []
        for r in rows:
            intervention = {
                k: r[k]
                for k in ("intervention_id", "kind", "department", "urgency", "opened_on", "due_by")
            }
            late = _days(r["due_by"], today) if r["due_by"] else None
            items.append(
                WorkItem(
                    self.row(r, today),
                    intervention,
                    late if late is not None and late > 0 else None,
                )
            )
        return items, total

    def lookalike_candidates(
        self, tx: Tx, prefix: str, name: str, parent_phones: list[str], limit: int
    ) -> list[tuple[str, str, dict[str, Any]]]:
        """(case id, village, personal fields opened) of the cases under `prefix` found by
        the name `name` (as the list's search finds it: its reading too) or by one of the
        parents' phone numbers, the most recently identified first: for register/
        lookalikes.py, which decides; nothing here is shown to anyone."""
        tokens = self.personal.query_tokens(name) if name.strip() else []
        tokens += [self.personal.phone_token(p) for p in parent_phones]
        if not tokens:
            return []
        marks = ", ".join("?" * len(tokens))
        rows = tx.rows(
            "SELECT c.case_id, c.jurisdiction, c.personal FROM {cases} c "
            "WHERE c.jurisdiction >= ? AND c.jurisdiction < ? AND c.case_id IN "
            f"(SELECT case_id FROM {{search}} WHERE token IN ({marks})) "
            "ORDER BY c.position DESC LIMIT ?",
            [*scope_range(prefix), *tokens, limit],
        )
        return [
            (r["case_id"], r["jurisdiction"], self.personal.open(bytes(r["personal"])))
            for r in rows
        ]

    def row(self, r: dict[str, Any], today: date) -> CaseRow:
        """A stored case row as the API shows it (the name decrypted here, for the answer)."""
        personal = self.personal.open(bytes(r["personal"]))
        active = r["status"] == "active"
        return CaseRow(
            r["case_id"],
            r["jurisdiction"],
            {
                "id": r["case_id"],
                "version": r["version"],
                "status": r["status"],
                "jurisdiction": r["jurisdiction"],
                "child": {
                    "name": personal.get("name"),
                    "sex": personal.get("sex"),
                    "birth_date": personal.get("birth_date"),
                },
                "guardian_type": r["guardian_type"],
                "guardian_since": r["guardian_since"],
                "entrustment_signed": bool(r["entrustment_signed"]),
                "identified_on": r["identified_on"],
                "risk_level": r["risk_level"],
                "last_visit_on": r["last_visit_on"],
                "next_visit_due": r["next_visit_due"],
                "visit_overdue": active and is_overdue(r["next_visit_due"], today),
                "visit_count": r["visit_count"],
                "school_status": r["school_status"],
                "assigned_to": r["assigned_to"],
                "open_interventions": r["open_interventions"],
                "has_mandatory_report": bool(r["has_mandatory_report"]),
                "closed_on": r["closed_on"],
                # Review before it counts (复核): confirmed, or pending/returned since when.
                "review": {
                    "status": r["review_status"],
                    "subject": r["review_subject"],
                    "since": r["review_since"],
                },
                # The cases it holds an open likely-duplicate flag for (ids only).
                "likely_duplicates": [c for c in r["duplicates_open"].split(",") if c],
            },
        )


def _days(due: str, today: date) -> int:
    return (today - date.fromisoformat(due)).days
