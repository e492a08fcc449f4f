"""Children's records on disk are their owner's alone: every folder and file a CareLedger
process keeps (SQLite files and their journals, secrets, the embedded Redis's log, leases)
is 0700 / 0600.

`careledger` sets `umask 077` first, but a process may be started another way (gunicorn
directly, a test, a supervisor with a loose umask) and a data folder may predate this rule;
so each is created owner-only here, and tightened when it already exists looser.
SQLite gives a database's `-wal` and `-shm` files the database file's own mode, so creating
the database file first, 0600, covers its journals too.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

FOLDER_MODE = 0o700
FILE_MODE = 0o600


def private_folder(path: Path) -> Path:
    """Creates `path` (its parents as the system makes them) and makes it owner-only."""
    path.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
    _tighten(path, FOLDER_MODE)
    return path


def private_file(path: Path) -> Path:
    """Creates `path` empty if missing (in an owner-only folder) and makes it owner-only.

    A file that exists is never opened here, only tightened by its name: closing any
    descriptor of a file drops every POSIX lock this process holds on it, SQLite's
    included. A process that did so to its open database would let another process take
    it for the last user and delete the write-ahead log under it (a write lost, or
    "disk I/O error"; tests/integration/test_sqlite_locks.py)."""
    private_folder(path.parent)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        _tighten(path, FILE_MODE)
        return path
    try:
        _tighten_fd(fd, FILE_MODE)  # os.open's mode passed through the umask
    finally:
        os.close(fd)  # it did not exist a moment ago: no lock of ours on it to drop
    return path


def _tighten(path: Path, mode: int) -> None:
    if stat.S_IMODE(path.stat().st_mode) & ~mode:
        path.chmod(stat.S_IMODE(path.stat().st_mode) & mode)


def _tighten_fd(fd: int, mode: int) -> None:
    current = stat.S_IMODE(os.fstat(fd).st_mode)
    if current & ~mode:
        os.fchmod(fd, current & mode)
