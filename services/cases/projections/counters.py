"""The figures of every jurisdiction level, kept as sums over cases, moved by deltas.

Every case contributes to a handful of counters (`metrics`) and due-date histograms
(`dues`) of each of the five prefixes of its village: province, city, county, township,
village. When an event changes a case, the counters move by (what the case contributes
now) − (what it contributed before), so a summary reads a few rows instead of scanning
cases, and a fresh rebuild arrives at exactly the same numbers.

"Overdue" depends on the day it is asked: nothing here is rewritten at midnight. The case
adds one to the histogram bucket of its due date; "overdue as of D" is the sum of the
buckets before D, and "visited in the last 30 days" a sum over last-visit dates.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from . import flows
from .flows import MonthlyDeltas
from .state import ENTRUSTABLE, CaseState, Flow
from .tx import Tx

LEVELS = (2, 4, 6, 9, 12)
# (scope, metric) → n ; (scope, kind, date) → n
CountKey = tuple[str, str]
DueKey = tuple[str, str, str]


def metrics(s: CaseState) -> Counter[str]:
    """The counters one case adds one to (some more than once: open interventions)."""
    if not s.counted:
        # A director's identification not yet confirmed (复核) counts nowhere but here:
        # the figures count confirmed cases and show these apart.
        pending: Counter[str] = Counter(["review:new"])
        if s.review_status == "returned":
            pending["review:returned"] += 1
        return pending
    out: Counter[str] = Counter(["cases"])
    if s.review_status != "confirmed":
        out["review:change"] += 1  # a counted case with a director's change awaiting
    if not s.active:
        out["closed"] += 1
        return out
    out.update(
        (
            "active",
            f"guardian:{s.guardian_type}",
            f"risk:{s.risk_level or 'none'}",
            f"school:{s.school_status}",
            f"director:{s.assigned_to}" if s.assigned_to else "unassigned",
        )
    )
    if s.emotional_state:
        out[f"mood:{s.emotional_state}"] += 1
    if s.guardian_type in ENTRUSTABLE:
        out["entrustable"] += 1
        if s.entrustment_signed:
            out["entrustment_signed"] += 1
    if s.has_mandatory_report:
        out["reported"] += 1
    for i in s.open_interventions:
        out[f"open:{i.kind}:{i.department}"] += 1
        if i.kind == "mandatory_report":
            out["reports_open"] += 1
    return out


def dues(s: CaseState) -> Counter[tuple[str, str]]:
    """The dated buckets one case sits in: its next visit, its last visit, and the due
    dates of its open interventions (mandatory reports also on their own)."""
    out: Counter[tuple[str, str]] = Counter()
    if not s.active or not s.counted:
        return out
    out["visit", s.next_visit_due] += 1
    if s.last_visit_on is not None:
        out["last_visit", s.last_visit_on] += 1
    for i in s.open_interventions:
        if i.due_by:
            out[f"intervention:{i.department}", i.due_by] += 1
            if i.kind == "mandatory_report":
                out["report", i.due_by] += 1
    return out


def prefixes(village: str) -> list[str]:
    """The five scopes a village lies in, province first."""
    return [village[:n] for n in LEVELS]


_PARENT_LENGTH = {2: 0, 4: 2, 6: 4, 9: 6, 12: 9}


def parent_of(scope: str) -> str:
    """The scope one level up ('' above a province)."""
    return scope[: _PARENT_LENGTH[len(scope)]]


class Deltas:
    """The counter changes of one page of events, summed per village first (cheap), and
    spread to the five levels once, when read."""

    def __init__(self) -> None:
        self._counts: Counter[tuple[str, str]] = Counter()  # (village, metric)
        self._dues: Counter[tuple[str, str, str]] = Counter()  # (village, kind, date)
        self.monthly = MonthlyDeltas()

    def move(
        self, before: tuple[str, Counter[str], Counter[tuple[str, str]]] | None, after: CaseState
    ) -> None:
        """Adds (after − before) of one case."""
        if before is not None:
            village, old_metrics, old_dues = before
            for metric, n in old_metrics.items():
                self._counts[village, metric] -= n
            for (kind, day), n in old_dues.items():
                self._dues[village, kind, day] -= n
        village = after.jurisdiction
        for metric, n in metrics(after).items():
            self._counts[village, metric] += n
        for (kind, day), n in dues(after).items():
            self._dues[village, kind, day] += n

    def flow(self, flows: Iterable[Flow]) -> None:
        """Adds monthly flows (identified, visits, closed…)."""
        self.monthly.add(flows)

    @property
    def counts(self) -> Counter[CountKey]:
        """(scope, metric) → change, at every level."""
        return _spread(self._counts)

    @property
    def dues(self) -> Counter[DueKey]:
        """(scope, kind, date) → change, at every level."""
        return _spread(self._dues)


def _spread(by_village: Counter[Any]) -> Counter[Any]:
    # Hot in a rebuild: a plain dict (Counter's missing-key path is slow) and no unpacking.
    out: dict[Any, int] = {}
    levels: dict[str, list[str]] = {}
    get = out.get
    for key, n in by_village.items():
        if n:
            village = key[0]
            scopes = levels.get(village) or levels.setdefault(village, prefixes(village))
            if len(key) == 2:
                for scope in scopes:
                    at: tuple[str, ...] = (scope, key[1])
                    out[at] = get(at, 0) + n
            else:
                for scope in scopes:
                    at = (scope, key[1], key[2])
                    out[at] = get(at, 0) + n
    return Counter(out)


def contribution(s: CaseState) -> tuple[str, Counter[str], Counter[tuple[str, str]]]:
    """What a case contributes before an event touches it."""
    return s.jurisdiction, metrics(s), dues(s)


def write(tx: Tx, deltas: Deltas) -> None:
    """Adds a page's deltas to the stored counters; a counter that falls to zero goes, so
    an incrementally kept table and a fresh rebuild hold the same rows."""
    counts = [(k, n) for k, n in deltas.counts.items() if n]
    tx.add_to(
        "counts",
        ("scope", "metric"),
        ("parent",),
        [(scope, metric, parent_of(scope), n) for (scope, metric), n in counts],
    )
    tx.drop_zeros("counts", ("scope", "metric"), [key for key, n in counts if n < 0])
    dated = [(k, n) for k, n in deltas.dues.items() if n]
    tx.add_to("dues", ("scope", "kind", "due"), (), [(*key, n) for key, n in dated])
    tx.drop_zeros("dues", ("scope", "kind", "due"), [key for key, n in dated if n < 0])
    flows.write(tx, deltas.monthly)
