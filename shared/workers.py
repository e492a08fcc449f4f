"""Serving an API with several worker processes (gunicorn), for production on PostgreSQL.

The application is built in each worker after the fork (`preload_app` off), never in the
arbiter: database pools, Redis clients and threads do not survive a fork, and a worker
that dies is replaced by one that builds its own. Workers are threaded (`gthread`), so a
request waiting on the database holds a thread, not a process.

On SIGTERM the arbiter stops accepting and lets each worker finish its in-flight requests
(`graceful_timeout`) before it exits: what `docker stop` and process supervisors send.
Several workers on one SQLite file would work but serialise on its write lock; the
single-process server (waitress, `--workers 1`) is the embedded default.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from typing import Any

from gunicorn.app.base import BaseApplication

log = logging.getLogger("careledger.workers")

# Seconds a stopping worker is given to finish what it is answering.
GRACEFUL_SECONDS = 30


def default_workers() -> int:
    """One worker per CPU the process may use (threads inside each wait on I/O)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


class _Workers(BaseApplication):  # type: ignore[misc]
    def __init__(self, make_app: Callable[[], Any], options: dict[str, Any]) -> None:
        self.make_app = make_app
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        # Called in each worker, after the fork.
        app = self.make_app()
        log.info("worker %d ready", os.getpid())
        return app


def serve_workers(
    make_app: Callable[[], Any], *, host: str, port: int, workers: int, threads: int
) -> None:
    """Serves the app `make_app()` builds in `workers` processes of `threads` threads each
    until SIGTERM (graceful) or SIGINT."""
    _Workers(
        make_app,
        {
            "bind": f"{host}:{port}",
            "workers": workers,
            "threads": threads,
            "worker_class": "gthread",
            "preload_app": False,
            "graceful_timeout": GRACEFUL_SECONDS,
            "timeout": 120,  # a worker silent this long is stuck: replaced
            "accesslog": None,  # each request is logged once, by the app (shared/http/app.py)
            "proc_name": "careledger",
        },
    ).run()
