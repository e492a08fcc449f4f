"""The canonical encoding of an event and the hash chain over it (docs/auditors.md).

Stable and independent of eventsourcing's transcoder on purpose: an auditor re-implements
these few rules in any language, and a change of the library's storage format never
changes a hash.

- A value is first *normalised* to plain JSON: str, int, bool, null, lists and objects as
  they are; tuples as lists; date, datetime, UUID, Decimal and float as one-key objects
  with a type tag (`{"$date": "2025-03-01"}`); an object key starting with `$` gets a
  second `$`, so tags and keys never collide.
- Personal fields enter only as salted digests: a top-level content field named in
  `PERSONAL`, or not named in `CLEAR` (unknown means personal), becomes
  `{"$digest": hex(HMAC-SHA256(salt, encode(normalised value)))}`; the salt is the
  aggregate's own (`salts.py`), kept apart from the events so erasure can delete it.
- `encode` is JSON with keys sorted by code point, no whitespace, non-ASCII as UTF-8.
- `hash_n = SHA-256(hash_{n-1} || encode(document_n))`, `hash_0` = 32 zero bytes.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

GENESIS = bytes(32)  # the "previous hash" of an aggregate's first event
ENCODING_VERSION = 1  # written into every document: a future encoding is told apart

# Top-level content fields of events that say who a child (or a staff member) is or what
# was seen or said about them: digested. docs/personal-data.md has them in words.
PERSONAL = frozenset(
    {
        "record",  # Identified: the child, address, parents, guardian
        "visit",  # Visited: what the visitor saw, notes, concerns
        "guardian",
        "intervention",  # InterventionOpened: its description
        "note",
        "outcome",
        "reason",
        "address_detail",
        "school_name",
        "grade",
        "old_value",  # Corrected: any field of the record, before and after
        "new_value",
        "display_name",  # users and account requests
        "email",
        "password_hash",
        "staff",  # a care site's staff contact: name and phone
    }
)
# Top-level fields that are codes, dates, ids, counters and staff identities: in clear.
CLEAR = frozenset(
    {
        "originator_topic",
        "class_version",
        "actor",
        "jurisdiction",
        "from_jurisdiction",
        "requester_scope",
        "next_visit_due",
        "risk_level_before",
        "risk_level_after",
        "school_status_before",
        "school_status_after",
        "effective_on",
        "entrustment_signed_on",
        "intervention_id",
        "progressed_on",
        "closed_on",
        "change",
        "changed_on",
        "assignee",
        "transferred_on",
        "reopened_on",
        "field",
        "username",
        "expires_at",
        "role",
        "scope",
        "token_id",
        "record_id",
        "fingerprint",
        "case_id",
        "case_version",
        "status",
        "other_case_id",  # likely duplicates: the other case, and the rule's reason codes
        "reasons",
        # Care sites and plans (a public place, its kind, size and hours), and the
        # attendance of a case at one: codes, ids, dates and counts.
        "name",
        "kind",
        "capacity",
        "opening_hours",
        "status_before",
        "registered_on",
        "site_id",
        "site_jurisdiction",
        "site_before",
        "attended_on",
        "left_on",
        "year",
        "target",
        "target_before",
    }
)


class NotEncodableError(TypeError):
    """Raised for a value the canonical encoding has no rule for."""


def normalise(value: Any) -> Any:
    """`value` as plain JSON with type tags (module docstring)."""
    # Dispatch on the exact type first: verification normalises every stored event, and
    # this is most of its time. Subclasses (a StrEnum, an IntEnum) take the slow path.
    fast = _EXACT.get(type(value))
    if fast is not None:
        return fast(value)
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, datetime):  # before date: a datetime is a date
        return {"$datetime": value.isoformat()}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    if isinstance(value, UUID):
        return {"$uuid": str(value)}
    if isinstance(value, Decimal):
        return {"$decimal": str(value)}
    if isinstance(value, float):
        return {"$float": repr(value)}
    if isinstance(value, list | tuple):
        return [normalise(item) for item in value]
    if isinstance(value, Mapping):
        return {_key(k): normalise(v) for k, v in value.items()}
    raise NotEncodableError(f"no canonical form for {type(value).__name__}")


def _same(value: Any) -> Any:
    return value


def _object(value: dict[Any, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in value.items():
        if type(k) is not str or k[:1] == "$":
            k = _key(k)
        kind = type(v)  # text, numbers, flags inline: most values, one call fewer each
        out[k] = v if kind is str or kind is int or kind is bool or v is None else normalise(v)
    return out


def _array(value: list[Any] | tuple[Any, ...]) -> list[Any]:
    return [v if type(v) is str or type(v) is int or v is None else normalise(v) for v in value]


_EXACT: dict[type, Any] = {
    str: _same,
    int: _same,
    bool: _same,
    type(None): _same,
    dict: _object,
    list: _array,
    tuple: _array,
    datetime: lambda v: {"$datetime": v.isoformat()},
    date: lambda v: {"$date": v.isoformat()},
    UUID: lambda v: {"$uuid": str(v)},
    Decimal: lambda v: {"$decimal": str(v)},
    float: lambda v: {"$float": repr(v)},
}


def _key(key: object) -> str:
    if type(key) is not str:
        raise NotEncodableError(f"object keys are text, not {type(key).__name__}")
    return "$" + key if key[:1] == "$" else key


# One encoder, made once: json.dumps would build a new one per call.
_ENCODER = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
)


def encode(normalised: Any) -> bytes:
    """The canonical bytes of a normalised value."""
    return _ENCODER.encode(normalised).encode("utf-8")


def is_personal(field: str) -> bool:
    """Whether a top-level content field enters the hash only as a digest."""
    return field in PERSONAL or field not in CLEAR


def digest(salt: bytes, normalised: Any) -> dict[str, str]:
    """The salted digest that stands for a personal value."""
    return {"$digest": hmac.digest(salt, encode(normalised), "sha256").hex()}


def redact(
    content: Mapping[str, Any], salt: bytes, known: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Normalised content with every personal field replaced by its digest; with `known`
    (a stored document's content), personal fields take their digests from it: for an
    aggregate whose salt was erased, so that the clear fields are still checked."""
    # (is_personal, inlined: this runs for every field of every event verified)
    return {
        field: value
        if field in CLEAR and field not in PERSONAL
        else (digest(salt, value) if known is None else known.get(field))
        for field, value in content.items()
    }


def has_personal(content: Mapping[str, Any]) -> bool:
    """Whether any top-level field of `content` is personal (needs the salt)."""
    return any(is_personal(field) for field in content)


def document(
    *,
    aggregate: UUID | str,
    version: int,
    topic: str,
    timestamp: datetime,
    content: Mapping[str, Any],
    salt: bytes,
    known: Mapping[str, Any] | None = None,
) -> bytes:
    """The canonical bytes of one event; `content` is already normalised (`known`: see
    `redact`)."""
    return encode(
        {
            "v": ENCODING_VERSION,
            # (a str is taken to be a UUID in its canonical form already)
            "aggregate": str(aggregate),
            "version": version,
            "topic": topic,
            "timestamp": normalise(timestamp),
            "content": redact(content, salt, known),
        }
    )


def chain_hash(previous: bytes, canonical_document: bytes) -> bytes:
    """The hash of an event: over the one before it and its own canonical document."""
    return hashlib.sha256(previous + canonical_document).digest()
