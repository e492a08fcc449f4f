"""The export's tagged values come back as they were (replay.denormalise is the inverse of
canonical.normalise), and `--as-of` reads a date as the end of that day, UTC."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from uuid import UUID

import pytest

from services.cases.audit import canonical
from services.cases.audit.replay import ReplayError, denormalise, until

VALUE = {
    "timestamp": datetime(2026, 4, 1, 8, 30, tzinfo=UTC),
    "on": date(2026, 4, 1),
    "id": UUID("12345678-1234-5678-1234-567812345678"),
    "amount": Decimal("1.50"),
    "ratio": 0.1,
    "$odd": ["text", 3, True, None, {"$nested": "x"}],
}


def test_denormalise_undoes_normalise_through_json() -> None:
    exported = json.loads(json.dumps(canonical.normalise(VALUE)))
    assert denormalise(exported) == VALUE


def test_a_date_means_the_end_of_that_day_utc() -> None:
    assert until("2026-04-01") == datetime(2026, 4, 2, tzinfo=UTC) - timedelta(microseconds=1)


def test_an_instant_keeps_its_offset_and_a_naive_one_is_utc() -> None:
    plus8 = timezone(timedelta(hours=8))
    assert until("2026-04-01T08:00:00+08:00") == datetime(2026, 4, 1, 8, tzinfo=plus8)
    assert until("2026-04-01T08:00:00") == datetime(2026, 4, 1, 8, tzinfo=UTC)
    assert until(None) is None


def test_a_bad_as_of_is_refused() -> None:
    with pytest.raises(ReplayError, match="--as-of"):
        until("yesterday")
