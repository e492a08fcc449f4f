"""Benchmark: ordinary requests during a flood of wrong logins, beside no flood.

    python bench/login_flood.py [--quick] [--postgres URL]

The real `careledger serve` (waitress, 8 threads, the production Argon2id costs) runs in a
subprocess on 127.0.0.1. One client sends authenticated `GET /api/v1/cases/<id>`, one at a
time, and records each latency, in interleaved rounds of three phases:

- **quiet**: no other traffic (the baseline of the same run);
- **flood of health checks**: 16 threads send `GET /healthz` as fast as they can: what
  any 16 busy clients cost the other requests on 2 cores, the floor for the floods below;
- **flood, one address**: 16 threads post wrong passwords as fast as they can from one
  address (the attack in issue 10). The login throttle locks the address out after 50
  failures, so most are refused with 429 before any hashing;
- **flood, fresh addresses**: 16 threads post wrong passwords for invented usernames, each
  request from a new loopback address (127.0.x.y), so that no throttle count ever trips
  and every login asks for a hash: only the bounded hashing slots protect the API.

Reported: the median and p95 latency of the GETs in each phase, their ratios to quiet
(and the login floods' to the health-check flood),
and how the flood's requests were answered (401 hashed and refused, 429 throttled, 503
hashing slots busy). Each phase is bounded by a count of GETs and a time limit, and the
flood threads stop with it. Figures go to bench/results/login_flood-<backend>.json.
Only addresses in 127.0.0.0/8 are contacted.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from case_service import HOST, PASSWORD, identify_body, open_store, percentile, start_server

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
SERVER_THREADS = 8  # what `careledger serve` uses by default
FLOODERS = 16


@dataclass(frozen=True)
class Mode:
    name: str
    rounds: int
    gets_per_phase: int
    phase_seconds: float  # a phase ends after this long even if its GETs are not done


FULL = Mode("full", rounds=3, gets_per_phase=150, phase_seconds=25.0)
QUICK = Mode("quick", rounds=2, gets_per_phase=60, phase_seconds=12.0)
PHASES = ("quiet", "flood_healthz", "flood_one_address", "flood_fresh_addresses")


def post_json(
    port: int, path: str, body: dict[str, Any], headers: dict[str, str] | None = None
) -> tuple[int, bytes, http.client.HTTPResponse]:
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        conn.request(
            "POST",
            path,
            body=json.dumps(body),
            headers={"Content-Type": "application/json", **(headers or {})},
        )
        response = conn.getresponse()
        return response.status, response.read(), response
    finally:
        conn.close()


class Flood:
    """16 threads posting wrong logins (or checking health) until stopped, or until the
    deadline passes."""

    def __init__(self, port: int, kind: str, deadline: float) -> None:
        self.port = port
        self.kind = kind
        self.fresh = kind == "flood_fresh_addresses"
        self.deadline = deadline
        self.stop = threading.Event()
        self.answers: Counter[str] = Counter()
        self.lock = threading.Lock()
        self.threads = [
            threading.Thread(target=self.run, args=(n,), daemon=True) for n in range(FLOODERS)
        ]

    def __enter__(self) -> Flood:
        for thread in self.threads:
            thread.start()
        time.sleep(0.5)  # let the flood reach the server before measuring
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=35)

    def run(self, n: int) -> None:
        sent = 0
        conn: http.client.HTTPConnection | None = None
        while not self.stop.is_set() and time.monotonic() < self.deadline:
            sent += 1
            if self.fresh:
                # A new loopback address per request (and a new connection from it).
                source = (f"127.{10 + n}.{sent // 250 % 250 + 1}.{sent % 250 + 1}", 0)
                username = f"flood{n}-{sent}"
                conn = http.client.HTTPConnection(
                    HOST, self.port, timeout=30, source_address=source
                )
            else:
                username = "reader"  # the real user: it is her account under attack
                conn = conn or http.client.HTTPConnection(HOST, self.port, timeout=30)
            try:
                if self.kind == "flood_healthz":
                    conn.request("GET", "/healthz")
                else:
                    conn.request(
                        "POST",
                        "/api/v1/auth/token",
                        body=json.dumps({"username": username, "password": "wrong password"}),
                        headers={"Content-Type": "application/json"},
                    )
                response = conn.getresponse()
                response.read()
                answer = str(response.status)
            except (OSError, http.client.HTTPException) as error:
                answer = type(error).__name__
                conn.close()
                conn = None
            if self.fresh and conn is not None:
                conn.close()
                conn = None
            with self.lock:
                self.answers[answer] += 1
        if conn is not None:
            conn.close()


def measure_gets(port: int, path: str, token: str, count: int, deadline: float) -> list[float]:
    """`count` GETs one after another on one keep-alive connection; latencies in s."""
    conn = http.client.HTTPConnection(HOST, port, timeout=60)
    latencies: list[float] = []
    try:
        for _ in range(count):
            if time.monotonic() > deadline:
                break
            began = time.perf_counter()
            conn.request("GET", path, headers={"Authorization": f"Bearer {token}"})
            response = conn.getresponse()
            response.read()
            if response.status != 200:
                raise RuntimeError(f"GET {path} answered {response.status}")
            latencies.append(time.perf_counter() - began)
    finally:
        conn.close()
    return latencies


def summary(latencies: list[float]) -> dict[str, Any]:
    ms = [x * 1e3 for x in latencies]
    return {
        "gets": len(ms),
        "median_ms": round(statistics.median(ms), 2) if ms else None,
        "p95_ms": round(percentile(ms, 95), 2) if ms else None,
        "max_ms": round(max(ms), 2) if ms else None,
    }


def run(store: Any, mode: Mode, tmp: Path) -> dict[str, Any]:
    from services.cases.bootstrap import build_case_service
    from shared.roles import Role

    service = build_case_service(store.settings)  # the production Argon2id costs
    try:
        service.accounts.register(
            None, username="reader", role=Role.CIVIL_AFFAIRS, scope="360124", password=PASSWORD
        )
    finally:
        service.close()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CARELEDGER_")}
    env |= store.server_env | {"PYTHONUNBUFFERED": "1"}
    argv = [sys.executable, "-m", "services.cli", "serve", "--host", HOST, "--port", "{port}"]
    argv += ["--threads", str(SERVER_THREADS)]
    with ExitStack() as stack:
        api = start_server("api", argv, env, tmp / "api.log")
        stack.callback(api.stop)
        api.wait_ready()
        status, body, _ = post_json(
            api.port, "/api/v1/auth/token", {"username": "reader", "password": PASSWORD}
        )
        if status != 201:
            raise RuntimeError(f"login failed: {status} {body[:200]!r}")
        token = json.loads(body)["token"]
        today = datetime.now(UTC).date()
        status, body, response = post_json(
            api.port, "/api/v1/cases", identify_body(today), {"Authorization": f"Bearer {token}"}
        )
        if status != 201:
            raise RuntimeError(f"identify failed: {status} {body[:200]!r}")
        path = str(response.getheader("Location"))
        measure_gets(api.port, path, token, 20, time.monotonic() + 30)  # warm up

        latencies: dict[str, list[float]] = {phase: [] for phase in PHASES}
        answers: dict[str, Counter[str]] = {phase: Counter() for phase in PHASES[1:]}
        for round_no in range(mode.rounds):
            for phase in PHASES:
                print(f"  round {round_no + 1}/{mode.rounds}: {phase} …", file=sys.stderr)
                deadline = time.monotonic() + mode.phase_seconds
                if phase == "quiet":
                    latencies[phase] += measure_gets(
                        api.port, path, token, mode.gets_per_phase, deadline
                    )
                    continue
                with Flood(api.port, phase, deadline + 5) as flood:
                    latencies[phase] += measure_gets(
                        api.port, path, token, mode.gets_per_phase, deadline
                    )
                answers[phase] += flood.answers
    phases = {phase: summary(values) for phase, values in latencies.items()}
    quiet = phases["quiet"]["median_ms"]
    return {
        "server_threads": SERVER_THREADS,
        "flooders": FLOODERS,
        "phases": phases,
        "flood_answers": {phase: dict(counts) for phase, counts in answers.items()},
        "median_over_quiet": {
            phase: round(phases[phase]["median_ms"] / quiet, 2) if quiet else None
            for phase in PHASES[1:]
        },
        # A login flood beside any flood of 16 busy clients: 1 means logins cost no more.
        "median_over_healthz_flood": {
            phase: round(phases[phase]["median_ms"] / phases["flood_healthz"]["median_ms"], 2)
            for phase in PHASES[2:]
        },
    }


def render(results: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"GET /api/v1/cases/<id> · {results['backend']} · {results['mode']}")
    for column in ("phase", "GETs", "median ms", "p95 ms", "median / quiet", "flood answers"):
        table.add_column(column)
    flood = results["flood"]
    for phase, row in flood["phases"].items():
        table.add_row(
            phase,
            str(row["gets"]),
            str(row["median_ms"]),
            str(row["p95_ms"]),
            str(flood["median_over_quiet"].get(phase, "1")),
            ", ".join(
                f"{k}: {v}" for k, v in sorted(flood["flood_answers"].get(phase, {}).items())
            ),
        )
    Console(stderr=True).print(table)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="small run (about 1 minute)")
    parser.add_argument(
        "--postgres",
        metavar="URL",
        help="PostgreSQL URL, e.g. postgresql://postgres@127.0.0.1:5432/test; "
        "a fresh schema is created and dropped",
    )
    args = parser.parse_args(argv)
    if args.postgres and (host := urlparse(args.postgres).hostname) not in (HOST, "localhost"):
        parser.error(f"only a PostgreSQL on 127.0.0.1 is benchmarked, not {host}")
    mode = QUICK if args.quick else FULL
    started = time.perf_counter()
    results: dict[str, Any] = {
        "benchmark": "login_flood",
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
        print(f"[{store.backend}/{mode.name}] login flood …", file=sys.stderr)
        results["flood"] = run(store, mode, Path(tmpdir))
    results["duration_s"] = round(time.perf_counter() - started, 1)
    results["machine"]["load_avg_at_end"] = list(os.getloadavg())
    render(results)
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"login_flood-{results['backend']}.json"
    path.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {path.relative_to(HERE.parent)} in {results['duration_s']} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
