"""One active projector per log: a second instance waits instead of doing the same work.

Correctness does not depend on it (every page checks the tracking position it started
from, in its own transaction), so the lease only keeps a standby from wasting effort.
SQLite: an exclusive `flock` on a file beside the read models, released by the kernel when
the process dies, even by kill -9. PostgreSQL: a session advisory lock on a connection of
its own, released by the server when that connection goes.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import time
from pathlib import Path
from typing import Protocol

import psycopg

from shared.private_files import private_file

log = logging.getLogger("careledger.projector")
_ADVISORY_KEY = 7_310_443
_RECHECK_SECONDS = 5.0


class Lease(Protocol):
    """The right to be the one active projector."""

    def acquire(self) -> bool:
        """True when this process holds the lease (taking it when free)."""

    def release(self) -> None:
        """Gives the lease up."""


class FileLease:
    """An exclusive lock on a file (SQLite deployments: one machine)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def acquire(self) -> bool:
        """Takes the lock if no other process holds it."""
        if self._fd is not None:
            return True
        fd = os.open(private_file(self.path), os.O_RDWR)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    def release(self) -> None:
        """Unlocks and closes the file."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


class AdvisoryLease:
    """A PostgreSQL session advisory lock, rechecked every few seconds."""

    def __init__(self, url: str, key: int = _ADVISORY_KEY) -> None:
        self.url = url
        self.key = key
        self._connection: psycopg.Connection[tuple[object, ...]] | None = None
        self._checked = 0.0
        self._next_try = 0.0  # a standby asks again about once a second, not in a loop

    def acquire(self) -> bool:
        """Holds the lock, reconnecting and retaking it if its connection was lost."""
        now = time.monotonic()
        if self._connection is not None and now - self._checked < _RECHECK_SECONDS:
            return True
        try:
            if self._connection is not None:
                self._connection.execute("SELECT 1")
                self._checked = now
                return True
        except psycopg.Error:
            log.warning("event=lease_connection_lost")
            self.release()
        if now < self._next_try:
            return False
        self._next_try = now + 1.0
        try:
            connection = psycopg.connect(self.url, autocommit=True, connect_timeout=5)
        except psycopg.Error:
            return False
        row = connection.execute("SELECT pg_try_advisory_lock(%s)", (self.key,)).fetchone()
        if not row or not row[0]:
            connection.close()
            return False
        self._connection, self._checked = connection, now
        return True

    def release(self) -> None:
        """Closes the connection, which frees the lock."""
        if self._connection is not None:
            with contextlib.suppress(psycopg.Error):
                self._connection.close()
            self._connection = None
