"""CareLedger's processes as the end-to-end tests run them: `python -m services.cli …`, as
compose.yaml starts them, each restartable, its output kept in a file per run; and a
look into notify's database and the stream from outside."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import redis

from services.notify.db import open_database
from shared.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def process_env(settings: Settings, redis_url: str) -> dict[str, str]:
    """The environment of every process: the same stores, secrets, Redis and stream."""
    return {
        **os.environ,
        "CARELEDGER_DATA_DIR": str(settings.data_dir),
        "CARELEDGER_CIPHER_KEY": settings.cipher_key,
        "CARELEDGER_TOKEN_SECRET": settings.token_secret,
        "CARELEDGER_DATABASE_URL": settings.database_url,
        "CARELEDGER_POSTGRES_SCHEMA": settings.postgres_schema,
        "CARELEDGER_NOTIFY_DATABASE_URL": settings.notify_database_url,
        "CARELEDGER_NOTIFY_POSTGRES_SCHEMA": settings.notify_postgres_schema,
        "CARELEDGER_STREAM": settings.stream,
        "REDIS_URL": redis_url,
        "CARELEDGER_SMTP_HOST": "",
        "CARELEDGER_LOG_LEVEL": "INFO",
        "PYTHONUNBUFFERED": "1",
    }


class Process:
    """One CareLedger process, started again after each kill; output in a file per run."""

    def __init__(self, name: str, args: tuple[str, ...], env: dict[str, str], folder: Path) -> None:
        self.name, self.args, self.env, self.folder = name, args, env, folder
        folder.mkdir(parents=True, exist_ok=True)
        self.runs = 0
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.runs += 1
        with (self.folder / f"{self.name}-{self.runs}.log").open("wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "services.cli", *self.args],
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=ROOT,
            )

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """kill -9, by the pid this test started."""
        if self.process is not None:
            with suppress(ProcessLookupError):
                self.process.send_signal(signal.SIGKILL)
            self.process.wait()

    def stop(self, timeout: float = 20) -> int:
        """SIGTERM, as a supervisor stops it; answers the exit code (kills it when it
        does not stop in time, and answers -9)."""
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            return -9

    def started(self) -> bool:
        """True once the current run's loops are running (its SIGTERM handler is in
        place: a SIGTERM before that ends it like any program, with -15)."""
        log = self.folder / f"{self.name}-{self.runs}.log"
        return self.running and "event=started" in log.read_text(errors="replace")

    def output(self) -> str:
        """Everything every run of it wrote."""
        return "\n".join(
            (self.folder / f"{self.name}-{run}.log").read_text(errors="replace")
            for run in range(1, self.runs + 1)
        )

    def last_lines(self, lines: int = 15) -> str:
        return "\n".join(self.output().splitlines()[-lines:])


@contextmanager
def running(processes: list[Process]) -> Iterator[list[Process]]:
    """Starts the processes; whatever happens, none outlives the block."""
    try:
        for process in processes:
            process.start()
        yield processes
    finally:
        for process in processes:
            if process.running:
                process.kill()


class NotifyLook:
    """Reads notify's database from outside the processes."""

    def __init__(self, settings: Settings) -> None:
        self.db = open_database(settings)

    def rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        with self.db.transaction() as tx:
            return tx.all(sql, params)

    def handled(self) -> int:
        try:
            return int(self.rows("SELECT COUNT(*) AS n FROM handled_events")[0]["n"])
        except Exception:  # the first consumer has not created the tables yet
            return 0

    def handled_positions(self) -> list[int]:
        return [
            int(r["position"])
            for r in self.rows("SELECT position FROM handled_events ORDER BY position")
        ]

    def notifications(self) -> list[dict[str, Any]]:
        return self.rows(
            "SELECT kind, level, case_id, event_id, recipient, rule, dedup_key "
            "FROM notifications ORDER BY id"
        )

    def close(self) -> None:
        self.db.close()


def quietly(read: Callable[[], int], default: int = -1) -> int:
    """A Redis read that answers `default` while Redis is being restarted."""
    try:
        return read()
    except (redis.ConnectionError, redis.TimeoutError, redis.ResponseError):
        return default


def cursor(client: redis.Redis, stream: str) -> int:
    """The log position the relay's cursor says the stream holds (0: none)."""
    value: Any = client.get(f"{stream}:relay:cursor")
    return int(value) if value else 0


def group_pending(
    client: redis.Redis, stream: str, group: str = "notify", consumer: str | None = None
) -> int:
    """Entries delivered to the group (or one consumer of it) and not acknowledged."""
    summary: Any = client.xpending(stream, group)
    if consumer is None:
        return int(summary["pending"])
    return sum(
        int(c["pending"])
        for c in summary.get("consumers") or []
        if (c["name"].decode() if isinstance(c["name"], bytes) else c["name"]) == consumer
    )


def wait_until(
    condition: Callable[[], bool],
    timeout: float,
    what: str,
    explain: Callable[[], str] = lambda: "",
) -> None:
    """Polls `condition`; fails the test with `what` (and `explain()`) after `timeout`."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}. {explain()}")
        time.sleep(0.1)
