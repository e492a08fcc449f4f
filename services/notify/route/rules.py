"""What gets notified, and to whom (product.md). Pure functions: an event and the case's
facts before and after it in, alerts out; the scheduler's overdue due dates in, alerts
out. Who exactly receives an alert is decided by `choose_recipients` over notify's
directory.

- no_guardian: identified with guardian `none`, or a guardian change to `none`
  → the township supervisor and county civil affairs.
- harm_found: a visit finds suspected abuse, domestic violence or abandonment
  → county police and county civil affairs.
- mandatory_report: a mandatory report is opened → county police and civil affairs.
- school_dropout: the child is identified as dropped out, or a visit changes the school
  status to dropped out → county education.
- risk_high: a visit makes the latest visit's risk high (it was not) → the township
  supervisor.
- visit_overdue level 1: today is past the next visit's due date → the assigned child
  director; level 2: still overdue 7 days after it → the township supervisor.
- intervention_overdue: an open intervention is past its due date → its department's
  officers over the child's county (civil affairs for court).
- review_waiting: a child director's submission for review (复核: an identification or a
  change of key facts) waits more than three days → the township supervisor.
- emergency_access: a user opened a case outside her scope (break-the-glass) → her
  supervisor (`supervisor_of`, over her own scope) and the auditors over the child.

Entries of a case can arrive out of order, so a visit's transition is read from the entry
(case.visited v2: the case's risk and school status before and after it, as the case
service computed them); only v1 entries, published before, are judged against notify's
own facts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from services.notify.route import wording
from services.notify.route.casefacts import CaseFacts, is_latest_visit
from shared.contracts import Envelope
from shared.dispatch import Registry
from shared.overdue import is_overdue
from shared.roles import ROLE_OF_DEPARTMENT, Role
from shared.vocabulary import CONCERNS_OF_HARM, REVIEW_WAIT_DAYS

# Every kind of notification, as subscriptions name them.
KINDS = (
    "no_guardian",
    "harm_found",
    "mandatory_report",
    "school_dropout",
    "risk_high",
    "visit_overdue",
    "intervention_overdue",
    "emergency_access",
    "review_waiting",
)
# The alerts that must never be missed: `careledger notify reconcile` checks them against
# the event log itself.
MUST_NOT_MISS = ("no_guardian", "harm_found", "mandatory_report")
TOWNSHIP, COUNTY, VILLAGE = 9, 6, 12
ESCALATE_AFTER_DAYS = 7


@dataclass(frozen=True)
class Audience:
    """Who should hear: holders of `role` expected at scope length `level` (9 township,
    6 county, 12 village), or the named user when given and able to receive; over `over`
    when given, else over the child's village."""

    role: Role
    level: int
    username: str | None = None
    # Route by this code instead of the child's village (her supervisor is over the
    # requester's scope, not over the case's).
    over: str | None = None


@dataclass(frozen=True)
class Alert:
    """One notification to make, before it is addressed to recipients."""

    kind: str
    dedup_key: str  # the event id, or "<subject>:<due date>:<level>" for time-based rules
    level: int
    case_id: str
    jurisdiction: str
    title: str
    body: str
    audiences: tuple[Audience, ...]
    occurred_at: str
    event_id: str | None = None
    intervention_id: str | None = None
    due_on: str | None = None  # for time-based rules: the due date it is about

    @property
    def rule(self) -> str:
        """The rule that raised it; with the dedup key and a recipient, unique."""
        return self.kind if self.level == 1 else f"{self.kind}:{self.level}"


@dataclass(frozen=True)
class Holder:
    """A user of the directory, as far as routing cares."""

    username: str
    role: str
    scope: str


SUPERVISOR = Audience(Role.CHILD_SUPERVISOR, TOWNSHIP)
CIVIL_AFFAIRS = Audience(Role.CIVIL_AFFAIRS, COUNTY)
POLICE = Audience(Role.POLICE, COUNTY)
EDUCATION = Audience(Role.EDUCATION, COUNTY)
# Every auditor whose scope holds the child's village (city or province ones included).
AUDITORS = Audience(Role.AUDITOR, 2)
_LEVEL_ABOVE = {12: TOWNSHIP, 9: COUNTY, 6: 4, 4: 2}


# An alert found for an event: its kind, its title and body, who should hear.
Found = tuple[str, tuple[str, str], tuple[Audience, ...]]
Find = Callable[[Envelope, "CaseFacts | None", CaseFacts, str], list[Found]]


@dataclass(frozen=True)
class TypeRules:
    """The rules of one stream type: the alert kinds they may raise (reconcile checks
    those that must never be missed), and `find(env, before, after, village)`."""

    kinds: tuple[str, ...]
    find: Find


# Every type of the stream is decided here: the rules it runs, or why it raises nothing.
RULES: Registry[str, TypeRules] = Registry("notify's rules")
RULES.ignore(
    "case.intervention_progressed",
    "case.intervention_closed",
    "case.assigned",
    "case.transferred",
    "case.closed",
    "case.reopened",
    "case.corrected",
    "case.duplicate_suspected",  # listed for the supervisor, not alerted
    "case.duplicate_dismissed",
    "case.merged_into",
    "case.duplicate_merged",
    "case.erasure_requested",
    "case.erasure_declined",
    "case.erased",
    "case.closure_proposed",
    # A review waiting too long is the scheduler's (the review due dates: casestore).
    "case.review_requested",
    "case.review_confirmed",
    "case.review_returned",
    "case.review_resubmitted",
    "case.site_attended",
    "case.site_left",
    why="raises no alert (time-based alerts come from the scheduler's due dates)",
)
RULES.ignore(
    "user.registered",
    "user.disabled",
    "user.token_revoked",
    "user.password_changed",
    "idempotency.recorded",
    "user_request.recorded",
    "site.recorded",
    why="not about a case: the directory follows user events",
)


def _rules(type_: str, *kinds: str) -> Callable[[Find], Find]:
    def register(find: Find) -> Find:
        RULES.add(type_, TypeRules(kinds, find))
        return find

    return register


def alerts_for(env: Envelope, before: CaseFacts | None, after: CaseFacts) -> list[Alert]:
    """The alerts a case event raises, given the case's facts before and after it.
    Raises UnknownEventError for a type not decided on in `RULES`."""
    village = env.jurisdiction or after.jurisdiction
    rules = RULES.handler(env.type)
    found = [] if rules is None else rules.find(env, before, after, village)
    return [
        Alert(
            kind,
            env.event_id,
            1,
            env.case_id,
            village,
            title,
            body,
            audiences,
            env.occurred_at.isoformat(),
            env.event_id,
            env.payload.get("intervention_id"),
        )
        for kind, (title, body), audiences in found
    ]


def _dropout(env: Envelope, village: str) -> list[Found]:
    return [("school_dropout", wording.school_dropout(village, env.case_id), (EDUCATION,))]


@_rules("case.identified", "no_guardian", "school_dropout")
def _identified(
    env: Envelope, before: CaseFacts | None, after: CaseFacts, village: str
) -> list[Found]:
    found: list[Found] = []
    if env.payload["guardian_type"] == "none":
        found.append(
            (
                "no_guardian",
                wording.no_guardian(village, env.case_id, "认定时"),
                (SUPERVISOR, CIVIL_AFFAIRS),
            )
        )
    if env.payload["school_status"] == "dropped_out":
        found += _dropout(env, village)
    return found


@_rules("case.guardian_changed", "no_guardian")
def _guardian_changed(
    env: Envelope, before: CaseFacts | None, after: CaseFacts, village: str
) -> list[Found]:
    if env.payload["guardian_type"] != "none":
        return []
    return [
        (
            "no_guardian",
            wording.no_guardian(village, env.case_id, "监护变更后"),
            (SUPERVISOR, CIVIL_AFFAIRS),
        )
    ]


@_rules("case.visited", "harm_found", "risk_high", "school_dropout")
def _visited(
    env: Envelope, before: CaseFacts | None, after: CaseFacts, village: str
) -> list[Found]:
    found: list[Found] = []
    harms = [c for c in env.payload["safety_concerns"] if c in CONCERNS_OF_HARM]
    if harms:
        found.append(
            (
                "harm_found",
                wording.harm_found(village, env.case_id, harms),
                (POLICE, CIVIL_AFFAIRS),
            )
        )
    if _risk_raised_to_high(env, before):
        found.append(("risk_high", wording.risk_high(village, env.case_id), (SUPERVISOR,)))
    if _visit_dropped_out(env, before, after):
        found += _dropout(env, village)
    return found


@_rules("case.intervention_opened", "mandatory_report")
def _intervention_opened(
    env: Envelope, before: CaseFacts | None, after: CaseFacts, village: str
) -> list[Found]:
    if env.payload["kind"] != "mandatory_report":
        return []
    return [
        (
            "mandatory_report",
            wording.mandatory_report(village, env.case_id),
            (POLICE, CIVIL_AFFAIRS),
        )
    ]


@_rules("case.school_changed", "school_dropout")
def _school_changed(
    env: Envelope, before: CaseFacts | None, after: CaseFacts, village: str
) -> list[Found]:
    p = env.payload
    if p["school_status_before"] != "dropped_out" and p["school_status_after"] == "dropped_out":
        return _dropout(env, village)
    return []


@_rules("case.emergency_access_granted", "emergency_access")
def _emergency_access(
    env: Envelope, before: CaseFacts | None, after: CaseFacts, village: str
) -> list[Found]:
    requester = env.actor["username"]
    words = wording.emergency_access(village, env.case_id, requester, env.payload["expires_at"])
    supervisor = supervisor_of(env.actor["role"], env.payload["requester_scope"])
    return [("emergency_access", words, (supervisor, AUDITORS))]


def supervisor_of(role: str, scope: str) -> Audience:
    """Who answers for a user's use of break-the-glass: a child director's township
    supervisor; for a supervisor or civil affairs, civil affairs one level above her
    scope; for a department or an auditor, civil affairs of her own jurisdiction (who keep
    the register her department reads)."""
    if role == Role.CHILD_DIRECTOR:
        return Audience(Role.CHILD_SUPERVISOR, TOWNSHIP, over=scope)
    if role in (Role.CHILD_SUPERVISOR, Role.CIVIL_AFFAIRS):
        above = _LEVEL_ABOVE.get(len(scope), len(scope))
        return Audience(Role.CIVIL_AFFAIRS, above, over=scope[:above])
    return Audience(Role.CIVIL_AFFAIRS, len(scope), over=scope)


def _risk_raised_to_high(env: Envelope, before: CaseFacts | None) -> bool:
    p = env.payload
    if env.schema_version >= 2:  # the case service says what the visit changed
        return bool(p["risk_level_before"] != "high" and p["risk_level_after"] == "high")
    # v1: judged from what notify has seen, which is right only when entries come in order.
    was_high = before is not None and before.risk_level == "high"
    return p["risk_level"] == "high" and not was_high and is_latest_visit(before, env)


def _visit_dropped_out(env: Envelope, before: CaseFacts | None, after: CaseFacts) -> bool:
    p = env.payload
    if env.schema_version >= 2:
        return bool(
            p["school_status_before"] != "dropped_out" and p["school_status_after"] == "dropped_out"
        )
    return after.dropped_out and not (before is not None and before.dropped_out)


def visit_overdue(case: CaseFacts, due_on: str, today: date) -> list[Alert]:
    """Level 1 to the assigned child director once `today` is past the due date; level 2
    to the township supervisor once it is past by more than seven days."""
    if case.status != "active" or not is_overdue(due_on, today):
        return []
    director = Audience(Role.CHILD_DIRECTOR, VILLAGE, case.assignee)
    alerts = [_overdue_visit(case, due_on, 1, (director,))]
    if is_overdue(due_on, today - timedelta(days=ESCALATE_AFTER_DAYS)):
        alerts.append(_overdue_visit(case, due_on, 2, (SUPERVISOR,)))
    return alerts


def intervention_overdue(
    case: CaseFacts, intervention_id: str, kind: str, department: str, due_on: str, today: date
) -> list[Alert]:
    """Once `today` is past an open intervention's due date: its department over the
    county of the child."""
    if case.status != "active" or not is_overdue(due_on, today):
        return []
    role = ROLE_OF_DEPARTMENT.get(department, Role.CIVIL_AFFAIRS)
    title, body = wording.intervention_overdue(
        case.jurisdiction, case.case_id, kind, department, due_on
    )
    return [
        Alert(
            "intervention_overdue",
            f"{intervention_id}:{due_on}:1",
            1,
            case.case_id,
            case.jurisdiction,
            title,
            body,
            (Audience(role, COUNTY),),
            due_on,
            intervention_id=intervention_id,
            due_on=due_on,
        )
    ]


def review_waiting(case: CaseFacts, submission: int, since: str, today: date) -> list[Alert]:
    """Once a submission for review has waited more than REVIEW_WAIT_DAYS days: the
    township supervisor (once per submission)."""
    due = date.fromisoformat(since) + timedelta(days=REVIEW_WAIT_DAYS)
    if due >= today:
        return []
    title, body = wording.review_waiting(case.jurisdiction, case.case_id, since, REVIEW_WAIT_DAYS)
    return [
        Alert(
            "review_waiting",
            f"{review_subject(case.case_id, submission)}:1",
            1,
            case.case_id,
            case.jurisdiction,
            title,
            body,
            (SUPERVISOR,),
            since,
            due_on=due.isoformat(),
        )
    ]


def review_subject(case_id: str, submission: int) -> str:
    """What a review_waiting alert is about: one submission of one case."""
    return f"{case_id}:{submission}"


def choose_recipients(holders: Iterable[Holder], audience: Audience, village: str) -> list[str]:
    """The usernames an audience reaches for a child in `village`.

    Holders of the role whose scope contains the village, at the expected level or
    closer to the child (a county civil affairs officer, and one for just that
    township); when there is none, the nearest broader level (the city's civil affairs
    when the county has nobody), so an alert is never addressed to no one while someone
    above is responsible.
    """
    village = audience.over or village
    if audience.username is not None:
        # The named user (the assignee) when still enabled and over the child's village.
        named = [h for h in holders if h.username == audience.username]
        if named and village.startswith(named[0].scope):
            return [audience.username]
    matching = [
        h for h in holders if h.role == audience.role and h.scope and village.startswith(h.scope)
    ]
    near = [h.username for h in matching if len(h.scope) >= audience.level]
    if near:
        return sorted(near)
    if not matching:
        return []
    nearest = max(len(h.scope) for h in matching)
    return sorted(h.username for h in matching if len(h.scope) == nearest)


def _overdue_visit(
    case: CaseFacts, due_on: str, level: int, audiences: tuple[Audience, ...]
) -> Alert:
    title, body = wording.visit_overdue(case.jurisdiction, case.case_id, due_on, level)
    return Alert(
        "visit_overdue",
        f"{case.case_id}:{due_on}:{level}",
        level,
        case.case_id,
        case.jurisdiction,
        title,
        body,
        audiences,
        due_on,
        due_on=due_on,
    )
