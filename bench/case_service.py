"""Benchmark of the case service: opening cases, HTTP writes, and durable commits.

    python bench/case_service.py [--quick] [--postgres URL] [--connections N]

Every speed is reported beside a baseline measured in the same run (the machine is
shared and noisy), so read the ratios, not the absolute figures:

1. Opening a case (`cases.repository.get`) of 10 and of 1,000 events with snapshots and
   the aggregate cache off; the same 1,000-event case with snapshotting off (full replay)
   as the reference for what snapshots buy. Samples are interleaved round by round.
2. Identify and visit requests per second through the HTTP API, served by the real
   `careledger serve` (waitress, 8 threads) in a subprocess on 127.0.0.1, against a bare
   Flask endpoint served the same way (the baseline), with the same client. Each identify
   is a child of its own (`identify_bodies`).
3. The event store's own durable-commit rate: `cases.save()` of one new tiny aggregate
   per call, one commit each, in a loop; the HTTP identify rate as a ratio of it.

Figures are printed as tables and written to bench/results/case_service-<backend>.json.
The store is a fresh SQLite file (AES on) in a temporary folder, or with --postgres a fresh
schema created and dropped by this script. Only 127.0.0.1 is contacted.
"""

from __future__ import annotations

import argparse
import copy
import http.client
import itertools
import json
import os
import platform
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlparse
from uuid import UUID

from eventsourcing.domain import Aggregate

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
HOST = "127.0.0.1"
SERVER_THREADS = 8  # what `careledger serve` uses by default
COUNTY = "360124"
VILLAGE = "360124105203"
PASSWORD = "bench password 1234"


@dataclass(frozen=True)
class Mode:
    """How much work each part does."""

    name: str
    open_seconds: float  # time budget for the interleaved open rounds
    open_max_rounds: int
    commit_seconds: float  # per in-process write loop
    identify_requests: int
    visit_requests: int
    bare_requests: int  # per baseline run (two runs: before and after)
    warmup_requests: int


QUICK = Mode(
    "quick",
    open_seconds=4.0,
    open_max_rounds=150,
    commit_seconds=1.0,
    identify_requests=300,
    visit_requests=300,
    bare_requests=300,
    warmup_requests=20,
)
FULL = Mode(
    "full",
    open_seconds=20.0,
    open_max_rounds=600,
    commit_seconds=2.0,
    identify_requests=2000,
    visit_requests=2000,
    bare_requests=2000,
    warmup_requests=50,
)


# ---- sample bodies (same shape as tests/support.py, dates relative to today) ---------------


def identify_body(today: date) -> dict[str, Any]:
    """A valid identify body."""
    return {
        "child": {
            "name": "王小明",
            "sex": "female",
            "birth_date": "2015-03-02",
            "hukou_registered": True,
            "school": {"name": "前坊小学", "grade": "3", "status": "enrolled"},
        },
        "address": {"jurisdiction": VILLAGE, "detail": "前坊村三组12号"},
        "parents": [
            {
                "relation": "father",
                "status": "working_away",
                "work_location": "广东省东莞市",
                "phone": "13800138000",
            },
            {"relation": "mother", "status": "working_away"},
        ],
        "guardian": {
            "type": "grandparent",
            "name": "李秀英",
            "relation": "grandmother",
            "phone": "13900139000",
            "capacity": "able",
        },
        "source": "survey",
        "identified_on": (today - timedelta(days=60)).isoformat(),
    }


def identify_bodies(today: date, count: int, seed: int = 2026) -> list[dict[str, Any]]:
    """`count` identify bodies of different children, as a register holds them: names
    drawn like the demo city's, birthdays over ten years, each father with his own phone.
    (The same child identified again and again would make every request compare itself
    with up to 50 look-alikes, which no real register does.)"""
    from services.cases.demo.names import child_given_name, surname
    from services.cases.demo.people import phone

    rng = random.Random(seed)
    bodies = []
    for _ in range(count):
        body = copy.deepcopy(identify_body(today))
        sex = rng.choice(("female", "male"))
        born = date(2011, 1, 1) + timedelta(days=rng.randrange(3650))
        body["child"] |= {
            "name": surname(rng) + child_given_name(rng, sex),
            "sex": sex,
            "birth_date": born.isoformat(),
        }
        body["parents"][0]["phone"] = phone(rng)
        bodies.append(body)
    return bodies


def visit_body(today: date) -> dict[str, Any]:
    """A valid visit body."""
    return {
        "visited_on": (today - timedelta(days=1)).isoformat(),
        "mode": "home",
        "guardian_present": True,
        "living_conditions": "fair",
        "school_attendance": "regular",
        "emotional_state": "lonely",
        "safety_concerns": [],
        "risk_level": "medium",
        "notes": "孩子想念父母",
    }


# ---- statistics ------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0..100), linear between closest ranks."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * q / 100
    low = int(k)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (k - low)


def summary_us(seconds: list[float]) -> dict[str, float | int]:
    """Median and p95 in microseconds."""
    us = [s * 1e6 for s in seconds]
    return {
        "median_us": round(statistics.median(us), 1),
        "p95_us": round(percentile(us, 95), 1),
        "samples": len(us),
    }


def ratio(a: float, b: float) -> float:
    """a / b, rounded; NaN when b is zero."""
    return round(a / b, 3) if b else float("nan")


# ---- the store ---------------------------------------------------------------------------


@dataclass
class Store:
    """Where this run's cases live, and how a subprocess reaches the same store."""

    backend: str
    settings: Any  # shared.settings.Settings
    server_env: dict[str, str]


@contextmanager
def open_store(postgres_url: str | None, tmp: Path) -> Iterator[Store]:
    """A fresh SQLite file, or a fresh PostgreSQL schema dropped afterwards."""
    from shared.settings import Settings

    data_dir = tmp / "var"
    env = {"CARELEDGER_DATA_DIR": str(data_dir)}
    if not postgres_url:
        settings = Settings(data_dir=data_dir).with_generated_secrets()
        yield Store("sqlite", settings, env)
        return
    import psycopg

    schema = f"bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    try:
        settings = Settings(
            data_dir=data_dir, database_url=postgres_url, postgres_schema=schema
        ).with_generated_secrets()
        env |= {"CARELEDGER_DATABASE_URL": postgres_url, "CARELEDGER_POSTGRES_SCHEMA": schema}
        yield Store("postgres", settings, env)
    finally:
        with psycopg.connect(postgres_url, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


def durability(store: Store) -> dict[str, str]:
    """The settings that decide whether a commit is on disk when `save` returns."""
    if store.backend == "sqlite":
        import sqlite3

        # The library leaves both at SQLite's defaults, which a fresh connection shows.
        conn = sqlite3.connect(store.settings.data_dir / "cases.sqlite")
        try:  # the file may be busy or gone when the server just stopped: report, not crash
            return {
                "journal_mode": str(conn.execute("PRAGMA journal_mode").fetchone()[0]),
                "synchronous": {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}.get(
                    conn.execute("PRAGMA synchronous").fetchone()[0], "?"
                ),
            }
        except sqlite3.Error as error:
            return {"journal_mode": f"? ({error})", "synchronous": "?"}
        finally:
            conn.close()
    import psycopg

    with psycopg.connect(store.settings.database_url, autocommit=True) as conn:
        return {
            name: str(conn.execute(f"SHOW {name}").fetchone()[0])
            for name in ("synchronous_commit", "fsync")
        }


# ---- 1. opening a case -----------------------------------------------------------------------


def build_case(
    cases: Any, actor: dict[str, Any], today: date, events: int, batch: int = 50
) -> UUID:
    """A case of exactly `events` events: identified, then visited, saved in batches."""
    from services.cases.domain import Case

    case = Case.identify(record=identify_body(today), actor=actor, today=today)
    visit = visit_body(today)
    for n in range(events - 1):
        case.record_visit(visit=visit, actor=actor, today=today)
        if (n + 1) % batch == 0:
            cases.save(case)
    cases.save(case)
    assert case.version == events, case.version
    return UUID(str(case.id))


def measure_opens(store: Store, service: Any, mode: Mode) -> dict[str, Any]:
    """Interleaved rounds of opening each case in each configuration."""
    from services.cases.application import SNAPSHOT_INTERVAL, Cases

    today = service.cases.clock.today()
    actor = {"username": "bench", "role": "civil_affairs", "request_id": "bench"}
    built = time.perf_counter()
    late = 1000 + SNAPSHOT_INTERVAL - 1  # the most events replayed after a snapshot
    ids = {n: build_case(service.cases, actor, today, n) for n in (10, 1000, late)}
    build_seconds = time.perf_counter() - built

    base_env = store.settings.eventsourcing_env()
    # An empty AGGREGATE_CACHE_MAXSIZE means no cache ("0" would mean an unbounded one).
    uncached = Cases(base_env | {"AGGREGATE_CACHE_MAXSIZE": ""})
    replaying = Cases(base_env | {"AGGREGATE_CACHE_MAXSIZE": "", "IS_SNAPSHOTTING_ENABLED": "n"})
    for other in (uncached, replaying):  # personal data is sealed under each case's key
        other.use_case_keys(service.cases.case_keys)
    cached = service.cases  # as served: LRU cache, fast-forward query, deepcopy
    assert uncached.repository.cache is None and uncached.snapshots is not None
    assert replaying.repository.cache is None and replaying.snapshots is None
    assert cached.repository.cache is not None

    targets: dict[str, tuple[str, Callable[[], Any], int]] = {
        "snap_10": (
            "10 events · snapshots, no cache",
            lambda: uncached.repository.get(ids[10]),
            10,
        ),
        "snap_1000": (
            "1,000 events · snapshots, no cache",
            lambda: uncached.repository.get(ids[1000]),
            1000,
        ),
        "snap_late": (
            f"{late:,} events · snapshot + {SNAPSHOT_INTERVAL - 1} events, no cache",
            lambda: uncached.repository.get(ids[late]),
            late,
        ),
        "replay_1000": (
            "1,000 events · NO snapshots (full replay)",
            lambda: replaying.repository.get(ids[1000]),
            1000,
        ),
        "cached_10": (
            "10 events · aggregate cache, as served",
            lambda: cached.repository.get(ids[10]),
            10,
        ),
        "cached_1000": (
            "1,000 events · aggregate cache, as served",
            lambda: cached.repository.get(ids[1000]),
            1000,
        ),
    }
    samples: dict[str, list[float]] = {key: [] for key in targets}
    order = list(targets)
    rng = random.Random(7)
    try:
        for key in order:  # warm up: connections, caches, code paths
            for _ in range(3):
                targets[key][1]()
        deadline = time.perf_counter() + mode.open_seconds
        rounds = 0
        while rounds < mode.open_max_rounds and time.perf_counter() < deadline:
            rng.shuffle(order)
            for key in order:
                start = time.perf_counter()
                case = targets[key][1]()
                samples[key].append(time.perf_counter() - start)
                assert case.version == targets[key][2]
            rounds += 1
        # How big the newest snapshot of the 1,000-event case is as stored (AES, no
        # compression): opening it costs reading, decrypting and decoding all of it.
        assert uncached.snapshots is not None
        stored = uncached.snapshots.recorder.select_events(ids[1000], desc=True, limit=1)
        snapshot_bytes = len(stored[0].state) if stored else 0
    finally:
        for other in (uncached, replaying):
            other.use_case_keys(None)  # the keys are the served service's to close
            other.close()

    rows = {
        key: {"label": label, "events": events, **summary_us(samples[key])}
        for key, (label, _, events) in targets.items()
    }
    med = {key: float(row["median_us"]) for key, row in rows.items()}
    return {
        "snapshot_interval": SNAPSHOT_INTERVAL,
        "rounds": rounds,
        "build_seconds": round(build_seconds, 2),
        "snapshot_bytes_1000": snapshot_bytes,
        "rows": rows,
        "ratios": {
            "snap_1000_over_snap_10": ratio(med["snap_1000"], med["snap_10"]),
            "snap_late_over_snap_10": ratio(med["snap_late"], med["snap_10"]),
            "replay_1000_over_snap_1000": ratio(med["replay_1000"], med["snap_1000"]),
            "cached_1000_over_cached_10": ratio(med["cached_1000"], med["cached_10"]),
        },
    }


# ---- 3. the durable-commit limit -------------------------------------------------------------


class BenchPing(Aggregate):
    """The smallest aggregate: one Created event, no state."""


def measure_commits(service: Any, mode: Mode) -> dict[str, Any]:
    """One new tiny aggregate per `save` (one commit each), then the identify use case."""
    from services.cases.access import Actor
    from shared.roles import Role

    cases = service.cases
    today = cases.clock.today()
    actor = Actor("bench", Role.CIVIL_AFFAIRS, COUNTY, "bench")
    records = itertools.cycle(identify_bodies(today, 2_000))

    def loop(step: Callable[[], Any]) -> dict[str, Any]:
        for _ in range(5):
            step()
        latencies: list[float] = []
        start = time.perf_counter()
        deadline = start + mode.commit_seconds
        while (now := time.perf_counter()) < deadline:
            step()
            latencies.append(time.perf_counter() - now)
        elapsed = time.perf_counter() - start
        return {"per_second": round(len(latencies) / elapsed, 1), **summary_us(latencies)}

    saves = loop(lambda: cases.save(BenchPing()))
    identifies = loop(lambda: cases.identify(actor, copy.deepcopy(next(records))))
    return {"save_tiny_aggregate": saves, "identify_in_process": identifies}


# ---- 2. HTTP -----------------------------------------------------------------------------


def free_port() -> int:
    """A port nobody listens on right now."""
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def bare_server(port: int) -> None:
    """The baseline: a tiny Flask app, served by waitress as `careledger serve` serves."""
    import waitress
    from flask import Flask, request

    app = Flask("bench.bare")

    @app.post("/bare")
    def bare() -> Any:
        body = request.get_json()
        return {"ok": True, "keys": len(body)}, 201

    @app.get("/healthz")
    def healthz() -> Any:
        return {"status": "ok"}

    waitress.serve(app, host=HOST, port=port, threads=SERVER_THREADS, ident="careledger")


@dataclass
class Server:
    """A server subprocess and where it logs."""

    name: str
    port: int
    process: subprocess.Popen[bytes]
    log: Path

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} server exited:\n{self.tail()}")
            try:
                conn = http.client.HTTPConnection(HOST, self.port, timeout=2)
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    conn.close()
                    return
                conn.close()
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"{self.name} server not ready after {timeout}s:\n{self.tail()}")

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def start_server(name: str, argv: list[str], env: dict[str, str], log: Path) -> Server:
    port = free_port()
    argv = [arg.replace("{port}", str(port)) for arg in argv]
    with log.open("wb") as out:
        process = subprocess.Popen(
            argv,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=HERE.parent,
        )
    return Server(name, port, process, log)


@dataclass
class HttpRun:
    """One batch of requests from the client pool."""

    requests: int
    seconds: float
    latencies: list[float]
    errors: int
    first_error: str
    locations: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        lat_ms = [x * 1e3 for x in self.latencies]
        return {
            "requests": self.requests,
            "seconds": round(self.seconds, 3),
            "per_second": round(self.requests / self.seconds, 1),
            "median_ms": round(statistics.median(lat_ms), 2) if lat_ms else None,
            "p95_ms": round(percentile(lat_ms, 95), 2) if lat_ms else None,
            "errors": self.errors,
            "first_error": self.first_error or None,
        }


def drive(
    port: int,
    requests: list[tuple[str, bytes]],
    headers: dict[str, str],
    connections: int,
    expect: int,
) -> HttpRun:
    """Sends the POSTs over `connections` keep-alive connections, one thread each."""
    lock = threading.Lock()
    cursor = iter(range(len(requests)))
    latencies: list[float] = []
    locations: list[str] = []
    errors: list[str] = []
    start_gate = threading.Barrier(connections + 1)

    def worker() -> None:
        conn = http.client.HTTPConnection(HOST, port, timeout=60)
        mine: list[float] = []
        found: list[str] = []
        start_gate.wait()
        try:
            while True:
                with lock:
                    i = next(cursor, None)
                if i is None:
                    break
                path, body = requests[i]
                began = time.perf_counter()
                try:
                    conn.request("POST", path, body=body, headers=headers)
                    response = conn.getresponse()
                    payload = response.read()
                except (OSError, http.client.HTTPException) as error:
                    errors.append(f"{type(error).__name__}: {error}")
                    conn.close()
                    conn = http.client.HTTPConnection(HOST, port, timeout=60)
                    continue
                mine.append(time.perf_counter() - began)
                if response.status != expect:
                    errors.append(f"{response.status} {payload[:300]!r}")
                elif location := response.getheader("Location"):
                    found.append(location)
        finally:
            conn.close()
            with lock:
                latencies.extend(mine)
                locations.extend(found)

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(connections)]
    for thread in threads:
        thread.start()
    start_gate.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - began
    return HttpRun(
        len(requests), seconds, latencies, len(errors), errors[0] if errors else "", locations
    )


def login(port: int, username: str) -> str:
    conn = http.client.HTTPConnection(HOST, port, timeout=60)
    conn.request(
        "POST",
        "/api/v1/auth/token",
        body=json.dumps({"username": username, "password": PASSWORD}),
        headers={"Content-Type": "application/json"},
    )
    response = conn.getresponse()
    payload = response.read()
    conn.close()
    if response.status != 201:
        raise RuntimeError(f"login failed: {response.status} {payload[:300]!r}")
    return str(json.loads(payload)["token"])


def measure_http(
    store: Store, service: Any, mode: Mode, connections: int, tmp: Path
) -> dict[str, Any]:
    """Identify and visit through the real API, beside the bare Flask baseline."""
    from shared.roles import Role

    username = "bench_http"
    service.accounts.register(
        None, username=username, role=Role.CIVIL_AFFAIRS, scope=COUNTY, password=PASSWORD
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("CARELEDGER_")}
    # One login for the whole run (access tokens otherwise last minutes).
    env |= store.server_env | {
        "PYTHONUNBUFFERED": "1",
        "CARELEDGER_ACCESS_TOKEN_TTL_SECONDS": "86400",
    }
    today = datetime.now(UTC).date()  # the served API runs on the real clock
    with ExitStack() as stack:
        api = start_server(
            "api",
            [
                sys.executable,
                "-m",
                "services.cli",
                "serve",
                "--host",
                HOST,
                "--port",
                "{port}",
                "--threads",
                str(SERVER_THREADS),
            ],
            env,
            tmp / "api.log",
        )
        stack.callback(api.stop)
        bare = start_server(
            "bare",
            [sys.executable, str(Path(__file__).resolve()), "--bare-server", "{port}"],
            env,
            tmp / "bare.log",
        )
        stack.callback(bare.stop)
        api.wait_ready()
        bare.wait_ready()

        headers = {
            "Content-Type": "application/json",
            "Authorization": f"Bearer {login(api.port, username)}",
        }
        identify = json.dumps(identify_body(today)).encode()
        visit = json.dumps(visit_body(today)).encode()
        # Each identify a child of its own (not those of the in-process loop either).
        children = iter(
            json.dumps(body).encode()
            for body in identify_bodies(
                today, mode.warmup_requests + mode.identify_requests, seed=13
            )
        )

        def bare_run(n: int) -> HttpRun:
            return drive(bare.port, [("/bare", identify)] * n, headers, connections, 201)

        def identify_run(n: int) -> HttpRun:
            batch = [("/api/v1/cases", next(children)) for _ in range(n)]
            return drive(api.port, batch, headers, connections, 201)

        # Warm up both servers (imports, first requests, connection pools).
        bare_run(mode.warmup_requests)
        warm = identify_run(mode.warmup_requests)
        if warm.errors:
            raise RuntimeError(f"identify failed: {warm.first_error}\n{api.tail()}")

        bare_before = bare_run(mode.bare_requests)
        identified = identify_run(mode.identify_requests)
        case_paths = identified.locations or warm.locations
        visits = [
            (f"{case_paths[i % len(case_paths)]}/visits", visit) for i in range(mode.visit_requests)
        ]
        visited = drive(api.port, visits, headers, connections, 200)
        bare_after = bare_run(mode.bare_requests)
        if identified.errors or visited.errors:
            print(f"API server log tail:\n{api.tail()}", file=sys.stderr)

    runs = {
        "bare_before": bare_before,
        "identify": identified,
        "visit": visited,
        "bare_after": bare_after,
    }
    out = {key: run.as_dict() for key, run in runs.items()}
    bare_rate = (out["bare_before"]["per_second"] + out["bare_after"]["per_second"]) / 2
    return {
        "connections": connections,
        "server_threads": SERVER_THREADS,
        "visited_cases": len(set(case_paths)),
        "runs": out,
        "bare_per_second_mean": round(bare_rate, 1),
        "ratios": {
            "identify_over_bare": ratio(out["identify"]["per_second"], bare_rate),
            "visit_over_bare": ratio(out["visit"]["per_second"], bare_rate),
            "bare_after_over_bare_before": ratio(
                out["bare_after"]["per_second"], out["bare_before"]["per_second"]
            ),
        },
    }


# ---- report ------------------------------------------------------------------------------


def render(results: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    if not console.is_terminal:
        console = Console(width=120)
    opens = results["open_case"]
    table = Table(
        title=f"Opening a case · {results['backend']} · AES on · "
        f"snapshot every {opens['snapshot_interval']} events · "
        f"{opens['rounds']} interleaved rounds",
        caption=f"newest snapshot of the 1,000-event case: "
        f"{opens['snapshot_bytes_1000']:,} bytes stored",
    )
    for column in ("case", "median µs", "p95 µs", "samples"):
        table.add_column(column, justify="left" if column == "case" else "right")
    for row in opens["rows"].values():
        table.add_row(
            row["label"], f"{row['median_us']:,.0f}", f"{row['p95_us']:,.0f}", str(row["samples"])
        )
    console.print(table)

    commits = results["durable_commit"]
    settings = ", ".join(f"{k}={v}" for k, v in commits["durability"].items())
    table = Table(
        title=f"In-process writes · {results['backend']} · one commit per call", caption=settings
    )
    for column in ("loop", "per second", "median µs", "p95 µs"):
        table.add_column(column, justify="left" if column == "loop" else "right")
    for label, key in (
        ("cases.save(new tiny aggregate)", "save_tiny_aggregate"),
        ("cases.identify(actor, record)", "identify_in_process"),
    ):
        for when in ("before", "after"):
            row = commits[when][key]
            table.add_row(
                f"{label} · {when} HTTP",
                f"{row['per_second']:,.0f}",
                f"{row['median_us']:,.0f}",
                f"{row['p95_us']:,.0f}",
            )
    console.print(table)

    web = results["http"]
    table = Table(
        title=f"HTTP · waitress threads={web['server_threads']} · "
        f"{web['connections']} client connections"
    )
    for column in ("run", "requests", "req/s", "median ms", "p95 ms", "errors"):
        table.add_column(column, justify="left" if column == "run" else "right")
    labels = {
        "bare_before": "bare Flask POST (baseline, before)",
        "identify": "POST /api/v1/cases (identify)",
        "visit": f"POST …/visits (over {web['visited_cases']:,} cases)",
        "bare_after": "bare Flask POST (baseline, after)",
    }
    for key, label in labels.items():
        run = web["runs"][key]
        table.add_row(
            label,
            f"{run['requests']:,}",
            f"{run['per_second']:,.0f}",
            f"{run['median_ms']:.1f}",
            f"{run['p95_ms']:.1f}",
            str(run["errors"]),
        )
    console.print(table)

    table = Table(title="Ratios (same run)")
    table.add_column("ratio")
    table.add_column("value", justify="right")
    table.add_column("reading")
    for name, value, reading in results["summary"]:
        table.add_row(name, f"{value:.3f}", reading)
    console.print(table)
    machine = results["machine"]
    console.print(
        f"{results['mode']} run, {results['duration_s']} s, {machine['cpus']} CPUs, "
        f"1-min load average {machine['load_avg_at_start'][0]:.2f} at start, "
        f"{machine['load_avg_at_end'][0]:.2f} at end"
    )


def summarise(results: dict[str, Any]) -> list[tuple[str, float, str]]:
    o = results["open_case"]["ratios"]
    h = results["http"]["ratios"]
    r = results["ratios_http_vs_commit"]
    late = results["open_case"]["rows"]["snap_late"]["events"]
    return [
        (
            "open 1,000 ev / open 10 ev (snapshots)",
            o["snap_1000_over_snap_10"],
            "goal ≈ 1: snapshots bound the replay",
        ),
        (
            f"open {late:,} ev / open 10 ev (snapshots)",
            o["snap_late_over_snap_10"],
            "worst case between snapshots",
        ),
        (
            "open 1,000 ev: no snapshots / snapshots",
            o["replay_1000_over_snap_1000"],
            "what snapshots buy",
        ),
        (
            "open 1,000 ev / 10 ev (aggregate cache)",
            o["cached_1000_over_cached_10"],
            "the served path (cache + deepcopy)",
        ),
        ("HTTP identify / bare Flask", h["identify_over_bare"], "API cost over the HTTP floor"),
        ("HTTP visit / bare Flask", h["visit_over_bare"], "API cost over the HTTP floor"),
        (
            "bare after / bare before",
            h["bare_after_over_bare_before"],
            "drift of the machine during the run",
        ),
        (
            "HTTP identify / in-process save",
            r["identify_http_over_save"],
            "share of the durable-commit limit (mean of before/after)",
        ),
        (
            "HTTP identify / in-process identify",
            r["identify_http_over_identify_in_process"],
            "HTTP + auth overhead on the use case",
        ),
        (
            "save after / save before",
            ratio(
                results["durable_commit"]["after"]["save_tiny_aggregate"]["per_second"],
                results["durable_commit"]["before"]["save_tiny_aggregate"]["per_second"],
            ),
            "drift of the store during the run",
        ),
    ]


# ---- main ----------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="small run (about 30 s)")
    parser.add_argument(
        "--postgres",
        metavar="URL",
        help="PostgreSQL URL, e.g. postgresql://postgres@127.0.0.1:5432/test; "
        "a fresh schema is created and dropped",
    )
    parser.add_argument(
        "--connections", type=int, default=8, help="concurrent client connections (default 8)"
    )
    parser.add_argument("--bare-server", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.bare_server:
        bare_server(args.bare_server)
        return 0
    if args.postgres and (host := urlparse(args.postgres).hostname) not in (HOST, "localhost"):
        parser.error(f"only a PostgreSQL on 127.0.0.1 is benchmarked, not {host}")

    from services.cases.bootstrap import build_case_service

    mode = QUICK if args.quick else FULL
    started = time.perf_counter()
    results: dict[str, Any] = {
        "benchmark": "case_service",
        "mode": mode.name,
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "load_avg_at_start": list(os.getloadavg()),
        },
    }
    with (
        tempfile.TemporaryDirectory(prefix="careledger-bench-") as tmpdir,
        open_store(args.postgres, Path(tmpdir)) as store,
    ):
        results["backend"] = store.backend
        service = build_case_service(store.settings)
        try:
            print(f"[{store.backend}/{mode.name}] opening cases …", file=sys.stderr)
            results["open_case"] = measure_opens(store, service, mode)
            print(f"[{store.backend}/{mode.name}] in-process commits …", file=sys.stderr)
            commits_before = measure_commits(service, mode)
            print(f"[{store.backend}/{mode.name}] HTTP …", file=sys.stderr)
            results["http"] = measure_http(store, service, mode, args.connections, Path(tmpdir))
            print(f"[{store.backend}/{mode.name}] in-process commits again …", file=sys.stderr)
            commits_after = measure_commits(service, mode)
            results["durable_commit"] = {
                "durability": durability(store),
                "before": commits_before,
                "after": commits_after,
                # The HTTP phase runs between the two loops: their mean is its baseline.
                **{
                    f"{key}_per_second_mean": round(
                        (commits_before[key]["per_second"] + commits_after[key]["per_second"]) / 2,
                        1,
                    )
                    for key in ("save_tiny_aggregate", "identify_in_process")
                },
            }
        finally:
            service.close()
    identify_rate = results["http"]["runs"]["identify"]["per_second"]
    results["ratios_http_vs_commit"] = {
        "identify_http_over_save": ratio(
            identify_rate, results["durable_commit"]["save_tiny_aggregate_per_second_mean"]
        ),
        "identify_http_over_identify_in_process": ratio(
            identify_rate, results["durable_commit"]["identify_in_process_per_second_mean"]
        ),
    }
    results["duration_s"] = round(time.perf_counter() - started, 1)
    results["machine"]["load_avg_at_end"] = list(os.getloadavg())
    results["summary"] = summarise(results)
    render(results)

    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"case_service-{results['backend']}.json"
    path.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {path.relative_to(HERE.parent)} in {results['duration_s']} s", file=sys.stderr)
    errors = sum(run["errors"] for run in results["http"]["runs"].values())
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
