"""Trimming removes only what every consumer group acknowledged, never a pending entry,
and the relay stops appending while the stream is full."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from services.cases.bootstrap import CaseService
from services.cases.relay import Relay
from shared.settings import Settings
from tests.conftest import make_service
from tests.integration.relay_support import (
    TARGETS,
    RedisServer,
    Target,
    log_positions,
    make_relay,
    publish_all,
    read_stream,
    redis_server,
    redis_target,
    write_cases,
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    with redis_server(tmp_path_factory.mktemp("redis")) as started:
        yield started


@pytest.fixture(params=TARGETS)
def target(request: pytest.FixtureRequest, server: RedisServer) -> Iterator[Target]:
    with redis_target(request.param, server) as chosen:
        yield chosen


@pytest.fixture
def cases(sqlite_settings: Settings) -> Iterator[CaseService]:
    service = make_service(sqlite_settings)
    yield service
    service.close()


@pytest.fixture
def published(cases: CaseService, target: Target) -> Relay:
    """A relay that published a log of 12 users and 20 cases (32 entries)."""
    write_cases(cases, 20, visits=0)
    relay = make_relay(cases, target.client, target.stream, trim_every_seconds=0)
    publish_all(relay)
    return relay


def _ids(target: Target) -> list[int]:
    return [int(i.split("-")[0]) for i, _ in read_stream(target.client, target.stream)]


def _deliver(target: Target, group: str, count: int) -> list[bytes]:
    answer: Any = target.client.xreadgroup(group, "c1", {target.stream: ">"}, count=count)
    return [entry_id for entry_id, _ in answer[0][1]]


def test_without_a_consumer_group_nothing_is_trimmed(published: Relay, target: Target) -> None:
    # a consumer that has not created its group yet needs the whole history
    assert published.stream.trim(published.lease.token) == 0
    assert target.client.xlen(target.stream) == 32


def test_entries_every_group_acknowledged_are_trimmed_and_no_others(
    published: Relay, target: Target
) -> None:
    # given one group that acknowledged everything, another that acknowledged 10 of 15
    for group in ("notify", "audit"):
        target.client.xgroup_create(target.stream, group, id="0")
    target.client.xack(target.stream, "notify", *_deliver(target, "notify", 100))
    audit = _deliver(target, "audit", 15)
    target.client.xack(target.stream, "audit", *audit[:10])
    # when the relay trims
    removed = published.stream.trim(published.lease.token)
    # then only the first 10 went: entry 11 is still pending for audit
    assert removed == 10
    assert _ids(target)[0] == 11
    assert target.client.xpending(target.stream, "audit")["min"] == b"11-0"
    # and once audit acknowledged the rest of what it was given, up to 15 goes
    target.client.xack(target.stream, "audit", *audit[10:])
    assert published.stream.trim(published.lease.token) == 5
    assert _ids(target)[0] == 16


def test_an_old_pending_entry_holds_back_trimming_however_far_the_group_read(
    published: Relay, target: Target
) -> None:
    target.client.xgroup_create(target.stream, "notify", id="0")
    delivered = _deliver(target, "notify", 100)
    # every entry acknowledged but the very first, which is still being handled
    target.client.xack(target.stream, "notify", *delivered[1:])
    assert published.stream.trim(published.lease.token) == 0
    assert target.client.xlen(target.stream) == 32
    assert target.client.xpending(target.stream, "notify")["min"] == delivered[0]


def test_a_group_created_at_zero_keeps_everything_it_has_not_read(
    published: Relay, target: Target
) -> None:
    target.client.xgroup_create(target.stream, "notify", id="0")
    target.client.xack(target.stream, "notify", *_deliver(target, "notify", 100))
    target.client.xgroup_create(target.stream, "late", id="0")
    assert published.stream.trim(published.lease.token) == 0
    assert target.client.xlen(target.stream) == 32


def test_only_the_relay_holding_the_lease_trims(published: Relay, target: Target) -> None:
    target.client.xgroup_create(target.stream, "notify", id="$")  # has "read" everything
    assert published.stream.trim("someone-else") == -1
    assert target.client.xlen(target.stream) == 32
    assert published.stream.trim(published.lease.token) == 32


def test_the_relay_trims_as_it_goes_and_later_entries_keep_their_ids(
    published: Relay, cases: CaseService, target: Target
) -> None:
    target.client.xgroup_create(target.stream, "notify", id="0")
    target.client.xack(target.stream, "notify", *_deliver(target, "notify", 100))
    write_cases(cases, 3, visits=0)
    publish_all(published)
    assert published.stats.trimmed == 32
    assert _ids(target) == [33, 34, 35]
    assert read_stream(target.client, target.stream)[0][1]["previous_id"] == "32-0"


def test_the_relay_stops_appending_while_the_stream_is_full_and_goes_on_once_trimmed(
    cases: CaseService, target: Target
) -> None:
    write_cases(cases, 20, visits=0)
    relay = make_relay(
        cases, target.client, target.stream, batch_size=10, max_backlog=15, trim_every_seconds=0
    )
    # the bound is checked before each batch: 10, 20, then no more
    for _ in range(5):
        relay.run_once()
    assert target.client.xlen(target.stream) == 20
    # once a consumer acknowledged them, trimming frees the stream and the rest follows
    target.client.xgroup_create(target.stream, "notify", id="0")
    target.client.xack(target.stream, "notify", *_deliver(target, "notify", 100))
    publish_all(relay)
    assert _ids(target) == log_positions(cases)[20:]
