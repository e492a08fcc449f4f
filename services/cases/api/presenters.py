"""Turn aggregates and events into the JSON the API answers with."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from eventsourcing.domain import DomainEventProtocol

from ..domain import Case

# Attributes every event has, which the history shows in their own fields.
_ENVELOPE = {
    "originator_id",
    "originator_version",
    "timestamp",
    "originator_topic",
    "actor",
    "jurisdiction",
    # The case's due date after the event, recorded for the log's followers: the history
    # shows what happened, and the case shows its due date.
    "next_visit_due",
}


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
        "visit_overdue": case.status == "active" and case.next_visit_due < today.isoformat(),
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


def event_type(event: object) -> str:
    """`Case.GuardianChanged` → `guardian_changed`."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", type(event).__name__).lower()


def history_entry(event: DomainEventProtocol[Any]) -> dict[str, Any]:
    """One event of a case's history."""
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
        "data": {k: v for k, v in attributes.items() if k not in _ENVELOPE},
    }
