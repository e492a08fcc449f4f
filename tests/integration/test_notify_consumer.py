"""The consumer's promises (architecture.md, promise 4) against a real Redis and notify's
database on SQLite and PostgreSQL: each notification once, ack after commit, NOGROUP
recovery, reclaiming a dead consumer's entries, dead letters that never block the rest."""

from __future__ import annotations

import json
from typing import Any

import pytest
import redis

from services.notify.bootstrap import NotifyService
from services.notify.consume.deadletters import dead_stream, list_dead_letters
from services.notify.consume.handling import handle
from shared.contracts import PAYLOADS, CaseReopenedV1, parse_entry
from tests.integration.notify_support import (
    Publisher,
    consumer,
    drain,
    entries,
    inbox,
    new_case_id,
    pending_count,
    read_as,
)


def _alarm(publisher: Publisher) -> str:
    """Staff, and one case with no guardian: two notifications (supervisor, civil)."""
    publisher.staff()
    case = new_case_id()
    publisher.identify(case, guardian_type="none")
    return case


def test_the_group_is_created_at_the_start_of_the_stream_so_history_is_not_skipped(
    notify: NotifyService, redis_client: redis.Redis, publisher: Publisher
) -> None:
    _alarm(publisher)  # published before the consumer ever ran
    drain(consumer(notify, redis_client, publisher.stream))
    assert len(inbox(notify)) == 2
    assert pending_count(redis_client, publisher.stream) == 0


def test_the_same_event_at_another_stream_id_notifies_once(
    notify: NotifyService, redis_client: redis.Redis, publisher: Publisher
) -> None:
    # given: the relay refilled the stream after Redis lost data: the same event again
    _alarm(publisher)
    identified = entries(redis_client, publisher.stream)[-1][1]
    c = consumer(notify, redis_client, publisher.stream)
    drain(c)
    # when
    publisher.append(identified)
    drain(c)
    # then
    assert len(inbox(notify)) == 2
    assert c.stats.duplicates == 1
    assert pending_count(redis_client, publisher.stream) == 0


def test_an_entry_delivered_again_after_a_crash_between_commit_and_ack_notifies_once(
    notify: NotifyService, redis_client: redis.Redis, publisher: Publisher
) -> None:
    # given: a consumer read the entries and committed what they meant, then died
    # before XACK (the state kill -9 at that instant leaves behind)
    _alarm(publisher)
    redis_client.xgroup_create(publisher.stream, "notify", id="0")
    taken = read_as(redis_client, publisher.stream, "c1")
    with notify.db.transaction() as tx:
        for _, fields in taken:
            handle(tx, parse_entry(fields), notify.clock.now(), email=False)
    assert pending_count(redis_client, publisher.stream) == len(taken)
    # when: it restarts under the same name and re-reads its pending entries
    restarted = consumer(notify, redis_client, publisher.stream, consumer="c1")
    drain(restarted)
    # then
    assert len(inbox(notify)) == 2
    assert restarted.stats.duplicates == len(taken) and restarted.stats.handled == 0
    assert pending_count(redis_client, publisher.stream) == 0


def test_an_entry_whose_handling_fails_is_not_acked(
    notify: NotifyService, redis_client: redis.Redis, publisher: Publisher
) -> None:
    # given: the database refuses one event (a trigger), the rest go through
    case = _alarm(publisher)
    _poison(notify, f"{case}:1")
    c = consumer(notify, redis_client, publisher.stream)
    # when
    c.run_once()
    # then: its transaction part rolled back, and it waits in the pending list
    assert inbox(notify) == []
    assert c.stats.failures == 1
    pending: Any = redis_client.xpending_range(publisher.stream, "notify", "-", "+", 10)
    assert [p["message_id"] for p in pending] == [f"{publisher.position}-0".encode()]


def test_a_poisoned_entry_is_dead_lettered_after_ten_deliveries_and_blocks_nothing(
    notify: NotifyService, redis_client: redis.Redis, publisher: Publisher
) -> None:
    # given
    poisoned = _alarm(publisher)
    _poison(notify, f"{poisoned}:1")
    later = new_case_id()
    publisher.identify(later, guardian_type="none")
    c = consumer(notify, redis_client, publisher.stream, min_idle_ms=0)
    # when
    c.run_once()
    # then: what came after it was handled at once
    assert {r["case_id"] for r in inbox(notify)} == {later}
    # when: the upkeep retries it until its deliveries run out
    for _ in range(30):
        c.run_once()
    # then
    [letter] = list_dead_letters(redis_client, publisher.stream)
    assert letter.stream_id == f"{publisher.position - 1}-0"
    assert letter.deliveries == 11
    assert "limit 10" in letter.reason and "poisoned" in letter.reason
    assert letter.fields["event_id"] == f"{poisoned}:1"
    assert pending_count(redis_client, publisher.stream) == 0


def test_a_crash_loop_raises_the_delivery_count_and_ends_in_the_dead_letters(
    notify: NotifyService, redis_client: redis.Redis, publisher: Publisher
) -> None:
    # given: a process that reads an entry and dies, again and again
    publisher.staff()
    drain(consumer(notify, redis_client, publisher.stream, consumer="crashy"))
    crashing = new_case_id()
    publisher.identify(crashing, guardian_type="none")
    redis_client.xreadgroup("notify", "crashy", {publisher.stream: ">"})
    for _ in range(10):
        redis_client.xreadgroup("notify", "crashy", {publisher.stream: "0"})
    later = new_case_id()
    publisher.identify(later, guardian_type="none")
    # when: it comes back under the same name
    c = consumer(notify, redis_client, publisher.stream, consumer="crashy")
    drain(c)
    # then: the crash-looping entry is parked, the new one handled
    [letter] = list_dead_letters(redis_client, publisher.stream)
    assert letter.fields["event_id"] == f"{crashing}:1" and letter.deliveries == 12
    assert {r["case_id"] for r in inbox(notify)} == {later}
    assert pending_count(redis_client, publisher.stream) == 0


def test_malformed_entries_unknown_types_and_newer_versions_are_dead_lettered_with_the_reason(
    notify: NotifyService, redis_client: redis.Redis, publisher: Publisher
) -> None:
    # given
    case = _alarm(publisher)
    good = entries(redis_client, publisher.stream)[-1][1]
    publisher.append({"garbage": "yes"})
    publisher.append({**good, "event_id": f"{case}:9", "type": "case.teleported"})
    publisher.append({**good, "event_id": f"{case}:10", "schema_version": "3"})
    publisher.append({**good, "event_id": f"{case}:11", "payload": "{not json"})
    publisher.append({**good, "event_id": f"{case}:12", "occurred_at": "yesterday"})
    later = new_case_id()
    publisher.identify(later, guardian_type="none")
    # when
    c = consumer(notify, redis_client, publisher.stream)
    drain(c)
    # then
    reasons = [letter.reason for letter in list_dead_letters(redis_client, publisher.stream)]
    assert len(reasons) == 5
    assert "malformed entry" in reasons[0] and "event_id" in reasons[0]
    assert "unknown event type 'case.teleported'" in reasons[1]
    assert "schema version 3 is newer than this consumer knows (2)" in reasons[2]
    assert "malformed actor or payload" in reasons[3]
    assert "occurred_at" in reasons[4]
    assert {r["case_id"] for r in inbox(notify)} == {case, later}
    assert pending_count(redis_client, publisher.stream) == 0


def test_a_deleted_stream_and_group_are_recreated_and_the_replay_notifies_nobody_twice(
    notify: NotifyService, redis_client: redis.Redis, publisher: Publisher
) -> None:
    # given: handled, then Redis lost everything (here: the stream and its group)
    _alarm(publisher)
    c = consumer(notify, redis_client, publisher.stream)
    drain(c)
    published = entries(redis_client, publisher.stream)
    redis_client.delete(publisher.stream)
    # when: the relay refills the stream from the event store, and more comes
    for entry_id, fields in published:
        redis_client.xadd(publisher.stream, fields, id=entry_id)  # type: ignore[arg-type]
    later = new_case_id()
    publisher.identify(later, guardian_type="none")
    drain(c)
    # then
    assert c.stats.groups_created == 2
    assert c.stats.duplicates == len(published)
    assert sorted((r["case_id"], r["recipient"]) for r in inbox(notify)) == sorted(
        (case, who)
        for case in {r["case_id"] for r in inbox(notify)}
        for who in ("civil", "supervisor")
    )
    assert len(inbox(notify)) == 4
    assert pending_count(redis_client, publisher.stream) == 0


def test_a_destroyed_group_mid_run_is_recreated_at_the_start(
    notify: NotifyService, redis_client: redis.Redis, publisher: Publisher
) -> None:
    _alarm(publisher)
    c = consumer(notify, redis_client, publisher.stream)
    drain(c)
    redis_client.xgroup_destroy(publisher.stream, "notify")
    publisher.identify(new_case_id(), guardian_type="none")
    drain(c)
    assert len(inbox(notify)) == 4
    info = redis_client.xinfo_groups(publisher.stream)
    assert [(g["name"], g["pending"]) for g in info] == [(b"notify", 0)]


def test_entries_stuck_with_a_dead_consumer_are_reclaimed(
    notify: NotifyService, redis_client: redis.Redis, publisher: Publisher
) -> None:
    # given: a consumer took entries and died
    _alarm(publisher)
    redis_client.xgroup_create(publisher.stream, "notify", id="0")
    redis_client.xreadgroup("notify", "dead-one", {publisher.stream: ">"})
    alive = consumer(notify, redis_client, publisher.stream, consumer="alive", min_idle_ms=60_000)
    # when: not idle long enough yet
    drain(alive)
    assert inbox(notify) == []
    # ... and when they have been idle two minutes (set by Redis, not waited for)
    stuck = redis_client.xpending_range(publisher.stream, "notify", "-", "+", 100, "dead-one")
    redis_client.xclaim(
        publisher.stream,
        "notify",
        "dead-one",
        0,
        [entry["message_id"] for entry in stuck],
        idle=120_000,
        justid=True,
    )
    drain(alive)
    # then
    assert len(inbox(notify)) == 2
    consumers = {
        c["name"]: c["pending"] for c in redis_client.xinfo_consumers(publisher.stream, "notify")
    }
    assert consumers[b"dead-one"] == 0
    assert pending_count(redis_client, publisher.stream) == 0


def test_a_gap_in_the_positions_is_counted_and_does_not_stop_the_consumer(
    notify: NotifyService, redis_client: redis.Redis, publisher: Publisher
) -> None:
    publisher.staff()
    publisher.position += 5  # five entries that never reached the stream
    publisher.identify(new_case_id(), guardian_type="none")
    c = consumer(notify, redis_client, publisher.stream)
    drain(c)
    assert c.stats.gaps == 1
    assert len(inbox(notify)) == 2


def test_dead_letters_keep_the_original_fields_and_say_where_they_came_from(
    notify: NotifyService, redis_client: redis.Redis, publisher: Publisher
) -> None:
    publisher.append({"type": "case.visited", "payload": json.dumps({"x": 1})})
    drain(consumer(notify, redis_client, publisher.stream))
    [(_, decoded)] = entries(redis_client, dead_stream(publisher.stream))
    assert decoded["type"] == "case.visited" and decoded["dead.stream_id"] == "1-0"
    assert decoded["dead.consumer"] == "test-consumer"


def _poison(notify: NotifyService, event_id: str) -> None:
    """Makes the database refuse to record `event_id`, as a bug or bad data would."""
    with notify.db.transaction() as tx:
        if tx.postgres:
            tx.execute(
                "CREATE FUNCTION poison() RETURNS trigger AS $$ BEGIN "
                f"IF NEW.event_id = '{event_id}' THEN RAISE EXCEPTION 'poisoned'; "
                "END IF; RETURN NEW; END $$ LANGUAGE plpgsql"
            )
            tx.execute(
                "CREATE TRIGGER poison BEFORE INSERT ON handled_events "
                "FOR EACH ROW EXECUTE FUNCTION poison()"
            )
        else:
            tx.execute(
                "CREATE TRIGGER poison BEFORE INSERT ON handled_events "
                f"WHEN NEW.event_id = '{event_id}' "
                "BEGIN SELECT RAISE(ABORT, 'poisoned'); END"
            )


def test_an_entry_with_a_term_outside_its_vocabulary_is_dead_lettered_and_alerts_nobody(
    notify: NotifyService, redis_client: redis.Redis, publisher: Publisher
) -> None:
    # given a valid visit, and copies whose risk level or concern no vocabulary holds
    publisher.staff()
    case = new_case_id()
    publisher.identify(case)
    good = publisher.visit(case, risk_level="high", safety_concerns=["suspected_abuse"])
    payload = json.loads(good["payload"])
    for n, nonsense in enumerate(
        ({"risk_level_after": "extreme"}, {"safety_concerns": ["aliens"]}), start=10
    ):
        bad = {**good, "event_id": f"{case}:{n}", "payload": json.dumps(payload | nonsense)}
        publisher.append(bad)
    # when
    drain(consumer(notify, redis_client, publisher.stream))
    # then the two copies are parked with the reason, and only the good visit alerted
    reasons = [letter.reason for letter in list_dead_letters(redis_client, publisher.stream)]
    assert len(reasons) == 2 and all("Must be one of" in r for r in reasons), reasons
    assert "risk_level_after" in reasons[0] and "safety_concerns" in reasons[1]
    assert {r["case_id"] for r in inbox(notify)} == {case}


def test_a_type_the_contract_knows_but_notify_has_not_decided_on_is_dead_lettered_at_once(
    notify: NotifyService,
    redis_client: redis.Redis,
    publisher: Publisher,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # given a contract newer than notify's followers: a case type they have not decided on
    monkeypatch.setitem(PAYLOADS, "case.teleported", {1: CaseReopenedV1})
    case = _alarm(publisher)
    good = entries(redis_client, publisher.stream)[-1][1]
    publisher.append(
        {
            **good,
            "event_id": f"{case}:9",
            "type": "case.teleported",
            "payload": json.dumps({"reopened_on": "2026-05-01"}),
        }
    )
    later = new_case_id()
    publisher.identify(later, guardian_type="none")
    # when
    drain(consumer(notify, redis_client, publisher.stream))
    # then: parked with the reason on its first delivery, and the rest handled
    [letter] = list_dead_letters(redis_client, publisher.stream)
    assert letter.reason == "notify's case facts does not know 'case.teleported'"
    assert {r["case_id"] for r in inbox(notify)} == {case, later}
    assert pending_count(redis_client, publisher.stream) == 0
