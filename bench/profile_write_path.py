"""Profile of the HTTP write path: identify and visit through the Flask app, in-process.

    python bench/profile_write_path.py [--requests N] [--postgres URL] [--out FILE]

Builds the case service on a fresh SQLite file (or a fresh PostgreSQL schema), logs in
once, warms up, then runs N identify requests and N visit requests under cProfile through
Flask's test client (the same WSGI app `careledger serve` runs, without the socket). Prints
the top of the profile by cumulative and by own time, and the per-request call counts of
the functions the issue names (Schema.__init__, deepcopy). Writes the text to --out.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import tempfile
import time
import uuid
from datetime import date
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from case_service import VILLAGE, identify_bodies, visit_body  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--postgres", metavar="URL")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)

    from services.cases.api import create_app
    from services.cases.bootstrap import build_case_service
    from shared.roles import Role
    from shared.settings import Settings

    tmp = Path(tempfile.mkdtemp(prefix="careledger-profile-"))
    settings = Settings(data_dir=tmp / "var")
    schema = None
    if args.postgres:
        import psycopg

        schema = f"profile_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(args.postgres, autocommit=True) as conn:
            conn.execute(f"CREATE SCHEMA {schema}")
        settings = Settings(
            data_dir=tmp / "var", database_url=args.postgres, postgres_schema=schema
        )
    settings = settings.with_generated_secrets()
    service = build_case_service(settings)
    password = "profile password 1234"
    service.accounts.register(
        None, username="director", role=Role.CHILD_DIRECTOR, scope=VILLAGE, password=password
    )
    app = create_app(settings, case_service=service)
    client = app.test_client()
    token = client.post(
        "/api/v1/auth/token", json={"username": "director", "password": password}
    ).get_json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    today = date.today()

    # Each identify a child of its own, as in a register (case_service.identify_bodies).
    children = iter(identify_bodies(today, 3 * args.requests + 20))

    def identify() -> Any:
        response = client.post("/api/v1/cases", json=next(children), headers=headers)
        assert response.status_code == 201, response.get_data(as_text=True)
        return response

    def visit(case_id: str, etag: str) -> str:
        response = client.post(
            f"/api/v1/cases/{case_id}/visits",
            json=visit_body(today),
            headers=headers | {"If-Match": etag, "Idempotency-Key": uuid.uuid4().hex},
        )
        assert response.status_code == 200, response.get_data(as_text=True)
        return str(response.headers["ETag"])

    for _ in range(20):  # warm up
        r = identify()
        visit(r.get_json()["id"], r.headers["ETag"])
    # Without the profiler: this process's CPU time per request, which leaves out the
    # wait for the disk or the database server (noisy on a shared machine) and so shows
    # what the Python around the commit costs.
    cpu_started, wall_started = time.process_time(), time.perf_counter()
    cases = [identify() for _ in range(args.requests)]
    cpu = {"identify": time.process_time() - cpu_started}
    wall = {"identify": time.perf_counter() - wall_started}
    cpu_started, wall_started = time.process_time(), time.perf_counter()
    for r in cases:
        visit(r.get_json()["id"], r.headers["ETag"])
    cpu["visit"] = time.process_time() - cpu_started
    wall["visit"] = time.perf_counter() - wall_started
    cases = [identify() for _ in range(args.requests)]
    text = io.StringIO()
    for name in ("identify", "visit"):
        text.write(
            f"{name} without the profiler: {1000 * cpu[name] / args.requests:.2f} ms CPU, "
            f"{1000 * wall[name] / args.requests:.2f} ms wall per request\n"
        )
    for name in ("identify", "visit"):
        profiler = cProfile.Profile()
        if name == "identify":
            profiler.enable()
            for _ in range(args.requests):
                identify()
            profiler.disable()
        else:
            targets = [(r.get_json()["id"], r.headers["ETag"]) for r in cases]
            profiler.enable()
            for case_id, etag in targets:
                visit(case_id, etag)
            profiler.disable()
        stats = pstats.Stats(profiler, stream=text)
        total = stats.total_tt  # type: ignore[attr-defined]
        text.write(
            f"\n===== {name}: {args.requests} requests, {total:.3f} s under the profiler, "
            f"{1000 * total / args.requests:.2f} ms/request =====\n"
        )
        counts = {"Schema.__init__": 0, "deepcopy": 0}  # every call, recursive ones too
        for (filename, _line, func), (_cc, nc, _tt, _ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
            if func == "__init__" and filename.endswith("marshmallow/schema.py"):
                counts["Schema.__init__"] += nc
            if func == "deepcopy" and filename.endswith("copy.py"):
                counts["deepcopy"] += nc
        for k, v in counts.items():
            text.write(f"{k}: {v / args.requests:.1f} calls per request\n")
        stats.sort_stats("cumulative").print_stats(35)
        stats.sort_stats("tottime").print_stats(25)
    service.close()
    if schema:
        import psycopg

        with psycopg.connect(args.postgres, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")
    out = text.getvalue()
    print(out)
    if args.out:
        args.out.write_text(out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
