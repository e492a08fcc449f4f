"""The envelope's plain form (shared/contracts.py, `_plain_envelope`), read by hand to spare
notify the schema's cost per entry, is no second rule: it accepts only what
`EnvelopeSchema` accepts, with the same values, and leaves everything else to the schema."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.contracts import (
    ENVELOPE_FIELDS,
    ContractError,
    EnvelopeSchema,
    _plain_actor,
    _plain_envelope,
    parse_entry,
)

_ENTRY = {
    "event_id": "2b0f7c1e-3a4b-4c5d-8e9f-0a1b2c3d4e5f:3",
    "position": "42",
    "previous_id": "41-0",
    "type": "case.closed",
    "schema_version": "1",
    "aggregate_id": "2b0f7c1e-3a4b-4c5d-8e9f-0a1b2c3d4e5f",
    "case_id": "2b0f7c1e-3a4b-4c5d-8e9f-0a1b2c3d4e5f",
    "case_version": "3",
    "occurred_at": "2026-03-01T08:00:07.123456+00:00",
    "jurisdiction": "360124105203",
    "actor": json.dumps({"username": "u", "role": "child_director", "request_id": "r"}),
    "payload": json.dumps({"closed_on": "2026-03-01", "reason": "moved_out"}),
}


def _by_schema(raw: dict[str, str]) -> dict[str, Any] | None:
    try:
        data: dict[str, Any] = EnvelopeSchema().load(raw)
    except Exception:
        return None
    return data | {"aggregate_id": str(data["aggregate_id"])}


def test_the_plain_form_reads_every_field_of_the_schema() -> None:
    assert set(EnvelopeSchema().fields) == ENVELOPE_FIELDS


def test_a_plain_entry_is_read_as_the_schema_reads_it() -> None:
    assert _plain_envelope(dict(_ENTRY)) == _by_schema(dict(_ENTRY))
    assert parse_entry(_ENTRY).position == 42


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("position", "042"),  # the schema reads it; not plain
        ("position", " 42"),
        ("aggregate_id", "2B0F7C1E-3A4B-4C5D-8E9F-0A1B2C3D4E5F"),
        ("aggregate_id", "2b0f7c1e3a4b4c5d8e9f0a1b2c3d4e5f"),
        ("position", "0"),  # the schema refuses these
        ("position", str(2**63)),
        ("case_version", "-1"),
        ("schema_version", "١"),  # an Arabic-Indic one, which int() reads
        ("previous_id", "41-0\n"),
        ("jurisdiction", "36012410520"),
        ("occurred_at", "2026-03-01T08:00:07"),  # no offset
        ("occurred_at", "yesterday"),
        ("event_id", "ab"),
    ],
)
def test_what_is_not_plain_is_left_to_the_schema(field: str, value: str) -> None:
    entry = _ENTRY | {field: value}
    assert _plain_envelope(entry) is None
    expected = _by_schema(entry)
    if expected is None:
        with pytest.raises(ContractError, match="malformed entry"):
            parse_entry(entry)
    else:
        assert parse_entry(entry).position == expected["position"]


def test_an_extra_or_a_missing_field_is_left_to_the_schema() -> None:
    with pytest.raises(ContractError, match="extra"):
        parse_entry(_ENTRY | {"extra": "1"})
    with pytest.raises(ContractError, match="payload"):
        parse_entry({k: v for k, v in _ENTRY.items() if k != "payload"})


def test_an_actor_not_in_its_plain_form_is_checked_by_its_schema() -> None:
    assert _plain_actor({"username": "u", "role": "r", "request_id": "q"})
    for actor in ({"username": "u", "role": "r"}, {"username": 1, "role": "r", "request_id": "q"}):
        assert not _plain_actor(actor)
        with pytest.raises(ContractError, match="malformed actor"):
            parse_entry(_ENTRY | {"actor": json.dumps(actor)})


_TEXT = st.text(alphabet=st.sampled_from("0123456789-+:.TZabcdefABCDEF ١\n"), max_size=40)


@settings(max_examples=300, deadline=None)
@given(
    field=st.sampled_from(sorted(ENVELOPE_FIELDS - {"actor", "payload", "type"})),
    value=st.one_of(_TEXT, st.sampled_from(["1", "9" * 18, "9" * 19, "0-0", "2026-03-01T00:00Z"])),
)
def test_the_plain_form_never_accepts_what_the_schema_refuses(field: str, value: str) -> None:
    entry = _ENTRY | {field: value}
    plain = _plain_envelope(entry)
    if plain is not None:
        assert plain == _by_schema(entry)
