"""`careledger notify run` as a real process: it stops warmly on SIGTERM with a summary,
and kill -9 at random moments while entries flow loses nothing and doubles nothing."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable

import pytest
import redis

from services.notify.bootstrap import NotifyService
from tests.integration.notify_support import Publisher, inbox, new_case_id, pending_count


def _start(notify: NotifyService) -> subprocess.Popen[str]:
    s = notify.settings
    env = {
        **os.environ,
        "CARELEDGER_DATA_DIR": str(s.data_dir),
        "REDIS_URL": s.redis_url,
        "CARELEDGER_STREAM": s.stream,
        "CARELEDGER_TOKEN_SECRET": s.token_secret,
        "CARELEDGER_NOTIFY_DATABASE_URL": s.notify_database_url,
        "CARELEDGER_NOTIFY_POSTGRES_SCHEMA": s.notify_postgres_schema,
        "CARELEDGER_LOG_LEVEL": "WARNING",
    }
    # A stable consumer name: a restarted process takes its own pending entries back at
    # once instead of waiting for XAUTOCLAIM's idle time.
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "services.cli",
            "notify",
            "run",
            "--consumer",
            "notify-1",
            "--batch",
            "50",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _handled(notify: NotifyService) -> int:
    # A reader: on SQLite a writer's transaction would queue behind the consumer's own.
    with notify.db.transaction(write=False) as tx:
        row = tx.one("SELECT COUNT(*) AS n FROM handled_events")
    return int(row["n"]) if row else 0


def _wait_for(condition: Callable[[], bool], seconds: float = 30.0, every: float = 0.05) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(every)


def test_notify_run_handles_the_stream_and_stops_warmly_on_sigterm_with_a_summary(
    notify: NotifyService, redis_client: redis.Redis, publisher: Publisher
) -> None:
    process = _start(notify)
    try:
        publisher.staff()
        publisher.identify(new_case_id(), guardian_type="none", next_visit_due="2999-01-01")
        _wait_for(lambda: _handled(notify) == publisher.position)
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=20)
    assert process.returncode == 0, stderr
    assert [r["kind"] for r in inbox(notify)] == ["no_guardian"] * 2
    last = stderr.strip().splitlines()[-1]
    assert last.startswith(f"notify stopped: {publisher.position} events handled, 0 duplicates")
    assert "2 notifications from events" in last


@pytest.mark.slow
def test_kill_9_at_random_moments_loses_no_notification_and_doubles_none(
    notify: NotifyService, redis_client: redis.Redis, publisher: Publisher
) -> None:
    rng = random.Random(4)
    publisher.staff()
    cases: list[str] = []
    mid_stream_kills = 0
    process = None
    try:
        for _ in range(4):
            # Each round's entries wait in the stream while no consumer runs, so the kill
            # lands in the work whatever the machine's speed (a consumer running while they
            # were written could be done with them before the test looked).
            for _ in range(600):
                cases.append(new_case_id())
                publisher.identify(cases[-1], guardian_type="none")
            before = _handled(notify)
            process = _start(notify)
            # Kill it in the middle of the work: once it has handled more, a moment later.
            _wait_for(lambda before=before: _handled(notify) > before, every=0.005)  # type: ignore[misc]
            time.sleep(rng.uniform(0.0, 0.02))
            process.kill()  # SIGKILL: no warm stop, whatever it was doing
            process.wait()
            mid_stream_kills += _handled(notify) < publisher.position
        process = _start(notify)
        _wait_for(lambda: _handled(notify) == publisher.position, seconds=60)
        _wait_for(lambda: pending_count(redis_client, publisher.stream) == 0)
    finally:
        if process is not None:
            process.send_signal(signal.SIGTERM)
            process.communicate(timeout=20)
    assert mid_stream_kills >= 2  # the kills really hit it while it worked
    rows = [r for r in inbox(notify) if r["kind"] == "no_guardian"]
    assert sorted((r["case_id"], r["recipient"]) for r in rows) == sorted(
        (case, who) for case in cases for who in ("civil", "supervisor")
    )
    assert redis_client.xlen(f"{publisher.stream}:dead") == 0
