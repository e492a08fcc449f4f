"""Trimming removes only what every consumer group acknowledged, never a pending entry,
and the relay stops appending while the stream is full."""

from __future__ import annotations

from typing import Any

import pytest

from services.cases.bootstrap import CaseService
from services.cases.relay import Relay
from tests.integration.relay_support import (
    Target,
    log_positions,
    make_relay,
    publish_all,
    read_stream,
    write_cases,
)


@pytest.fixture
def published(sqlite_service: CaseService, relay_target: Target) -> Relay:
    """A relay that published a log of 12 users and 20 cases (32 entries)."""
    write_cases(sqlite_service, 20, visits=0)
    relay = make_relay(
        sqlite_service, relay_target.client, relay_target.stream, trim_every_seconds=0
    )
    publish_all(relay)
    return relay


def _ids(relay_target: Target) -> list[int]:
    return [int(i.split("-")[0]) for i, _ in read_stream(relay_target.client, relay_target.stream)]


def _deliver(relay_target: Target, group: str, count: int) -> list[bytes]:
    answer: Any = relay_target.client.xreadgroup(
        group, "c1", {relay_target.stream: ">"}, count=count
    )
    return [entry_id for entry_id, _ in answer[0][1]]


def test_without_a_consumer_group_nothing_is_trimmed(
    published: Relay, relay_target: Target
) -> None:
    # a consumer that has not created its group yet needs the whole history
    assert published.stream.trim(published.lease.token) == 0
    assert relay_target.client.xlen(relay_target.stream) == 32


def test_entries_every_group_acknowledged_are_trimmed_and_no_others(
    published: Relay, relay_target: Target
) -> None:
    # given one group that acknowledged everything, another that acknowledged 10 of 15
    for group in ("notify", "audit"):
        relay_target.client.xgroup_create(relay_target.stream, group, id="0")
    relay_target.client.xack(relay_target.stream, "notify", *_deliver(relay_target, "notify", 100))
    audit = _deliver(relay_target, "audit", 15)
    relay_target.client.xack(relay_target.stream, "audit", *audit[:10])
    # when the relay trims
    removed = published.stream.trim(published.lease.token)
    # then only the first 10 went: entry 11 is still pending for audit
    assert removed == 10
    assert _ids(relay_target)[0] == 11
    assert relay_target.client.xpending(relay_target.stream, "audit")["min"] == b"11-0"
    # and once audit acknowledged the rest of what it was given, up to 15 goes
    relay_target.client.xack(relay_target.stream, "audit", *audit[10:])
    assert published.stream.trim(published.lease.token) == 5
    assert _ids(relay_target)[0] == 16


def test_an_old_pending_entry_holds_back_trimming_however_far_the_group_read(
    published: Relay, relay_target: Target
) -> None:
    relay_target.client.xgroup_create(relay_target.stream, "notify", id="0")
    delivered = _deliver(relay_target, "notify", 100)
    # every entry acknowledged but the very first, which is still being handled
    relay_target.client.xack(relay_target.stream, "notify", *delivered[1:])
    assert published.stream.trim(published.lease.token) == 0
    assert relay_target.client.xlen(relay_target.stream) == 32
    assert relay_target.client.xpending(relay_target.stream, "notify")["min"] == delivered[0]


def test_a_group_created_at_zero_keeps_everything_it_has_not_read(
    published: Relay, relay_target: Target
) -> None:
    relay_target.client.xgroup_create(relay_target.stream, "notify", id="0")
    relay_target.client.xack(relay_target.stream, "notify", *_deliver(relay_target, "notify", 100))
    relay_target.client.xgroup_create(relay_target.stream, "late", id="0")
    assert published.stream.trim(published.lease.token) == 0
    assert relay_target.client.xlen(relay_target.stream) == 32


def test_only_the_relay_holding_the_lease_trims(published: Relay, relay_target: Target) -> None:
    relay_target.client.xgroup_create(
        relay_target.stream, "notify", id="$"
    )  # has "read" everything
    assert published.stream.trim("someone-else") == -1
    assert relay_target.client.xlen(relay_target.stream) == 32
    assert published.stream.trim(published.lease.token) == 32


def test_the_relay_trims_as_it_goes_and_later_entries_keep_their_ids(
    published: Relay, sqlite_service: CaseService, relay_target: Target
) -> None:
    relay_target.client.xgroup_create(relay_target.stream, "notify", id="0")
    relay_target.client.xack(relay_target.stream, "notify", *_deliver(relay_target, "notify", 100))
    write_cases(sqlite_service, 3, visits=0)
    publish_all(published)
    assert published.stats.trimmed == 32
    assert _ids(relay_target) == [33, 34, 35]
    assert read_stream(relay_target.client, relay_target.stream)[0][1]["previous_id"] == "32-0"


def test_the_relay_stops_appending_while_the_stream_is_full_and_goes_on_once_trimmed(
    sqlite_service: CaseService, relay_target: Target
) -> None:
    write_cases(sqlite_service, 20, visits=0)
    relay = make_relay(
        sqlite_service,
        relay_target.client,
        relay_target.stream,
        batch_size=10,
        max_backlog=15,
        trim_every_seconds=0,
    )
    # the bound is checked before each batch: 10, 20, then no more
    for _ in range(5):
        relay.run_once()
    assert relay_target.client.xlen(relay_target.stream) == 20
    # once a consumer acknowledged them, trimming frees the stream and the rest follows
    relay_target.client.xgroup_create(relay_target.stream, "notify", id="0")
    relay_target.client.xack(relay_target.stream, "notify", *_deliver(relay_target, "notify", 100))
    publish_all(relay)
    assert _ids(relay_target) == log_positions(sqlite_service)[20:]
