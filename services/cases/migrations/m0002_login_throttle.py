"""Failed logins per username and per client address, for the login throttle
(services/cases/login_throttle.py). Kept in the event store's database so that every API
process sees the same counts."""

from __future__ import annotations

from shared.sql import Transaction


def upgrade(tx: Transaction) -> None:
    """Creates the login throttle's table: one row per key, dropped once it has expired."""
    tx.execute(
        "CREATE TABLE careledger_login_throttle (key TEXT PRIMARY KEY, "
        "failures INTEGER NOT NULL, last_failure TEXT NOT NULL, locked_until TEXT, "
        "expires TEXT NOT NULL)"
    )
    tx.execute(
        "CREATE INDEX careledger_login_throttle_expires ON careledger_login_throttle (expires)"
    )
