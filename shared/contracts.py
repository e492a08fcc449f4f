"""The stream contract: what each entry on the Redis Stream says, defined once here and
imported by both services (the relay writes it, notify reads it). Versioned per type.

An entry is a flat map of strings (Redis Stream fields):

    event_id        "<aggregate id>:<version>", stable across re-publication
    position        the event's notification id in the event store's log
    previous_id     the stream id of the entry before it ("0-0" for the first), so a
                    consumer can see a gap
    type            e.g. "case.visited"
    schema_version  "1"
    aggregate_id    the case's (or user's) id
    case_id         the case id, "" for events that are not about a case
    case_version    the aggregate's version after the event
    occurred_at     ISO 8601 instant with zone
    jurisdiction    the 12-digit village code ("" when not about a place)
    actor           JSON {"username", "role", "request_id"}
    payload         JSON, the type's payload below

Personal data is kept to what the consumers need: no child's name, ID number, birth date
(since case.identified v2), phone, address, free-text notes or reasons; never a password
hash.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate

from shared import vocabulary as v
from shared.plain_payload import plain_reader
from shared.roles import Role

# ---- payloads, one schema per type and version ------------------------------------------


def _term(vocabulary: tuple[str, ...], **kwargs: Any) -> fields.String:
    """A term of one of the case's vocabularies: a consumer routes and counts by these, so
    an entry with a term it cannot know is refused (and dead-lettered), not half-read."""
    return fields.String(validate=validate.OneOf(vocabulary), **kwargs)


class _Payload(Schema):
    class Meta:
        unknown = RAISE


class CaseIdentifiedV1(_Payload):
    identified_on = fields.Date(required=True)
    source = _term(v.SOURCES, required=True)
    guardian_type = _term(v.GUARDIAN_TYPES, required=True)
    school_status = _term(v.SCHOOL_STATUSES, required=True)
    birth_date = fields.Date(required=True)  # for age-based rules (the 16th birthday)
    next_visit_due = fields.Date(required=True)


class CaseIdentifiedV2(_Payload):
    """v1 without the child's birth date: no consumer reads it (notify never stored it),
    and what the stream need not carry it should not (issue 10, field-level views). v1
    entries, published before, stay readable."""

    identified_on = fields.Date(required=True)
    source = _term(v.SOURCES, required=True)
    guardian_type = _term(v.GUARDIAN_TYPES, required=True)
    school_status = _term(v.SCHOOL_STATUSES, required=True)
    next_visit_due = fields.Date(required=True)


class CaseVisitedV1(_Payload):
    visited_on = fields.Date(required=True)
    mode = _term(v.VISIT_MODES, required=True)
    risk_level = _term(v.RISK_LEVELS, required=True)
    emotional_state = _term(v.EMOTIONAL_STATES, required=True)
    school_attendance = _term(v.SCHOOL_ATTENDANCE, required=True)
    safety_concerns = fields.List(_term(v.SAFETY_CONCERNS), required=True)
    # The case's next visit due date after this visit, as the case service recorded it
    # (for visits stored before it did: the date this visit sets, the visitor's or by risk
    # level). The relay always fills it; null only from a producer that does not. Visits
    # may arrive out of date order: it counts only for the latest visit.
    next_visit_due = fields.Date(required=True, allow_none=True)


class CaseVisitedV2(CaseVisitedV1):
    """v1 and the case's derived risk level and school status before and after the visit,
    as the case service computed them when it recorded it (the latest visit by date counts,
    so an older visit recorded late changes nothing).

    Entries of one case may reach a consumer out of order; a transition ("risk raised to
    high", "dropped out") read from the entry needs no ordered history. v1 entries (visits
    stored before the case service recorded these) stay readable, without them.
    """

    risk_level_before = _term(v.RISK_LEVELS, required=True, allow_none=True)  # None: first visit
    risk_level_after = _term(v.RISK_LEVELS, required=True)
    school_status_before = _term(v.SCHOOL_STATUSES, required=True)
    school_status_after = _term(v.SCHOOL_STATUSES, required=True)


class CaseGuardianChangedV1(_Payload):
    guardian_type = _term(v.GUARDIAN_TYPES, required=True)
    effective_on = fields.Date(required=True)
    entrustment_signed_on = fields.Date(required=True, allow_none=True)


class CaseGuardianChangedV2(CaseGuardianChangedV1):
    """v1 and the case's next visit due date after the change (a child not yet visited
    is due sooner with no guardian). v1 entries (changes stored before the case service
    recorded it) stay readable, without it."""

    next_visit_due = fields.Date(required=True)


class CaseInterventionOpenedV1(_Payload):
    intervention_id = fields.String(required=True)
    kind = _term(v.INTERVENTION_KINDS, required=True)
    department = _term(v.DEPARTMENTS, required=True)
    urgency = _term(v.URGENCIES, required=True)
    opened_on = fields.Date(required=True)
    due_by = fields.Date(required=True, allow_none=True)


class CaseInterventionProgressedV1(_Payload):
    intervention_id = fields.String(required=True)
    progressed_on = fields.Date(required=True)


class CaseInterventionClosedV1(_Payload):
    intervention_id = fields.String(required=True)
    closed_on = fields.Date(required=True)


class CaseAssignedV1(_Payload):
    assignee = fields.String(required=True)


class CaseTransferredV1(_Payload):
    from_jurisdiction = fields.String(required=True)
    transferred_on = fields.Date(required=True)


class CaseClosedV1(_Payload):
    reason = _term(v.CLOSURE_REASONS, required=True)
    closed_on = fields.Date(required=True)


class CaseReopenedV1(_Payload):
    reopened_on = fields.Date(required=True)


class CaseCorrectedV1(_Payload):
    field = fields.String(required=True)  # which fact; the values stay in the case service


class CaseCorrectedV2(CaseCorrectedV1):
    """v1 and the case's next visit due date after the correction (a corrected
    identification date or guardian type moves it until the first visit). v1 entries
    stay readable, without it."""

    next_visit_due = fields.Date(required=True)


class CaseSchoolChangedV1(_Payload):
    """A school change (控辍保学) and the case's school status before and after it; the
    school's name, grade and note stay in the case service."""

    change = _term(v.SCHOOL_CHANGES, required=True)
    changed_on = fields.Date(required=True)
    school_status_before = _term(v.SCHOOL_STATUSES, required=True)
    school_status_after = _term(v.SCHOOL_STATUSES, required=True)


class CaseEmergencyAccessGrantedV1(_Payload):
    """Break-the-glass: the acting user (the envelope's actor) may read this case outside
    her scope until `expires_at`. Her scope, so notify can tell her supervisor; the
    reason (free text) stays in the case service."""

    requester_scope = fields.String(required=True, validate=validate.Regexp(r"^\d{2,12}$"))
    expires_at = fields.AwareDateTime(required=True)


class CaseDuplicateSuspectedV1(_Payload):
    """Another case is likely the same child (same name read the same way, same birth
    date): its id and the reason codes, never the names."""

    other_case_id = fields.UUID(required=True)
    reasons = fields.List(
        fields.String(validate=validate.OneOf(v.DUPLICATE_REASONS)), required=True
    )


class CaseDuplicateDismissedV1(_Payload):
    """The supervisor decided the flagged case is another child: the flag is closed."""

    other_case_id = fields.UUID(required=True)


class CaseClosureProposedV1(_Payload):
    """A rule of the child's calendar found the case due for closure (the child turned
    16, both parents are home): it waits for the supervisor's review (case.review_requested
    follows, subject closure)."""

    reason = fields.String(required=True, validate=validate.OneOf(v.CLOSURE_PROPOSALS))
    proposed_on = fields.Date(required=True)


class CaseErasureRequestedV1(_Payload):
    """Someone asked for the case's personal data to be erased, on this ground (the
    reason given stays in the case service)."""

    basis = fields.String(required=True, validate=validate.OneOf(v.ERASURE_BASES))


class CaseErasureDeclinedV1(_Payload):
    """The erasure asked for was declined or withdrawn (why stays in the case service)."""


class CaseErasedV1(_Payload):
    """The case's personal data was erased (its key destroyed): the facts stay."""

    basis = fields.String(required=True, validate=validate.OneOf(v.ERASURE_BASES))
    erased_on = fields.Date(required=True)


class CaseMergedV1(_Payload):
    """A merge of two cases of one child: `case.merged_into` on the case closed as the
    duplicate (it also has its `case.closed`), `case.duplicate_merged` on the other."""

    other_case_id = fields.UUID(required=True)


class CaseReviewRequestedV1(_Payload):
    """A village child director's identification, or her change of key facts, waits for
    the township supervisor's review (复核): which submission, of what, which fields
    (names, never values), since when."""

    submission = fields.Integer(required=True, validate=validate.Range(min=1))
    subject = _term(v.REVIEW_SUBJECTS, required=True)
    requested_on = fields.Date(required=True)
    key_facts = fields.List(fields.String(validate=validate.OneOf(v.KEY_FACTS)), required=True)


class CaseReviewDecidedV1(_Payload):
    """The reviewer confirmed the submission (`case.review_confirmed`) or returned it for
    correction (`case.review_returned`; the comment, free text, stays behind)."""

    submission = fields.Integer(required=True, validate=validate.Range(min=1))
    subject = _term(v.REVIEW_SUBJECTS, required=True)
    reviewed_on = fields.Date(required=True)


class CaseReviewResubmittedV1(_Payload):
    """A returned submission, corrected, submitted again: a new submission waits."""

    submission = fields.Integer(required=True, validate=validate.Range(min=1))
    subject = _term(v.REVIEW_SUBJECTS, required=True)
    resubmitted_on = fields.Date(required=True)


class CaseSiteAttendedV1(_Payload):
    """The child now attends a care site (关爱保护场所): its id and village, the day,
    and the site attended before, if any. The site's name and staff stay behind."""

    site_id = fields.UUID(required=True)
    site_jurisdiction = fields.String(required=True, validate=validate.Regexp(r"^\d{12}$"))
    attended_on = fields.Date(required=True)
    site_before = fields.UUID(required=True, allow_none=True)


class CaseSiteLeftV1(_Payload):
    """The child no longer attends the care site."""

    site_id = fields.UUID(required=True)
    left_on = fields.Date(required=True)


class SiteRecordedV1(_Payload):
    """A step of a care site or a site plan (registered, built, opened, closed; drawn up,
    revised): the case service's reference records, on the stream only so positions have
    no holes. Notify raises nothing on them; the staff contact stays behind."""


class UserRegisteredV1(_Payload):
    username = fields.String(required=True)
    role = _term(tuple(Role), required=True)
    scope = fields.String(required=True)
    display_name = fields.String(required=True)


class UserRegisteredV2(UserRegisteredV1):
    """v1 and the user's e-mail address (a staff address, for e-mailed notifications).

    A new version rather than an optional field in v1: payloads refuse unknown fields, so
    a consumer that knows only v1 would refuse the field either way; as v2 it is refused
    with the plain reason "newer than this consumer knows", and dead letters retried after
    the upgrade go through. v1 entries (published before) stay readable, without email.
    """

    email = fields.String(required=True, allow_none=True, validate=validate.Length(max=254))


class UserDisabledV1(_Payload):
    username = fields.String(required=True)


class UserTokenRevokedV1(_Payload):
    username = fields.String(required=True)
    token_id = fields.String(required=True)


class UserPasswordChangedV1(_Payload):
    username = fields.String(required=True)


class IdempotencyRecordedV1(_Payload):
    """Bookkeeping of the case service. On the stream so that every position the relay
    reads is published (a consumer then tells a hole the store left, which on PostgreSQL
    a rolled-back insert can, from an entry it lost: see `previous_id`)."""


class UserRequestRecordedV1(_Payload):
    """A step of an admin's request for an account (requested, approved, rejected):
    bookkeeping of the case service, on the stream only so positions have no holes. Who
    was asked for, and the password hash, stay behind; notify learns of the user from
    user.registered, published once the request is approved."""


# type → {schema version → payload schema}
PAYLOADS: dict[str, dict[int, type[Schema]]] = {
    "case.identified": {1: CaseIdentifiedV1, 2: CaseIdentifiedV2},
    "case.visited": {1: CaseVisitedV1, 2: CaseVisitedV2},
    "case.guardian_changed": {1: CaseGuardianChangedV1, 2: CaseGuardianChangedV2},
    "case.intervention_opened": {1: CaseInterventionOpenedV1},
    "case.intervention_progressed": {1: CaseInterventionProgressedV1},
    "case.intervention_closed": {1: CaseInterventionClosedV1},
    "case.assigned": {1: CaseAssignedV1},
    "case.transferred": {1: CaseTransferredV1},
    "case.closed": {1: CaseClosedV1},
    "case.reopened": {1: CaseReopenedV1},
    "case.corrected": {1: CaseCorrectedV1, 2: CaseCorrectedV2},
    "case.school_changed": {1: CaseSchoolChangedV1},
    "case.emergency_access_granted": {1: CaseEmergencyAccessGrantedV1},
    "case.duplicate_suspected": {1: CaseDuplicateSuspectedV1},
    "case.duplicate_dismissed": {1: CaseDuplicateDismissedV1},
    "case.merged_into": {1: CaseMergedV1},
    "case.duplicate_merged": {1: CaseMergedV1},
    "case.closure_proposed": {1: CaseClosureProposedV1},
    "case.erasure_requested": {1: CaseErasureRequestedV1},
    "case.erasure_declined": {1: CaseErasureDeclinedV1},
    "case.erased": {1: CaseErasedV1},
    "case.review_requested": {1: CaseReviewRequestedV1},
    "case.review_confirmed": {1: CaseReviewDecidedV1},
    "case.review_returned": {1: CaseReviewDecidedV1},
    "case.review_resubmitted": {1: CaseReviewResubmittedV1},
    "case.site_attended": {1: CaseSiteAttendedV1},
    "case.site_left": {1: CaseSiteLeftV1},
    "site.recorded": {1: SiteRecordedV1},
    "user.registered": {1: UserRegisteredV1, 2: UserRegisteredV2},
    "user.disabled": {1: UserDisabledV1},
    "user.token_revoked": {1: UserTokenRevokedV1},
    "user.password_changed": {1: UserPasswordChangedV1},
    "idempotency.recorded": {1: IdempotencyRecordedV1},
    "user_request.recorded": {1: UserRequestRecordedV1},
}

CURRENT_VERSION = {kind: max(versions) for kind, versions in PAYLOADS.items()}


# ---- the envelope ----------------------------------------------------------------------


class _Actor(Schema):
    class Meta:
        unknown = RAISE

    username = fields.String(required=True)
    role = fields.String(required=True)
    request_id = fields.String(required=True)


# Positions and versions are 64-bit signed integers in every store that keeps them.
_MAX_INT64 = 2**63 - 1


class EnvelopeSchema(Schema):
    """A stream entry's fields, as strings, checked and typed."""

    class Meta:
        unknown = RAISE

    event_id = fields.String(required=True, validate=validate.Length(min=3))
    position = fields.Integer(
        required=True, strict=False, validate=validate.Range(min=1, max=_MAX_INT64)
    )
    previous_id = fields.String(required=True, validate=validate.Regexp(r"^\d+-\d+$"))
    type = fields.String(required=True)
    schema_version = fields.Integer(required=True, validate=validate.Range(min=1, max=_MAX_INT64))
    aggregate_id = fields.UUID(required=True)
    case_id = fields.String(required=True)
    case_version = fields.Integer(required=True, validate=validate.Range(min=1, max=_MAX_INT64))
    occurred_at = fields.AwareDateTime(required=True)
    jurisdiction = fields.String(required=True, validate=validate.Regexp(r"^(\d{12})?$"))
    actor = fields.String(required=True)
    payload = fields.String(required=True)


class ContractError(ValueError):
    """Raised when an entry does not meet the contract; the message says why."""


@dataclass(frozen=True)
class Envelope:
    """A checked stream entry."""

    event_id: str
    position: int
    previous_id: str
    type: str
    schema_version: int
    aggregate_id: str
    case_id: str
    case_version: int
    occurred_at: datetime
    jurisdiction: str
    actor: dict[str, str]
    payload: dict[str, Any]


def parse_entry(entry: dict[str, str] | dict[bytes, bytes]) -> Envelope:
    """Checks a stream entry against the contract; raises ContractError with the reason
    (malformed field, unknown type, a schema version newer than this code knows)."""
    # The types of the names and values, looked at in C (this runs for every entry).
    kinds = {*map(type, entry), *map(type, entry.values())}
    raw: dict[str, str] = (
        entry  # type: ignore[assignment]
        if kinds == {str}
        else {_text(k): _text(x) for k, x in entry.items()}
    )
    data = _plain_envelope(raw) if kinds <= {str, bytes} else None
    if data is None:  # not the plain form: the schema decides, and says why not
        try:
            data = _schema(EnvelopeSchema).load(raw)
        except ValidationError as error:
            raise ContractError(f"malformed entry: {error.messages}") from None
    versions = PAYLOADS.get(data["type"])
    if versions is None:
        raise ContractError(f"unknown event type {data['type']!r}")
    schema = versions.get(data["schema_version"])
    if schema is None:
        raise ContractError(
            f"{data['type']} schema version {data['schema_version']} is newer "
            f"than this consumer knows ({max(versions)})"
        )
    try:
        actor = json.loads(data["actor"])
        if not _plain_actor(actor):
            actor = _schema(_Actor).load(actor)
        payload = _load_payload(schema, json.loads(data["payload"]))
    except RecursionError:  # JSON nested deeper than the parser's stack
        raise ContractError("malformed actor or payload: JSON nested too deeply") from None
    except (ValueError, ValidationError) as error:
        raise ContractError(f"malformed actor or payload: {error}") from None
    return Envelope(
        data["event_id"],
        data["position"],
        data["previous_id"],
        data["type"],
        data["schema_version"],
        str(data["aggregate_id"]),
        data["case_id"],
        data["case_version"],
        data["occurred_at"],
        data["jurisdiction"],
        actor,
        payload,
    )


# The fields of every entry, in the order the relay writes them.
ENVELOPE_FIELD_ORDER = (
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

# The plain form of an envelope, as the relay writes every entry: each field that the
# schema reads as a number or an id written in the one canonical way. Checked by hand it
# costs a tenth of `EnvelopeSchema.load`, which was most of notify's time per entry. It is
# no second rule: it accepts only a part of what the schema accepts, and yields the same
# values (tests/unit/test_contract_plain_form.py); anything else goes to the schema.
ENVELOPE_FIELDS = frozenset(ENVELOPE_FIELD_ORDER)
_PLAIN_INT = re.compile(r"[1-9][0-9]{0,17}")  # below 2**63: the schema's range
_PLAIN_STREAM_ID = re.compile(r"[0-9]+-[0-9]+")
_PLAIN_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_PLAIN_JURISDICTION = re.compile(r"([0-9]{12})?")
_ACTOR_FIELDS = frozenset(("username", "role", "request_id"))


def _plain_envelope(raw: dict[str, str]) -> dict[str, Any] | None:
    """`raw` (text names and values) as `EnvelopeSchema.load` reads it when it is in the
    plain form, else None."""
    if raw.keys() != ENVELOPE_FIELDS:
        return None
    if not (
        len(raw["event_id"]) >= 3
        and _PLAIN_INT.fullmatch(raw["position"])
        and _PLAIN_INT.fullmatch(raw["schema_version"])
        and _PLAIN_INT.fullmatch(raw["case_version"])
        and _PLAIN_STREAM_ID.fullmatch(raw["previous_id"])
        and _PLAIN_UUID.fullmatch(raw["aggregate_id"])
        and _PLAIN_JURISDICTION.fullmatch(raw["jurisdiction"])
    ):
        return None
    try:  # the schema's own parser (marshmallow's AwareDateTime is fromisoformat)
        occurred_at = datetime.fromisoformat(raw["occurred_at"])
    except ValueError:
        return None
    if occurred_at.tzinfo is None:
        return None
    return raw | {
        "position": int(raw["position"]),
        "schema_version": int(raw["schema_version"]),
        "case_version": int(raw["case_version"]),
        "occurred_at": occurred_at,
    }


def _plain_actor(actor: Any) -> bool:
    """True when `actor` is what `_Actor` would load unchanged: its three strings."""
    return (
        type(actor) is dict
        and actor.keys() == _ACTOR_FIELDS
        and all(isinstance(x, str) for x in actor.values())
    )


def _load_payload(schema: type[Schema], raw: Any) -> dict[str, Any]:
    """The payload as its schema loads it (dates back as ISO strings), read by hand when it
    is in its plain form (shared/plain_payload.py), else by the schema."""
    read = plain_reader(schema)
    plain = read(raw) if read is not None else None
    if plain is not None:
        return plain
    payload: dict[str, Any] = _schema(schema).load(raw)
    # Keep dates as ISO strings: consumers store and compare them as the case service does.
    return {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in payload.items()}


@cache
def _schema(schema: type[Schema]) -> Schema:
    # One instance per schema, reused: building a Schema per entry was most of the cost
    # of reading the stream. Loading holds no state on the instance.
    return schema()


def stream_id(position: int) -> str:
    """The explicit stream id of the entry at a log position: `<position>-0`."""
    return f"{position}-0"


def _text(value: str | bytes) -> str:
    return value.decode() if isinstance(value, bytes) else value
