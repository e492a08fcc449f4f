"""The envelope's plain form (shared/contracts.py, `_plain_envelope`), read by hand to spare
notify the schema's cost per entry, is no second rule: it accepts only what
`EnvelopeSchema` accepts, with the same values, and leaves everything else to the schema."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from marshmallow import Schema, ValidationError, fields, validate

from shared.contracts import (
    ENVELOPE_FIELDS,
    PAYLOADS,
    ContractError,
    EnvelopeSchema,
    _plain_actor,
    _plain_envelope,
    parse_entry,
)
from shared.plain_payload import plain_reader

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


def test_values_that_are_not_text_are_left_to_the_schema() -> None:
    # (no client hands over such values; a caller in Python might)
    number: dict[str, Any] = _ENTRY | {"position": int(_ENTRY["position"])}
    assert parse_entry(number) == parse_entry(_ENTRY)
    with pytest.raises(ContractError, match="event_id"):
        parse_entry(number | {"event_id": 12345})


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


# ---- the payload's plain form (shared/plain_payload.py) -----------------------------------


def _payload_by_schema(schema: type[Schema], raw: Any) -> dict[str, Any] | None:
    try:
        loaded: dict[str, Any] = schema().load(raw)
    except ValidationError:
        return None
    return {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in loaded.items()}


def _field_values(field: fields.Field[Any]) -> st.SearchStrategy[Any]:
    """Values a field may meet on the stream: its own good ones and near misses."""
    near_misses: st.SearchStrategy[Any] = st.sampled_from(
        [
            None,
            "",
            "20260301",
            "2026-02-30",
            "2026-3-1",
            " 2026-03-01",
            "٢٠٢٦-03-01",
            1,
            0,
            -1,
            True,
            1.0,
            "1",
            [],
            {},
            "x",
        ]
    )
    good: list[Any] = ["2026-03-01", "1999-12-31", 3, 2**40]
    for rule in field.validators:
        if isinstance(rule, validate.OneOf):
            good += list(rule.choices)
    if isinstance(field, fields.List):
        inner = _field_values(field.inner)
        return st.one_of(st.lists(inner, max_size=3), near_misses)
    return st.one_of(st.sampled_from(good), st.text(max_size=12), near_misses)


@st.composite
def _payloads(draw: st.DrawFn) -> tuple[type[Schema], Any]:
    schema = draw(st.sampled_from([s for versions in PAYLOADS.values() for s in versions.values()]))
    declared = schema().load_fields
    payload = {
        name: draw(_field_values(field))
        for name, field in declared.items()
        if draw(st.integers(0, 19))  # now and then a field missing
    }
    if not draw(st.integers(0, 19)):
        payload["extra"] = "1"
    return schema, payload


@settings(max_examples=1_500, deadline=None)
@given(_payloads())
def test_the_payloads_plain_form_never_accepts_what_the_schema_refuses(
    drawn: tuple[type[Schema], Any],
) -> None:
    schema, payload = drawn
    read = plain_reader(schema)
    plain = read(payload) if read is not None else None
    if plain is not None:
        assert plain == _payload_by_schema(schema, payload)


def test_the_payloads_the_relay_writes_most_are_read_in_their_plain_form() -> None:
    visit = {
        "visited_on": "2026-03-01",
        "mode": "home",
        "risk_level": "high",
        "emotional_state": "stable",
        "school_attendance": "regular",
        "safety_concerns": ["neglect"],
        "next_visit_due": None,
        "risk_level_before": None,
        "risk_level_after": "high",
        "school_status_before": "enrolled",
        "school_status_after": "enrolled",
    }
    read = plain_reader(PAYLOADS["case.visited"][2])
    assert read is not None
    assert read(visit) == _payload_by_schema(PAYLOADS["case.visited"][2], visit) == visit
    for schema in (PAYLOADS["case.identified"][2], PAYLOADS["case.intervention_opened"][1]):
        assert plain_reader(schema) is not None


@pytest.mark.parametrize(
    ("field", "value", "loaded"),
    [
        ("visited_on", "20260301", "2026-03-01"),  # the schema reads it; not plain
        ("visited_on", "2026-02-30", None),  # the schema refuses these
        ("risk_level", "urgent", None),
        ("safety_concerns", ["neglect", "nothing-known"], None),
        ("safety_concerns", "neglect", None),
        ("next_visit_due", "", None),
    ],
)
def test_a_payload_not_in_its_plain_form_is_left_to_its_schema(
    field: str, value: Any, loaded: str | None
) -> None:
    payload = json.loads(_VISIT["payload"]) | {field: value}
    assert plain_reader(PAYLOADS["case.visited"][2])(payload) is None  # type: ignore[misc]
    entry = _VISIT | {"payload": json.dumps(payload)}
    if loaded is None:
        with pytest.raises(ContractError, match="malformed actor or payload"):
            parse_entry(entry)
    else:
        assert parse_entry(entry).payload[field] == loaded


_VISIT = _ENTRY | {
    "type": "case.visited",
    "schema_version": "2",
    "payload": json.dumps(
        {
            "visited_on": "2026-03-01",
            "mode": "home",
            "risk_level": "high",
            "emotional_state": "stable",
            "school_attendance": "regular",
            "safety_concerns": [],
            "next_visit_due": "2026-03-08",
            "risk_level_before": "low",
            "risk_level_after": "high",
            "school_status_before": "enrolled",
            "school_status_after": "enrolled",
        }
    ),
}
