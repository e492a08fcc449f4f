"""Versioned migrations (shared/migrations.py) on SQLite and PostgreSQL: a database made
by the last release is upgraded with every row intact, upgrading twice changes nothing,
and a migration that fails halfway leaves the schema as it was."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest

from services.cases import migrations as case_migrations
from services.cases.access_log import AccessEntry
from services.cases.application import Cases
from services.cases.bootstrap import build_case_service
from services.cases.projections import migrations as read_model_migrations
from services.notify import migrations as notify_migrations
from services.notify.bootstrap import build_notify
from services.notify.db import open_database
from shared.migrations import Migration, applied_versions, upgrade
from shared.settings import Settings
from shared.sql import Database, EventStoreConnections, PostgresPool, SqliteFile, Transaction
from tests.integration.last_release_schema import access_log_statements, notify_statements
from tests.integration.migration_support import contents, fill, shape, tables

DIALECTS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
MakeDatabase = Callable[[], Database]


@pytest.fixture(params=DIALECTS)
def dialect(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def make_database(
    request: pytest.FixtureRequest, dialect: str, tmp_path: Path
) -> Iterator[MakeDatabase]:
    """Makes empty databases of the dialect: SQLite files, or PostgreSQL schemas of
    their own (dropped afterwards)."""
    made: list[Database] = []
    schemas: list[str] = []
    url = request.getfixturevalue("postgres_url") if dialect == "postgres" else ""

    def make() -> Database:
        if url:
            schemas.append(f"t_{uuid.uuid4().hex[:12]}")
            db: Database = PostgresPool(url, schema=schemas[-1], pool_size=2)
        else:
            db = SqliteFile(tmp_path / f"db{len(made)}.sqlite")
        made.append(db)
        return db

    yield make
    for db in made:
        db.close()
    if schemas:
        with psycopg.connect(url, autocommit=True) as conn:
            for schema in schemas:
                conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture
def notify_settings(request: pytest.FixtureRequest, dialect: str, tmp_path: Path) -> Settings:
    """Where notify's database is, on the dialect."""
    settings = Settings(data_dir=tmp_path / "var", token_secret="migration-tests-secret")
    if dialect == "postgres":
        settings = replace(
            settings,
            notify_database_url=request.getfixturevalue("postgres_url"),
            notify_postgres_schema=request.getfixturevalue("postgres_schema"),
        )
    return settings


def make_last_release_notify_database(db: Database) -> list[str]:
    """Notify's tables as the last release created them; their names."""
    with db.transaction() as tx:
        for statement in notify_statements("postgres" if db.postgres else "sqlite"):
            tx.execute(statement)
        return tables(tx, db.schema)


def test_a_last_release_notify_database_is_upgraded_with_every_row_intact(
    notify_settings: Settings,
) -> None:
    # given a database made by the last release, every table filled
    old = open_database(notify_settings)
    names = make_last_release_notify_database(old)
    assert {"subscriptions", "outbox", "notifications", "handled_events"} <= set(names)
    fill(old, names)
    before = contents(old, names)
    old.close()

    # when notify starts on it
    notify = build_notify(notify_settings)
    try:
        # then every row of every table is still there, as it was
        after = contents(notify.db, names)
        for table in names:
            assert [{k: r[k] for k in before[table][0]} for r in after[table]] == before[table]
        assert applied_versions(notify.db, "notify") == [
            m.version for m in notify_migrations.migrations()
        ]
        # and new rows still get fresh ids
        with notify.db.transaction() as tx:
            new = tx.one(
                "INSERT INTO subscriptions (url, secret, scope, kinds, created_by, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
                ("https://example.org/hook", "sealed", "3601", "[]", "admin", "2026-03-04"),
            )
        assert new is not None
        assert new["id"] > max(r["id"] for r in before["subscriptions"])
    finally:
        notify.close()


def test_a_last_release_access_log_is_upgraded_with_every_row_intact(
    settings: Settings,
) -> None:
    # given an event store whose access log the last release created and filled
    cases = Cases(settings.eventsourcing_env())
    old = EventStoreConnections(cases.recorder.datastore)  # type: ignore[attr-defined]
    with old.transaction() as tx:
        dialect = "postgres" if old.postgres else "sqlite"
        for statement in access_log_statements(dialect, old.table("careledger_access_log")):
            tx.execute(statement)
    fill(old, ["careledger_access_log"])
    before = contents(old, ["careledger_access_log"])
    cases.close()

    # when the case service starts on it
    service = build_case_service(settings)
    try:
        # then every row is still there, as it was, and the API's search finds them all
        after = contents(service.access_log.tables, ["careledger_access_log"])
        # (migration 4 chains the rows: two columns more, every other value as it was)
        chained = {"prev_hash", "hash"}
        assert [
            {k: v for k, v in row.items() if k not in chained}
            for row in after["careledger_access_log"]
        ] == before["careledger_access_log"]
        assert all(row["hash"] for row in after["careledger_access_log"])
        found = service.access_log.search(scope="")
        assert sorted(e.request_id for e in found) == sorted(
            r["request_id"] for r in before["careledger_access_log"]
        )
        assert applied_versions(service.access_log.tables, "cases") == [
            m.version for m in case_migrations.migrations()
        ]
        # and the log goes on: a new entry is found first
        entry = AccessEntry(datetime.now(UTC), "auditor", "auditor", "c", "36", "audit", "r-new")
        service.access_log.record([entry])
        assert service.access_log.search(scope="", limit=1)[0].request_id == "r-new"
    finally:
        service.close()


def test_a_fresh_database_at_version_1_has_the_last_release_schema(
    make_database: MakeDatabase,
) -> None:
    # given the last release's notify tables in one database
    release = make_database()
    make_last_release_notify_database(release)

    # when a fresh database is migrated to version 1
    fresh = make_database()
    notify_migrations.upgrade(fresh, target=1)

    # then both have the same tables, columns, indexes and constraints
    assert shape(fresh) == shape(release)


def test_upgrading_twice_changes_nothing(make_database: MakeDatabase) -> None:
    # given a database brought up to date
    db = make_database()
    first = notify_migrations.upgrade(db)
    assert first == [m.version for m in notify_migrations.migrations()]
    with db.transaction(write=False) as tx:
        recorded = tx.all("SELECT * FROM schema_migrations ORDER BY version")
    tables_before = shape(db, leave_out=())

    # when it is upgraded again
    second = notify_migrations.upgrade(db)

    # then nothing was applied, nor recorded again, nor changed
    assert second == []
    with db.transaction(write=False) as tx:
        assert tx.all("SELECT * FROM schema_migrations ORDER BY version") == recorded
    assert shape(db, leave_out=()) == tables_before


def _create_ledger(tx: Transaction) -> None:
    tx.execute("CREATE TABLE ledger (id INTEGER PRIMARY KEY, note TEXT NOT NULL)")
    tx.execute("INSERT INTO ledger (id, note) VALUES (1, 'kept')")


def _fails_halfway(tx: Transaction) -> None:
    tx.execute("ALTER TABLE ledger ADD COLUMN extra TEXT")
    tx.execute("CREATE TABLE half_made (id INTEGER PRIMARY KEY)")
    tx.execute("UPDATE ledger SET note = 'changed'")
    raise RuntimeError("the migration fails halfway")


def _adds_extra(tx: Transaction) -> None:
    tx.execute("ALTER TABLE ledger ADD COLUMN extra TEXT")


def test_a_migration_that_fails_halfway_leaves_the_schema_and_rows_as_they_were(
    make_database: MakeDatabase,
) -> None:
    # given a database at version 1 of a migration set
    db = make_database()
    first = Migration(1, "ledger", _create_ledger)
    upgrade(db, "test", [first])
    shape_at_1 = shape(db, leave_out=())

    # when version 2 fails after changing a table, creating one and updating a row
    with pytest.raises(RuntimeError, match="halfway"):
        upgrade(db, "test", [first, Migration(2, "breaks", _fails_halfway)])

    # then none of it stayed, and version 2 is not recorded
    assert shape(db, leave_out=()) == shape_at_1
    assert db.query("SELECT id, note FROM ledger") == [{"id": 1, "note": "kept"}]
    assert applied_versions(db, "test") == [1]

    # and a mended version 2 applies
    assert upgrade(db, "test", [first, Migration(2, "extra", _adds_extra)]) == [2]
    assert db.query("SELECT id, note, extra FROM ledger") == [
        {"id": 1, "note": "kept", "extra": None}
    ]


def test_components_sharing_a_database_keep_their_own_versions(
    make_database: MakeDatabase,
) -> None:
    # given one database that two components migrate
    db = make_database()
    notify_migrations.upgrade(db)

    # when the case service's migrations run on it too
    applied = case_migrations.upgrade(db)

    # then each component has its own record
    assert applied == [m.version for m in case_migrations.migrations()]
    assert applied_versions(db, "notify") == [m.version for m in notify_migrations.migrations()]
    assert applied_versions(db, "cases") == applied


def test_every_migration_set_is_numbered_from_1_without_gaps() -> None:
    for package in (notify_migrations, case_migrations, read_model_migrations):
        versions: list[Any] = [m.version for m in package.migrations()]
        assert versions == list(range(1, len(versions) + 1))
        assert versions, package.__name__


def test_db_upgrade_applies_each_databases_migrations_once(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from services.cli import main

    env = {"CARELEDGER_DATA_DIR": str(tmp_path / "var")}
    runner = CliRunner()
    # given fresh databases, all pending
    before = runner.invoke(main, ["db", "status"], env=env)
    assert before.exit_code == 0, before.output
    assert "notify 0001 initial: pending" in before.output
    # when upgraded twice
    first = runner.invoke(main, ["db", "upgrade"], env=env)
    second = runner.invoke(main, ["db", "upgrade"], env=env)
    # then the first applied everything, the second nothing
    for package in (case_migrations, read_model_migrations, notify_migrations):
        every = [m.version for m in package.migrations()]
        assert f"{package.COMPONENT}: applied {every}" in first.output
    assert second.output.count("applied nothing") == 3
    after = runner.invoke(main, ["db", "status"], env=env)
    assert "pending" not in after.output
