"""The case-key store: each case's data key, wrapped by a master key, in a database apart
from the events, so that destroying a key reaches every copy of the events, backups
included (docs/personal-data.md#erasure).

Keys are read through a short cache: opening a case should not cost a query each time.
A key destroyed in one process is forgotten by the others within `cache_seconds`; the
case they read meanwhile is already wiped by its `Erased` event (domain/case.py)."""

from __future__ import annotations

import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from shared.settings import Settings
from shared.sql import Database, EventStoreConnections, PostgresPool, SqliteFile

from . import migrations
from .master import MasterKeys

_KEYS = "careledger_case_keys"
_ERASED = "careledger_erased_cases"


class CaseErasedError(Exception):
    """Raised when something would be written under the key of an erased case."""


@dataclass(frozen=True)
class KeyStatus:
    """How many case keys each master key wraps, and how many cases were erased."""

    current_master_key: str
    wrapped_by: dict[str, int]
    erased: int


class CaseKeys:
    """Each case's data key: made on the case's first event, destroyed by its erasure."""

    def __init__(
        self,
        db: Database,
        master: MasterKeys,
        *,
        cache_seconds: float = 30.0,
        cache_size: int = 20_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.db = db
        self.master = master
        self._keys = db.table(_KEYS)  # qualified: not every connection's search_path has it
        self._erased = db.table(_ERASED)
        self.cache_seconds = cache_seconds
        self.cache_size = cache_size
        self._clock = clock
        self._cache: OrderedDict[UUID, tuple[bytes, float]] = OrderedDict()
        self._lock = threading.Lock()

    @classmethod
    def open(cls, settings: Settings, datastore: Any = None) -> CaseKeys | None:
        """The store `settings` name, set up; None when no master key is configured (the
        single-key setup: the store's cipher alone, as before per-case keys). On
        PostgreSQL, beside the events by default: on the event store's own connections
        (`datastore`, when given), so a process opens no more connections for them."""
        if not settings.case_master_keys:
            return None
        db: Database
        if settings.case_keys_database_url:
            db = PostgresPool(
                settings.case_keys_database_url, schema=settings.postgres_schema, pool_size=2
            )
        elif settings.uses_postgres and datastore is not None:
            db = EventStoreConnections(datastore)
        elif settings.uses_postgres:
            db = PostgresPool(settings.database_url, schema=settings.postgres_schema, pool_size=2)
        else:
            db = SqliteFile(settings.data_dir / "case-keys.sqlite")
        migrations.upgrade(db)
        return cls(db, MasterKeys.parse(settings.case_master_keys))

    # ---- reading and making keys ------------------------------------------------------

    def key_of(self, case_id: UUID) -> bytes | None:
        """The case's key; None when it has none (erased, or never sealed anything)."""
        cached = self._cached(case_id)
        if cached is not None:
            return cached
        with self.db.transaction(write=False) as tx:
            row = tx.one(
                f"SELECT master_key_id, wrapped FROM {self._keys} WHERE case_id = ?",
                (str(case_id),),
            )
        if row is None:
            return None
        key = self.master.unwrap(case_id, row["master_key_id"], row["wrapped"])
        self._remember(case_id, key)
        return key

    def key_for_writing(self, case_id: UUID) -> bytes:
        """The case's key, made (and stored, before any event sealed with it) on first
        use; raises CaseErasedError for an erased case."""
        found = self.key_of(case_id)
        if found is not None:
            return found
        key = os.urandom(32)
        master_key_id, wrapped = self.master.wrap(case_id, key)
        with self.db.transaction() as tx:
            if tx.value(f"SELECT 1 FROM {self._erased} WHERE case_id = ?", (str(case_id),)):
                raise CaseErasedError("the case was erased: nothing more is written under it")
            inserted = tx.execute(
                f"INSERT INTO {self._keys} (case_id, master_key_id, wrapped, created_at) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (case_id) DO NOTHING",
                (str(case_id), master_key_id, wrapped, _now()),
            )
        if not inserted:  # another writer made it first: use theirs
            theirs = self.key_of(case_id)
            assert theirs is not None
            return theirs
        self._remember(case_id, key)
        return key

    # ---- erasure and rotation ---------------------------------------------------------

    def destroy(self, case_id: UUID) -> bool:
        """Destroys the case's key for good and leaves a tombstone; True if there was one."""
        with self.db.transaction() as tx:
            deleted = tx.execute(f"DELETE FROM {self._keys} WHERE case_id = ?", (str(case_id),))
            tx.execute(
                f"INSERT INTO {self._erased} (case_id, erased_at) VALUES (?, ?) "
                "ON CONFLICT (case_id) DO NOTHING",
                (str(case_id), _now()),
            )
        with self._lock:
            self._cache.pop(case_id, None)
        return deleted > 0

    def is_destroyed(self, case_id: UUID) -> bool:
        """Whether the case's key was destroyed by erasure."""
        with self.db.transaction(write=False) as tx:
            return bool(
                tx.value(f"SELECT 1 FROM {self._erased} WHERE case_id = ?", (str(case_id),))
            )

    def rotate(self, batch: int = 500) -> Iterator[int]:
        """Re-wraps every case key held under an older master key with the current one,
        `batch` at a time, yielding how many each batch moved. Events are not touched."""
        current = self.master.current_id
        while True:
            with self.db.transaction() as tx:
                rows = tx.all(
                    f"SELECT case_id, master_key_id, wrapped FROM {self._keys} "
                    f"WHERE master_key_id <> ? ORDER BY case_id LIMIT {int(batch)}",
                    (current,),
                )
                for row in rows:
                    case_id = UUID(row["case_id"])
                    key = self.master.unwrap(case_id, row["master_key_id"], row["wrapped"])
                    _, wrapped = self.master.wrap(case_id, key)
                    tx.execute(
                        f"UPDATE {self._keys} SET master_key_id = ?, wrapped = ? "
                        "WHERE case_id = ? AND master_key_id = ?",
                        (current, wrapped, row["case_id"], row["master_key_id"]),
                    )
            if not rows:
                return
            yield len(rows)

    def status(self) -> KeyStatus:
        """What `careledger keys status` prints."""
        with self.db.transaction(write=False) as tx:
            rows = tx.all(
                f"SELECT master_key_id, COUNT(*) AS n FROM {self._keys} GROUP BY master_key_id"
            )
            erased = tx.value(f"SELECT COUNT(*) FROM {self._erased}")
        return KeyStatus(
            self.master.current_id, {r["master_key_id"]: int(r["n"]) for r in rows}, int(erased)
        )

    def close(self) -> None:
        """Releases the store's connections."""
        self.db.close()

    # ---- the cache ----------------------------------------------------------------------

    def _cached(self, case_id: UUID) -> bytes | None:
        with self._lock:
            found = self._cache.get(case_id)
            if found is None:
                return None
            key, at = found
            if self._clock() - at > self.cache_seconds:
                del self._cache[case_id]
                return None
            self._cache.move_to_end(case_id)
            return key

    def _remember(self, case_id: UUID, key: bytes) -> None:
        with self._lock:
            self._cache[case_id] = (key, self._clock())
            self._cache.move_to_end(case_id)
            while len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)


def _now() -> str:
    return datetime.now(UTC).isoformat()
