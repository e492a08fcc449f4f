"""The canonical encoding of events (services/cases/audit/canonical.py): byte for byte
as docs/auditors.md describes it, and every event field decided personal or clear."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import UUID

import pytest
from eventsourcing.domain import Aggregate

from services.cases.audit import canonical
from services.cases.domain import Case
from services.cases.domain.user import User
from services.cases.domain.user_request import UserRequest
from services.cases.idempotency import IdempotencyRecord

AGGREGATE = UUID("12345678-1234-5678-1234-567812345678")
SALT = bytes(range(32))
WHEN = datetime(2026, 4, 1, 8, 30, tzinfo=UTC)


def test_the_documented_example_encodes_byte_for_byte() -> None:
    # the example in docs/auditors.md
    content = canonical.normalise(
        {"jurisdiction": "360124105203", "reason": "搬家", "actor": {"username": "civil"}}
    )
    document = canonical.document(
        aggregate=AGGREGATE,
        version=2,
        topic="services.cases.domain.case:Case.Reopened",
        timestamp=WHEN,
        content=content,
        salt=SALT,
    )
    reason = hmac.new(SALT, '"搬家"'.encode(), hashlib.sha256).hexdigest()
    expected = (
        '{"aggregate":"12345678-1234-5678-1234-567812345678","content":{"actor":'
        '{"username":"civil"},"jurisdiction":"360124105203","reason":{"$digest":"'
        + reason
        + '"}},"timestamp":{"$datetime":"2026-04-01T08:30:00+00:00"},'
        '"topic":"services.cases.domain.case:Case.Reopened","v":1,"version":2}'
    )
    assert document == expected.encode("utf-8")
    assert (
        canonical.chain_hash(canonical.GENESIS, document)
        == hashlib.sha256(bytes(32) + document).digest()
    )


def test_values_are_tagged_by_type_and_dollar_keys_escaped() -> None:
    value = {
        "d": date(2026, 1, 2),
        "t": WHEN,
        "u": AGGREGATE,
        "n": Decimal("1.50"),
        "f": 0.1,
        "l": (1, True, None),
        "$x": "y",
    }
    assert canonical.normalise(value) == {
        "d": {"$date": "2026-01-02"},
        "t": {"$datetime": "2026-04-01T08:30:00+00:00"},
        "u": {"$uuid": "12345678-1234-5678-1234-567812345678"},
        "n": {"$decimal": "1.50"},
        "f": {"$float": "0.1"},
        "l": [1, True, None],
        "$$x": "y",
    }


@pytest.mark.parametrize("value", [{1: "a"}, object(), {b"x"}])
def test_a_value_without_a_rule_is_refused(value: object) -> None:
    with pytest.raises(canonical.NotEncodableError):
        canonical.normalise(value)


def test_a_digest_depends_on_the_salt_and_unknown_fields_are_personal() -> None:
    content = {"something_new": "王小明", "jurisdiction": "36"}
    one = canonical.redact(content, SALT)
    other = canonical.redact(content, bytes(32))
    assert one["jurisdiction"] == "36"
    assert set(one["something_new"]) == {"$digest"}
    assert one["something_new"] != other["something_new"]


def event_fields() -> list[tuple[str, str]]:
    fields: list[tuple[str, str]] = []
    aggregate: type[Aggregate]
    for aggregate in (Case, User, UserRequest, IdempotencyRecord):
        for name in dir(aggregate):
            cls = getattr(aggregate, name)
            if isinstance(cls, type) and issubclass(cls, aggregate.Event):
                event = f"{aggregate.__name__}.{name}"
                fields += [(event, f.name) for f in dataclasses.fields(cls)]
    return fields


def test_every_field_of_every_event_is_decided_personal_or_clear() -> None:
    # A new event field must be put in PERSONAL or CLEAR (unknown fields are digested,
    # which is safe but hides a code or date an auditor could have read).
    ids = {"originator_id", "originator_version", "timestamp"}
    undecided = [
        (event, field)
        for event, field in event_fields()
        if field not in canonical.PERSONAL | canonical.CLEAR | ids
    ]
    assert undecided == []
    assert not canonical.PERSONAL & canonical.CLEAR
