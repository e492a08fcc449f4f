"""Notify's own database: a SQLite file by default, PostgreSQL when configured.

The SQL layer itself (connections, placeholders, transactions) is shared/sql.py, which
notify's modules import directly; this module only says which database notify opens.
"""

from __future__ import annotations

from shared.settings import Settings
from shared.sql import Database, PostgresPool, SqliteFile


def open_database(settings: Settings) -> Database:
    """The database `settings` name: PostgreSQL when a URL is set, else the file
    `$CARELEDGER_DATA_DIR/notify.sqlite`."""
    if settings.notify_database_url:
        return PostgresPool(
            settings.notify_database_url, schema=settings.notify_postgres_schema, pool_size=4
        )
    # FULL, not NORMAL: a commit is followed by an XACK, so it must survive a power cut,
    # or an acknowledged notification would be lost.
    return SqliteFile(settings.data_dir / "notify.sqlite", synchronous="FULL")
