"""The access log as release 1 created it.

`IF NOT EXISTS`: a database made by that release, before migrations were recorded, is
adopted as it is, and only the record that version 1 is there is added.
"""

from __future__ import annotations

from shared.sql import Transaction


def upgrade(tx: Transaction) -> None:
    """Creates the access log and its indexes."""
    key = "BIGSERIAL PRIMARY KEY" if tx.postgres else "INTEGER PRIMARY KEY AUTOINCREMENT"
    tx.execute(
        f"CREATE TABLE IF NOT EXISTS careledger_access_log (id {key}, at TEXT NOT NULL, "
        "username TEXT NOT NULL, role TEXT NOT NULL, case_id TEXT NOT NULL, "
        "jurisdiction TEXT NOT NULL, purpose TEXT NOT NULL, request_id TEXT NOT NULL)"
    )
    for column in ("case_id", "username", "at"):
        tx.execute(
            f"CREATE INDEX IF NOT EXISTS careledger_access_log_{column} "
            f"ON careledger_access_log ({column})"
        )
