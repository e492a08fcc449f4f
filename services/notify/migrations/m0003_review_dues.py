"""Reviews waiting (复核, issue 11): one row per case whose latest submission for review
awaits the township supervisor, for the scheduler's review_waiting rule. Codes and dates
only, as the stream carries them; rebuilt from the log like due_dates."""

from __future__ import annotations

from shared.sql import Transaction


def upgrade(tx: Transaction) -> None:
    """Creates the review_dues table and its index."""
    tx.execute(
        "CREATE TABLE IF NOT EXISTS review_dues (case_id TEXT PRIMARY KEY, "
        "submission INTEGER NOT NULL, waiting_since TEXT NOT NULL, open INTEGER NOT NULL)"
    )
    tx.execute("CREATE INDEX IF NOT EXISTS review_dues_open ON review_dues (open, waiting_since)")
