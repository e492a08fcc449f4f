"""The write path's floor: what the fixed parts cost before CareLedger's own work is done.

    python bench/write_floor.py [--quick] [--postgres URL]

Issue 13 asks for an HTTP visit at 0.4 of a bare Flask endpoint served the same way. This
script measures how far below bare Flask the parts every write must have already are, in
one server process (waitress, 8 threads, as `careledger serve`) that answers both the real
API and a ladder of bench-only endpoints, driven by the same client over 8 keep-alive
connections in interleaved rounds:

    bare            Flask: read the JSON body, answer 201 (case_service.py's baseline)
    auth            + the real `Accounts.authenticate` of the bearer token (the caller is
                    read from the store on every request, so a revocation holds at once)
    library save    bare + one durable commit of the smallest aggregate through
                    eventsourcing alone: its own table in the same database, no cipher
    store save      bare + the same through the case store (cipher, audit chain)
    auth + save     auth + store save: the least any write can do here
    identify        the real POST /api/v1/cases
    visit           the real POST /api/v1/cases/<id>/visits (each case once)

Every rate is reported as a ratio of bare in the same round; the table gives the median
of the rounds. The store is a fresh SQLite file in a temporary folder, or with --postgres
a fresh schema created and dropped here. Only 127.0.0.1 is contacted.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from case_service import (  # noqa: E402
    COUNTY,
    HOST,
    PASSWORD,
    RESULTS,
    SERVER_THREADS,
    BenchPing,
    drive,
    identify_bodies,
    login,
    open_store,
    start_server,
    visit_body,
)

USERNAME = "bench_floor"
IN_PROCESS = "in-process identify"
IN_PROCESS_SAVE = "in-process save"
LADDER = ("bare", "auth", "library save", "store save", "auth + save")
PATHS = {
    "bare": "/floor/bare",
    "auth": "/floor/auth",
    "library save": "/floor/library-save",
    "store save": "/floor/store-save",
    "auth + save": "/floor/auth-save",
}


def serve(port: int) -> None:
    """The server process: the real API at /, the ladder at /floor, one waitress."""
    import waitress
    from eventsourcing.application import Application
    from flask import Flask, request
    from werkzeug.middleware.dispatcher import DispatcherMiddleware

    from services.cases.api import create_app
    from services.cases.bootstrap import build_case_service
    from shared.cli import configure_logging, load_settings

    settings = load_settings()
    configure_logging(settings)
    service = build_case_service(settings)
    api = create_app(settings, case_service=service)

    class FloorLibrary(Application):
        """eventsourcing with nothing of ours: its own events table, no cipher."""

    plain_env = {
        key: value
        for key, value in settings.eventsourcing_env().items()
        if not key.startswith("CIPHER_")
    }
    library = FloorLibrary(plain_env)

    floor = Flask("bench.floor")

    def answer() -> tuple[dict[str, Any], int]:
        body = request.get_json()
        return {"ok": True, "keys": len(body)}, 201

    def authenticate() -> None:
        token = request.headers.get("Authorization", "").partition(" ")[2]
        service.accounts.authenticate(token, "bench-floor")

    @floor.post("/bare")
    def bare() -> Any:
        return answer()

    @floor.post("/auth")
    def auth() -> Any:
        authenticate()
        return answer()

    @floor.post("/library-save")
    def library_save() -> Any:
        library.save(BenchPing())
        return answer()

    @floor.post("/store-save")
    def store_save() -> Any:
        service.cases.save(BenchPing())
        return answer()

    @floor.post("/auth-save")
    def auth_save() -> Any:
        authenticate()
        service.cases.save(BenchPing())
        return answer()

    @floor.get("/healthz")
    def healthz() -> Any:
        return {"status": "ok"}

    app = DispatcherMiddleware(api, {"/floor": floor})
    waitress.serve(app, host=HOST, port=port, threads=SERVER_THREADS, ident="careledger")


def measure(postgres_url: str | None, rounds: int, requests: int) -> dict[str, Any]:
    from services.cases.access import Actor
    from services.cases.bootstrap import build_case_service
    from shared.roles import Role

    with tempfile.TemporaryDirectory(prefix="careledger-floor-") as tmpdir, ExitStack() as stack:
        tmp = Path(tmpdir)
        store = stack.enter_context(open_store(postgres_url, tmp))
        service = build_case_service(store.settings)
        stack.callback(service.close)
        service.accounts.register(
            None, username=USERNAME, role=Role.CIVIL_AFFAIRS, scope=COUNTY, password=PASSWORD
        )
        env = {k: v for k, v in os.environ.items() if not k.startswith("CARELEDGER_")}
        env |= store.server_env | {
            "PYTHONUNBUFFERED": "1",
            "CARELEDGER_ACCESS_TOKEN_TTL_SECONDS": "86400",
        }
        server = start_server(
            "floor",
            [sys.executable, str(Path(__file__).resolve()), "--serve", "{port}"],
            env,
            tmp / "floor.log",
        )
        stack.callback(server.stop)
        server.wait_ready()
        headers = {
            "Content-Type": "application/json",
            "Authorization": f"Bearer {login(server.port, USERNAME)}",
        }
        today = datetime.now(UTC).date()  # the served API runs on the real clock
        # Every identify a child of its own, as in a register (case_service.identify_bodies);
        # the in-process loop draws from its own children.
        bodies = identify_bodies(today, 2 * (rounds + 1) * requests)
        children = iter(json.dumps(body).encode() for body in bodies)
        in_process_children = iter(identify_bodies(today, (rounds + 1) * requests, seed=7))
        body = next(children)  # what the ladder's endpoints read
        visit = json.dumps(visit_body(today)).encode()
        actor = Actor("bench", Role.CIVIL_AFFAIRS, COUNTY, "bench")

        def identify(n: int) -> Any:
            batch = [("/api/v1/cases", next(children)) for _ in range(n)]
            return drive(server.port, batch, headers, 8, 201)

        def run(name: str, n: int) -> float:
            if name in (IN_PROCESS, IN_PROCESS_SAVE):
                # One after another in this process, on the same store: the use case alone,
                # and the durable commit of the smallest aggregate it rests on.
                began = time.perf_counter()
                for _ in range(n):
                    if name == IN_PROCESS:
                        service.cases.identify(actor, next(in_process_children))
                    else:
                        service.cases.save(BenchPing())
                return n / (time.perf_counter() - began)
            if name == "visit":
                # Each visit on a case identified just before: the case's first visit.
                cases = identify(n)
                batch = [(f"{path}/visits", visit) for path in cases.locations]
                done = drive(server.port, batch, headers, 8, 200)
            elif name == "identify":
                done = identify(n)
            else:
                done = drive(server.port, [(PATHS[name], body)] * n, headers, 8, 201)
            if done.errors:
                raise RuntimeError(f"{name}: {done.first_error}\n{server.tail()}")
            return done.requests / done.seconds

        names = (*LADDER, "identify", "visit", IN_PROCESS, IN_PROCESS_SAVE)
        for name in names:  # warm up: imports, first requests, connection pools, caches
            run(name, max(requests // 5, 20))
        rates: dict[str, list[float]] = {name: [] for name in names}
        for number in range(rounds):
            print(f"round {number + 1}/{rounds} …", file=sys.stderr)
            for name in names:
                rates[name].append(run(name, requests))
    ratios = {
        name: [rate / bare for rate, bare in zip(values, rates["bare"], strict=True)]
        for name, values in rates.items()
    }
    median = {name: statistics.median(values) for name, values in rates.items()}
    return {
        "backend": store.backend,
        "rounds": rounds,
        "requests_per_run": requests,
        "server_threads": SERVER_THREADS,
        "connections": 8,
        "per_second": {name: [round(v, 1) for v in values] for name, values in rates.items()},
        "ratio_of_bare_median": {
            name: round(statistics.median(values), 3) for name, values in ratios.items()
        },
        "ratio_of_bare_range": {
            name: [round(min(values), 3), round(max(values), 3)] for name, values in ratios.items()
        },
        "aims": aims(median),
    }


def aims(median: dict[str, float]) -> list[dict[str, Any]]:
    """Issue 13's two write-path aims beside the floor: the rate each asks for; how much
    time per request it leaves for all the API does beyond authenticating the caller and
    one durable commit (negative: less than nothing); and what the identify use case
    itself takes beyond its commit, measured in this process, which is part of that."""
    floor = median["auth + save"]
    use_case = 1000 / median[IN_PROCESS] - 1000 / median[IN_PROCESS_SAVE]
    wanted = {
        "visit ≥ 0.4 × bare": 0.4 * median["bare"],
        "identify ≥ 0.5 × in-process identify": 0.5 * median[IN_PROCESS],
    }
    return [
        {
            "aim": aim,
            "asks_per_second": round(rate, 1),
            "floor_per_second": round(floor, 1),
            "ms_left_beyond_the_floor": round(1000 / rate - 1000 / floor, 3),
            "identify_use_case_ms_beyond_its_commit": round(use_case, 3),
        }
        for aim, rate in wanted.items()
    ]


def render(results: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    table = Table(
        title=f"The write path's floor · {results['backend']} · waitress threads="
        f"{results['server_threads']} · {results['connections']} connections · "
        f"median of {results['rounds']} rounds"
    )
    for column in ("step", "requests/s (median)", "× bare (median)", "× bare (range)"):
        table.add_column(column, justify="left" if column == "step" else "right")
    for name, values in results["per_second"].items():
        low, high = results["ratio_of_bare_range"][name]
        table.add_row(
            name,
            f"{statistics.median(values):,.0f}",
            f"{results['ratio_of_bare_median'][name]:.3f}",
            f"{low:.3f}–{high:.3f}",
        )
    console.print(table)
    aims_table = Table(title="Issue 13's aims beside the floor (auth + save)")
    for column in ("aim", "asks for /s", "floor /s", "ms left a request"):
        aims_table.add_column(column, justify="left" if column == "aim" else "right")
    for aim in results["aims"]:
        aims_table.add_row(
            aim["aim"],
            f"{aim['asks_per_second']:,.0f}",
            f"{aim['floor_per_second']:,.0f}",
            f"{aim['ms_left_beyond_the_floor']:.3f}",
        )
    console.print(aims_table)
    use_case = results["aims"][0]["identify_use_case_ms_beyond_its_commit"]
    console.print(
        "ms left a request: for all the API does beyond authenticating the caller and one "
        f"durable commit. The identify use case alone takes {use_case:.3f} ms of it "
        "(in-process identify less in-process save)."
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="3 rounds of 300 requests")
    parser.add_argument("--postgres", metavar="URL", help="a PostgreSQL server to use")
    parser.add_argument("--serve", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        serve(args.serve)
        return 0
    rounds, requests = (3, 300) if args.quick else (5, 600)
    results = measure(args.postgres, rounds, requests)
    render(results)
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"write_floor-{results['backend']}.json"
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {out.relative_to(HERE.parent)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
