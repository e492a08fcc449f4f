"""The names notifications give places by. Counties and townships come with the code
(`shared.jurisdictions`); villages are a deployment's reference data, imported into
notify's database by `careledger divisions import` beside the case service's copy, and
held here in memory by the notify process (loaded at start and every ten minutes), so
that wording a notification asks no database."""

from __future__ import annotations

from collections.abc import Iterable

from shared.sql import Database

_names: dict[str, str] = {}


def name_of(code: str) -> str | None:
    """The imported name of `code`, None when there is none."""
    return _names.get(code)


def load(db: Database) -> int:
    """Replaces the names in memory with notify's table; answers how many."""
    with db.transaction(write=False) as tx:
        rows = tx.all("SELECT code, name FROM place_names")
    global _names
    _names = {str(row["code"]): str(row["name"]) for row in rows}
    return len(_names)


def store(db: Database, names: Iterable[tuple[str, str]]) -> int:
    """Writes (code, name) pairs into notify's table (a name changed replaces the old);
    answers how many were given."""
    rows = list(names)
    with db.transaction() as tx:
        tx.execute_many(
            "INSERT INTO place_names (code, name) VALUES (?, ?) "
            "ON CONFLICT (code) DO UPDATE SET name = excluded.name",
            rows,
        )
    return len(rows)


class PlaceNamesLoop:
    """A Loop (shared/runner.py) that reloads the names every time it runs."""

    name = "place-names"

    def __init__(self, db: Database) -> None:
        self.db = db

    def run_once(self) -> int:
        load(self.db)
        return 0  # the runner then waits its idle time: ten minutes

    def close(self) -> None:
        pass
