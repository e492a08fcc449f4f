"""Turn aggregates and events into the JSON the API answers with.

A case's history shows each event through its own presenter, one small function per
event class in the `HISTORY` registry: what an event makes public is written here, so a
field added to a stored event stays private until a presenter shows it, and an event
class with no presenter fails the suite (tests/unit/test_history_presenters.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import date, datetime
from typing import Any

from eventsourcing.domain import DomainEventProtocol

from shared.dispatch import Registry, UnknownEventError
from shared.overdue import is_overdue

from ..access_log import AccessEntry
from ..domain import Case
from ..domain.user import User
from ..projections.users import UserRow

Json = dict[str, Any]
# A presenter: the public `data` of one stored event.
Presenter = Callable[[Any], Json]
# Keyed by the event class (`type`: mypy does not see `type[Any]` as hashable).
HISTORY: Registry[type, Presenter] = Registry("the case history")


def case_view(case: Case, today: date, intervention_id: str | None = None) -> dict[str, Any]:
    """The case as the API shows it."""
    record = case.record
    return {
        "id": str(case.id),
        "version": case.version,
        "status": case.status,
        "jurisdiction": case.jurisdiction,
        "child": record["child"],
        "address": record["address"],
        "parents": record["parents"],
        "guardian": case.guardian,
        "guardian_type": case.guardian_type,
        "guardian_since": case.guardian_since,
        "entrustment_signed": case.entrustment_signed,
        "entrustment_signed_on": case.entrustment_signed_on,
        "source": record["source"],
        "identified_on": record["identified_on"],
        "risk_level": case.risk_level,
        "last_visit_on": case.last_visit_on,
        "next_visit_due": case.next_visit_due,
        "visit_overdue": case.status == "active" and is_overdue(case.next_visit_due, today),
        "school_status": case.school_status,
        "sixteenth_birthday": case.sixteenth_birthday,
        "assigned_to": case.assigned_to,
        "closure": case.closure,
        "visit_count": case.visit_count,
        "recent_visits": case.recent_visits,
        "interventions": [{"intervention_id": iid, **i} for iid, i in case.interventions.items()],
        "open_interventions": len(case.open_interventions),
        "has_mandatory_report": case.has_mandatory_report,
        "corrections": case.corrections,
        "created_at": case.created_on.isoformat(),
        "modified_at": case.modified_on.isoformat(),
        "intervention_id": intervention_id,
    }


def user_view(user: User) -> Json:
    """A user as the admin API shows them (never the password hash)."""
    return {
        "username": user.username,
        "role": user.role,
        "scope": user.scope,
        "display_name": user.display_name,
        "email": user.email,
        "disabled": user.disabled,
    }


def user_row_view(row: UserRow) -> Json:
    """A row of the users read model, shown as `user_view` shows a user."""
    return {
        "username": row.username,
        "role": row.role,
        "scope": row.scope,
        "display_name": row.display_name,
        "email": row.email,
        "disabled": row.disabled,
    }


def access_entry_view(entry: AccessEntry) -> Json:
    """One read of a child's record, as auditors see it."""
    return {**vars(entry), "at": entry.at.isoformat()}


def event_type(event: object) -> str:
    """`Case.GuardianChanged` → `guardian_changed`."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", type(event).__name__).lower()


def history_entry(event: DomainEventProtocol[Any]) -> dict[str, Any]:
    """One event of a case's history: the envelope every event has, and what its own
    presenter makes public of it as `data`."""
    present = HISTORY.handler(type(event))
    if present is None:
        raise UnknownEventError(f"the history shows no {type(event).__qualname__}")
    attributes = vars(event)
    timestamp: datetime = attributes["timestamp"]
    return {
        "type": event_type(event),
        "version": event.originator_version,
        "occurred_at": timestamp.isoformat(),
        "actor": attributes.get("actor", {}),
        # Where the case was when it happened (the identification names it in its record).
        "jurisdiction": attributes.get("jurisdiction")
        or attributes.get("record", {}).get("address", {}).get("jurisdiction"),
        "data": present(event),
    }


def history_entries(events: Iterable[DomainEventProtocol[Any]]) -> list[Json]:
    """The history of a case: every event it shows, in order."""
    return [history_entry(e) for e in events if not HISTORY.ignores(type(e))]


def _event(name: str) -> type[Any]:
    # The @event decorator makes the event classes when Case is created: the type
    # checker cannot see them as attributes.
    event_class: type[Any] = getattr(Case, name)
    return event_class


def _recorded(event: Any, *names: str) -> Json:
    """The named attributes an event carries: events stored before a field existed
    leave it out, as they always have."""
    attributes = vars(event)
    return {name: attributes[name] for name in names if name in attributes}


# ---- one presenter per Case event -------------------------------------------------------
# The keys and their order are the public answer (the web dashboard and the API's
# clients read them): change them only with the API's version.


@HISTORY.on(_event("Identified"))
def _identified(e: Any) -> Json:
    return {"record": e.record}


@HISTORY.on(_event("Visited"))
def _visited(e: Any) -> Json:
    return {
        "visit": e.visit,
        **_recorded(
            e,
            "risk_level_before",
            "risk_level_after",
            "school_status_before",
            "school_status_after",
        ),
    }


@HISTORY.on(_event("GuardianChanged"))
def _guardian_changed(e: Any) -> Json:
    return {
        "guardian": e.guardian,
        "reason": e.reason,
        "effective_on": e.effective_on,
        "entrustment_signed_on": e.entrustment_signed_on,
    }


@HISTORY.on(_event("InterventionOpened"))
def _intervention_opened(e: Any) -> Json:
    return {"intervention_id": e.intervention_id, "intervention": e.intervention}


@HISTORY.on(_event("InterventionProgressed"))
def _intervention_progressed(e: Any) -> Json:
    return {"intervention_id": e.intervention_id, "note": e.note, "progressed_on": e.progressed_on}


@HISTORY.on(_event("InterventionClosed"))
def _intervention_closed(e: Any) -> Json:
    return {"intervention_id": e.intervention_id, "outcome": e.outcome, "closed_on": e.closed_on}


@HISTORY.on(_event("Assigned"))
def _assigned(e: Any) -> Json:
    return {"assignee": e.assignee}


@HISTORY.on(_event("Transferred"))
def _transferred(e: Any) -> Json:
    return {
        "from_jurisdiction": e.from_jurisdiction,
        "address_detail": e.address_detail,
        "reason": e.reason,
        "transferred_on": e.transferred_on,
    }


@HISTORY.on(_event("Closed"))
def _closed(e: Any) -> Json:
    return {"reason": e.reason, "closed_on": e.closed_on, "note": e.note}


@HISTORY.on(_event("Reopened"))
def _reopened(e: Any) -> Json:
    return {"reason": e.reason, "reopened_on": e.reopened_on}


@HISTORY.on(_event("Corrected"))
def _corrected(e: Any) -> Json:
    return {
        "field": e.field,
        "old_value": e.old_value,
        "new_value": e.new_value,
        "reason": e.reason,
    }


@HISTORY.on(_event("SchoolChanged"))
def _school_changed(e: Any) -> Json:
    return {
        "change": e.change,
        "changed_on": e.changed_on,
        "school_name": e.school_name,
        "grade": e.grade,
        "note": e.note,
        "school_status_before": e.school_status_before,
        "school_status_after": e.school_status_after,
    }
