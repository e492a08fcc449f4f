"""`careledger cases relay`: the composition of one relay process, and its run.

On a terminal it shows how far the stream is behind the log (quiet otherwise, as under
a supervisor), and it ends with a one-line summary.
"""

from __future__ import annotations

import logging
import sys
import time
from dataclasses import dataclass
from typing import Any, cast

import redis
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from services.cases.application import Cases
from shared.process_health import health_port
from shared.redis_client import redis_client
from shared.runner import Runner
from shared.settings import Settings
from shared.sql import EventStoreConnections

from .floor import RelayFloor
from .lease import Lease
from .loop import Relay, RelayStats
from .source import CasesLog
from .stream import RelayStream

log = logging.getLogger("careledger.relay")


@dataclass(frozen=True)
class RelayOptions:
    """How one relay process runs (the command's options)."""

    batch_size: int = 1000
    lease_seconds: float = 10.0
    poll_seconds: float = 0.1
    trim_every_seconds: float = 5.0
    max_backlog: int = 500_000
    health_port: int = 0  # 0: no health port


def build_relay(
    settings: Settings, options: RelayOptions, client: redis.Redis | None = None
) -> tuple[Relay, Cases, redis.Redis]:
    """A relay over the configured event store and Redis; the caller closes the
    application and the client after the relay."""
    client = client or redis_client(settings)
    cases = Cases.open(settings)
    stream = RelayStream(client, settings.stream)
    lease = Lease(stream, ttl_ms=int(options.lease_seconds * 1000))
    tables = EventStoreConnections(cast(Any, cases.recorder).datastore)
    relay = Relay(
        CasesLog(cases),
        stream,
        lease,
        batch_size=options.batch_size,
        trim_every_seconds=options.trim_every_seconds,
        max_backlog=options.max_backlog,
        floor=RelayFloor(tables, settings.stream),
    )
    return relay, cases, client


def _lag(relay: Relay) -> float | None:
    # Unknown until the relay has found where the stream is.
    return None if relay.position is None else float(relay.events.head() - relay.position)


def run_relay(settings: Settings, options: RelayOptions) -> RelayStats:
    """Runs a relay until SIGTERM or Ctrl-C; answers what it did."""
    relay, cases, client = build_relay(settings, options)
    console = Console(stderr=True)
    started = time.monotonic()
    try:
        loop: Relay | _Shown = relay
        if console.is_terminal:
            loop = _Shown(relay, console)
        runner = Runner(loop, idle_seconds=options.poll_seconds)
        runner.install_signal_handlers()
        lag = ("Events of the log not yet in the stream", lambda: _lag(relay))
        with health_port(options.health_port, [runner], {"careledger_relay_lag_events": lag}):
            runner.run()
    finally:
        cases.close()
        client.close()
    stats = relay.stats
    print(
        f"relay stopped after {time.monotonic() - started:.0f} s: published "
        f"{stats.published:,} entries, the stream ends at position {relay.position or 0:,}, "
        f"{stats.resyncs} resyncs, trimmed {stats.trimmed:,}",
        file=sys.stdout,
    )
    return stats


class _Shown:
    """The relay with a progress bar: how much of the log is on the stream."""

    name = "relay"

    def __init__(self, relay: Relay, console: Console) -> None:
        self.relay = relay
        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            console=console,
            transient=True,
        )
        self.task = self.progress.add_task("relay: waiting for the lease", total=None)
        self.progress.start()
        self._shown_at = 0.0

    def run_once(self) -> int:
        handled = self.relay.run_once()
        now = time.monotonic()
        if now - self._shown_at > 0.5:
            self._shown_at = now
            held = self.relay.lease.held
            self.progress.update(
                self.task,
                total=max(1, self.relay.events.head()),
                completed=self.relay.position or 0,
                description="relay: publishing"
                if held
                else f"relay: waiting (lease held by {self.relay.lease.holder or '?'})",
            )
        return handled

    def close(self) -> None:
        self.progress.stop()
        self.relay.close()
