"""The case rows (list, search, worklists) and their interventions: loaded and saved a
page at a time, so one page of events costs a handful of statements, not one per event."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from .personal import PersonalData
from .state import CaseState, Intervention
from .tx import Tx

_CHUNK = 500  # ids per IN (…) list
# (column, PostgreSQL type) of the case rows and intervention rows, as written.
_CASE_COLUMNS = (
    ("case_id", "text"),
    ("version", "integer"),
    ("position", "bigint"),
    ("jurisdiction", "text"),
    ("identified_in", "text"),
    ("identified_on", "text"),
    ("status", "text"),
    ("guardian_type", "text"),
    ("guardian_since", "text"),
    ("entrustment_signed", "integer"),
    ("school_record_status", "text"),
    ("school_status", "text"),
    ("last_visit_on", "text"),
    ("risk_level", "text"),
    ("emotional_state", "text"),
    ("visit_next_due", "text"),
    ("visit_dropped_out", "integer"),
    ("next_visit_due", "text"),
    ("visit_count", "integer"),
    ("visit_months", "text"),
    ("assigned_to", "text"),
    ("has_mandatory_report", "integer"),
    ("open_interventions", "integer"),
    ("closed_on", "text"),
    ("review_status", "text"),
    ("review_subject", "text"),
    ("review_since", "text"),
    ("duplicates_open", "text"),
    ("personal", "bytea"),
)
_INTERVENTION_COLUMNS = (
    ("case_id", "text"),
    ("intervention_id", "text"),
    ("jurisdiction", "text"),
    ("kind", "text"),
    ("department", "text"),
    ("urgency", "text"),
    ("opened_on", "text"),
    ("due_by", "text"),
    ("status", "text"),
    ("closed_on", "text"),
    ("case_active", "integer"),
)

InterventionRow = tuple[Any, ...]  # (case_id, intervention_id, …)


class CaseRows:
    """Reads and writes the projected state of cases."""

    def __init__(self, personal: PersonalData) -> None:
        self.personal = personal

    def load(self, tx: Tx, case_ids: Iterable[str]) -> dict[str, CaseState]:
        """The stored state of these cases (those that have one), the personal fields still
        sealed (`open_personal` opens them when a correction needs them)."""
        ids = sorted(set(case_ids))
        states: dict[str, CaseState] = {}
        for chunk in _chunks(ids):
            marks = ", ".join("?" * len(chunk))
            for row in tx.rows(f"SELECT * FROM {{cases}} WHERE case_id IN ({marks})", chunk):
                states[row["case_id"]] = self._state(row)
            for row in tx.rows(
                f"SELECT * FROM {{interventions}} WHERE case_id IN ({marks})", chunk
            ):
                states[row["case_id"]].interventions[row["intervention_id"]] = Intervention(
                    kind=row["kind"],
                    department=row["department"],
                    urgency=row["urgency"],
                    opened_on=row["opened_on"],
                    due_by=row["due_by"],
                    status=row["status"],
                    closed_on=row["closed_on"],
                )
        return states

    def save(
        self,
        tx: Tx,
        states: Sequence[CaseState],
        stored: set[str],
        interventions_before: dict[tuple[str, str], InterventionRow],
    ) -> None:
        """Writes the states back: rows, changed interventions, and new search tokens for
        cases whose name or ID number changed (`stored`: the ids that had a row)."""
        _put(tx, "cases", _CASE_COLUMNS, ("case_id",), [self._row(s) for s in states])
        changed = [
            row
            for s in states
            for row in intervention_rows(s)
            if interventions_before.get(row[:2]) != row
        ]
        _put(tx, "interventions", _INTERVENTION_COLUMNS, ("case_id", "intervention_id"), changed)
        renamed = [s for s in states if s.personal_changed]
        tx.run_many(
            "DELETE FROM {search} WHERE case_id = ?",
            [(s.case_id,) for s in renamed if s.case_id in stored],
        )
        tx.put(
            "search",
            ("case_id", "token"),
            ("text", "text"),
            ("case_id", "token"),
            [
                (s.case_id, token)
                for s in renamed
                for token in sorted(
                    self.personal.tokens(
                        str(s.personal.get("name") or ""),
                        s.personal.get("id_number"),
                        s.personal.get("parent_phones") or (),
                    )
                )
            ],
        )

    def _row(self, s: CaseState) -> tuple[Any, ...]:
        sealed = self.personal.seal(s.personal) if s.personal_changed else s.sealed
        return (
            s.case_id,
            s.version,
            s.position,
            s.jurisdiction,
            s.identified_in,
            s.identified_on,
            s.status,
            s.guardian_type,
            s.guardian_since,
            int(s.entrustment_signed),
            s.school_record_status,
            s.school_status,
            s.last_visit_on,
            s.risk_level,
            s.emotional_state,
            s.visit_next_due,
            int(s.visit_dropped_out),
            s.next_visit_due,
            s.visit_count,
            ",".join(sorted(s.visit_months)),
            s.assigned_to,
            int(s.has_mandatory_report),
            len(s.open_interventions),
            s.closed_on,
            s.review_status,
            s.review_subject,
            s.review_since,
            ",".join(s.duplicates_open),
            sealed,
        )

    def open_personal(self, state: CaseState) -> None:
        """Decrypts the personal fields of a loaded case, before a correction changes one."""
        if not state.personal and state.sealed:
            state.personal = self.personal.open(state.sealed)

    def _state(self, row: dict[str, Any]) -> CaseState:
        sealed = bytes(row["personal"])
        return CaseState(
            case_id=row["case_id"],
            version=row["version"],
            position=row["position"],
            jurisdiction=row["jurisdiction"],
            identified_in=row["identified_in"],
            identified_on=row["identified_on"],
            status=row["status"],
            guardian_type=row["guardian_type"],
            guardian_since=row["guardian_since"],
            entrustment_signed=bool(row["entrustment_signed"]),
            school_record_status=row["school_record_status"],
            last_visit_on=row["last_visit_on"],
            risk_level=row["risk_level"],
            emotional_state=row["emotional_state"],
            visit_next_due=row["visit_next_due"],
            visit_dropped_out=bool(row["visit_dropped_out"]),
            visit_count=row["visit_count"],
            visit_months=[m for m in row["visit_months"].split(",") if m],
            assigned_to=row["assigned_to"],
            closed_on=row["closed_on"],
            review_status=row["review_status"],
            review_subject=row["review_subject"],
            review_since=row["review_since"],
            duplicates_open=[c for c in row["duplicates_open"].split(",") if c],
            sealed=sealed,
            # As stored: what the events recorded (or the rule said, for older ones).
            recorded_due=row["next_visit_due"],
        )


def _put(
    tx: Tx,
    table: str,
    columns: Sequence[tuple[str, str]],
    key: Sequence[str],
    rows: Sequence[Sequence[Any]],
) -> None:
    tx.put(table, [c for c, _ in columns], [t for _, t in columns], key, rows)


def intervention_rows(s: CaseState) -> list[InterventionRow]:
    """The intervention rows of a case as they should be stored now."""
    return [
        (
            s.case_id,
            iid,
            s.jurisdiction,
            i.kind,
            i.department,
            i.urgency,
            i.opened_on,
            i.due_by,
            i.status,
            i.closed_on,
            int(s.active),
        )
        for iid, i in s.interventions.items()
    ]


def _chunks(ids: list[str]) -> Iterable[list[str]]:
    for start in range(0, len(ids), _CHUNK):
        yield ids[start : start + _CHUNK]
