"""What the read models keep of one case, and how each event changes it.

The projector does not load aggregates (that would decode every case's history again):
it keeps a compact state per case in the case row and moves it forward event by event.
The derived figures (next visit due, school status…) follow the `Case` aggregate's own
rules in `services/cases/domain/case.py`; a test compares them with the aggregates of a
seeded city, so the two cannot drift apart unnoticed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from shared.vocabulary import VISIT_INTERVAL_DAYS

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

    @property
    def active(self) -> bool:
        """True unless the case is closed."""
        return self.status == "active"

    @property
    def next_visit_due(self) -> str:
        """When the next visit is due: as the visitor said, or by risk (Case.next_visit_due)."""
        if self.last_visit_on is None:
            days = VISIT_INTERVAL_DAYS["high" if self.guardian_type == "none" else "medium"]
            return _plus(self.identified_on, days)
        if self.visit_next_due:
            return self.visit_next_due
        return _plus(self.last_visit_on, VISIT_INTERVAL_DAYS[self.risk_level or "medium"])

    @property
    def school_status(self) -> str:
        """A dropout seen on the latest visit overrides the record (Case.school_status)."""
        return "dropped_out" if self.visit_dropped_out else self.school_record_status

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


def identified(
    case_id: str, version: int, position: int, record: Json
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
        },
        personal_changed=True,
    )
    month = state.identified_on[:7]
    return state, [(village, month, "identified", 1), (village, month, "active_delta", 1)]


def apply(state: CaseState, kind: str, data: Json) -> list[Flow]:
    """Moves `state` by one event (`kind` is the event class name); returns its flows."""
    handler = _HANDLERS.get(kind)
    return handler(state, data) if handler else []


def _visited(s: CaseState, data: Json) -> list[Flow]:
    visit = data["visit"]
    day = str(visit["visited_on"])
    s.visit_count += 1
    # Visits may be recorded out of order: the latest by date counts, and of two on
    # one day the one recorded last (as Case.recent_visits sorts them).
    if s.last_visit_on is None or day >= s.last_visit_on:
        s.last_visit_on = day
        s.risk_level = str(visit["risk_level"])
        s.visit_next_due = visit.get("next_visit_due") or None
        s.visit_dropped_out = visit.get("school_attendance") == "dropped_out"
    month = day[:7]
    flows: list[Flow] = [(s.jurisdiction, month, "visits", 1)]
    if month not in s.visit_months:
        s.visit_months.append(month)  # kept sorted when stored
        flows.append((s.jurisdiction, month, "children_visited", 1))
    return flows


def _guardian_changed(s: CaseState, data: Json) -> list[Flow]:
    s.guardian_type = str(data["guardian"]["type"])
    s.guardian_since = str(data["effective_on"])
    s.entrustment_signed = data.get("entrustment_signed_on") is not None
    return []


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


def _intervention_closed(s: CaseState, data: Json) -> list[Flow]:
    intervention = s.interventions[data["intervention_id"]]
    intervention.status = "closed"
    intervention.closed_on = data["closed_on"]
    return []


def _assigned(s: CaseState, data: Json) -> list[Flow]:
    s.assigned_to = data["assignee"]
    return []


def _transferred(s: CaseState, data: Json) -> list[Flow]:
    month = str(data["transferred_on"])[:7]
    flows: list[Flow] = [
        (s.jurisdiction, month, "active_delta", -1),
        (data["jurisdiction"], month, "active_delta", 1),
    ]
    s.jurisdiction = data["jurisdiction"]
    s.assigned_to = None  # a new village means a new child director
    return flows


def _closed(s: CaseState, data: Json) -> list[Flow]:
    s.status = "closed"
    s.closed_on = data["closed_on"]
    month = str(data["closed_on"])[:7]
    return [(s.jurisdiction, month, "closed", 1), (s.jurisdiction, month, "active_delta", -1)]


def _reopened(s: CaseState, data: Json) -> list[Flow]:
    s.status = "active"
    s.closed_on = None
    month = str(data["reopened_on"])[:7]
    return [(s.jurisdiction, month, "reopened", 1), (s.jurisdiction, month, "active_delta", 1)]


def _corrected(s: CaseState, data: Json) -> list[Flow]:
    name, value = data["field"], data["new_value"]
    if name in PERSONAL_FIELDS:
        s.personal[PERSONAL_FIELDS[name]] = value
        s.personal_changed = True
    elif name == "child.school.status":
        s.school_record_status = str(value)
    elif name == "identified_on":
        # The identification moves to another month where the case was identified.
        old, new = s.identified_on[:7], str(value)[:7]
        s.identified_on = str(value)
        if old != new:
            return [
                (s.identified_in, old, "identified", -1),
                (s.identified_in, new, "identified", 1),
                (s.identified_in, old, "active_delta", -1),
                (s.identified_in, new, "active_delta", 1),
            ]
    return []


_HANDLERS = {
    "Visited": _visited,
    "GuardianChanged": _guardian_changed,
    "InterventionOpened": _intervention_opened,
    "InterventionClosed": _intervention_closed,
    "Assigned": _assigned,
    "Transferred": _transferred,
    "Closed": _closed,
    "Reopened": _reopened,
    "Corrected": _corrected,
}


def _plus(day: str, days: int) -> str:
    return (date.fromisoformat(day) + timedelta(days=days)).isoformat()
