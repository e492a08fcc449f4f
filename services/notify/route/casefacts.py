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

from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any

from shared.contracts import Envelope
from shared.dispatch import Registry


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


def replace(facts: CaseFacts, **changes: Any) -> CaseFacts:
    """`dataclasses.replace`, at half its cost (it looks at every field's kind first): it
    runs two or three times for every case event. A name that is not a field still fails."""
    return CaseFacts(**(facts.__dict__ | changes))


Evolve = Callable[["CaseFacts", Envelope], "CaseFacts"]
# Every case type of the stream is decided here: how it changes the facts, or why not.
FACTS: Registry[str, Evolve] = Registry("notify's case facts")
FACTS.ignore(
    "case.emergency_access_granted",
    why="a read granted (break-the-glass) changes no fact of the case",
)
FACTS.ignore(
    "case.duplicate_suspected",
    "case.duplicate_dismissed",
    "case.merged_into",  # the closure comes as its own case.closed
    "case.duplicate_merged",
    why="a flag for the township supervisor's worklist changes no fact of the case",
)
FACTS.ignore(
    "case.erasure_requested",
    "case.erasure_declined",
    "case.erased",
    "case.closure_proposed",  # its review (case.review_requested) is what waits
    why="notify holds no personal data of the case to forget: its facts are codes and dates",
)
FACTS.ignore(
    "case.review_requested",
    "case.review_confirmed",
    "case.review_returned",
    "case.review_resubmitted",
    why="a review's waiting date is kept apart (casestore.apply_review, review_dues)",
)
FACTS.ignore(
    "case.site_attended",
    "case.site_left",
    why="the care site a child attends changes no fact the rules or the scheduler read",
)
FACTS.ignore(
    "case.intervention_progressed",
    "case.intervention_closed",  # the due dates of interventions: casestore.apply_intervention
    why="changes no fact the rules or the scheduler read (beyond the village)",
)


def evolve(before: CaseFacts | None, env: Envelope) -> CaseFacts:
    """The facts after `env`, a case event, given the facts before it (None: unseen).
    Raises UnknownEventError for a type not decided on in `FACTS`."""
    facts = before or CaseFacts(env.case_id)
    change = FACTS.handler(env.type)
    if env.jurisdiction and env.case_version > facts.jurisdiction_v:
        facts = replace(facts, jurisdiction=env.jurisdiction, jurisdiction_v=env.case_version)
    return facts if change is None else change(facts, env)


def _due_before_visits(facts: CaseFacts, env: Envelope) -> CaseFacts:
    # The due date of a case not yet visited, as the case recorded it on the event; a
    # visit notify has seen sets it instead (v1 entries do not state it).
    due = env.payload.get("next_visit_due")
    if due is None or facts.last_visit_on is not None:
        return facts
    return replace(facts, next_visit_due=due)


# A corrected identification date or guardian type moves the due date of a case not yet
# visited (v2 entries state it); nothing else corrected matters here.
FACTS.add("case.corrected", _due_before_visits)


@FACTS.on("case.identified")
def _identified(facts: CaseFacts, env: Envelope) -> CaseFacts:
    v, p = env.case_version, env.payload
    facts = replace(facts, identified_v=v, record_school_status=p["school_status"])
    if v > facts.guardian_v:
        facts = replace(facts, guardian_type=p["guardian_type"], guardian_v=v)
        facts = _due_before_visits(facts, env)
    return facts


@FACTS.on("case.guardian_changed")
def _guardian_changed(facts: CaseFacts, env: Envelope) -> CaseFacts:
    v = env.case_version
    if v <= facts.guardian_v:
        return facts
    facts = replace(facts, guardian_type=env.payload["guardian_type"], guardian_v=v)
    return _due_before_visits(facts, env)


@FACTS.on("case.intervention_opened")
def _intervention_opened(facts: CaseFacts, env: Envelope) -> CaseFacts:
    if env.payload["kind"] == "mandatory_report":
        return replace(facts, has_mandatory_report=1)
    return facts


@FACTS.on("case.assigned")
def _assigned(facts: CaseFacts, env: Envelope) -> CaseFacts:
    if env.case_version > facts.assignee_v:
        return replace(facts, assignee=env.payload["assignee"], assignee_v=env.case_version)
    return facts


@FACTS.on("case.transferred")
def _transferred(facts: CaseFacts, env: Envelope) -> CaseFacts:
    if env.case_version > facts.assignee_v:
        # A new village means a new child director, as in the case service.
        return replace(facts, assignee=None, assignee_v=env.case_version)
    return facts


@FACTS.on("case.closed", "case.reopened")
def _closed_or_reopened(facts: CaseFacts, env: Envelope) -> CaseFacts:
    if env.case_version > facts.status_v:
        status = "closed" if env.type == "case.closed" else "active"
        return replace(facts, status=status, status_v=env.case_version)
    return facts


@FACTS.on("case.school_changed")
def _school_changed(facts: CaseFacts, env: Envelope) -> CaseFacts:
    after = env.payload["school_status_after"]
    attendance = facts.latest_attendance if after == "dropped_out" else None
    return replace(facts, record_school_status=after, latest_attendance=attendance)


def is_latest_visit(before: CaseFacts | None, env: Envelope) -> bool:
    """True when the visit in `env` is now the case's latest (by date, then version)."""
    if before is None or before.last_visit_on is None:
        return True
    return (env.payload["visited_on"], env.case_version) > (
        before.last_visit_on,
        before.last_visit_v,
    )


@FACTS.on("case.visited")
def _visited(facts: CaseFacts, env: Envelope) -> CaseFacts:
    if not is_latest_visit(facts, env):
        return facts
    p = env.payload
    return replace(
        facts,
        risk_level=p["risk_level"],
        latest_attendance=p["school_attendance"],
        last_visit_on=p["visited_on"],
        last_visit_v=env.case_version,
        # As the case service recorded it (the relay always fills it).
        next_visit_due=p["next_visit_due"] or facts.next_visit_due,
    )


FACTS.ignore(
    "user.registered",
    "user.disabled",
    "user.token_revoked",
    "user.password_changed",
    "idempotency.recorded",
    "user_request.recorded",
    "site.recorded",
    why="not about a case: the directory follows user events",
)
