"""Load test: the API under gunicorn on PostgreSQL with a realistic mix, beside a bare
endpoint of the same server in the same run, at one worker and at one per CPU.

    python bench/load_test.py [--quick] [--postgres URL] [--children N] [--users U]

The demo city (`seed_demo`, `--children`, default 2,000) is seeded into a fresh PostgreSQL
schema (dropped at the end) and projected. Then for each worker count (1, and the CPU
count) the real `careledger serve --workers W --threads 8` runs in a subprocess (one
worker is the single-process waitress server, as `--workers 1` serves), and locust
(`bench/locustfile.py`, headless, U users without think time) drives it:

- **bare**: `GET /healthz` only, before and after the mix: the baseline;
- **mix**: 90% reads (a case page 60%, the county dashboard 15%, a worklist 15%) and 10%
  writes (visits 8%, one in ten sent twice with the same `Idempotency-Key`;
  identifications 2%), as a county official and a village child director.

Reported: requests per second, the median, p95 and p99 in ms and failures, for the mix
and for each kind of request, with the mix's rate as a share of bare's and the growth
from one worker to the CPU count. Locust runs on the same 2 cores as the server, so the
rates are a floor for what the server alone would do. The figures go to
bench/results/load_test-postgres.json. Only 127.0.0.1 is contacted; every phase has a
time limit.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"
sys.path[:0] = [str(ROOT), str(HERE)]

from bench_support import open_settings  # noqa: E402

HOST = "127.0.0.1"
SERVE = [sys.executable, "-m", "services.cli", "serve"]
LOCUST = [sys.executable, "-m", "locust", "-f", str(HERE / "locustfile.py"), "--headless"]
LOCUST += ["--only-summary", "--loglevel", "WARNING", "--stop-timeout", "5"]
READER, WRITER = "civil", "director"  # the county's civil affairs, the village's director


def request(method: str, url: str, token: str = "", body: Any = None) -> tuple[int, Any]:
    data = None if body is None else json.dumps(body).encode()
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    call = urllib.request.Request(url, method=method, data=data, headers=headers)
    try:
        with urllib.request.urlopen(call, timeout=60) as answer:
            return answer.status, json.loads(answer.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def seed(settings: Any, children: int) -> None:
    from services.cases.bootstrap import build_case_service
    from services.cases.demo import seed_demo
    from services.cases.projections.projector import catch_up

    service = build_case_service(settings)
    try:
        seed_demo(service, children=children, show_progress=sys.stderr.isatty())
        catch_up(settings, service.cases, service.read_models.store)
    finally:
        service.close()


def fixture(url: str, folder: Path) -> Path:
    """Tokens, case ids and bodies for the locust users, in a file."""
    from services.cases.demo.staff import DEMO_VILLAGE, PASSWORDS
    from shared.roles import Role

    def token(username: str, role: Role) -> str:
        body = {"username": username, "password": PASSWORDS[role]}
        status, session = request("POST", f"{url}/api/v1/auth/token", body=body)
        assert status == 201, session
        return str(session["token"])

    reader = token(READER, Role.CIVIL_AFFAIRS)
    writer = token(WRITER, Role.CHILD_DIRECTOR)

    def ids(bearer: str, pages: int) -> list[str]:
        found: list[str] = []
        for page in range(1, pages + 1):
            status, listed = request(
                "GET", f"{url}/api/v1/cases?status=active&per_page=100&page={page}", bearer
            )
            assert status == 200, listed
            found += [row["id"] for row in listed["items"]]
            if len(listed["items"]) < 100:
                break
        return found

    today = datetime.now(UTC).date().isoformat()
    data = {
        "reader_token": reader,
        "writer_token": writer,
        "county": DEMO_VILLAGE[:6],
        "cases": ids(reader, 10),
        "village_cases": ids(writer, 3),
        "visit": {
            "visited_on": today,
            "mode": "home",
            "guardian_present": True,
            "living_conditions": "fair",
            "school_attendance": "regular",
            "emotional_state": "stable",
            "safety_concerns": [],
            "risk_level": "low",
            "notes": "负载测试走访",
        },
        "identify": {
            "child": {
                "name": "负载测试",
                "sex": "female",
                "birth_date": "2016-05-01",
                "hukou_registered": True,
                "school": {"name": "张公小学", "grade": "3", "status": "enrolled"},
            },
            "address": {"jurisdiction": DEMO_VILLAGE, "detail": "一组1号"},
            "parents": [
                {"relation": "father", "status": "working_away", "work_location": "广东省"},
                {"relation": "mother", "status": "working_away"},
            ],
            "guardian": {
                "type": "grandparent",
                "name": "负载祖母",
                "relation": "grandmother",
                "capacity": "able",
            },
            "source": "survey",
            "identified_on": today,
        },
    }
    assert data["cases"] and data["village_cases"], "the demo city holds no case to read"
    path = folder / "fixture.json"
    path.write_text(json.dumps(data, ensure_ascii=False))
    path.chmod(0o600)
    return path


def start_api(settings: Any, workers: int, folder: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {
        **os.environ,
        "CARELEDGER_DATA_DIR": str(settings.data_dir),
        "CARELEDGER_CIPHER_KEY": settings.cipher_key,
        "CARELEDGER_TOKEN_SECRET": settings.token_secret,
        "CARELEDGER_AUDIT_SIGNING_KEY": settings.audit_signing_key,
        "CARELEDGER_DATABASE_URL": settings.database_url,
        "CARELEDGER_POSTGRES_SCHEMA": settings.postgres_schema,
        "REDIS_URL": "",
        "CARELEDGER_LOG_LEVEL": "WARNING",
    }
    log = (folder / f"serve-{workers}.log").open("wb")
    process = subprocess.Popen(
        [*SERVE, "--port", str(port), "--workers", str(workers), "--threads", "8"],
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://{HOST}:{port}"
    deadline = time.monotonic() + 90
    while True:
        try:
            if request("GET", f"{url}/readyz")[0] == 200:
                return process, url
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            raise SystemExit((folder / f"serve-{workers}.log").read_text()[-3000:])
        time.sleep(0.3)


def run_locust(
    url: str, fixture_file: Path, mix: str, users: int, seconds: int, out: Path
) -> dict[str, Any]:
    """One headless locust run; answers its stats per request name and in all."""
    prefix = out / f"{mix}-{time.monotonic_ns()}"
    subprocess.run(
        [
            *LOCUST,
            "--users",
            str(users),
            "--spawn-rate",
            str(users),
            "--run-time",
            f"{seconds}s",
            "--host",
            url,
            "--csv",
            str(prefix),
        ],
        env={**os.environ, "LOAD_TEST_FIXTURE": str(fixture_file), "LOAD_TEST_MIX": mix},
        cwd=HERE,
        check=False,
        capture_output=True,
        timeout=seconds + 60,
    )
    with Path(f"{prefix}_stats.csv").open() as stats:
        rows = list(csv.DictReader(stats))
    return {
        row["Name"]: {
            "requests": int(row["Request Count"]),
            "failures": int(row["Failure Count"]),
            "per_second": round(float(row["Requests/s"]), 1),
            "median_ms": float(row["50%"]),
            "p95_ms": float(row["95%"]),
            "p99_ms": float(row["99%"]),
        }
        for row in rows
    }


def measure(settings: Any, workers: int, users: int, seconds: int, folder: Path) -> dict[str, Any]:
    process, url = start_api(settings, workers, folder)
    try:
        fixture_file = fixture(url, folder)
        bare_before = run_locust(url, fixture_file, "bare", users, seconds // 2, folder)
        mix = run_locust(url, fixture_file, "mix", users, seconds, folder)
        bare_after = run_locust(url, fixture_file, "bare", users, seconds // 2, folder)
    finally:
        process.terminate()
        process.wait(timeout=60)
    bare_rate = (
        bare_before["Aggregated"]["per_second"] + bare_after["Aggregated"]["per_second"]
    ) / 2
    return {
        "workers": workers,
        "bare_before": bare_before["Aggregated"],
        "bare_after": bare_after["Aggregated"],
        "mix": mix,
        "mix_over_bare": round(mix["Aggregated"]["per_second"] / bare_rate, 3)
        if bare_rate
        else None,
    }


def render(results: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(
        title=f"load test, PostgreSQL, {results['users']} users, {results['seconds']} s a phase"
    )
    for column in ("workers", "what", "req/s", "median ms", "p95 ms", "p99 ms", "failures"):
        table.add_column(column, justify="right" if column not in ("what",) else "left")
    for run in results["runs"]:
        shown = [("bare (before)", run["bare_before"]), ("bare (after)", run["bare_after"])]
        shown += [
            (name, stats) for name, stats in sorted(run["mix"].items()) if name != "Aggregated"
        ]
        shown.append(("mix, in all", run["mix"]["Aggregated"]))
        for name, stats in shown:
            table.add_row(
                str(run["workers"]),
                name,
                f"{stats['per_second']:,.1f}",
                f"{stats['median_ms']:.0f}",
                f"{stats['p95_ms']:.0f}",
                f"{stats['p99_ms']:.0f}",
                str(stats["failures"]),
            )
    console = Console()
    console.print(table)
    for run in results["runs"]:
        console.print(f"{run['workers']} worker(s): mix / bare = {run['mix_over_bare']}")
    if results.get("growth") is not None:
        most = results["runs"][-1]["workers"]
        console.print(f"mix throughput, {most} workers / 1 worker = {results['growth']}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--children", type=int, default=2000)
    parser.add_argument("--users", type=int, default=16)
    parser.add_argument("--seconds", type=int, default=30, help="of the mix (bare: half, twice)")
    parser.add_argument("--quick", action="store_true", help="500 children, 12 s phases")
    args = parser.parse_args(argv)
    if args.quick:
        args.children, args.seconds = 500, 12
    cpus = len(os.sched_getaffinity(0))
    with tempfile.TemporaryDirectory() as tmp, open_settings(args.postgres, Path(tmp)) as settings:
        folder = Path(tmp)
        seed(settings, args.children)
        runs = [measure(settings, w, args.users, args.seconds, folder) for w in sorted({1, cpus})]
    one, most = (
        runs[0]["mix"]["Aggregated"]["per_second"],
        runs[-1]["mix"]["Aggregated"]["per_second"],
    )
    results = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "children": args.children,
        "users": args.users,
        "seconds": args.seconds,
        "cpus": cpus,
        "runs": runs,
        "growth": round(most / one, 3) if len(runs) > 1 and one else None,
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "load_test-postgres.json").write_text(json.dumps(results, indent=2))
    render(results)
    failures = sum(r["mix"]["Aggregated"]["failures"] for r in runs)
    print(f"load test: {len(runs)} worker counts, {failures} failed requests in the mix")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
