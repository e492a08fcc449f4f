"""Many API processes, one truth (issue 13): `careledger serve --workers 2` (gunicorn, each
worker building its own app after the fork) on PostgreSQL, written to at once by many
clients. Nothing is lost, a stale `If-Match` is a `412` whichever worker answers, and an
`Idempotency-Key` is honoured across workers: one event, however many retries race."""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import psycopg
import pytest

from shared.settings import Settings
from tests.conftest import make_service
from tests.e2e.processes import ROOT, process_env
from tests.support import PASSWORD, VISIT, identify_body

pytestmark = pytest.mark.postgres

CLIENTS = 12
WORKERS = ("--workers", "2", "--threads", "4")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Api:
    """A plain HTTP client of the served API (one connection per call: any worker)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.headers: dict[str, str] = {}

    def call(
        self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], Any]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            data = None if body is None else json.dumps(body).encode()
            connection.request(
                method,
                path,
                body=data,
                headers={"Content-Type": "application/json", **self.headers, **(headers or {})},
            )
            response = connection.getresponse()
            raw = response.read()
            return response.status, dict(response.getheaders()), json.loads(raw) if raw else None
        finally:
            connection.close()

    def login(self, username: str) -> None:
        status, _, session = self.call(
            "POST", "/api/v1/auth/token", {"username": username, "password": PASSWORD}
        )
        assert status == 201, session
        self.headers = {"Authorization": f"Bearer {session['token']}"}


@pytest.fixture
def stores(postgres_url: str, tmp_path: Path) -> Iterator[Settings]:
    schema = f"w_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    try:
        yield replace(
            Settings(data_dir=tmp_path / "var"), database_url=postgres_url, postgres_schema=schema
        ).with_generated_secrets()
    finally:
        with psycopg.connect(postgres_url, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


@contextmanager
def _serving(
    args: tuple[str, ...], settings: Settings, log_file: Path, workers: tuple[str, ...] = WORKERS
) -> Iterator[tuple[Api, subprocess.Popen[bytes]]]:
    """`careledger <args> --port P --workers 2 …` until it answers `/readyz`; SIGTERM after."""
    port = _free_port()
    log = log_file.open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "services.cli", *args, "--port", str(port), *workers],
        env=process_env(settings, redis_url="") | {"CARELEDGER_LOG_FORMAT": "json"},
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    api = Api(port)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if api.call("GET", "/readyz")[0] == 200:
                    break
            except OSError:
                pass
            assert process.poll() is None, log_file.read_text()
            assert time.monotonic() < deadline, "the API never became ready"
            time.sleep(0.2)
        yield api, process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=45)
        log.close()
        # shown by pytest only when the test failed: what the server said, and its exit
        print(f"{args} exited {process.returncode}:\n" + log_file.read_text()[-6000:])


@pytest.fixture
def served(stores: Settings, tmp_path: Path) -> Iterator[tuple[Api, subprocess.Popen[bytes]]]:
    make_service(stores).close()  # the schema, and the test users
    with _serving(("serve",), stores, tmp_path / "serve.log") as running:
        yield running


def _workers_of(process: subprocess.Popen[bytes]) -> list[int]:
    children = Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text().split()
    return [int(pid) for pid in children]


def _visits(api: Api, case_id: str) -> list[dict[str, Any]]:
    status, _, history = api.call("GET", f"/api/v1/cases/{case_id}/history")
    assert status == 200, history
    return [e for e in history["events"] if e["type"] == "visited"]


def test_two_workers_built_after_the_fork_serve_one_store(
    served: tuple[Api, subprocess.Popen[bytes]],
) -> None:
    api, process = served
    assert len(_workers_of(process)) == 2
    api.login("director")
    status, _, case = api.call("POST", "/api/v1/cases", identify_body())
    assert status == 201, case
    # whichever worker answers, every read sees the write
    for _ in range(10):
        assert api.call("GET", f"/api/v1/cases/{case['id']}")[0] == 200


def test_racing_writes_with_one_if_match_land_once_and_the_rest_are_412(
    served: tuple[Api, subprocess.Popen[bytes]],
) -> None:
    api, _ = served
    api.login("director")
    _, headers, case = api.call("POST", "/api/v1/cases", identify_body())
    version = headers["ETag"]

    def visit(_: int) -> int:
        return api.call("POST", f"/api/v1/cases/{case['id']}/visits", VISIT, {"If-Match": version})[
            0
        ]

    with ThreadPoolExecutor(CLIENTS) as pool:
        answers = list(pool.map(visit, range(CLIENTS)))

    assert sorted(answers) == [200] + [412] * (CLIENTS - 1), answers
    assert len(_visits(api, case["id"])) == 1


def test_racing_writes_without_if_match_all_land(
    served: tuple[Api, subprocess.Popen[bytes]],
) -> None:
    api, _ = served
    api.login("director")
    _, _, case = api.call("POST", "/api/v1/cases", identify_body())

    def visit(i: int) -> int:
        body = VISIT | {"notes": f"第{i}次"}
        return api.call("POST", f"/api/v1/cases/{case['id']}/visits", body)[0]

    with ThreadPoolExecutor(CLIENTS) as pool:
        answers = list(pool.map(visit, range(CLIENTS)))

    assert answers == [200] * CLIENTS
    notes = sorted(v["data"]["visit"]["notes"] for v in _visits(api, case["id"]))
    assert notes == sorted(f"第{i}次" for i in range(CLIENTS))


def test_one_idempotency_key_racing_across_workers_writes_one_event(
    served: tuple[Api, subprocess.Popen[bytes]],
) -> None:
    api, _ = served
    api.login("director")
    _, _, case = api.call("POST", "/api/v1/cases", identify_body())
    key = {"Idempotency-Key": f"visit-{uuid.uuid4().hex}"}

    def retry(_: int) -> tuple[int, str | None]:
        status, headers, _ = api.call("POST", f"/api/v1/cases/{case['id']}/visits", VISIT, key)
        return status, headers.get("Idempotent-Replayed")

    with ThreadPoolExecutor(CLIENTS) as pool:
        answers = list(pool.map(retry, range(CLIENTS)))

    assert {status for status, _ in answers} == {200}, answers
    assert sum(1 for _, replayed in answers if replayed != "true") == 1, answers
    assert len(_visits(api, case["id"])) == 1


def test_sigterm_stops_every_worker_cleanly(
    served: tuple[Api, subprocess.Popen[bytes]],
) -> None:
    _, process = served
    workers = _workers_of(process)

    process.send_signal(signal.SIGTERM)

    assert process.wait(timeout=45) == 0
    for pid in workers:
        assert not Path(f"/proc/{pid}").exists() or _is_zombie(pid), pid


def _is_zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z"
    except OSError:
        return True


@pytest.mark.parametrize("args", [("serve",), ("notify", "serve")], ids=["cases", "notify"])
def test_many_workers_booting_at_once_on_an_empty_schema_all_come_up(
    args: tuple[str, ...], stores: Settings, tmp_path: Path
) -> None:
    # Eight workers building their apps at once used to race on PostgreSQL's catalog
    # ("tuple concurrently updated"); one failed to boot and gunicorn stopped the server.
    settings = replace(
        stores,
        notify_database_url=stores.database_url,
        notify_postgres_schema=stores.postgres_schema,
    )
    log_file = tmp_path / "serve.log"
    eight = ("--workers", "8", "--threads", "2")
    with _serving(args, settings, log_file, eight) as (api, process):
        deadline = time.monotonic() + 90
        while len(re.findall(r"worker \d+ ready", log_file.read_text())) < 8:
            assert process.poll() is None, log_file.read_text()
            assert time.monotonic() < deadline, log_file.read_text()
            time.sleep(0.2)
        assert "exited with code" not in log_file.read_text()
        assert process.poll() is None, log_file.read_text()
        assert api.call("GET", "/readyz")[0] == 200


def test_workers_zero_means_one_per_cpu() -> None:
    from shared.workers import default_workers

    assert default_workers() == len(os.sched_getaffinity(0))
