"""A process keeps its SQLite locks: nothing of ours opens and closes a database file
behind SQLite's back.

Closing any descriptor of a file drops every POSIX lock the process holds on it. SQLite's
own connections hold such a lock for as long as they are open in WAL mode; without it,
another process closing its last connection takes itself for the last user, checkpoints,
and deletes the write-ahead log and its index under the first process, whose next write
fails ("disk I/O error") or goes to a deleted file. The embedded deployment runs the API,
projector, relay and sealer as separate processes on one file, each of them restarted on
its own, so each must keep its locks from the moment it opens the store.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

from services.cases.bootstrap import build_case_service
from shared.private_files import private_file
from shared.roles import Role
from shared.settings import Settings
from shared.sql import EventStoreConnections

# Another process opens the file, writes a row, and closes its last connection.
_ANOTHER_PROCESS_WRITES_AND_CLOSES = """
import sqlite3, sys
c = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=10)
c.execute(sys.argv[2])
c.close()
"""


def _another_process(db: Path, statement: str) -> None:
    subprocess.run(
        [sys.executable, "-c", _ANOTHER_PROCESS_WRITES_AND_CLOSES, str(db), statement],
        check=True,
        timeout=60,
    )


def _journals(db: Path) -> set[str]:
    return {p.name for p in db.parent.iterdir() if p.name.startswith(db.name + "-")}


def test_making_an_open_database_private_again_keeps_this_processs_locks(
    tmp_path: Path,
) -> None:
    db = private_file(tmp_path / "store.sqlite")
    mine = sqlite3.connect(db, isolation_level=None)
    mine.execute("PRAGMA journal_mode=WAL")
    mine.execute("CREATE TABLE t (x INTEGER)")
    mine.execute("INSERT INTO t VALUES (1)")

    private_file(db)  # what every process does when it builds a store on the file
    _another_process(db, "INSERT INTO t VALUES (2)")

    # The other process knew it was not the last: the log and its index are still there,
    assert _journals(db) == {"store.sqlite-wal", "store.sqlite-shm"}
    # and this process writes and reads on, its writes seen by a new connection.
    mine.execute("INSERT INTO t VALUES (3)")
    assert mine.execute("SELECT count(*) FROM t").fetchone() == (3,)
    other = sqlite3.connect(db)
    assert other.execute("SELECT x FROM t ORDER BY x").fetchall() == [(1,), (2,), (3,)]
    other.close()
    mine.close()


def test_a_case_service_keeps_its_store_while_other_processes_come_and_go(
    tmp_path: Path,
) -> None:
    # Building the service runs the migrations, and the sealer takes the same exclusive
    # transaction at every seal: neither may cost the process its locks.
    settings = Settings(data_dir=tmp_path / "var").with_generated_secrets()
    service = build_case_service(settings)
    try:
        service.accounts.register(
            None, username="first", role=Role.CIVIL_AFFAIRS, scope="360124", password="p" * 16
        )
        datastore = service.cases.recorder.datastore  # type: ignore[attr-defined]
        with EventStoreConnections(datastore).exclusive("a test's exclusive work"):
            pass
        db = settings.data_dir / "cases.sqlite"

        _another_process(db, "CREATE TABLE IF NOT EXISTS another_process (x INTEGER)")

        assert _journals(db) >= {"cases.sqlite-wal", "cases.sqlite-shm"}
        service.accounts.register(
            None, username="second", role=Role.CIVIL_AFFAIRS, scope="360124", password="p" * 16
        )
        assert service.accounts.get("second").username == "second"
    finally:
        service.close()
    # Every write is in the file for whoever opens it next.
    reopened = build_case_service(settings)
    try:
        assert {reopened.accounts.get(u).username for u in ("first", "second")} == {
            "first",
            "second",
        }
    finally:
        reopened.close()
