"""The dashboard's counters as a daily series per jurisdiction: figures as of any date.

Every change an event makes to a case's counters (`counters.metrics`) is also kept dated,
by two days in one row: the day the event was recorded in the log (`recorded`: summed up
to D, the figure as it stood on D, later corrections excluded) and the day the fact it
records took effect (`effective`: summed up to D, the figure recomputed with everything
known today). One row for both (rather than one per basis) halves what a page writes: the
two days are mostly the same, or (a rebuild of imported history) all recorded on one.
Rebuilt from the log with every generation.

The per-director workload is left out: it is a worklist's figure, not a reported one.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from shared.clock import CHINA

from .counters import dues, metrics, parent_of, prefixes
from .state import CaseState
from .tx import Tx

# basis → the column it sums by
BASES = {"recorded": "recorded_on", "effective": "effective_on"}
# The prefix of a due-date bucket's metric (`counters.dues`): sorts apart from the counters.
DUE = "due:"
# (village, recorded_on, effective_on, metric) → change
DayKey = tuple[str, str, str, str]


# Where an event says when its fact took effect: (the dict holding it or None, the key).
DATES = (
    ("visit", "visited_on"),
    ("intervention", "opened_on"),
    ("record", "identified_on"),
    (None, "effective_on"),
    (None, "closed_on"),
    (None, "transferred_on"),
    (None, "reopened_on"),
    (None, "changed_on"),
    (None, "erased_on"),
    # Reviews (复核): a case counts from the day its identification was confirmed.
    (None, "requested_on"),
    (None, "reviewed_on"),
    (None, "resubmitted_on"),
)
# The event classes the read models handle whose fact has no date of its own (a test
# holds every other handled class to one of DATES, or to being a correction).
RECORDED_ONLY = {
    "Assigned": "who works on a case changes when it is recorded",
    # Likely-duplicate flags move no counter: they are decided when recorded.
    "DuplicateSuspected": "a flag raised when the identification is recorded",
    "DuplicateDismissed": "a flag decided when recorded",
    "MergedInto": "a merge decided when recorded (its Closed carries the closing day)",
    "DuplicateMerged": "a merge decided when recorded",
}


def effective_on(data: dict[str, Any], state: CaseState, recorded: str) -> str:
    """The day the fact an event records took effect, read from the event's own dates. A
    correction takes effect when the corrected fact did: the identification (or, for a
    corrected identification date, the new date). Anything else: when it was recorded."""
    if data.get("field") == "identified_on":
        return str(data["new_value"])
    if "field" in data:
        return state.identified_on
    for holder, name in DATES:
        found = (data.get(holder) or {}) if holder else data
        if isinstance(found, dict) and found.get(name):
            return str(found[name])[:10]
    return recorded


def recorded_on(event: Any) -> str:
    """The day (in China) the event was recorded."""
    return str(event.timestamp.astimezone(CHINA).date().isoformat())


def tracked(state: CaseState) -> tuple[str, dict[str, int]]:
    """What a case adds to the daily series (its village, its counters but directors', and
    its due-date buckets as `due:<kind>:<day>`: overdue visits and visit coverage as they
    stood on a past day, not as today's due dates would have it)."""
    out = {m: n for m, n in metrics(state).items() if m[:9] != "director:"}
    for (kind, day), n in dues(state).items():
        out[f"{DUE}{kind}:{day}"] = n
    return state.jurisdiction, out


class DailyDeltas:
    """The dated counter changes of one page, summed per village and day."""

    def __init__(self) -> None:
        self._changes: Counter[DayKey] = Counter()

    def move(
        self,
        before: tuple[str, dict[str, int]] | None,
        after: CaseState,
        days: tuple[str, str],
    ) -> tuple[str, dict[str, int]]:
        """Adds (after − before) of one case on its (recorded, effective) days; returns
        `after`'s share."""
        now = tracked(after)
        if before == now:
            return now  # most events move no counter (a visit at the same risk level…)
        changes: dict[tuple[str, str], int] = {}
        if before is not None:
            for metric, n in before[1].items():
                changes[before[0], metric] = -n
        for metric, n in now[1].items():
            key = (now[0], metric)
            changes[key] = changes.get(key, 0) + n
        recorded, effective = days
        for (village, metric), n in changes.items():
            if n:
                self._changes[village, recorded, effective, metric] += n
        return now

    def rows(self) -> list[tuple[str, str, str, str, str, int]]:
        """(scope, recorded_on, effective_on, metric, parent, change) at every level,
        non-zero only."""
        out: dict[DayKey, int] = {}
        get = out.get
        for (village, recorded, effective, metric), n in self._changes.items():
            if n:
                for scope in prefixes(village):
                    key = (scope, recorded, effective, metric)
                    out[key] = get(key, 0) + n
        return [(*key, parent_of(key[0]), n) for key, n in out.items() if n]


def write(tx: Tx, deltas: DailyDeltas) -> None:
    """Adds a page's dated changes to {daily} (the due-date buckets' to {daily_dues}); a
    day's row back at zero goes."""
    rows = deltas.rows()
    keys = ("scope", "recorded_on", "effective_on", "metric")
    for table, wanted in (("daily", False), ("daily_dues", True)):
        mine = [r for r in rows if r[3].startswith(DUE) is wanted]
        tx.add_to(table, keys, ("parent",), mine)
        tx.drop_zeros(table, keys, [r[:4] for r in mine if r[5] < 0])


def counts_as_of(tx: Tx, where: str, params: list[Any], basis: str, day: str) -> list[Any]:
    """(scope, metric, n) of the scopes matching `where` (on `scope` or `parent`), summed
    over the basis's changes up to `day`: the counters table as it stood then."""
    column = BASES[basis]  # a name from the table above, never the caller's text
    return tx.rows(
        f"SELECT scope, metric, SUM(n) AS n FROM {{daily}} WHERE {where} AND {column} <= ? "
        "GROUP BY scope, metric HAVING SUM(n) <> 0",
        [*params, day],
    )


def dues_as_of(
    tx: Tx, where: str, params: list[Any], basis: str, day: str
) -> list[tuple[str, str, str, int]]:
    """(scope, kind, due, n) of the scopes matching `where`: the due-date buckets (the
    {dues} table) as they stood on `day`."""
    column = BASES[basis]
    rows = tx.rows(
        f"SELECT scope, metric, SUM(n) AS n FROM {{daily_dues}} WHERE {where} "
        f"AND {column} <= ? GROUP BY scope, metric HAVING SUM(n) <> 0",
        [*params, day],
    )
    out = []
    for r in rows:
        kind, due = str(r["metric"])[len(DUE) :].rsplit(":", 1)  # kinds hold colons
        out.append((str(r["scope"]), kind, due, int(r["n"])))
    return out
