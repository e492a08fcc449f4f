"""The relay's half of the stream contract: one stored event → one stream entry.

The mapping from domain event classes to a contract `type` and payload lives here, next
to the code that knows the events; `shared/contracts.py` says what an entry may hold.
Payloads are built field by field from what the contract defines, never by copying the
event: names, phones, ID numbers, addresses, notes, free-text reasons and password hashes
stay in the case service.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from services.cases.domain import Case
from services.cases.domain.site import Site, SitePlan
from services.cases.domain.user import User
from services.cases.domain.user_request import UserRequest
from services.cases.domain.visit_due import due_after_visit, due_before_any_visit
from services.cases.idempotency import IdempotencyRecord
from shared.contracts import CURRENT_VERSION, ENVELOPE_FIELD_ORDER, PAYLOADS, stream_id
from shared.dispatch import Registry, UnknownEventError

Json = dict[str, Any]
Entry = dict[str, str]

# The fields of every entry, in the order the append script receives their values.
FIELDS = ENVELOPE_FIELD_ORDER
# Bookkeeping records have no acting user; consumers see who by the case event beside it.
_NO_ACTOR: Json = {"username": "system", "role": "", "request_id": ""}
_USERNAME_CACHE_SIZE = 10_000
_VERSIONS = {type_: str(version) for type_, version in CURRENT_VERSION.items()}


def event_classes(aggregate: type[Any]) -> list[type[Any]]:
    """The event classes of an aggregate, found on the class: every `@event` makes one,
    so a new event is found without being listed anywhere."""
    base: type[Any] = aggregate.Event
    return [
        value
        for name, value in vars(aggregate).items()
        if isinstance(value, type)
        and issubclass(value, base)
        and value is not base
        # the default creation event eventsourcing makes, unused when one is named
        and not (name == "Created" and value.__qualname__ == f"{aggregate.__qualname__}.Created")
    ]


def _event(aggregate: type[Any], name: str) -> type[Any]:
    # The event classes are made by the @event decorator at class creation: the type
    # checker cannot see them as attributes.
    event_class: type[Any] = getattr(aggregate, name)
    return event_class


_IDENTIFIED = _event(Case, "Identified")
_REGISTERED = _event(User, "Registered")
_RECORDED = _event(IdempotencyRecord, "Recorded")
# The fields case.visited v2 adds: the derived state around the visit.
_VISIT_TRANSITION = (
    "risk_level_before",
    "risk_level_after",
    "school_status_before",
    "school_status_after",
)


class UnmappedEventError(UnknownEventError):
    """Raised when the log holds an event class the relay has no stream mapping for."""


@dataclass(frozen=True)
class StreamMapping:
    """How one event class becomes a stream entry: its contract `type`, its payload
    (`payload(event, username)`; the username only for user events), whether it is
    about a case (then it carries the case id and village), and its schema version
    (by default the contract's current one)."""

    type: str
    payload: Callable[[Any, str], Json]
    about_case: bool = True
    version: Callable[[Any], int] | None = None

    def schema_version(self, event: Any) -> str:
        """The version of the payload this event is published as."""
        return str(self.version(event)) if self.version else _VERSIONS[self.type]


RELAY: Registry[type, StreamMapping] = Registry("the relay")


def _case(name: str, type_: str, build: Callable[[Any], Json], **options: Any) -> None:
    RELAY.add(_event(Case, name), StreamMapping(type_, lambda e, _: build(e), **options))


def _user(name: str, type_: str, build: Callable[[Any, str], Json]) -> None:
    RELAY.add(_event(User, name), StreamMapping(type_, build, about_case=False))


def _identified(event: Any) -> Json:
    record = event.record
    guardian_type = record["guardian"]["type"]
    school = record["child"].get("school") or {}
    return {
        "identified_on": record["identified_on"],
        "source": record["source"],
        "guardian_type": guardian_type,
        "school_status": school.get("status", "not_in_school"),
        # Stored before the case recorded it: the case's own rule (a case not yet visited).
        "next_visit_due": getattr(event, "next_visit_due", None)
        or due_before_any_visit(record["identified_on"], record["guardian"]),
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
        # The case's due date after the visit, as the case recorded it; for visits stored
        # before, the due date this visit sets (the case's rule, were it the latest).
        "next_visit_due": getattr(event, "next_visit_due", None) or due_after_visit(visit, {}),
    }
    if _has_transition(event):
        payload |= {name: getattr(event, name) for name in _VISIT_TRANSITION}
    return payload


def _has_transition(event: Any) -> bool:
    # Visits stored before the case service recorded the state around them lack it:
    # they are published as v1, which notify judges by its own view of the case.
    return getattr(event, "risk_level_after", None) is not None


def _with_due(payload: Json, event: Any) -> Json:
    # The case's due date after the event, when it was recorded (v2); events stored
    # before are published as v1, without it: notify keeps the due date it had.
    due = getattr(event, "next_visit_due", None)
    return payload if due is None else payload | {"next_visit_due": due}


def _v2_when_due_recorded(event: Any) -> int:
    return 1 if getattr(event, "next_visit_due", None) is None else 2


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


_case("Identified", "case.identified", _identified)
_case(
    "Visited",
    "case.visited",
    _visited,
    version=lambda e: CURRENT_VERSION["case.visited"] if _has_transition(e) else 1,
)
_case(
    "GuardianChanged",
    "case.guardian_changed",
    lambda e: _with_due(
        {
            "guardian_type": e.guardian["type"],
            "effective_on": e.effective_on,
            "entrustment_signed_on": e.entrustment_signed_on,
        },
        e,
    ),
    version=_v2_when_due_recorded,
)
_case("InterventionOpened", "case.intervention_opened", _intervention_opened)
_case(
    "InterventionProgressed",
    "case.intervention_progressed",
    lambda e: {"intervention_id": e.intervention_id, "progressed_on": e.progressed_on},
)
_case(
    "InterventionClosed",
    "case.intervention_closed",
    lambda e: {"intervention_id": e.intervention_id, "closed_on": e.closed_on},
)
_case("Assigned", "case.assigned", lambda e: {"assignee": e.assignee})
_case("MergedInto", "case.merged_into", lambda e: {"other_case_id": e.other_case_id})
_case("DuplicateMerged", "case.duplicate_merged", lambda e: {"other_case_id": e.other_case_id})
# Ids and reason codes only: the names compared stay in the case service.
_case(
    "DuplicateSuspected",
    "case.duplicate_suspected",
    lambda e: {"other_case_id": e.other_case_id, "reasons": list(e.reasons)},
)
_case(
    "DuplicateDismissed", "case.duplicate_dismissed", lambda e: {"other_case_id": e.other_case_id}
)
_case(
    "Transferred",
    "case.transferred",
    lambda e: {"from_jurisdiction": e.from_jurisdiction, "transferred_on": e.transferred_on},
)
# The closure reason is one of a fixed vocabulary; the free-text note stays behind.
_case("Closed", "case.closed", lambda e: {"reason": e.reason, "closed_on": e.closed_on})
_case("Reopened", "case.reopened", lambda e: {"reopened_on": e.reopened_on})
# Which fact was corrected; the values stay in the case service.
_case(
    "Corrected",
    "case.corrected",
    lambda e: _with_due({"field": e.field}, e),
    version=_v2_when_due_recorded,
)

# Later user events do not repeat the username (the aggregate id derives from it and
# cannot be inverted), so these builders are handed the username the mapper looked up.
_user(
    "Registered",
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
)
_user("Disabled", "user.disabled", lambda e, username: {"username": username})
_user(
    "TokenRevoked",
    "user.token_revoked",
    lambda e, username: {"username": username, "token_id": e.token_id},
)
_user("PasswordChanged", "user.password_changed", lambda e, username: {"username": username})
RELAY.add(
    _RECORDED,
    StreamMapping("idempotency.recorded", lambda e, _: {}, about_case=False),
)

for _site_event in (*event_classes(Site), *event_classes(SitePlan)):
    RELAY.add(_site_event, StreamMapping("site.recorded", lambda e, _: {}, about_case=False))

for _request_event in event_classes(UserRequest):
    RELAY.add(
        _request_event,
        StreamMapping("user_request.recorded", lambda e, _: {}, about_case=False),
    )


def _stream_type(event_class: type[Any]) -> str:
    # Case.SchoolChanged → case.school_changed
    return "case." + re.sub(r"(?<!^)(?=[A-Z])", "_", event_class.__name__).lower()


def _contract_fields(type_: str) -> Callable[[Any, str], Json]:
    names = tuple(PAYLOADS[type_][CURRENT_VERSION[type_]]().fields)
    return lambda event, _: {name: getattr(event, name) for name in names}


# A Case event with no mapping above whose type the contract defines is published as the
# contract says, each payload field read from the event's attribute of that name: the
# contract, reviewed for personal data, is the decision to publish it. A Case event the
# contract does not know stays undecided, and the follower test fails.
for _class in event_classes(Case):
    if RELAY.missing([_class]) and _stream_type(_class) in PAYLOADS:
        RELAY.add(
            _class, StreamMapping(_stream_type(_class), _contract_fields(_stream_type(_class)))
        )

MAPPED_EVENT_CLASSES = RELAY.handled
_USER_EVENTS = frozenset(event_classes(User))


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
        try:
            mapping = RELAY.handler(kind)
        except UnknownEventError:
            mapping = None
        if mapping is None:
            raise UnmappedEventError(
                f"no stream mapping for {kind.__qualname__} at position "
                f"{position}: define its type in shared/contracts.py (or map it in "
                "services/cases/relay/entries.py)"
            )
        jurisdiction, case_id = "", ""
        if mapping.about_case:
            payload = mapping.payload(event, "")
            jurisdiction = (
                event.record["address"]["jurisdiction"]
                if kind is _IDENTIFIED
                else event.jurisdiction
            )
            case_id = aggregate_id
        else:
            username = self._username(event) if kind in _USER_EVENTS else ""
            payload = mapping.payload(event, username)
        actor = getattr(event, "actor", None) or _NO_ACTOR
        version = str(event.originator_version)
        return {
            "event_id": f"{aggregate_id}:{version}",
            "position": str(position),
            "type": mapping.type,
            "schema_version": mapping.schema_version(event),
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
