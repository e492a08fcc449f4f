"""`/healthz`, `/readyz` and `/metrics` on a small port of their own, for the long-running
processes that serve no HTTP otherwise (projector, relay, sealer, notify's consumer):
what a container orchestrator probes and Prometheus scrapes, as on the APIs.

- `/healthz`: every loop of the process is running (200), else 503;
- `/readyz`: and none is failing (its last batch raised and none succeeded since: a lost
  database or Redis), with how long ago each last succeeded;
- `/metrics`: per loop, batches, items handled and failures (counters) and seconds since
  the last good batch, plus the process's own gauges (e.g. the projector's lag).

Served by waitress in a daemon thread, so it never holds the process up, and stopped with
it. Nothing here names a child: loop names and counts.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from threading import Thread
from typing import Any

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from shared.http.metrics import Gauges, ScrapedGauges
from shared.runner import Runner


class _RunnerMetrics(Collector):
    def __init__(self, runners: Iterable[Runner]) -> None:
        self.runners = list(runners)

    def describe(self) -> list[Metric]:
        return []

    def collect(self) -> Iterator[Metric]:
        counters = {
            "careledger_loop_batches": ("Batches a loop ran", "batches"),
            "careledger_loop_items": ("Items a loop handled", "handled"),
            "careledger_loop_failures": ("Batches that raised", "failures"),
        }
        for name, (help_text, attribute) in counters.items():
            family = CounterMetricFamily(name, help_text, labels=["loop"])
            for runner in self.runners:
                family.add_metric([runner.loop.name], getattr(runner, attribute))
            yield family
        age = GaugeMetricFamily(
            "careledger_loop_seconds_since_success",
            "Seconds since a loop's last good batch",
            labels=["loop"],
        )
        for runner in self.runners:
            if runner.last_success is not None:
                age.add_metric([runner.loop.name], time.monotonic() - runner.last_success)
        yield age


def health_app(runners: Iterable[Runner], gauges: Gauges | None = None) -> Callable[..., Any]:
    """The WSGI app of the health port."""
    runners = list(runners)
    registry = CollectorRegistry()
    registry.register(_RunnerMetrics(runners))
    if gauges:
        registry.register(ScrapedGauges(gauges))

    def state() -> dict[str, Any]:
        return {
            runner.loop.name: {
                "running": runner.running,
                "failing": runner.failing,
                "seconds_since_success": None
                if runner.last_success is None
                else round(time.monotonic() - runner.last_success, 1),
            }
            for runner in runners
        }

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        path = environ.get("PATH_INFO", "")
        loops = state()
        alive = all(loop["running"] for loop in loops.values())
        if path == "/metrics":
            body, kind, ok = generate_latest(registry), "text/plain; version=0.0.4", True
        elif path == "/healthz":
            ok = alive
            body, kind = (
                json.dumps({"status": "ok" if ok else "down", "loops": loops}).encode(),
                "application/json",
            )
        elif path == "/readyz":
            ok = alive and not any(loop["failing"] for loop in loops.values())
            status = "ready" if ok else "not_ready"
            body, kind = json.dumps({"status": status, "loops": loops}).encode(), "application/json"
        else:
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"not found"]
        start_response("200 OK" if ok else "503 Service Unavailable", [("Content-Type", kind)])
        return [body]

    return app


@contextmanager
def health_port(
    port: int, runners: Iterable[Runner], gauges: Gauges | None = None, host: str = "0.0.0.0"
) -> Iterator[int]:
    """Serves the health app on `port` while the block runs (0: none). Yields the port."""
    if not port:
        yield 0
        return
    from waitress.server import create_server

    server = create_server(
        health_app(runners, gauges), host=host, port=port, threads=2, ident="careledger"
    )
    thread = Thread(target=server.run, name="health-port", daemon=True)
    thread.start()
    try:
        yield int(server.effective_port)
    finally:
        server.close()
