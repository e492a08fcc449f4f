"""The hooks into eventsourcing: a mapper that hands the recorder each event's facts,
and application recorders for SQLite and PostgreSQL that write the chain's links in the
transaction that inserts the events. `Cases.construct_env` names them by topic."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from eventsourcing.domain import DomainEventProtocol, Snapshot
from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor
from psycopg import Cursor
from psycopg.rows import DictRow

from shared.sql import Dialect, Transaction

from ..keys.sealing import SealingMapper
from .links import ChainedStoredEvent, facts_of, write_links

MAPPER_TOPIC = "services.cases.audit.recorders:AuditMapper"
RECORDER_TOPICS = {
    "eventsourcing.sqlite": "services.cases.audit.recorders:ChainedSQLiteRecorder",
    "eventsourcing.postgres": "services.cases.audit.recorders:ChainedPostgresRecorder",
}


class AuditMapper(SealingMapper):
    """eventsourcing's mapper (sealing personal data under per-case keys), whose stored
    events also carry what the chain hashes: the facts of the event as the domain made
    it, before sealing, so a digest stands for the value and not for its ciphertext."""

    def to_stored_event(self, domain_event: DomainEventProtocol[UUID]) -> StoredEvent:
        stored = super().to_stored_event(domain_event)
        if isinstance(domain_event, Snapshot):  # snapshots are derived: not chained
            return stored
        return ChainedStoredEvent(
            originator_id=stored.originator_id,
            originator_version=stored.originator_version,
            topic=stored.topic,
            state=stored.state,
            facts=facts_of(domain_event),
        )


class ChainedSQLiteRecorder(SQLiteApplicationRecorder):
    """Inserts the events, then their links, on the same cursor."""

    def _insert_events(
        self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        positions = super()._insert_events(c, stored_events, **kwargs)
        write_links(Transaction(c.sqlite_cursor, Dialect.SQLITE), "", stored_events, positions)
        return positions


class ChainedPostgresRecorder(PostgresApplicationRecorder):
    """Inserts the events (under the table lock that orders appends), then their links."""

    def _fetch_ids_after_insert_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        positions = super()._fetch_ids_after_insert_events(curs, stored_events, **kwargs)
        tx = Transaction(curs, Dialect.POSTGRES)
        write_links(tx, self.datastore.schema, stored_events, positions)
        return positions
