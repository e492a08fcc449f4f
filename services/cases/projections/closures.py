"""Interventions closed in a period, and how long they took: counts and days per kind and
department, for the periodic report. Read from the interventions table (no child's data:
a kind, a department and two dates per row)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from .queries import scope_range
from .tx import Tx


def closed_between(tx: Tx, scope: str, start: date, end: date) -> dict[str, Any]:
    """{by_kind: {kind: {closed, average_days}}, by_department: {…}} of the interventions
    in `scope` closed from `start` to `end` (inclusive)."""
    days: dict[str, dict[str, list[int]]] = {"by_kind": defaultdict(list)}
    days["by_department"] = defaultdict(list)
    for r in tx.rows(
        "SELECT kind, department, opened_on, closed_on FROM {interventions} "
        "WHERE status = 'closed' AND jurisdiction >= ? AND jurisdiction < ? "
        "AND closed_on >= ? AND closed_on <= ?",
        [*scope_range(scope), start.isoformat(), end.isoformat()],
    ):
        took = (date.fromisoformat(r["closed_on"]) - date.fromisoformat(r["opened_on"])).days
        days["by_kind"][r["kind"]].append(took)
        days["by_department"][r["department"]].append(took)
    return {
        group: {
            key: {"closed": len(spans), "average_days": round(sum(spans) / len(spans), 1)}
            for key, spans in by.items()
        }
        for group, by in days.items()
    }
