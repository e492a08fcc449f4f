"""The relay publishes the event log to the stream exactly once, in order: whatever
happens to Redis, to the connection, or to the relay's idea of where the stream is."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
import redis
from eventsourcing.persistence import IntegrityError

from services.cases.bootstrap import CaseService
from services.cases.relay import StreamMismatchError
from services.cases.relay.entries import EntryMapper, chain
from services.cases.relay.scripts import APPEND
from services.cases.relay.source import CasesLog
from shared.settings import Settings
from tests.conftest import make_service
from tests.integration.relay_support import (
    CIVIL,
    LossyProxy,
    RedisServer,
    Target,
    assert_exactly,
    log_positions,
    make_relay,
    publish_all,
    read_stream,
    write_cases,
)
from tests.support import IDENTIFY, TODAY, VISIT

STREAM = "careledger:events"


def test_the_stream_holds_every_log_position_once_in_order_each_naming_the_one_before(
    service: CaseService, relay_target: Target
) -> None:
    # given a log of users, cases and visits
    relay_client, stream = relay_target.client, relay_target.stream
    write_cases(service, 30, visits=2)
    relay = make_relay(service, relay_client, stream, batch_size=7)
    # when the relay publishes it in batches of 7
    publish_all(relay)
    # then every position is on the stream once, in order, chained, and the cursor agrees
    positions = log_positions(service)
    assert len(positions) == 12 + 90
    assert_exactly(read_stream(relay_client, stream), positions)
    assert relay_client.get(f"{stream}:relay:cursor") == str(positions[-1]).encode()
    assert relay.stats.published == len(positions)


def test_an_append_sent_twice_with_the_same_arguments_changes_nothing_the_second_time(
    sqlite_service: CaseService, relay_client: redis.Redis
) -> None:
    # given a batch, appended once
    write_cases(sqlite_service, 3)
    relay = make_relay(sqlite_service, relay_client)
    assert relay.lease.hold()
    log = CasesLog(sqlite_service.cases)
    mapper = EntryMapper(log.username_of)
    entries = chain([mapper.to_entry(p, e) for p, e in log.select(0, 100)], 0)
    first = relay.stream.append(relay.lease.token, 0, entries, 60_000)
    before = read_stream(relay_client, STREAM)
    # when the very same script runs again (what redis-py's retry does)
    again = relay.stream.append(relay.lease.token, 0, entries, 60_000)
    # then it is refused as a cursor mismatch, and the stream and cursor are untouched
    assert first.outcome == "ok"
    assert (again.outcome, again.position) == ("cursor", first.position)
    assert read_stream(relay_client, STREAM) == before
    assert relay_client.get(f"{STREAM}:relay:cursor") == str(first.position).encode()
    assert_exactly(before, log_positions(sqlite_service))


def test_an_append_after_a_batch_that_never_landed_writes_nothing(
    sqlite_service: CaseService, relay_client: redis.Redis
) -> None:
    # given the entries of a log split in two batches, the first never appended
    write_cases(sqlite_service, 3)
    relay = make_relay(sqlite_service, relay_client)
    assert relay.lease.hold()
    log = CasesLog(sqlite_service.cases)
    mapper = EntryMapper(log.username_of)
    entries = chain([mapper.to_entry(p, e) for p, e in log.select(0, 100)], 0)
    first, second = entries[:10], entries[10:]
    # when the second is appended, naming where the first ends
    answer = relay.stream.append(relay.lease.token, 10, second, 60_000)
    # then it is refused with where the stream really is, and nothing is written
    assert (answer.outcome, answer.position) == ("cursor", 0)
    assert relay_client.exists(STREAM) == 0
    assert relay.stream.append(relay.lease.token, 0, first, 60_000).outcome == "ok"
    assert relay.stream.append(relay.lease.token, 10, second, 60_000).outcome == "ok"
    assert_exactly(read_stream(relay_client, STREAM), log_positions(sqlite_service))


def test_a_batch_with_a_malformed_entry_is_refused_whole(
    sqlite_service: CaseService, relay_client: redis.Redis
) -> None:
    write_cases(sqlite_service, 2)
    relay = make_relay(sqlite_service, relay_client)
    assert relay.lease.hold()
    log = CasesLog(sqlite_service.cases)
    mapper = EntryMapper(log.username_of)
    entries = chain([mapper.to_entry(p, e) for p, e in log.select(0, 100)], 0)
    entries[-1]["jurisdiction"] = "36\x1f0124"  # a value holding the separator
    with pytest.raises(redis.ResponseError, match=f"malformed entry {len(entries)}"):
        relay.stream.append(relay.lease.token, 0, entries, 60_000)
    assert relay_client.exists(STREAM, f"{STREAM}:relay:cursor") == 0


def test_a_script_whose_answer_was_lost_is_resent_by_redis_py_and_duplicates_nothing(
    sqlite_service: CaseService, relay_redis: RedisServer, relay_client: redis.Redis
) -> None:
    # given a relay talking to Redis through a proxy that can lose one answer
    proxy = LossyProxy(relay_redis.port, needle=redis.Redis().register_script(APPEND).sha.encode())
    through_proxy = redis.Redis(port=proxy.port)  # redis-py's default retries
    try:
        write_cases(sqlite_service, 5)
        relay = make_relay(sqlite_service, through_proxy, trim_every_seconds=3600)
        publish_all(relay)
        # when the next append runs in Redis but its answer never comes back
        write_cases(sqlite_service, 5)
        proxy.armed.set()
        appended = relay.run_once()
        # then redis-py re-sent it on a new connection; the second run found the cursor
        # moved and wrote nothing; the relay took the stream's position and goes on
        assert proxy.cut == 1
        assert appended == 0
        assert relay.stats.resyncs == 1
        publish_all(relay)
        assert_exactly(read_stream(relay_client, STREAM), log_positions(sqlite_service))
    finally:
        through_proxy.close()
        proxy.close()


def test_scripts_redis_forgot_are_loaded_again(
    sqlite_service: CaseService, relay_client: redis.Redis
) -> None:
    write_cases(sqlite_service, 2)
    relay = make_relay(sqlite_service, relay_client)
    publish_all(relay)
    relay_client.script_flush()  # as after a restart or a failover: NOSCRIPT
    write_cases(sqlite_service, 2)
    publish_all(relay)
    assert_exactly(read_stream(relay_client, STREAM), log_positions(sqlite_service))


def test_a_relay_that_finds_the_stream_moved_on_resumes_after_it(
    sqlite_service: CaseService, relay_client: redis.Redis
) -> None:
    # given relay A that published one batch, then stepped aside
    write_cases(sqlite_service, 10)
    first = make_relay(sqlite_service, relay_client, batch_size=10)
    assert first.run_once() == 10
    first.close()
    # and relay B that published everything after it
    second = make_relay(sqlite_service, relay_client)
    publish_all(second)
    second.close()
    write_cases(sqlite_service, 3)
    # when A runs again, still believing the stream ends at 10
    assert first.run_once() == 0
    # then nothing was written, A learned where the stream is, and publishes only the new
    assert first.stats.resyncs == 1
    assert first.position == second.position
    publish_all(first)
    assert first.stats.published == 10 + 6
    assert_exactly(read_stream(relay_client, STREAM), log_positions(sqlite_service))


def test_a_redis_restarted_with_nothing_saved_is_refilled_from_the_event_store(
    service: CaseService, relay_redis: RedisServer, relay_client: redis.Redis
) -> None:
    # given a stream holding the whole log
    write_cases(service, 20)
    relay = make_relay(service, relay_client, batch_size=15)
    publish_all(relay)
    # when Redis dies and comes back empty while more is written
    relay_redis.restart_empty()
    write_cases(service, 5)
    publish_all(relay)
    # then the relay found the stream gone and published the log again from the start
    assert relay.stats.resyncs == 1
    assert_exactly(read_stream(relay_client, STREAM), log_positions(service))


def test_a_stream_a_consumer_recreated_empty_after_a_restart_is_refilled(
    sqlite_service: CaseService, relay_redis: RedisServer, relay_client: redis.Redis
) -> None:
    write_cases(sqlite_service, 10)
    relay = make_relay(sqlite_service, relay_client)
    publish_all(relay)
    relay_redis.restart_empty()
    # notify answers NOGROUP by creating its group again, at 0, with MKSTREAM
    fresh = relay_redis.client()
    fresh.xgroup_create(STREAM, "notify", id="0", mkstream=True)
    publish_all(relay)
    assert_exactly(read_stream(fresh, STREAM), log_positions(sqlite_service))
    delivered: Any = fresh.xreadgroup("notify", "c1", {STREAM: ">"}, count=1000)
    assert len(delivered[0][1]) == len(log_positions(sqlite_service))
    fresh.close()


def test_a_relay_refuses_to_continue_a_stream_of_another_event_log(
    sqlite_service: CaseService, relay_client: redis.Redis, tmp_path: Path
) -> None:
    # given a stream published from one store
    write_cases(sqlite_service, 3)
    # (its lease given up afterwards, as on a warm stop: a lease of a millisecond, which
    # this once used, ran out between the rounds of a slow machine and never let it finish)
    first = make_relay(sqlite_service, relay_client)
    publish_all(first)
    first.close()
    before = read_stream(relay_client, STREAM)
    # when a relay over another store is pointed at it (a wrong REDIS_URL or stream name)
    other = make_service(Settings(data_dir=tmp_path / "other").with_generated_secrets())
    try:
        write_cases(other, 4)
        wrong = make_relay(other, relay_client)
        # then it says so and writes nothing
        with pytest.raises(StreamMismatchError, match="another event log"):
            wrong.run_once()
        assert read_stream(relay_client, STREAM) == before
    finally:
        other.close()


def test_a_redis_that_may_evict_is_reported(
    sqlite_service: CaseService, relay_client: redis.Redis, caplog: pytest.LogCaptureFixture
) -> None:
    relay_client.config_set("maxmemory-policy", "allkeys-lru")
    try:
        write_cases(sqlite_service, 1)
        with caplog.at_level(logging.WARNING, logger="careledger.relay"):
            publish_all(make_relay(sqlite_service, relay_client))
    finally:
        relay_client.config_set("maxmemory-policy", "noeviction")
    assert "maxmemory-policy=allkeys-lru" in caplog.text


@pytest.mark.postgres
def test_a_position_the_log_skipped_is_skipped_by_the_chain_too(
    postgres_url: str, postgres_schema: str, tmp_path: Path, relay_client: redis.Redis
) -> None:
    # given a PostgreSQL log with a hole: a losing concurrent write burned a position
    settings = Settings(
        data_dir=tmp_path / "var", database_url=postgres_url, postgres_schema=postgres_schema
    ).with_generated_secrets()
    service = make_service(settings)
    try:
        write_cases(service, 2)
        case_id = service.cases.identify(CIVIL, IDENTIFY).case.id
        ours: Any = service.cases.repository.get(case_id)
        theirs: Any = service.cases.repository.get(case_id)
        for copy in (ours, theirs):
            copy.record_visit(visit=VISIT, actor=CIVIL.as_event_data(), today=TODAY)
        service.cases.save(ours)
        with pytest.raises(IntegrityError):
            service.cases.save(theirs)
        write_cases(service, 2)
        positions = log_positions(service)
        assert positions != list(range(1, len(positions) + 1)), "expected a hole in the log"
        # when the relay publishes it
        publish_all(make_relay(service, relay_client))
        # then the stream holds exactly the log, each entry naming its real predecessor
        assert_exactly(read_stream(relay_client, STREAM), positions)
    finally:
        service.close()
