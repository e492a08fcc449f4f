"""The health port of the long-running processes (shared/process_health.py): alive while
every loop runs, not ready while a loop fails, and its counters in Prometheus's format."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

from shared.process_health import health_port
from shared.runner import Runner


class Flaky:
    """A loop that fails while `broken` is set, else handles 3 items a batch."""

    name = "flaky"

    def __init__(self) -> None:
        self.broken = threading.Event()

    def run_once(self) -> int:
        if self.broken.is_set():
            raise ConnectionError("the database went away")
        return 3

    def close(self) -> None:
        pass


def get(port: int, path: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def eventually(check: Callable[[], Any]) -> None:
    deadline = time.monotonic() + 10
    while not check():
        assert time.monotonic() < deadline
        time.sleep(0.02)


def test_alive_and_ready_while_running_not_ready_while_failing_down_once_stopped() -> None:
    loop = Flaky()
    runner = Runner(loop, idle_seconds=0.01, max_backoff_seconds=0.05)
    gauges = {"careledger_test_lag_events": ("A lag", lambda: 7.0)}
    with health_port(_free(), [runner], gauges) as port:
        # before the loop runs: not alive
        assert get(port, "/healthz")[0] == 503
        thread = threading.Thread(target=runner.run)
        thread.start()
        try:
            eventually(lambda: get(port, "/readyz")[0] == 200)
            assert get(port, "/healthz")[0] == 200
            # a failing loop: alive, not ready, and says which
            loop.broken.set()
            eventually(lambda: get(port, "/readyz")[0] == 503)
            status, body = get(port, "/readyz")
            assert json.loads(body)["loops"]["flaky"]["failing"] is True
            assert get(port, "/healthz")[0] == 200
            loop.broken.clear()
            eventually(lambda: get(port, "/readyz")[0] == 200)
            status, metrics = get(port, "/metrics")
            assert status == 200
            assert 'careledger_loop_failures_total{loop="flaky"}' in metrics
            items = next(
                float(line.split()[-1])
                for line in metrics.splitlines()
                if line.startswith('careledger_loop_items_total{loop="flaky"}')
            )
            assert items > 0 and items % 3 == 0
            assert "careledger_test_lag_events 7.0" in metrics
            assert get(port, "/elsewhere")[0] == 404
        finally:
            runner.stop()
            thread.join(timeout=5)
        assert get(port, "/healthz")[0] == 503


def test_port_zero_serves_nothing() -> None:
    runner = Runner(Flaky())
    with health_port(0, [runner]) as port:
        assert port == 0


def _free() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
