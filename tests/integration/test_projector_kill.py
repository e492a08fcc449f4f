"""kill -9 at any moment: the real `careledger cases project` process, killed again and
again while cases are being written, leaves read models equal to a fresh rebuild once a
last run catches up. On SQLite (polling) and PostgreSQL (LISTEN/NOTIFY)."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from services.cases.access import Actor
from services.cases.bootstrap import CaseService
from services.cases.demo import seed_demo
from shared.roles import Role
from shared.settings import Settings
from tests.integration.projection_support import (
    all_rows,
    command_env,
    personal_of,
    rebuilt_rows,
)
from tests.support import VISIT, identify_body

ROOT = Path(__file__).resolve().parents[2]
KILLS = 4


def start_projector(settings: Settings, log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        # Small pages that do not grow: many transactions, so kills land inside them.
        [
            sys.executable,
            "-m",
            "services.cli",
            "cases",
            "project",
            "--page-size",
            "20",
            "--max-page-size",
            "20",
            "--stall-seconds",
            "1",
        ],
        cwd=ROOT,
        env=command_env(settings),
        stdout=subprocess.DEVNULL,
        stderr=log.open("ab"),
    )


class Writer(threading.Thread):
    """Keeps identifying children and recording visits until stopped."""

    def __init__(self, service: CaseService) -> None:
        super().__init__(daemon=True)
        self.service = service
        self.stopping = threading.Event()
        self.writes = 0
        self.error: BaseException | None = None

    def run(self) -> None:
        actor = Actor("civil_city", Role.CIVIL_AFFAIRS, "3601", "kill-test")
        rng = random.Random(9)
        try:
            while not self.stopping.is_set():
                village = rng.choice(["360124105203", "360124105204", "360121100201"])
                record = identify_body(address={"jurisdiction": village, "detail": "一组"})
                case = self.service.cases.identify(actor, record).case
                self.service.cases.record_visit(actor, case.id, VISIT)
                self.writes += 2
        except BaseException as error:  # surfaced by the test
            self.error = error


@pytest.fixture
def writer(service: CaseService) -> Iterator[Writer]:
    thread = Writer(service)
    yield thread
    thread.stopping.set()
    if thread.is_alive():
        thread.join(timeout=10)


def wait_for(condition: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if callable(condition) and condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.mark.slow
def test_a_projector_killed_at_random_moments_resumes_to_the_views_a_rebuild_makes(
    service: CaseService, settings: Settings, writer: Writer, tmp_path: Path
) -> None:
    # given a store of a few thousand events, and more being written all along
    seed_demo(service, children=250, show_progress=False)
    writer.start()
    log, rng = tmp_path / "projector.log", random.Random(7)

    # when the projector is killed -9 at random moments, again and again
    killed_behind = 0  # kills that hit it while it was catching up, mid-stream
    for _ in range(KILLS):
        start = service.read_models.position()
        process = start_projector(settings, log)
        try:
            wait_for(
                lambda: service.read_models.position() > start,  # noqa: B023
                60,
                f"the projector to make progress\n{log.read_text()}",
            )
            time.sleep(rng.uniform(0.0, 0.3))
        finally:
            process.send_signal(signal.SIGKILL)
            process.wait()
        head = service.cases.recorder.max_notification_id() or 0
        killed_behind += service.read_models.position() < head
        assert process.returncode == -signal.SIGKILL

    writer.stopping.set()
    writer.join(timeout=30)
    assert writer.error is None and writer.writes > 0
    assert killed_behind > 0
    head = service.cases.recorder.max_notification_id() or 0
    last = start_projector(settings, log)
    try:
        wait_for(lambda: service.read_models.position() == head, 60, "the last catch-up")
    finally:
        last.send_signal(signal.SIGTERM)  # a warm stop, this time
        assert last.wait(timeout=30) == 0
    assert "projector stopped events=" in log.read_text()

    # then every row equals what a fresh rebuild from the log builds
    views = all_rows(service.read_models.store, personal_of(service))
    assert views["position"] == head
    assert views == rebuilt_rows(service)
