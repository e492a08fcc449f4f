"""Runs CareLedger's processes side by side, restarts one that dies, and stops them all
cleanly on Ctrl-C or SIGTERM. What `careledger demo` (and `careledger run`) use on one
machine; in production, compose.yaml or the platform supervises instead."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

log = logging.getLogger("careledger.supervisor")


@dataclass(frozen=True)
class ProcessSpec:
    """One process: a name for the logs and the `careledger` arguments that start it."""

    name: str
    args: tuple[str, ...]


@dataclass
class _Child:
    spec: ProcessSpec
    process: subprocess.Popen[bytes] | None = None
    restarts: int = 0
    next_start: float = 0.0
    started_at: float = field(default=0.0)


class Supervisor:
    """Starts every process, restarts the ones that exit, stops all on request."""

    def __init__(
        self, specs: Sequence[ProcessSpec], env: Mapping[str, str], *, stop_timeout: float = 15.0
    ) -> None:
        self.children = [_Child(spec) for spec in specs]
        self.env = dict(env)
        self.stop_timeout = stop_timeout
        self.stopping = threading.Event()

    def run(self) -> None:
        """Supervises until Ctrl-C or SIGTERM; then stops the children and returns."""
        signal.signal(signal.SIGTERM, self._request_stop)
        signal.signal(signal.SIGINT, self._request_stop)
        try:
            while not self.stopping.is_set():
                now = time.monotonic()
                for child in self.children:
                    self._tend(child, now)
                self.stopping.wait(0.5)
        finally:
            self._stop_all()

    def _request_stop(self, *_: object) -> None:
        self.stopping.set()

    def _tend(self, child: _Child, now: float) -> None:
        if child.process is not None:
            code = child.process.poll()
            if code is None:
                return
            # Died on its own: restart, backing off when it keeps dying.
            ran_for = now - child.started_at
            child.restarts = 0 if ran_for > 60 else child.restarts + 1
            delay = min(30.0, 0.5 * 2**child.restarts)
            log.warning(
                "process=%s event=exited code=%s restart_in=%.1fs", child.spec.name, code, delay
            )
            child.process = None
            child.next_start = now + delay
        if now >= child.next_start:
            child.process = subprocess.Popen(
                [sys.executable, "-m", "services.cli", *child.spec.args],
                env=self.env,
                # Own process group: Ctrl-C reaches the supervisor, which stops children
                # in order, instead of every process at once.
                start_new_session=True,
            )
            child.started_at = now
            log.info("process=%s event=started pid=%s", child.spec.name, child.process.pid)

    def _stop_all(self) -> None:
        running = [c for c in self.children if c.process and c.process.poll() is None]
        for child in running:
            assert child.process is not None
            child.process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + self.stop_timeout
        for child in running:
            assert child.process is not None
            try:
                child.process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log.warning("process=%s event=killed", child.spec.name)
                child.process.kill()
                child.process.wait()
            log.info("process=%s event=stopped", child.spec.name)


def child_env(extra: Mapping[str, str]) -> dict[str, str]:
    """The supervisor's environment plus `extra` (e.g. the embedded Redis URL)."""
    return {**os.environ, **extra}
