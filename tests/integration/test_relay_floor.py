"""After Redis loses its data the relay refills the stream from the floor (the highest
position every consumer group had acknowledged), not from the log's start: what happens
next reaches the consumers without their reading the whole log again (issue 13), and
nothing any group had not acknowledged is left out. On SQLite and PostgreSQL."""

from __future__ import annotations

import contextlib
from typing import Any

import redis

from services.cases.bootstrap import CaseService
from services.cases.relay import Relay
from services.cases.relay.floor import RelayFloor
from shared.sql import EventStoreConnections
from tests.integration.relay_support import (
    RedisServer,
    assert_exactly,
    log_positions,
    make_relay,
    publish_all,
    read_stream,
    write_cases,
)

STREAM = "careledger:events"
GROUP = "notify"


def _floor(service: CaseService) -> RelayFloor:
    return RelayFloor(EventStoreConnections(service.cases.recorder.datastore), STREAM)  # type: ignore[attr-defined]


def _relay(service: CaseService, client: redis.Redis) -> Relay:
    return make_relay(service, client, STREAM, trim_every_seconds=0, floor=_floor(service))


def _consume(client: redis.Redis, count: int, *, ack: bool = True) -> list[int]:
    """A consumer group reads `count` entries (and acknowledges them)."""
    with contextlib.suppress(redis.ResponseError):
        client.xgroup_create(STREAM, GROUP, id="0", mkstream=True)
    answer: Any = client.xreadgroup(GROUP, "c1", {STREAM: ">"}, count=count)
    ids = [entry_id for entry_id, _ in answer[0][1]] if answer else []
    if ack and ids:
        client.xack(STREAM, GROUP, *ids)
    return [int(i.decode().split("-")[0]) for i in ids]


def test_a_lost_stream_is_refilled_from_what_every_group_acknowledged(
    service: CaseService, relay_client: redis.Redis, relay_redis: RedisServer
) -> None:
    write_cases(service, 30, visits=1)
    relay = _relay(service, relay_client)
    publish_all(relay)
    positions = log_positions(service)
    # the consumer handled all but the last ten; the relay trims and records the floor
    handled = _consume(relay_client, len(positions) - 10)
    relay.run_once()
    floor = handled[-1]
    assert _floor(service).position() == floor

    # Redis loses everything; a child is identified meanwhile
    relay_redis.restart_empty()
    client = relay_redis.client()
    write_cases(service, 1, visits=0)
    again = _relay(service, client)
    publish_all(again)

    # then: the stream starts after the floor, holds every later position once, in order
    later = [p for p in log_positions(service) if p > floor]
    entries = read_stream(client, STREAM)
    assert [int(i.split("-")[0]) for i, _ in entries] == later
    assert entries[0][1]["previous_id"] == f"{floor}-0"
    assert again.stats.refilled_from == floor
    # and the consumer's new group reads only those, the new child's the last
    assert _consume(client, 1000) == later
    client.close()


def test_a_pending_entry_keeps_the_floor_below_it(
    service: CaseService, relay_client: redis.Redis, relay_redis: RedisServer
) -> None:
    write_cases(service, 10, visits=0)
    relay = _relay(service, relay_client)
    publish_all(relay)
    read_not_acked = _consume(relay_client, 3, ack=False)  # delivered, never acknowledged
    _consume(relay_client, 5)  # later ones acknowledged
    relay.run_once()
    assert _floor(service).position() == read_not_acked[0] - 1

    relay_redis.restart_empty()
    client = relay_redis.client()
    publish_all(_relay(service, client))
    first = read_stream(client, STREAM)[0]
    assert int(first[0].split("-")[0]) == read_not_acked[0]  # republished, not lost
    client.close()


def test_without_a_floor_the_stream_is_refilled_from_the_start(
    service: CaseService, relay_client: redis.Redis, relay_redis: RedisServer
) -> None:
    # no consumer group ever: nothing was acknowledged, so nothing may be left out
    write_cases(service, 5, visits=0)
    publish_all(_relay(service, relay_client))
    relay_redis.restart_empty()
    client = relay_redis.client()
    publish_all(_relay(service, client))
    assert_exactly(read_stream(client, STREAM), log_positions(service))
    assert _floor(service).position() == 0
    client.close()


def test_the_floor_only_rises_and_never_passes_the_log(service: CaseService) -> None:
    floor = _floor(service)
    floor.raise_to(7)
    floor.raise_to(3)
    floor.raise_to(-1)
    assert floor.position() == 7


def test_a_running_relay_refills_from_the_floor_after_redis_lost_everything(
    service: CaseService, relay_client: redis.Redis, relay_redis: RedisServer
) -> None:
    write_cases(service, 10, visits=0)
    relay = _relay(service, relay_redis.client())
    publish_all(relay)
    handled = _consume(relay_client, 1000)
    relay.run_once()  # trims: the floor is recorded
    # Redis loses everything (the lease too) while the relay process goes on
    relay_redis.restart_empty()
    relay.stream.client.connection_pool.disconnect()
    write_cases(service, 1, visits=0)
    publish_all(relay)
    client = relay_redis.client()
    assert relay.stats.refilled_from == handled[-1]
    assert [int(i.split("-")[0]) for i, _ in read_stream(client, STREAM)] == [
        p for p in log_positions(service) if p > handled[-1]
    ]
    client.close()
