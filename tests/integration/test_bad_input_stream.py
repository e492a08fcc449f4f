"""Stream entries that used to crash notify's consumer or be retried for nothing (found by
tests/fuzz/test_stream_consumer_fuzz.py): each is dead-lettered at once with the reason,
and the entries after it are handled. On SQLite and PostgreSQL, real Redis."""

from __future__ import annotations

import json

import pytest
import redis

from services.notify.bootstrap import NotifyService
from services.notify.consume.deadletters import list_dead_letters
from shared.contracts import stream_id
from tests.integration.notify_support import Publisher, consumer, drain, new_case_id


def _publish_bad_then_good(publisher: Publisher, bad: dict[str | bytes, str | bytes]) -> str:
    """The bad entry, after a good identification and before another."""
    bad_id = stream_id(publisher.position + 1)
    publisher.redis.xadd(publisher.stream, bad, id=bad_id)  # type: ignore[arg-type]
    publisher.position += 1
    publisher.identify(new_case_id())
    return bad_id


def _template(publisher: Publisher) -> dict[str | bytes, str | bytes]:
    """A good identification appended, and the contract-valid entry that would follow it
    (built on a scratch stream, deleted after)."""
    publisher.identify(new_case_id())
    scratch = Publisher(publisher.redis, f"{publisher.stream}:scratch")
    scratch.position = publisher.position
    fields = scratch.identify(new_case_id())
    publisher.redis.delete(scratch.stream)
    return {key: value for key, value in fields.items()}


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("position", str(2**63), "position"),
        ("case_version", str(2**64), "case_version"),
        ("position", "9" * 5000, "position"),
        ("position", "²", "position"),
        ("payload", "[" * 100_000 + "]" * 100_000, "nested too deeply"),
        ("actor", "[" * 100_000 + "]" * 100_000, "nested too deeply"),
        ("case_id", b"\xff\xfe", "'case_id' is not UTF-8"),
    ],
    ids=[
        "position-2^63",
        "version-2^64",
        "position-5000-digits",
        "superscript",
        "deep-payload",
        "deep-actor",
        "not-utf8",
    ],
)
def test_a_bad_entry_is_dead_lettered_at_once_with_its_reason_and_the_rest_is_handled(
    notify: NotifyService,
    redis_client: redis.Redis,
    publisher: Publisher,
    field: str,
    value: str | bytes,
    reason: str,
) -> None:
    bad = _template(publisher)
    bad[field] = value
    bad_id = _publish_bad_then_good(publisher, bad)
    reader = consumer(notify, redis_client, publisher.stream)

    drain(reader)

    dead = list_dead_letters(redis_client, publisher.stream)
    assert [d.stream_id for d in dead] == [bad_id]
    assert reason in dead[0].reason
    assert dead[0].deliveries == 1  # refused on sight, not after ten failed tries
    assert reader.stats.handled == 2 and reader.stats.failures == 0


# Notify's process reads through a client that decodes in hiredis; a client handing over
# bytes (decoded by the consumer) must see the same garbled entries.
@pytest.mark.parametrize("decoded", [True, False], ids=["hiredis-decodes", "consumer-decodes"])
@pytest.mark.parametrize("where", ["key", "value"])
def test_bytes_that_are_not_utf8_are_dead_lettered_readably(
    notify: NotifyService,
    redis_client: redis.Redis,
    publisher: Publisher,
    decoded: bool,
    where: str,
) -> None:
    bad = _template(publisher)
    if where == "key":
        bad[b"\xfeextra"] = "1"
    else:
        bad["case_id"] = b"\xfe" + str(bad["case_id"]).encode()
    bad_id = _publish_bad_then_good(publisher, bad)

    reader = consumer(notify, redis_client, publisher.stream, decoded=decoded)
    drain(reader)

    (dead,) = list_dead_letters(redis_client, publisher.stream)
    assert dead.stream_id == bad_id and "is not UTF-8" in dead.reason
    # kept, with the bad byte shown as U+FFFD
    if where == "key":
        assert "\ufffdextra" in dead.fields
    else:
        assert dead.fields["case_id"].startswith("\ufffd")
    assert json.loads(dead.fields["payload"])["source"] == "survey"
    assert reader.stats.handled == 2 and reader.stats.failures == 0
