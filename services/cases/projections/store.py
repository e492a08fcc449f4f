"""Where the read models live, and the transactions that keep them exactly-once.

On SQLite they have their own file, `$CARELEDGER_DATA_DIR/read_models.sqlite` (WAL), so
the projector's writes never hold the lock the API's event appends need. On PostgreSQL
they sit beside the events, in `read_model_postgres_schema` (else the events' schema).

Every write is a `Tx` (tx.py) on one generation: it locks that generation's row in
`rm_generations`, reads the tracking position there, and moves it in the same commit as
the rows (`Tx.advance`). A reader sees one generation at one position. Connections,
pragmas and transactions are shared/sql.py's.

Their tables are not migrated (shared/migrations.py): a generation whose shape is older
than SCHEMA_VERSION is replaced by rebuilding it from the log, beside the live one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from eventsourcing.postgres import PostgresDatastore

from shared import sql
from shared.settings import Settings

from . import migrations
from .schema import (
    GENERATIONS,
    SCHEMA_VERSION,
    TABLES,
    index_statements,
    table_statements,
)
from .tx import Tx

T = TypeVar("T")
log = logging.getLogger("careledger.read_models")


class GenerationMovedError(Exception):
    """Raised when the generation written to was switched or dropped meanwhile."""


class ReadModelStore:
    """The read models' database, its generations, and transactions on them."""

    def __init__(self, settings: Settings, *, datastore: PostgresDatastore | None = None) -> None:
        self.is_postgres = settings.uses_postgres
        self.schema = settings.read_model_postgres_schema or settings.postgres_schema or "public"
        self.path = Path(settings.data_dir) / "read_models.sqlite"
        if self.is_postgres and datastore is None:
            raise ValueError("the PostgreSQL read models share the event store's datastore")
        self.db: sql.Database
        if datastore is not None:
            self.db = sql.EventStoreConnections(datastore, schema=self.schema)
        else:
            self.db = sql.SqliteFile(
                self.path,
                # Committed pages survive a killed process; a power cut may lose the last
                # few, which the projector simply redoes from its tracking position.
                synchronous="NORMAL",
                # The counters' hot pages are rewritten by every page of events: a bigger
                # cache and rarer checkpoints write each of them to the file once, not once
                # a page.
                tuning=("PRAGMA cache_size=-65536", "PRAGMA wal_autocheckpoint=20000"),
            )
        self._sql: dict[tuple[str, int], str] = {}

    # ---- naming -------------------------------------------------------------------------

    def names(self, generation: int) -> dict[str, str]:
        """The qualified table names of a generation (and of the tables beside every
        generation: the generations table and the divisions)."""
        names = {t: self._qualify(f"rm{generation}_{t}") for t in TABLES}
        names["generations"] = self._qualify("rm_generations")
        names["divisions"] = self._qualify("divisions")
        return names

    def sql(self, template: str, generation: int) -> str:
        """`template` with this generation's table names and this database's placeholders."""
        key = (template, generation)
        if key not in self._sql:
            self._sql[key] = self.db.dialect.sql(template.format(**self.names(generation)))
        return self._sql[key]

    def _qualify(self, table: str) -> str:
        return f'"{self.schema}".{table}' if self.is_postgres else table

    # ---- generations --------------------------------------------------------------------

    def setup(self) -> None:
        """Brings the reference tables up to date (versioned migrations) and creates the
        generations table and a first, empty, active generation."""
        migrations.upgrade(self.db)
        with self._ddl() as cursor:
            tx = Tx(cursor, self, 0, 0)
            tx.run(GENERATIONS)
            found = tx.rows(
                "SELECT generation, schema_version FROM {generations} WHERE state = 'active'"
            )
            if not found:
                self._create(tx, self._next_generation(tx), "active")
            elif found[0]["schema_version"] != SCHEMA_VERSION:
                log.error(
                    "event=read_models_outdated generation=%s schema_version=%s "
                    'expected=%s action="careledger cases rebuild-projections"',
                    found[0]["generation"],
                    found[0]["schema_version"],
                    SCHEMA_VERSION,
                )

    def outdated(self) -> bool:
        """True when the active generation was built by another SCHEMA_VERSION: it must be
        rebuilt from the log before the projector may write into it."""
        with self._transaction(write=False) as cursor:
            rows = Tx(cursor, self, 0, 0).rows(
                "SELECT schema_version FROM {generations} WHERE state = 'active'"
            )
        return bool(rows) and rows[0]["schema_version"] != SCHEMA_VERSION

    def active(self) -> tuple[int, int]:
        """The active generation and its position."""
        with self._transaction(write=False) as cursor:
            return self._active(Tx(cursor, self, 0, 0))

    def begin_generation(self) -> int:
        """A new, empty generation to rebuild into; leftovers of earlier rebuilds go."""
        with self._ddl() as cursor:
            tx = Tx(cursor, self, 0, 0)
            generation = self._next_generation(tx)  # numbers are never used twice
            for old in tx.rows("SELECT generation FROM {generations} WHERE state <> 'active'"):
                self._drop(tx, old["generation"])
            self._create(tx, generation, "building")
            return generation

    @contextmanager
    def switching(self, generation: int) -> Iterator[Tx]:
        """A transaction on `generation` that, on commit, makes it the active one; the
        active generation is locked meanwhile, so the live projector waits."""
        with self._transaction(write=True) as cursor:
            tx = Tx(cursor, self, 0, 0)
            old, _ = self._active(tx, lock=True)
            position = self._position(tx, generation, lock=True)
            tx = Tx(cursor, self, generation, position)
            tx.previous = old
            yield tx
            tx.run("UPDATE {generations} SET state = 'retired' WHERE generation = ?", (old,))
            tx.run("UPDATE {generations} SET state = 'active' WHERE generation = ?", (generation,))

    def index(self, generation: int) -> None:
        """Creates a rebuilt generation's indexes, before it is switched to."""
        with self.writing(generation) as tx:
            self._index(tx, generation)

    def _index(self, tx: Tx, generation: int) -> None:
        for statement in index_statements(self.names(generation), f"rm{generation}_"):
            tx.cursor.execute(statement)

    def drop_retired(self) -> list[int]:
        """Drops the tables of generations no longer active (after a rebuild switched)."""
        with self._ddl() as cursor:
            tx = Tx(cursor, self, 0, 0)
            retired = [
                r["generation"]
                for r in tx.rows("SELECT generation FROM {generations} WHERE state = 'retired'")
            ]
            for generation in retired:
                self._drop(tx, generation)
            return retired

    # ---- transactions -------------------------------------------------------------------

    @contextmanager
    def writing(self, generation: int | None = None) -> Iterator[Tx]:
        """A write transaction on `generation` (default: the active one), its row locked.
        Raises GenerationMovedError when that generation is no longer the one to write."""
        with self._transaction(write=True) as cursor:
            tx = Tx(cursor, self, 0, 0)
            if generation is None:
                generation, position = self._active(tx, lock=True)
            else:
                position = self._position(tx, generation, lock=True)
            yield Tx(cursor, self, generation, position)

    @contextmanager
    def reference_data(self) -> Iterator[Tx]:
        """A write transaction on the tables beside the generations (the divisions)."""
        with self._transaction(write=True) as cursor:
            yield Tx(cursor, self, 0, 0)

    def read(self, query: Callable[[Tx], T]) -> T:
        """Runs `query` on the active generation, in one consistent read transaction. A
        rebuild may drop the generation just read; the query then runs again on the new one."""
        for attempt in (1, 2):
            try:
                with self._transaction(write=False) as cursor:
                    generation, position = self._active(Tx(cursor, self, 0, 0))
                    return query(Tx(cursor, self, generation, position))
            except Exception as error:
                if attempt == 2 or not _missing_table(error):
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        """Closes this process's connections to the read models."""
        self.db.close()

    # ---- helpers ------------------------------------------------------------------------

    def _active(self, tx: Tx, *, lock: bool = False) -> tuple[int, int]:
        row = tx.rows(
            "SELECT generation, position FROM {generations} WHERE state = 'active'"
            + self._for_update(lock)
        )
        if not row:
            raise GenerationMovedError("no active read-model generation (run setup)")
        return int(row[0]["generation"]), int(row[0]["position"])

    def _position(self, tx: Tx, generation: int, *, lock: bool) -> int:
        position = tx.value(
            "SELECT position FROM {generations} WHERE generation = ? "
            "AND state IN ('active', 'building')" + self._for_update(lock),
            (generation,),
        )
        if position is None:
            raise GenerationMovedError(f"read-model generation {generation} is not writable")
        return int(position)

    def _for_update(self, lock: bool) -> str:
        # SQLite has a single writer per file: BEGIN IMMEDIATE already serialises writers.
        return " FOR UPDATE" if lock and self.is_postgres else ""

    def _next_generation(self, tx: Tx) -> int:
        return int(tx.value("SELECT COALESCE(MAX(generation), 0) FROM {generations}")) + 1

    def _create(self, tx: Tx, generation: int, state: str) -> None:
        for statement in table_statements(self.names(generation), postgres=self.is_postgres):
            tx.cursor.execute(statement)
        if state == "active":
            self._index(tx, generation)
        tx.run(
            "INSERT INTO {generations} (generation, state, position, created_at, "
            "schema_version) VALUES (?, ?, 0, ?, ?)",
            (generation, state, datetime.now(UTC).isoformat(), SCHEMA_VERSION),
        )

    def _drop(self, tx: Tx, generation: int) -> None:
        names = self.names(generation)
        for table in TABLES:
            tx.cursor.execute(f"DROP TABLE IF EXISTS {names[table]}")
        tx.run("DELETE FROM {generations} WHERE generation = ?", (generation,))

    def _ddl(self) -> Any:
        # Serialises the creation and dropping of tables by concurrent processes.
        return self._cursor(self.db.exclusive(f"read models {self.schema} ddl"))

    def _transaction(self, *, write: bool) -> Any:
        return self._cursor(self.db.transaction(write=write))

    @staticmethod
    @contextmanager
    def _cursor(transaction: Any) -> Iterator[Any]:
        # Tx runs the statements it has already translated on the driver's cursor.
        with transaction as tx:
            yield tx.cursor


def advisory_key(schema: str, purpose: str) -> int:
    """A PostgreSQL advisory lock key of our own, per read-model schema."""
    return sql.advisory_key(f"read models {schema} {purpose}")


def _missing_table(error: Exception) -> bool:
    text = str(error)
    return "no such table" in text or ("does not exist" in text and "relation" in text)
