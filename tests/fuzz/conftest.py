"""The fuzz tests' shared pieces: a WSGI app served by waitress in a thread (as
`careledger serve` serves it), and the summary of every schemathesis run, printed at the
end of the pytest output."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from waitress.server import create_server

from tests.fuzz.runner import REPORTS

# Redis for the notify fuzz tests: the integration tests' own fixture, shared.
from tests.integration.conftest import redis_url  # noqa: F401


@contextmanager
def served(app: Any) -> Iterator[str]:
    """`app` on a free local port; yields its base URL."""
    server = create_server(app, host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}"
    finally:
        server.close()
        thread.join(timeout=5)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """The fuzz runs' figures: requests, operations, 5xx, statuses."""
    if REPORTS:
        terminalreporter.section("fuzz summary")
        for report in REPORTS:
            terminalreporter.write_line(report.line())
