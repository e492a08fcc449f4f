"""The compose stack, run as local processes (issue 13, the stack): no container engine
runs on these machines, so this reads `compose.yaml` and starts each CareLedger service
with the compose file's own command and environment, the one-shot `init` first, against a
real PostgreSQL and a real Redis. Only what a container engine would provide is mapped:
service host names to loopback, published ports to free ones, `/run/secrets/<name>` to
the secret files the README says how to make, and the database to a throwaway one.

Then the whole story over HTTP: a child director identifies a child, a visit finds
suspected abuse, the county police's inbox gets the alert, the dashboard counts it; every
process stops cleanly on SIGTERM, and no process logged the child's personal data."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlparse

import psycopg
import pytest
import yaml

from tests.integration.relay_support import free_port, redis_server
from tests.support import COUNTY, VILLAGE, identify_body

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parents[2]
COMPOSE: dict[str, Any] = yaml.safe_load((ROOT / "compose.yaml").read_text())
# What an operator puts in `.env` beside compose.yaml.
DOT_ENV = {"POSTGRES_PASSWORD": "compose-story", "CARELEDGER_ADMIN_SCOPE": COUNTY[:4]}
# What the image sets (Dockerfile `ENV`).
IMAGE_ENV = ("CARELEDGER_DATA_DIR",)
PASSWORD = "compose-story-password"
# The child's personal data, which no process may log.
CHILD = f"柯{uuid.uuid4().hex[:2]}宁"
GUARDIAN, GUARDIAN_PHONE, PARENT_PHONE = "柯秀兰", "13912345678", "13887654321"
NOTES = "左臂有淤青，孩子说是继父所为"

T = TypeVar("T")


def interpolate(value: str, env: dict[str, str]) -> str:
    """Compose's `${VAR}`, `${VAR:-default}` and `${VAR:?message}`."""

    def one(match: re.Match[str]) -> str:
        name, op, rest = match.group(1), match.group(2) or "", match.group(3) or ""
        if env.get(name):
            return env[name]
        assert op != ":?", f"compose.yaml needs {name}: {rest}"
        return rest if op == ":-" else ""

    return re.sub(r"\$\{([A-Z_]+)(:[-?])?([^}]*)\}", one, value)


class Stack:
    """The compose services as local processes, each with its own log file."""

    def __init__(self, folder: Path, postgres_url: str, redis_url: str) -> None:
        self.folder = folder
        self.ports = {"cases-api": free_port(), "notify-api": free_port()}
        self.health_ports: dict[str, int] = {}  # the long-running processes' (9100 in each)
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self.logs: dict[str, Path] = {}
        pg, rd = urlparse(postgres_url), urlparse(redis_url)
        self.hosts = {
            # service name:port in compose → where it runs here
            "postgres:5432/careledger": f"{pg.hostname}:{pg.port or 5432}{pg.path}",
            "redis:6379": f"{rd.hostname}:{rd.port}",
            "cases-api:8000": f"127.0.0.1:{self.ports['cases-api']}",
        }
        self.secrets = folder / "secrets"
        self.data = folder / "data"

    def environment(self, service: dict[str, Any]) -> dict[str, str]:
        env = {"PATH": os.environ["PATH"], "HOME": str(self.folder), "PYTHONPATH": str(ROOT)}
        env |= {name: str(self.data) for name in IMAGE_ENV}
        for name, raw in service["environment"].items():
            value = interpolate(str(raw), DOT_ENV)
            for there, here in self.hosts.items():
                value = value.replace(f"@{there}", f"@{here}").replace(f"//{there}", f"//{here}")
            if value.startswith("/run/secrets/"):
                secret = value.removeprefix("/run/secrets/")
                value = str(ROOT / COMPOSE["secrets"][secret]["file"]).replace(
                    str(ROOT / "secrets"), str(self.secrets)
                )
            env[name] = value
        return env

    def command(self, name: str) -> list[str]:
        args = [interpolate(part, DOT_ENV) for part in COMPOSE["services"][name]["command"]]
        if "--port" in args:  # the published port, mapped to a free one
            args[args.index("--port") + 1] = str(self.ports[name])
        if "--health-port" in args:  # the same port in every container: one each here
            self.health_ports[name] = free_port()
            args[args.index("--health-port") + 1] = str(self.health_ports[name])
        return [sys.executable, "-m", "services.cli", *args]

    def start(
        self, name: str, args: list[str] | None = None, *, stdin: bytes = b"", log: str = ""
    ) -> subprocess.Popen[bytes]:
        """Service `name` with its own command, or with `args` (`docker compose run`)."""
        command = self.command(name) if args is None else [*self.command(name)[:3], *args]
        self.logs[log or name] = self.folder / f"{log or name}.log"
        with self.logs[log or name].open("wb") as out:
            process = subprocess.Popen(
                command,
                env=self.environment(COMPOSE["services"][name]),
                cwd=self.folder,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.PIPE,
            )
        assert process.stdin is not None
        process.stdin.write(stdin)
        process.stdin.close()
        return process

    def run_once(self, name: str, args: list[str] | None = None, *, stdin: bytes = b"") -> None:
        """A one-shot: `init`, or `docker compose run --rm <name> <args>`."""
        log = name if args is None else f"{name}-run-{len(self.logs)}"
        process = self.start(name, args, stdin=stdin, log=log)
        assert process.wait(timeout=120) == 0, self.logs[log].read_text()

    def start_service(self, name: str) -> None:
        self.processes[name] = self.start(name)

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}"

    def stop(self) -> dict[str, int | None]:
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        codes: dict[str, int | None] = {}
        for name, process in self.processes.items():
            try:
                codes[name] = process.wait(timeout=45)
            except subprocess.TimeoutExpired:
                process.kill()
                codes[name] = None
        return codes


def call(method: str, url: str, token: str = "", body: Any = None) -> tuple[int, Any]:
    request = urllib.request.Request(
        url,
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Content-Type": "application/json"}
        | ({"Authorization": f"Bearer {token}"} if token else {}),
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def scrape(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
        text: str = response.read().decode()
        return text


def answers(url: str) -> bool:
    return call("GET", url)[0] == 200


def within(seconds: float, what: str, probe: Callable[[], T | None]) -> T:
    deadline = time.monotonic() + seconds
    while True:
        try:
            found = probe()
        except OSError:
            found = None
        if found:
            return found
        assert time.monotonic() < deadline, f"{what}: not within {seconds} s"
        time.sleep(0.3)


def login(stack: Stack, username: str) -> str:
    status, session = call(
        "POST",
        f"{stack.url('cases-api')}/api/v1/auth/token",
        body={"username": username, "password": PASSWORD},
    )
    assert status == 201, session
    token: str = session["token"]
    return token


@pytest.fixture
def database(postgres_url: str) -> Iterator[str]:
    """A throwaway database owned by the compose file's user, `careledger`."""
    name = f"compose_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_roles WHERE rolname = 'careledger'").fetchone():
            conn.execute("CREATE ROLE careledger LOGIN")
        conn.execute(f"CREATE DATABASE {name} OWNER careledger")
    url = urlparse(postgres_url)
    yield f"postgresql://careledger@{url.hostname}:{url.port or 5432}/{name}"
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def test_the_compose_stack_runs_the_whole_story(database: str, tmp_path: Path) -> None:
    started = time.monotonic()
    with redis_server(tmp_path / "redis") as redis:
        stack = Stack(tmp_path, database, redis.url)
        ours = [name for name, s in COMPOSE["services"].items() if s.get("build") == "."]
        try:
            # the secrets, as the README's compose section says
            subprocess.run(
                [sys.executable, "-m", "services.cli", "secrets", "generate", str(stack.secrets)],
                check=True,
                cwd=ROOT,
                capture_output=True,
            )
            (stack.secrets / "admin.password").write_text(PASSWORD + "\n")
            # the one-shot init, then the staff (`docker compose run --rm cases-api users add`)
            stack.run_once("init")
            staff = {"director": ("child_director", VILLAGE), "police": ("police", COUNTY)}
            staff["civil"] = ("civil_affairs", COUNTY)
            for username, (role, scope) in staff.items():
                args = ["users", "add", username, "--role", role, "--scope", scope]
                stack.run_once("cases-api", [*args, "--password-stdin"], stdin=PASSWORD.encode())
            for name in ours:
                if name != "init":
                    stack.start_service(name)
            for api in ("cases-api", "notify-api"):
                within(60, f"{api} ready", partial(answers, f"{stack.url(api)}/readyz"))
            # the long-running processes answer on their health ports
            assert set(stack.health_ports) == {"projector", "relay", "sealer", "notify", "calendar"}
            for name, port in stack.health_ports.items():
                within(60, f"{name} ready", partial(answers, f"http://127.0.0.1:{port}/readyz"))

            # the story: a child identified, a visit finds suspected abuse
            director = login(stack, "director")
            body = identify_body()
            body["child"] = body["child"] | {"name": CHILD}
            body["guardian"] = body["guardian"] | {"name": GUARDIAN, "phone": GUARDIAN_PHONE}
            body["parents"][0]["phone"] = PARENT_PHONE
            status, case = call("POST", f"{stack.url('cases-api')}/api/v1/cases", director, body)
            assert status == 201, case
            visit = {
                "visited_on": "2026-04-01",
                "mode": "home",
                "guardian_present": False,
                "living_conditions": "poor",
                "school_attendance": "irregular",
                "emotional_state": "distressed",
                "safety_concerns": ["suspected_abuse"],
                "risk_level": "high",
                "notes": NOTES,
            }
            visits = f"{stack.url('cases-api')}/api/v1/cases/{case['id']}/visits"
            status, answer = call("POST", visits, director, visit)
            assert status == 200, answer
            visited_at = time.monotonic()

            # the county police's inbox gets the alert
            police = login(stack, "police")

            def alerted() -> dict[str, Any] | None:
                status, inbox = call(
                    "GET", f"{stack.url('notify-api')}/api/v1/notifications", police
                )
                assert status == 200, inbox
                return next(
                    (n for n in inbox["items"] if n["kind"] == "harm_found"),
                    None,
                )

            alert = within(60, "the police's harm_found alert", alerted)
            alert_seconds = time.monotonic() - visited_at
            assert case["id"] in json.dumps(alert)

            # the dashboard counts it once reviewed (复核: a director's case counts when
            # confirmed; civil affairs over the county may confirm it)
            civil = login(stack, "civil")
            confirmation = f"{stack.url('cases-api')}/api/v1/cases/{case['id']}/review/confirmation"
            status, answer = call("POST", confirmation, civil, None)
            assert status == 200, answer

            def counted() -> dict[str, Any] | None:
                status, summary = call(
                    "GET",
                    f"{stack.url('cases-api')}/api/v1/dashboard/summary?scope={COUNTY}",
                    civil,
                )
                assert status == 200, summary
                return summary if summary["risk_levels"].get("high") == 1 else None

            summary = within(60, "the dashboard's count", counted)
            assert summary["cases"]["active"] == 1, summary
            # and the followers' metrics show the work they did
            metrics = {name: scrape(port) for name, port in stack.health_ports.items()}
            assert 'careledger_loop_items_total{loop="projector"}' in metrics["projector"]
            # The relay lags by the review's confirmation until its next poll: it catches up.
            within(
                30,
                "the relay's lag back to 0",
                lambda: "careledger_relay_lag_events 0.0" in scrape(stack.health_ports["relay"]),
            )
            assert "careledger_notify_dead_letters 0.0" in metrics["notify"]
        finally:
            codes = stack.stop()
        # every process stops cleanly on SIGTERM
        assert codes == {name: 0 for name in ours if name != "init"}, {
            name: stack.logs[name].read_text()[-3000:] for name, code in codes.items() if code
        }
        # no process logged the child's personal data
        for name, log in stack.logs.items():
            text = log.read_text()
            for secret in (
                CHILD,
                GUARDIAN,
                GUARDIAN_PHONE,
                PARENT_PHONE,
                NOTES,
                body["child"].get("id_number") or CHILD,
            ):
                assert secret not in text, f"{name} logged {secret!r}"
    print(
        f"compose story: {time.monotonic() - started:.1f} s in all, "
        f"alert in the police inbox {alert_seconds:.1f} s after the visit"
    )
