"""The facts about one case that notify's rules and scheduler need, and how each event
changes them. Pure: no I/O.

Entries can arrive out of order (several consumers in a group, reclaimed entries,
dead letters retried later), so each fact remembers the case version that set it and
an older event never overwrites a newer fact. Visits count by their date, as the case
service counts them: the latest visit is the one with the latest `visited_on`. A visit's
transitions (risk raised to high, dropped out) are not judged from these facts when the
entry states them (case.visited v2); they serve v1 entries and the scheduler.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from datetime import date, timedelta

from shared.contracts import Envelope

# As the case service's vocabulary: days to the next visit when the visitor did not say.
VISIT_INTERVAL_DAYS = {"high": 7, "medium": 30, "low": 90}


@dataclass(frozen=True)
class CaseFacts:
    """One case as notify knows it: where, whose, and what matters for the rules."""

    case_id: str
    jurisdiction: str = ""
    jurisdiction_v: int = 0
    status: str = "active"
    status_v: int = 0
    assignee: str | None = None
    assignee_v: int = 0
    guardian_type: str | None = None
    guardian_v: int = 0
    identified_v: int = 0
    record_school_status: str | None = None
    risk_level: str | None = None  # of the latest visit
    latest_attendance: str | None = None  # school attendance seen on the latest visit
    last_visit_on: str | None = None
    last_visit_v: int = 0
    next_visit_due: str | None = None
    has_mandatory_report: int = 0

    @property
    def dropped_out(self) -> bool:
        """As the case service derives it: a dropout seen on the latest visit, else the
        school status recorded at identification."""
        if self.latest_attendance == "dropped_out":
            return True
        return self.record_school_status == "dropped_out"


COLUMNS = tuple(f.name for f in fields(CaseFacts))


def evolve(before: CaseFacts | None, env: Envelope) -> CaseFacts:
    """The facts after `env`, a case event, given the facts before it (None: unseen)."""
    facts = before or CaseFacts(env.case_id)
    v = env.case_version
    p = env.payload
    if env.jurisdiction and v > facts.jurisdiction_v:
        facts = replace(facts, jurisdiction=env.jurisdiction, jurisdiction_v=v)
    kind = env.type
    if kind == "case.identified":
        facts = replace(facts, identified_v=v, record_school_status=p["school_status"])
        if v > facts.guardian_v:
            facts = replace(facts, guardian_type=p["guardian_type"], guardian_v=v)
        if facts.last_visit_on is None:
            facts = replace(facts, next_visit_due=p["next_visit_due"])
    elif kind == "case.visited":
        facts = _visited(facts, env)
    elif kind == "case.guardian_changed" and v > facts.guardian_v:
        facts = replace(facts, guardian_type=p["guardian_type"], guardian_v=v)
    elif kind == "case.intervention_opened" and p["kind"] == "mandatory_report":
        facts = replace(facts, has_mandatory_report=1)
    elif kind == "case.assigned" and v > facts.assignee_v:
        facts = replace(facts, assignee=p["assignee"], assignee_v=v)
    elif kind == "case.transferred" and v > facts.assignee_v:
        # A new village means a new child director, as in the case service.
        facts = replace(facts, assignee=None, assignee_v=v)
    elif kind in ("case.closed", "case.reopened") and v > facts.status_v:
        facts = replace(facts, status="closed" if kind == "case.closed" else "active", status_v=v)
    return facts


def is_latest_visit(before: CaseFacts | None, env: Envelope) -> bool:
    """True when the visit in `env` is now the case's latest (by date, then version)."""
    if before is None or before.last_visit_on is None:
        return True
    return (env.payload["visited_on"], env.case_version) > (
        before.last_visit_on,
        before.last_visit_v,
    )


def _visited(facts: CaseFacts, env: Envelope) -> CaseFacts:
    if not is_latest_visit(facts, env):
        return facts
    p = env.payload
    due = p["next_visit_due"]
    if due is None:
        visited = date.fromisoformat(p["visited_on"])
        due = (visited + timedelta(days=VISIT_INTERVAL_DAYS.get(p["risk_level"], 30))).isoformat()
    return replace(
        facts,
        risk_level=p["risk_level"],
        latest_attendance=p["school_attendance"],
        last_visit_on=p["visited_on"],
        last_visit_v=env.case_version,
        next_visit_due=due,
    )
