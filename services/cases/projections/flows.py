"""Monthly flows per jurisdiction: what happened in which month (by the date of the fact),
at every level. One row per (scope, month) with a column per flow, so a page of events
writes a row per scope and month it touched, not one per flow."""

from __future__ import annotations

from collections.abc import Iterable

from .state import NO_GUARDIAN_RESOLVED, Flow
from .tx import Tx

# The columns of {monthly}; `active_delta` is the net change of active cases, whose
# running sum is the number active at each month's end.
FLOWS = (
    "identified",
    "visits",
    "children_visited",
    "interventions_opened",
    "reports_opened",
    "closed",
    "reopened",
    "returned_to_school",
    # Children with no guardian (无人监护, issue 12): found (identified so, or left so by a
    # guardian change), given a guardian of each type, or closed while still without one.
    "no_guardian_found",
    *NO_GUARDIAN_RESOLVED.values(),
    "no_guardian_closed",
    # A household-registration task (落户) the police closed: a child without hukou registered.
    "hukou_registered",
    "active_delta",
)
_COLUMN = {name: i for i, name in enumerate(FLOWS)}
_LEVELS = (2, 4, 6, 9, 12)


class MonthlyDeltas:
    """A page's flows, summed per village and month, spread to the five levels on write."""

    def __init__(self) -> None:
        self._by_village: dict[tuple[str, str], list[int]] = {}

    def add(self, flows: Iterable[Flow]) -> None:
        """Adds flows (village, month, flow, ±1)."""
        for village, month, name, n in flows:
            row = self._by_village.get((village, month))
            if row is None:
                row = self._by_village[village, month] = [0] * len(FLOWS)
            row[_COLUMN[name]] += n

    def by_scope(self) -> dict[tuple[str, str], list[int]]:
        """(scope, month) → the change of each flow, at every level."""
        out: dict[tuple[str, str], list[int]] = {}
        for (village, month), row in self._by_village.items():
            if not any(row):
                continue
            for length in _LEVELS:
                key = (village[:length], month)
                total = out.get(key)
                if total is None:
                    out[key] = list(row)
                else:
                    for i, n in enumerate(row):
                        total[i] += n
        return out


def write(tx: Tx, deltas: MonthlyDeltas) -> None:
    """Adds the flows to {monthly}; a row all of whose flows are back to zero goes (the
    net `active_delta` and corrected identifications can come back to zero)."""
    changed = [(key, row) for key, row in deltas.by_scope().items() if any(row)]
    tx.add_to(
        "monthly", ("scope", "month"), (), [(*key, *row) for key, row in changed], values=FLOWS
    )
    tx.drop_zeros(
        "monthly", ("scope", "month"), [key for key, row in changed if min(row) < 0], values=FLOWS
    )
