"""`careledger db …`: the versioned migrations of the databases beside the event store
(the case service's tables, the read models' reference tables and notify's database; see
docs/database.md).

Every process applies them when it starts; these commands let an operator upgrade
before starting the new release, and see where each database stands.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, cast

import click

from shared.migrations import Migration, applied_versions
from shared.settings import Settings
from shared.sql import Database


@dataclass(frozen=True)
class _Component:
    name: str
    migrations: Callable[[], list[Migration]]
    upgrade: Callable[[Database], list[int]]
    open: Callable[[Settings], Any]  # a context manager yielding the database


@contextmanager
def _case_tables(settings: Settings) -> Iterator[Database]:
    from services.cases.application import Cases
    from shared.sql import EventStoreConnections

    cases = Cases.open(settings)
    try:
        yield EventStoreConnections(cast(Any, cases.recorder).datastore)
    finally:
        cases.close()


@contextmanager
def _read_model_database(settings: Settings) -> Iterator[Database]:
    from services.cases.application import Cases
    from services.cases.projections.store import ReadModelStore

    cases = Cases.open(settings)
    datastore = cast(Any, cases.recorder).datastore if settings.uses_postgres else None
    store = ReadModelStore(settings, datastore=datastore)
    try:
        yield store.db
    finally:
        store.close()
        cases.close()


@contextmanager
def _notify_database(settings: Settings) -> Iterator[Database]:
    from services.notify.db import open_database

    db = open_database(settings)
    try:
        yield db
    finally:
        db.close()


def _components() -> list[_Component]:
    from services.cases import migrations as cases
    from services.cases.projections import migrations as read_models
    from services.notify import migrations as notify

    return [
        _Component(cases.COMPONENT, cases.migrations, cases.upgrade, _case_tables),
        _Component(
            read_models.COMPONENT, read_models.migrations, read_models.upgrade, _read_model_database
        ),
        _Component(notify.COMPONENT, notify.migrations, notify.upgrade, _notify_database),
    ]


@click.group("db")
def db() -> None:
    """The databases beside the event store: their versioned migrations."""


@db.command("upgrade")
def upgrade_command() -> None:
    """Apply the migrations each database has not had yet."""
    upgrade_all(Settings.from_env())


def upgrade_all(settings: Settings) -> None:
    """Applies every database's pending migrations, saying what each had."""
    for component in _components():
        with component.open(settings) as database:
            applied = component.upgrade(database)
        click.echo(f"{component.name}: applied {applied or 'nothing'}")


@db.command("status")
def status_command() -> None:
    """Show which migrations each database has had, and which it has not."""
    settings = Settings.from_env()
    for component in _components():
        with component.open(settings) as database:
            done = applied_versions(database, component.name)
        for migration in component.migrations():
            mark = "applied" if migration.version in done else "pending"
            click.echo(f"{component.name} {migration.version:04d} {migration.name}: {mark}")
