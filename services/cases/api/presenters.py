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

from shared import field_views
from shared.dispatch import Registry, UnknownEventError
from shared.overdue import is_overdue
from shared.roles import Role

from ..access_log import AccessEntry
from ..domain import Case
from ..domain.user import User
from ..domain.user_request import UserRequest
from ..projections.users import UserRow

Json = dict[str, Any]
# A presenter: the public `data` of one stored event.
Presenter = Callable[[Any], Json]
# Keyed by the event class (`type`: mypy does not see `type[Any]` as hashable).
HISTORY: Registry[type, Presenter] = Registry("the case history")


def case_view(
    case: Case, today: date, role: Role, intervention_id: str | None = None
) -> dict[str, Any]:
    """The case as the API shows it to `role` (shared/field_views.py: what it may see)."""
    return field_views.case_view(role, _whole_case(case, today, intervention_id))


def field_value(case: Case, path: str) -> Any:
    """The value of one field of the case (a dotted path, `parents.0.phone`), in clear."""
    node: Any = _whole_case(case, date.min, None)
    for part in path.split("."):
        if isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        elif isinstance(node, dict) and part in node:
            node = node[part]
        else:
            raise FieldNotFoundError(f"the case has no {path}")
    return node


class FieldNotFoundError(LookupError):
    """Raised when the case has no field at the path asked for."""


def _whole_case(case: Case, today: date, intervention_id: str | None) -> dict[str, Any]:
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
        "site_id": case.site_id,
        "closure": case.closure,
        "visit_count": case.visit_count,
        "recent_visits": case.recent_visits,
        "interventions": [{"intervention_id": iid, **i} for iid, i in case.interventions.items()],
        "open_interventions": len(case.open_interventions),
        "has_mandatory_report": case.has_mandatory_report,
        "corrections": case.corrections,
        # Review before it counts (复核): None when never reviewed (the case counts).
        "review": case.review,
        "likely_duplicates": case.duplicates_open,
        "created_at": case.created_on.isoformat(),
        "modified_at": case.modified_on.isoformat(),
        "intervention_id": intervention_id,
        "erasure_request": case.erasure_request,
        "erasure": case.erasure,
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


def user_request_view(request: UserRequest) -> Json:
    """A request for an account, as the admin and the approver see it (no hash)."""
    return {
        "id": request.id,
        "username": request.username,
        "role": request.role,
        "scope": request.scope,
        "display_name": request.display_name,
        "email": request.email,
        "status": request.status,
        "requested_by": request.requested_by,
        "decided_by": request.decided_by,
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


# Where each event's public `data` lies in the case (shared/field_views.py names fields by
# their path in the case): a role sees a key of an event's data when it may see that
# field of the case. A key not named here is shown to case workers and auditors only.
# `""`: the key holds a part of the case itself (the identification's record).
HISTORY_FIELDS: dict[str, dict[str, str]] = {
    "identified": {"record": ""},
    "visited": {
        "visit": "recent_visits.*",
        "risk_level_before": "risk_level",
        "risk_level_after": "risk_level",
        "school_status_before": "school_status",
        "school_status_after": "school_status",
    },
    "guardian_changed": {
        "guardian": "guardian",
        "reason": "guardian",
        "effective_on": "guardian_since",
        "entrustment_signed_on": "entrustment_signed_on",
    },
    "intervention_opened": {
        "intervention_id": "interventions.*",
        "intervention": "interventions.*",
    },
    "intervention_progressed": {
        "intervention_id": "interventions.*",
        "note": "interventions.*",
        "progressed_on": "interventions.*",
    },
    "intervention_closed": {
        "intervention_id": "interventions.*",
        "outcome": "interventions.*",
        "closed_on": "interventions.*",
    },
    "assigned": {"assignee": "assigned_to"},
    "transferred": {
        "from_jurisdiction": "jurisdiction",
        "address_detail": "address.detail",
        "reason": "address",
        "transferred_on": "jurisdiction",
    },
    "closed": {"reason": "closure", "closed_on": "closure", "note": "closure"},
    "reopened": {"reason": "closure", "reopened_on": "closure"},
    "school_changed": {
        "change": "school_status",
        "changed_on": "school_status",
        "school_name": "child.school.name",
        "grade": "child.school.grade",
        "note": "child.school",
        "school_status_before": "school_status",
        "school_status_after": "school_status",
    },
    "site_attended": {
        "site_id": "site_id",
        "site_jurisdiction": "site_id",
        "attended_on": "site_id",
        "site_before": "site_id",
    },
    "site_left": {"site_id": "site_id", "left_on": "site_id"},
    # "corrected": by the field it corrects (field_views.correction_view).
}


def history_view(role: Role, entries: list[Json], interventions: dict[str, Json]) -> list[Json]:
    """A case's history as `role` may see it: each entry's envelope (what happened, when,
    by whom) and of its data only the fields of the case the role may see. `interventions`
    (the case's, by id) tells whose department an intervention event is about."""
    return [entry | {"data": _history_data(role, entry, interventions)} for entry in entries]


def _history_data(role: Role, entry: Json, interventions: dict[str, Json]) -> Json:
    kind, data = entry["type"], entry["data"]
    if kind == "corrected":
        return field_views.correction_view(role, data) or {}
    if kind.startswith("intervention_"):
        intervention = data.get("intervention") or interventions.get(
            data.get("intervention_id", ""), {}
        )
        if not field_views.shows_intervention(role, intervention):
            return {}
    paths = HISTORY_FIELDS.get(kind, {})
    shown: Json = {}
    for key, value in data.items():
        if key not in paths:
            if role in field_views.CASE_WORKERS or role is Role.AUDITOR:
                shown[key] = value
            continue
        seen = field_views.view(role, value, paths[key])
        if seen is not field_views.ABSENT:
            shown[key] = seen
    return shown


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


@HISTORY.on(_event("SiteAttended"))
def _site_attended(e: Any) -> Json:
    return {
        "site_id": e.site_id,
        "site_jurisdiction": e.site_jurisdiction,
        "attended_on": e.attended_on,
        "site_before": e.site_before,
    }


@HISTORY.on(_event("SiteLeft"))
def _site_left(e: Any) -> Json:
    return {"site_id": e.site_id, "left_on": e.left_on}


@HISTORY.on(_event("DuplicateSuspected"))
def _duplicate_suspected(e: Any) -> Json:
    # Which case looks like the same child and why (reason codes): no names.
    return {"other_case_id": e.other_case_id, "reasons": list(e.reasons)}


@HISTORY.on(_event("DuplicateDismissed"))
def _duplicate_dismissed(e: Any) -> Json:
    return {"other_case_id": e.other_case_id}


@HISTORY.on(_event("MergedInto"))
@HISTORY.on(_event("DuplicateMerged"))
def _merged(e: Any) -> Json:
    # The other case of a merge, both ways: closed into it, or merged from it.
    return {"other_case_id": e.other_case_id}


@HISTORY.on(_event("ClosureProposed"))
def _closure_proposed(e: Any) -> Json:
    return {"reason": e.reason, "proposed_on": e.proposed_on}


@HISTORY.on(_event("ErasureRequested"))
def _erasure_requested(e: Any) -> Json:
    return {"basis": e.basis, "reason": e.reason}


@HISTORY.on(_event("ErasureDeclined"))
def _erasure_declined(e: Any) -> Json:
    return {"reason": e.reason}


@HISTORY.on(_event("Erased"))
def _erased(e: Any) -> Json:
    # Who asked, on what ground, when: the record of an erasure outlives what it erased.
    return {"basis": e.basis, "requested_by": e.requested_by, "erased_on": e.erased_on}


@HISTORY.on(_event("ReviewRequested"))
def _review_requested(e: Any) -> Json:
    return {
        "submission": e.submission,
        "subject": e.subject,
        "key_facts": list(e.key_facts),
        "requested_on": e.requested_on,
    }


@HISTORY.on(_event("ReviewConfirmed"))
def _review_confirmed(e: Any) -> Json:
    return {"submission": e.submission, "subject": e.subject, "reviewed_on": e.reviewed_on}


@HISTORY.on(_event("ReviewReturned"))
def _review_returned(e: Any) -> Json:
    return {
        "submission": e.submission,
        "subject": e.subject,
        "comment": e.comment,
        "reviewed_on": e.reviewed_on,
    }


@HISTORY.on(_event("ReviewResubmitted"))
def _review_resubmitted(e: Any) -> Json:
    return {"submission": e.submission, "subject": e.subject, "resubmitted_on": e.resubmitted_on}


@HISTORY.on(_event("EmergencyAccessGranted"))
def _emergency_access_granted(e: Any) -> Json:
    # Who opened the case outside her scope, why and until when: for case workers and
    # auditors (HISTORY_FIELDS names none of it for departments).
    return {
        "username": e.username,
        "requester_scope": e.requester_scope,
        "reason": e.reason,
        "expires_at": e.expires_at,
    }
