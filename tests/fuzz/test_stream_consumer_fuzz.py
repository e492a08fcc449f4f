"""hypothesis against notify's stream consumer, on a real Redis: between two good entries,
one malformed entry (a field missing, of the wrong type or out of range, an unknown type
or schema version, a huge value, bytes that are not UTF-8, JSON that is broken or nested
far too deep, a field the contract does not know). Nothing crashes the consumer; the bad
entry is dead-lettered with a reason; the good entries before and after it are handled,
once each."""

from __future__ import annotations

import json
import re
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import redis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.notify.bootstrap import NotifyService, build_notify
from services.notify.consume.deadletters import list_dead_letters
from shared.contracts import ENVELOPE_FIELD_ORDER, PAYLOADS, stream_id
from shared.settings import Settings
from tests.fuzz.runner import REPORTS
from tests.integration.notify_support import consumer, drain
from tests.support import FixedClock

EXAMPLES = 200
_FIELDS = ENVELOPE_FIELD_ORDER
_IDENTIFIED = {
    "identified_on": "2026-03-01",
    "source": "survey",
    "guardian_type": "grandparent",
    "school_status": "enrolled",
    "birth_date": "2015-03-02",
    "next_visit_due": "2026-03-31",
}
_ACTOR = {"username": "director", "role": "child_director", "request_id": "fuzz"}

Raw = dict[str | bytes, str | bytes]
# What the contract accepts of each id (anything else is refused).
_VALID_IDS = {
    "aggregate_id": re.compile(r"^[0-9a-fA-F-]{32,36}$"),
    "jurisdiction": re.compile(r"^(\d{12})?$"),
    "previous_id": re.compile(r"^\d+-\d+$"),
}


def good_entry(position: int) -> dict[str, str]:
    """A contract-valid case.identified entry at `position` of a new case."""
    case_id = str(uuid.uuid4())
    return {
        "event_id": f"{case_id}:1",
        "position": str(position),
        "previous_id": stream_id(position - 1) if position > 1 else "0-0",
        "type": "case.identified",
        "schema_version": "1",
        "aggregate_id": case_id,
        "case_id": case_id,
        "case_version": "1",
        "occurred_at": "2026-03-01T02:00:00+00:00",
        "jurisdiction": "360124105203",
        "actor": json.dumps(_ACTOR),
        "payload": json.dumps(_IDENTIFIED),
    }


# ---- ways an entry goes wrong; each always breaks the contract -----------------------

_text = st.text(max_size=40)
_huge_int = st.integers(min_value=2**63, max_value=10**60).map(str)
_not_a_count = st.one_of(
    _huge_int,
    st.integers(max_value=0).map(str),
    _text.filter(lambda t: not t.strip().isdigit()),
    st.just("9" * 5000),  # past Python's digit limit for int()
)
_bad_json = st.one_of(
    _text.filter(lambda t: not _is_json(t)),
    st.integers(1_000, 100_000).map(lambda depth: "[" * depth + "]" * depth),
    st.just("{" + '"a":' * 1 + "1" + "}"),  # an unknown payload field
    st.sampled_from(["null", "[]", "1", '"x"', "true"]),  # JSON, but not an object
    st.just('{"identified_on": ' + "9" * 5000 + "}"),  # an integer too long to read
    st.just(json.dumps(_IDENTIFIED | {"source": "x" * 1_000_000})),  # a huge value
)
_not_utf8 = st.binary(min_size=1, max_size=20).map(lambda b: b"\xff" + b)


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


@st.composite
def bad_entries(draw: st.DrawFn) -> tuple[str, Raw]:
    """(what is wrong, the entry) for a bad entry at position 2."""
    entry: Raw = {key: value for key, value in good_entry(2).items()}
    kind = draw(
        st.sampled_from(
            [
                "missing",
                "unknown_type",
                "unknown_version",
                "count",
                "bad_json",
                "not_utf8",
                "not_utf8_key",
                "bad_instant",
                "bad_id",
                "extra_field",
            ]
        )
    )
    if kind == "missing":
        for name in draw(st.sets(st.sampled_from(_FIELDS), min_size=1, max_size=11)):
            del entry[name]
    elif kind == "unknown_type":
        entry["type"] = draw(_text.filter(lambda t: t not in PAYLOADS))
    elif kind == "unknown_version":
        entry["schema_version"] = draw(st.one_of(st.integers(2, 2**63 - 1).map(str), _not_a_count))
    elif kind == "count":
        entry[draw(st.sampled_from(["position", "case_version"]))] = draw(_not_a_count)
    elif kind == "bad_json":
        entry[draw(st.sampled_from(["actor", "payload"]))] = draw(_bad_json)
    elif kind == "not_utf8":
        name = draw(st.sampled_from(_FIELDS))
        entry[name] = str(entry[name]).encode() + draw(_not_utf8)
    elif kind == "not_utf8_key":
        entry[b"\xfe" + draw(st.binary(max_size=10))] = "x"
    elif kind == "bad_instant":
        entry["occurred_at"] = draw(
            st.one_of(_text, st.just("2026-03-01T02:00:00"), st.just("9999-99-99"))
        )
    elif kind == "bad_id":
        name, valid = draw(st.sampled_from(list(_VALID_IDS.items())))
        entry[name] = draw(_text.filter(lambda t: not valid.match(t)) | st.just("x" * 100_000))
    else:
        entry[draw(st.sampled_from(["extra", "dead.reason", "position2"]))] = "1"
    return kind, entry


@dataclass
class Tally:
    """How many bad entries of each kind were sent, for the run's summary."""

    sent: Counter[str] = field(default_factory=Counter)
    dead_lettered: int = 0

    def line(self) -> str:
        kinds = ", ".join(f"{k}: {n}" for k, n in sorted(self.sent.items()))
        return (
            f"stream consumer: {sum(self.sent.values())} malformed entries, "
            f"{self.dead_lettered} dead-lettered with a reason, 0 crashes ({kinds})"
        )


TALLY = Tally()


@pytest.fixture(scope="module")
def notify(tmp_path_factory: pytest.TempPathFactory, redis_url: str) -> Iterator[NotifyService]:
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("notify"), redis_url=redis_url, token_secret="x" * 40
    )
    service = build_notify(settings, clock=FixedClock())
    yield service
    service.close()


@given(bad=bad_entries())
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_a_malformed_entry_is_dead_lettered_and_the_good_ones_around_it_are_handled_once(
    notify: NotifyService,
    redis_url: str,
    bad: tuple[str, Raw],
) -> None:
    kind, entry = bad
    if TALLY not in REPORTS:  # in the summary only when the test ran
        REPORTS.append(TALLY)
    TALLY.sent[kind] += 1
    client = redis.Redis.from_url(redis_url)
    stream = f"test:fuzz:{uuid.uuid4().hex[:12]}:events"
    try:
        # given a good entry, the bad one, and a good one after it
        before, after = good_entry(1), good_entry(3)
        client.xadd(stream, before, id=stream_id(1))  # type: ignore[arg-type]
        client.xadd(stream, entry, id=stream_id(2))  # type: ignore[arg-type]
        client.xadd(stream, after, id=stream_id(3))  # type: ignore[arg-type]
        # when the consumer reads them all (and once more)
        reader = consumer(notify, client, stream)
        drain(reader)
        drain(reader)
        # then the bad one is a dead letter with its reason, and nothing is left pending
        dead = list_dead_letters(client, stream)
        assert [d.stream_id for d in dead] == [stream_id(2)], kind
        assert dead[0].reason, kind
        assert int(client.xpending(stream, "notify")["pending"]) == 0
        # and the good ones were handled, once each
        assert reader.stats.handled == 2 and reader.stats.duplicates == 0, kind
        assert _handled(notify, before, after) == [before["event_id"], after["event_id"]]
        TALLY.dead_lettered += 1
    finally:
        client.delete(stream, f"{stream}:dead")
        client.close()


def _handled(notify: NotifyService, *entries: dict[str, str]) -> list[Any]:
    ids = [e["event_id"] for e in entries]
    with notify.db.transaction() as tx:
        rows = tx.all(
            "SELECT event_id FROM handled_events WHERE event_id IN (?, ?) ORDER BY position", ids
        )
    return [row["event_id"] for row in rows]
