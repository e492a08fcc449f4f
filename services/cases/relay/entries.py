"""The relay's half of the stream contract: one stored event → one stream entry.

The mapping from domain event classes to a contract `type` and payload lives here, next
to the code that knows the events; `shared/contracts.py` says what an entry may hold.
Payloads are built field by field from what the contract defines, never by copying the
event: names, phones, ID numbers, addresses, notes, free-text reasons and password hashes
stay in the case service.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any
from uuid import UUID

from services.cases.domain import Case
from services.cases.domain.user import User
from services.cases.idempotency import IdempotencyRecord
from shared.contracts import CURRENT_VERSION, stream_id
from shared.vocabulary import VISIT_INTERVAL_DAYS

Json = dict[str, Any]
Entry = dict[str, str]

# The fields of every entry, in the order the append script receives their values.
FIELDS = (
    "event_id",
    "position",
    "previous_id",
    "type",
    "schema_version",
    "aggregate_id",
    "case_id",
    "case_version",
    "occurred_at",
    "jurisdiction",
    "actor",
    "payload",
)
# Bookkeeping records have no acting user; consumers see who by the case event beside it.
_NO_ACTOR: Json = {"username": "system", "role": "", "request_id": ""}
_USERNAME_CACHE_SIZE = 10_000
_VERSIONS = {type_: str(version) for type_, version in CURRENT_VERSION.items()}


def _event(aggregate: type[Any], name: str) -> type[Any]:
    # The event classes are made by the @event decorator at class creation: the type
    # checker cannot see them as attributes.
    event_class: type[Any] = getattr(aggregate, name)
    return event_class


_IDENTIFIED = _event(Case, "Identified")
_REGISTERED = _event(User, "Registered")
_RECORDED = _event(IdempotencyRecord, "Recorded")
_VISITED = _event(Case, "Visited")
# The fields case.visited v2 adds: the derived state around the visit.
_VISIT_TRANSITION = (
    "risk_level_before",
    "risk_level_after",
    "school_status_before",
    "school_status_after",
)


class UnmappedEventError(LookupError):
    """Raised when the log holds an event class the relay has no stream mapping for."""


def _identified(event: Any) -> Json:
    record = event.record
    guardian_type = record["guardian"]["type"]
    # The Case's rules for a case not yet visited (Case.next_visit_due, .school_status);
    # a test holds these to the aggregate's. Not computed by replaying the event into a
    # Case: its deep copies cost more than the rest of the relay's work per event.
    risk = "high" if guardian_type == "none" else "medium"
    due = date.fromisoformat(record["identified_on"]) + timedelta(VISIT_INTERVAL_DAYS[risk])
    school = record["child"].get("school") or {}
    return {
        "identified_on": record["identified_on"],
        "source": record["source"],
        "guardian_type": guardian_type,
        "school_status": school.get("status", "not_in_school"),
        "birth_date": record["child"]["birth_date"],
        "next_visit_due": due.isoformat(),
    }


def _visited(event: Any) -> Json:
    visit = event.visit
    payload = {
        "visited_on": visit["visited_on"],
        "mode": visit["mode"],
        "risk_level": visit["risk_level"],
        "emotional_state": visit["emotional_state"],
        "school_attendance": visit["school_attendance"],
        "safety_concerns": list(visit["safety_concerns"]),
        "next_visit_due": next_visit_due(visit),
    }
    if _has_transition(event):
        payload |= {name: getattr(event, name) for name in _VISIT_TRANSITION}
    return payload


def _has_transition(event: Any) -> bool:
    # Visits stored before the case service recorded the state around them lack it:
    # they are published as v1, which notify judges by its own view of the case.
    return getattr(event, "risk_level_after", None) is not None


def next_visit_due(visit: Json) -> str:
    """When this visit makes the next one due: as the visitor said, else by risk level
    (the Case's rule), so notify's scheduler needs no rule of the case service."""
    if visit.get("next_visit_due"):
        return str(visit["next_visit_due"])
    days = VISIT_INTERVAL_DAYS[visit["risk_level"]]
    return (date.fromisoformat(visit["visited_on"]) + timedelta(days=days)).isoformat()


def _guardian_changed(event: Any) -> Json:
    return {
        "guardian_type": event.guardian["type"],
        "effective_on": event.effective_on,
        "entrustment_signed_on": event.entrustment_signed_on,
    }


def _intervention_opened(event: Any) -> Json:
    i = event.intervention
    return {
        "intervention_id": event.intervention_id,
        "kind": i["kind"],
        "department": i["department"],
        "urgency": i["urgency"],
        "opened_on": i["opened_on"],
        "due_by": i.get("due_by"),
    }


_CASE_PAYLOADS: dict[type[Any], tuple[str, Callable[[Any], Json]]] = {
    _IDENTIFIED: ("case.identified", _identified),
    _VISITED: ("case.visited", _visited),
    _event(Case, "GuardianChanged"): ("case.guardian_changed", _guardian_changed),
    _event(Case, "InterventionOpened"): ("case.intervention_opened", _intervention_opened),
    _event(Case, "InterventionProgressed"): (
        "case.intervention_progressed",
        lambda e: {"intervention_id": e.intervention_id, "progressed_on": e.progressed_on},
    ),
    _event(Case, "InterventionClosed"): (
        "case.intervention_closed",
        lambda e: {"intervention_id": e.intervention_id, "closed_on": e.closed_on},
    ),
    _event(Case, "Assigned"): ("case.assigned", lambda e: {"assignee": e.assignee}),
    _event(Case, "Transferred"): (
        "case.transferred",
        lambda e: {"from_jurisdiction": e.from_jurisdiction, "transferred_on": e.transferred_on},
    ),
    # The closure reason is one of a fixed vocabulary; the free-text note stays behind.
    _event(Case, "Closed"): (
        "case.closed",
        lambda e: {"reason": e.reason, "closed_on": e.closed_on},
    ),
    _event(Case, "Reopened"): ("case.reopened", lambda e: {"reopened_on": e.reopened_on}),
    _event(Case, "Corrected"): ("case.corrected", lambda e: {"field": e.field}),
}

# Later user events do not repeat the username (the aggregate id derives from it and
# cannot be inverted), so these builders are handed the username the mapper looked up.
_USER_PAYLOADS: dict[type[Any], tuple[str, Callable[[Any, str], Json]]] = {
    _REGISTERED: (
        "user.registered",
        # A staff address, not a child's data; None for users registered without one
        # (and for registrations stored before users had addresses).
        lambda e, username: {
            "username": username,
            "role": e.role,
            "scope": e.scope,
            "display_name": e.display_name,
            "email": getattr(e, "email", None),
        },
    ),
    _event(User, "Disabled"): ("user.disabled", lambda e, username: {"username": username}),
    _event(User, "TokenRevoked"): (
        "user.token_revoked",
        lambda e, username: {"username": username, "token_id": e.token_id},
    ),
    _event(User, "PasswordChanged"): (
        "user.password_changed",
        lambda e, username: {"username": username},
    ),
}

MAPPED_EVENT_CLASSES = frozenset(_CASE_PAYLOADS) | frozenset(_USER_PAYLOADS) | {_RECORDED}


class EntryMapper:
    """Maps stored events to entries; `username_of` names the user of a user event that
    does not carry the name (a read of the User aggregate, cached)."""

    def __init__(self, username_of: Callable[[UUID], str]) -> None:
        self._username_of = username_of
        self._usernames: dict[UUID, str] = {}

    def to_entry(self, position: int, event: Any) -> Entry:
        """The stream entry of the event stored at `position`, without `previous_id`
        (which depends on what was published before it: see `chain`)."""
        kind = type(event)
        aggregate_id = str(event.originator_id)
        jurisdiction, case_id = "", ""
        if kind in _CASE_PAYLOADS:
            type_, build = _CASE_PAYLOADS[kind]
            payload = build(event)
            jurisdiction = (
                event.record["address"]["jurisdiction"]
                if kind is _IDENTIFIED
                else event.jurisdiction
            )
            case_id = aggregate_id
        elif kind in _USER_PAYLOADS:
            type_, build_user = _USER_PAYLOADS[kind]
            payload = build_user(event, self._username(event))
        elif kind is _RECORDED:
            type_, payload = "idempotency.recorded", {}
        else:
            raise UnmappedEventError(
                f"no stream mapping for {kind.__qualname__} at position "
                f"{position}: add it to services/cases/relay/entries.py"
            )
        actor = getattr(event, "actor", None) or _NO_ACTOR
        version = str(event.originator_version)
        return {
            "event_id": f"{aggregate_id}:{version}",
            "position": str(position),
            "type": type_,
            "schema_version": (
                "1" if kind is _VISITED and not _has_transition(event) else _VERSIONS[type_]
            ),
            "aggregate_id": aggregate_id,
            "case_id": case_id,
            "case_version": version,
            "occurred_at": event.timestamp.isoformat(),
            "jurisdiction": jurisdiction,
            "actor": _json(
                {
                    "username": actor["username"],
                    "role": actor["role"],
                    "request_id": actor["request_id"],
                }
            ),
            "payload": _json(payload),
        }

    def _username(self, event: Any) -> str:
        user_id: UUID = event.originator_id
        if isinstance(event, _REGISTERED):
            self._usernames[user_id] = event.username
        elif user_id not in self._usernames:
            if len(self._usernames) >= _USERNAME_CACHE_SIZE:
                self._usernames.clear()  # bounded: a province has many users
            self._usernames[user_id] = self._username_of(user_id)
        return self._usernames[user_id]


def chain(entries: list[Entry], after: int) -> list[Entry]:
    """Sets each entry's `previous_id`: the entry before it, the first one following the
    entry at position `after` (0: none, "0-0")."""
    previous = stream_id(after) if after else "0-0"
    for entry in entries:
        entry["previous_id"] = previous
        previous = stream_id(int(entry["position"]))
    return entries


# One encoder, made once: json.dumps with options builds a new one on every call.
_json = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode
