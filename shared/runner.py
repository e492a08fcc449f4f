"""The one shape every long-running loop has (projector, relay, consumer, scheduler).

A loop does a bounded batch of work in `run_once()` and says how much it did; tests call
`run_once()` directly. `Runner` repeats it, sleeping when there was nothing to do, and
stops warmly on SIGTERM or Ctrl-C: the batch under way finishes, then `close()` runs.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from typing import Protocol

log = logging.getLogger("careledger.runner")


class Loop(Protocol):
    """A unit of repeated work."""

    name: str

    def run_once(self) -> int:
        """Does one bounded batch of work; returns how many items it handled."""

    def close(self) -> None:
        """Releases connections; called once when the runner stops."""


class Runner:
    """Runs a Loop until stopped, backing off after failures."""

    def __init__(
        self, loop: Loop, *, idle_seconds: float = 0.5, max_backoff_seconds: float = 30.0
    ) -> None:
        self.loop = loop
        self.idle_seconds = idle_seconds
        self.max_backoff_seconds = max_backoff_seconds
        self.stopping = threading.Event()
        # What a health port reports (shared/process_health.py).
        self.running = False
        self.batches = 0
        self.handled = 0
        self.failures = 0
        self.failing = False  # the last batch failed and none has succeeded since
        self.last_success: float | None = None  # time.monotonic() of the last good batch

    def stop(self, *_: object) -> None:
        """Asks the loop to stop after the batch under way."""
        self.stopping.set()

    def install_signal_handlers(self) -> None:
        """SIGTERM (process supervisors, `docker stop`) and SIGINT stop the loop warmly."""
        signal.signal(signal.SIGTERM, self.stop)
        signal.signal(signal.SIGINT, self.stop)

    def run(self) -> None:
        """Repeats `run_once` until stopped; always closes the loop."""
        backoff = 0.0
        log.info("runner=%s event=started", self.loop.name)
        self.running = True
        try:
            while not self.stopping.is_set():
                try:
                    handled = self.loop.run_once()
                    backoff = 0.0
                    self.batches += 1
                    self.handled += handled
                    self.failing = False
                    self.last_success = time.monotonic()
                except Exception:
                    # A lost connection or a database restart: wait and try again, never
                    # spin. The error is logged without the data it was handling.
                    self.failures += 1
                    self.failing = True
                    backoff = min(self.max_backoff_seconds, max(0.5, backoff * 2))
                    log.exception("runner=%s event=failed retry_in=%.1fs", self.loop.name, backoff)
                    self.stopping.wait(backoff)
                    continue
                if handled == 0:
                    self.stopping.wait(self.idle_seconds)
        finally:
            self.running = False
            self.loop.close()
            log.info("runner=%s event=stopped", self.loop.name)
