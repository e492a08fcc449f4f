"""What the read models keep of one case, and how each event changes it.

The projector does not load aggregates (that would decode every case's history again):
it keeps a compact state per case in the case row and moves it forward event by event.
The next visit's due date is read from the events that move it (the case records it);
for events stored before it did, the domain's one rule (`domain/visit_due.py`) is asked.
The school status follows the `Case` aggregate's rule; a test compares the projected state
with the aggregates of a seeded city, so the two cannot drift apart unnoticed.

Every Case event class is decided in `STATE`: a handler that moves the state, or ignored
on purpose (with the reason); an event class the projector has not decided on stops it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from shared.dispatch import Registry
from shared.vocabulary import GUARDIAN_TYPES, SCHOOL_STATUS_AFTER_CHANGE

from ..domain import Case
from ..domain.visit_due import next_visit_due

Json = dict[str, Any]
# The guardians parents entrust in writing (委托监护确认书): the entrustment share's base.
ENTRUSTABLE = frozenset({"grandparent", "other_relative", "entrusted_adult"})
# Corrections that change what the list shows or searches (kept encrypted).
PERSONAL_FIELDS = {
    "child.name": "name",
    "child.sex": "sex",
    "child.birth_date": "birth_date",
    "child.id_number": "id_number",
}


@dataclass
class Intervention:
    """One intervention of a case, as the worklists and counters need it."""

    kind: str
    department: str
    urgency: str
    opened_on: str
    due_by: str | None
    status: str = "open"
    closed_on: str | None = None


@dataclass
class CaseState:
    """The projected state of one case (no personal data: that sits in `personal`)."""

    case_id: str
    version: int
    position: int  # the notification id of the identification: the list's stable order
    jurisdiction: str
    identified_in: str  # the village it was identified in: monthly figures stay there
    identified_on: str
    status: str
    guardian_type: str
    guardian_since: str
    entrustment_signed: bool
    school_record_status: str
    last_visit_on: str | None = None
    risk_level: str | None = None
    emotional_state: str | None = None  # as the latest visit found the child
    visit_next_due: str | None = None  # as the latest visitor said
    visit_dropped_out: bool = False
    visit_count: int = 0
    visit_months: list[str] = field(default_factory=list)
    assigned_to: str | None = None
    closed_on: str | None = None
    interventions: dict[str, Intervention] = field(default_factory=dict)
    personal: Json = field(default_factory=dict)  # name, sex, birth_date, id_number
    sealed: bytes = b""  # `personal` as stored (encrypted)
    personal_changed: bool = False
    recorded_due: str | None = None  # the due date the latest event that moved it records
    # Review before it counts (复核): confirmed (also never reviewed), pending or returned;
    # what the latest review is of (identification, change) and since when it waits.
    review_status: str = "confirmed"
    review_subject: str | None = None
    review_since: str | None = None
    # The cases this one holds an open likely-duplicate flag for (ids, in order).
    duplicates_open: list[str] = field(default_factory=list)

    @property
    def active(self) -> bool:
        """True unless the case is closed."""
        return self.status == "active"

    @property
    def next_visit_due(self) -> str:
        """When the next visit is due: as the case recorded it on the latest event that
        moved it, else (events stored before it did) by the domain's rule."""
        if self.recorded_due is not None:
            return self.recorded_due
        latest = None
        if self.last_visit_on is not None:
            latest = {
                "visited_on": self.last_visit_on,
                "risk_level": self.risk_level or "medium",
                "next_visit_due": self.visit_next_due,
            }
        return next_visit_due(
            identified_on=self.identified_on,
            guardian={"type": self.guardian_type},
            latest_visit=latest,
        )

    @property
    def school_status(self) -> str:
        """A dropout seen on the latest visit overrides the record (Case.school_status)."""
        return "dropped_out" if self.visit_dropped_out else self.school_record_status

    @property
    def counted(self) -> bool:
        """False while the identification waits for its first confirmation (Case.counted):
        the figures count confirmed cases and show these apart."""
        return not (self.review_subject == "identification" and self.review_status != "confirmed")

    @property
    def has_mandatory_report(self) -> bool:
        """True once a mandatory report was opened: the police may then see the case."""
        return any(i.kind == "mandatory_report" for i in self.interventions.values())

    @property
    def open_interventions(self) -> list[Intervention]:
        """The interventions still open."""
        return [i for i in self.interventions.values() if i.status == "open"]


# A flow: (village, month, metric, +1 or -1), for the monthly figures.
Flow = tuple[str, str, str, int]
# The flow of a child with no guardian given one of each type (how it was resolved).
NO_GUARDIAN_RESOLVED = {t: f"no_guardian_to_{t}" for t in GUARDIAN_TYPES if t != "none"}


def identified(
    case_id: str, version: int, position: int, record: Json, due: str | None = None
) -> tuple[CaseState, list[Flow]]:
    """The state of a newly identified case, and its monthly flows."""
    child = record["child"]
    village = record["address"]["jurisdiction"]
    state = CaseState(
        case_id=case_id,
        version=version,
        position=position,
        jurisdiction=village,
        identified_in=village,
        identified_on=record["identified_on"],
        status="active",
        guardian_type=record["guardian"]["type"],
        guardian_since=record["identified_on"],
        entrustment_signed=False,
        school_record_status=str((child.get("school") or {}).get("status", "not_in_school")),
        personal={
            "name": child["name"],
            "sex": child.get("sex"),
            "birth_date": child.get("birth_date"),
            "id_number": child.get("id_number"),
            # Kept (sealed) to find likely duplicates by their parents (register/lookalikes.py).
            "parent_phones": [p.get("phone") for p in record.get("parents") or []],
        },
        personal_changed=True,
        recorded_due=due,
    )
    return state, _identification_flows(state, 1)


Move = Callable[[CaseState, Json], list[Flow]]
STATE: Registry[type, Move] = Registry("the read models' case state")


def _event(name: str) -> type:
    event_class: type = getattr(Case, name)  # made by @event: invisible to the type checker
    return event_class


IDENTIFIED = _event("Identified")
STATE.ignore(IDENTIFIED, why="opens the state rather than moving it: see identified()")
STATE.ignore(_event("InterventionProgressed"), why="a progress note changes no figure")
STATE.ignore(
    _event("EmergencyAccessGranted"),
    why="a read granted (break-the-glass) changes no figure and no list row",
)


# Likely duplicates: a flag for the township supervisor's worklist; no figure moves (the
# Closed a merge records with it takes a merged duplicate out of the active children).
@STATE.on(_event("DuplicateSuspected"))
def _duplicate_suspected(s: CaseState, data: Json) -> list[Flow]:
    if data["other_case_id"] not in s.duplicates_open:
        s.duplicates_open = [*s.duplicates_open, str(data["other_case_id"])]
    return []


@STATE.on(_event("DuplicateDismissed"))
@STATE.on(_event("MergedInto"))
@STATE.on(_event("DuplicateMerged"))
def _duplicate_resolved(s: CaseState, data: Json) -> list[Flow]:
    s.duplicates_open = [c for c in s.duplicates_open if c != data["other_case_id"]]
    return []


STATE.ignore(
    _event("SiteAttended"),
    _event("SiteLeft"),
    why="who attends which care site is kept by the sites read model (sites.py), not the row",
)


STATE.ignore(
    _event("ClosureProposed"),
    why="its review (ReviewRequested, same append) is what the lists show; the closure follows it",
)
STATE.ignore(
    _event("ErasureRequested"),
    _event("ErasureDeclined"),
    why="an erasure asked for or declined changes no figure and no list row",
)


def apply(state: CaseState, kind: type, data: Json) -> list[Flow]:
    """Moves `state` by one event (`kind` is its class, `data` its attributes); returns
    its flows. Raises UnknownEventError for an event class not decided on in `STATE`."""
    move = STATE.handler(kind)
    if move is None:
        return []
    if "next_visit_due" in getattr(kind, "__dataclass_fields__", ()):
        # An event that can move the due date: what it records (None when stored before
        # it recorded it: the rule is asked again, from the state the event leaves).
        state.recorded_due = data.get("next_visit_due")
    return move(state, data)


def _on(name: str) -> Callable[[Move], Move]:
    return STATE.on(_event(name))


@_on("Visited")
def _visited(s: CaseState, data: Json) -> list[Flow]:
    visit = data["visit"]
    day = str(visit["visited_on"])
    s.visit_count += 1
    # Visits may be recorded out of order: the latest by date counts, and of two on
    # one day the one recorded last (as Case.recent_visits sorts them).
    if s.last_visit_on is None or day >= s.last_visit_on:
        s.last_visit_on = day
        s.risk_level = str(visit["risk_level"])
        s.emotional_state = visit.get("emotional_state")
        s.visit_next_due = visit.get("next_visit_due") or None
        # A dropout seen counts unless a later school change says otherwise: the event
        # records what the case decided (events stored before: there were no changes).
        s.visit_dropped_out = (
            visit.get("school_attendance") == "dropped_out"
            and (data.get("school_status_after") or "dropped_out") == "dropped_out"
        )
    month = day[:7]
    flows: list[Flow] = [(s.jurisdiction, month, "visits", 1)]
    if month not in s.visit_months:
        s.visit_months.append(month)  # kept sorted when stored
        flows.append((s.jurisdiction, month, "children_visited", 1))
    return flows


@_on("GuardianChanged")
def _guardian_changed(s: CaseState, data: Json) -> list[Flow]:
    before, after = s.guardian_type, str(data["guardian"]["type"])
    s.guardian_type = after
    s.guardian_since = str(data["effective_on"])
    s.entrustment_signed = data.get("entrustment_signed_on") is not None
    if not s.counted or before == after or "none" not in (before, after):
        return []
    month = s.guardian_since[:7]
    if after == "none":
        return [(s.jurisdiction, month, "no_guardian_found", 1)]
    return [(s.jurisdiction, month, NO_GUARDIAN_RESOLVED[after], 1)]


@_on("InterventionOpened")
def _intervention_opened(s: CaseState, data: Json) -> list[Flow]:
    i = data["intervention"]
    s.interventions[data["intervention_id"]] = Intervention(
        kind=i["kind"],
        department=i["department"],
        urgency=i["urgency"],
        opened_on=i["opened_on"],
        due_by=i.get("due_by"),
    )
    month = str(i["opened_on"])[:7]
    flows: list[Flow] = [(s.jurisdiction, month, "interventions_opened", 1)]
    if i["kind"] == "mandatory_report":
        flows.append((s.jurisdiction, month, "reports_opened", 1))
    return flows


@_on("InterventionClosed")
def _intervention_closed(s: CaseState, data: Json) -> list[Flow]:
    intervention = s.interventions[data["intervention_id"]]
    intervention.status = "closed"
    intervention.closed_on = data["closed_on"]
    if intervention.kind == "household_registration" and s.counted:
        return [(s.jurisdiction, str(data["closed_on"])[:7], "hukou_registered", 1)]
    return []


@_on("SchoolChanged")
def _school_changed(s: CaseState, data: Json) -> list[Flow]:
    s.school_record_status = SCHOOL_STATUS_AFTER_CHANGE[data["change"]]
    # As the case decided it: a dropout seen on a visit after the change still counts.
    s.visit_dropped_out = data["school_status_after"] != s.school_record_status
    if data["change"] == "returned":  # 控辍保学: a dropout back at school
        return [(s.jurisdiction, str(data["changed_on"])[:7], "returned_to_school", 1)]
    return []


@_on("Assigned")
def _assigned(s: CaseState, data: Json) -> list[Flow]:
    s.assigned_to = data["assignee"]
    return []


@_on("Transferred")
def _transferred(s: CaseState, data: Json) -> list[Flow]:
    month = str(data["transferred_on"])[:7]
    flows: list[Flow] = [
        (s.jurisdiction, month, "active_delta", -1),
        (data["jurisdiction"], month, "active_delta", 1),
    ]
    if not s.counted:
        flows = []  # not among the active children until confirmed
    s.jurisdiction = data["jurisdiction"]
    s.assigned_to = None  # a new village means a new child director
    return flows


@_on("Closed")
def _closed(s: CaseState, data: Json) -> list[Flow]:
    s.status = "closed"
    s.closed_on = data["closed_on"]
    month = str(data["closed_on"])[:7]
    if not s.counted:
        return []  # never counted: a closure moves no figure
    flows = [(s.jurisdiction, month, "closed", 1), (s.jurisdiction, month, "active_delta", -1)]
    if s.guardian_type == "none":  # closed before anyone became the child's guardian
        flows.append((s.jurisdiction, month, "no_guardian_closed", 1))
    return flows


@_on("Reopened")
def _reopened(s: CaseState, data: Json) -> list[Flow]:
    s.status = "active"
    s.closed_on = None
    month = str(data["reopened_on"])[:7]
    if not s.counted:
        return []
    return [(s.jurisdiction, month, "reopened", 1), (s.jurisdiction, month, "active_delta", 1)]


@_on("Erased")
def _erased(s: CaseState, data: Json) -> list[Flow]:
    # The name, birth date and ID number leave the row and the search index; the
    # figures stay (a rebuild reads the same from the events, whose key is gone).
    s.personal = {
        "name": None,
        "sex": s.personal.get("sex"),
        "birth_date": None,
        "id_number": None,
        "parent_phones": [],
    }
    s.personal_changed = True
    return []


@_on("Corrected")
def _corrected(s: CaseState, data: Json) -> list[Flow]:
    name, value = data["field"], data["new_value"]
    if name in PERSONAL_FIELDS:
        s.personal[PERSONAL_FIELDS[name]] = value
        s.personal_changed = True
    elif name.startswith("parents.") and name.endswith(".phone"):
        phones = list(s.personal.get("parent_phones") or [])
        index = int(name.split(".")[1])
        phones += [None] * (index + 1 - len(phones))
        phones[index] = value
        s.personal["parent_phones"] = phones
        s.personal_changed = True
    elif name == "child.school.status":
        s.school_record_status = str(value)
        if data.get("school_status_after"):
            # As the case decided it (a dropout seen on a later visit still counts);
            # corrections stored before it did so came before any school change.
            s.visit_dropped_out = data["school_status_after"] != s.school_record_status
    elif name == "identified_on":
        # The identification moves to another month where the case was identified.
        old, new = s.identified_on[:7], str(value)[:7]
        s.identified_on = str(value)
        if old != new and s.counted:
            return [
                (s.identified_in, old, "identified", -1),
                (s.identified_in, new, "identified", 1),
                (s.identified_in, old, "active_delta", -1),
                (s.identified_in, new, "active_delta", 1),
            ]
    return []


def _identification_flows(s: CaseState, n: int) -> list[Flow]:
    # The month's identifications count confirmed ones: a director's identification
    # leaves them when it asks for review (in the same append) and comes back, to the
    # month it was identified in, when confirmed.
    month = s.identified_on[:7]
    flows = [(s.identified_in, month, "identified", n), (s.jurisdiction, month, "active_delta", n)]
    if s.guardian_type == "none":  # found with no guardian, counted with the identification
        flows.append((s.identified_in, month, "no_guardian_found", n))
    return flows


@_on("ReviewRequested")
def _review_requested(s: CaseState, data: Json) -> list[Flow]:
    counted = s.counted
    s.review_status, s.review_subject = "pending", str(data["subject"])
    s.review_since = str(data["requested_on"])
    return _identification_flows(s, -1) if counted and not s.counted and s.active else []


@_on("ReviewConfirmed")
def _review_confirmed(s: CaseState, data: Json) -> list[Flow]:
    counted = s.counted
    s.review_status, s.review_since = "confirmed", None
    return _identification_flows(s, 1) if not counted and s.active else []


@_on("ReviewReturned")
def _review_returned(s: CaseState, data: Json) -> list[Flow]:
    if data["subject"] == "closure":  # a closure declined: nothing waits (Case._review_returned)
        s.review_status, s.review_since = "confirmed", None
        return []
    s.review_status, s.review_since = "returned", str(data["reviewed_on"])
    return []


@_on("ReviewResubmitted")
def _review_resubmitted(s: CaseState, data: Json) -> list[Flow]:
    s.review_status, s.review_since = "pending", str(data["resubmitted_on"])
    return []
