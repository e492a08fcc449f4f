"""One relay publishes; a second one started beside it waits, and takes over when the
first stops or dies. A relay that lost its lease without noticing can never append."""

from __future__ import annotations

import signal
from pathlib import Path

import redis

from services.cases.bootstrap import CaseService
from shared.settings import Settings
from tests.conftest import make_service
from tests.integration.relay_support import (
    RedisServer,
    RelayProcess,
    assert_exactly,
    lease_holder_pid,
    log_positions,
    make_relay,
    publish_all,
    read_stream,
    wait_for,
    write_cases,
)

STREAM = "careledger:events"


def test_a_second_relay_beside_the_first_waits_and_publishes_nothing(
    sqlite_service: CaseService, relay_client: redis.Redis
) -> None:
    # given a relay publishing
    first = make_relay(sqlite_service, relay_client, batch_size=5)
    assert first.run_once() == 5
    # when a second one starts beside it
    second = make_relay(sqlite_service, relay_client)
    # then it waits, naming the holder, and appends nothing
    assert second.run_once() == 0
    assert (second.lease.held, second.lease.holder) == (False, first.lease.token)
    assert second.position is None
    assert relay_client.xlen(STREAM) == 5


def test_a_warm_stop_hands_the_lease_over_at_once(
    sqlite_service: CaseService, relay_client: redis.Redis
) -> None:
    first = make_relay(sqlite_service, relay_client, batch_size=5)
    first.run_once()
    second = make_relay(sqlite_service, relay_client)
    assert second.run_once() == 0
    first.close()  # what SIGTERM ends in
    publish_all(second)
    assert_exactly(read_stream(relay_client, STREAM), log_positions(sqlite_service))


def test_a_relay_that_lost_its_lease_while_paused_can_never_append(
    sqlite_service: CaseService, relay_client: redis.Redis
) -> None:
    # given relay A, whose clock stands still: it will believe its lease is fresh
    paused = make_relay(sqlite_service, relay_client, batch_size=5, lease_ms=200)
    paused.lease.clock = lambda: 0.0
    assert paused.run_once() == 5
    # when A's lease runs out (A is stopped: GC, SIGSTOP) and B takes over and publishes
    wait_for(lambda: not relay_client.exists(f"{STREAM}:relay:lease"), what="A's lease to run out")
    other = make_relay(sqlite_service, relay_client)
    publish_all(other)
    before = read_stream(relay_client, STREAM)
    write_cases(sqlite_service, 2)
    # then A, waking up sure of its lease, is refused by the append script itself
    assert paused.lease.hold()  # it believes so
    assert paused.run_once() == 0
    assert (paused.lease.held, paused.lease.holder) == (False, other.lease.token)
    assert read_stream(relay_client, STREAM) == before
    publish_all(other)
    assert_exactly(read_stream(relay_client, STREAM), log_positions(sqlite_service))


def test_taking_the_lease_twice_with_one_token_keeps_it(
    sqlite_service: CaseService, relay_client: redis.Redis
) -> None:
    # a re-sent SET NX would find our own token: the acquire script knows it is ours
    relay = make_relay(sqlite_service, relay_client)
    assert relay.stream.acquire(relay.lease.token, 5000) == (True, relay.lease.token)
    assert relay.stream.acquire(relay.lease.token, 5000) == (True, relay.lease.token)
    assert relay.stream.acquire("another", 5000) == (False, relay.lease.token)


def test_relay_processes_one_publishes_one_waits_and_the_waiting_one_takes_over(
    sqlite_settings: Settings, relay_redis: RedisServer, relay_client: redis.Redis, tmp_path: Path
) -> None:
    service = make_service(sqlite_settings)
    relays: list[RelayProcess] = []
    try:
        write_cases(service, 20)

        def start() -> RelayProcess:
            relays.append(
                RelayProcess(
                    sqlite_settings,
                    relay_redis.url,
                    tmp_path,
                    "--lease-seconds",
                    "1",
                    "--poll-seconds",
                    "0.05",
                )
            )
            return relays[-1]

        def caught_up() -> bool:
            return relay_client.xlen(STREAM) == len(log_positions(service))

        # given relay 1 publishing, and relay 2 started beside it
        first = start()
        wait_for(caught_up, what="relay 1 to publish the log")
        second = start()
        wait_for(lambda: "event=waiting" in second.text(), what="relay 2 to wait")
        write_cases(service, 5)
        wait_for(caught_up, what="relay 1 to publish more")
        assert lease_holder_pid(relay_client) == first.pid
        # when relay 1 is stopped (SIGSTOP) past its lease: relay 2 takes over
        first.process.send_signal(signal.SIGSTOP)
        wait_for(lambda: lease_holder_pid(relay_client) == second.pid, what="relay 2 to take over")
        write_cases(service, 5)
        wait_for(caught_up, what="relay 2 to publish")
        # and relay 1, woken up, waits instead of publishing
        first.process.send_signal(signal.SIGCONT)
        wait_for(
            lambda: "event=waiting" in first.text() or "event=lease_lost" in first.text(),
            what="relay 1 to notice",
        )
        # when relay 2 is killed with -9, relay 1 takes over again once the lease expires
        second.kill()
        write_cases(service, 5)
        wait_for(lambda: lease_holder_pid(relay_client) == first.pid, what="relay 1 to take over")
        wait_for(caught_up, what="relay 1 to publish after the takeover")
        # then the stream holds the log exactly once; a warm stop releases the lease
        assert_exactly(read_stream(relay_client, STREAM), log_positions(service))
        assert first.stop() == 0
        assert lease_holder_pid(relay_client) is None
        assert "relay stopped after" in first.text()
    finally:
        for relay in relays:
            if relay.process.poll() is None:
                relay.kill()
        service.close()
