"""The case service's event log, read straight from its event store: the one place notify
reads the case store, deliberately, for `careledger notify reconcile`, which checks what
notify recorded against the truth without trusting the Redis stream it is checking.

Events are turned into stream envelopes by the relay's own mapping and checked by the
contract (shared/contracts.py), so reconcile sees exactly what notify would have been
handed, and can repair through the same handling path. Only the event types that raise
the must-never-miss alerts are read, and the user events that say who should hear them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from uuid import UUID

from eventsourcing.utils import get_topic

from services.cases.application import Cases
from services.cases.relay.entries import RELAY, EntryMapper
from services.notify.operate.reconcile import RECONCILE
from shared.contracts import Envelope, parse_entry, stream_id
from shared.settings import Settings


def _watched() -> list[type]:
    """The event classes reconciliation reads (RECONCILE handles their stream type):
    those that may raise a must-never-miss alert, and the users who should hear them."""
    watched = []
    for event_class in RELAY.handled:
        mapping = RELAY.handler(event_class)
        if mapping is not None and RECONCILE.handles(mapping.type):
            watched.append(event_class)
    return watched


class CaseStoreMissingError(RuntimeError):
    """Raised when the case service's event store is not where the settings say."""


class CaseLog:
    """The watched events of the case store, in log order, as envelopes."""

    def __init__(self, settings: Settings) -> None:
        sqlite_file = settings.data_dir / "cases.sqlite"
        if not settings.uses_postgres and not sqlite_file.exists():
            raise CaseStoreMissingError(
                f"no case store at {sqlite_file}: set CARELEDGER_DATA_DIR (or "
                "CARELEDGER_DATABASE_URL) as the case service has it"
            )
        self.cases = Cases.open(settings)
        # The mapper remembers the names of the registrations it maps (they come first
        # in the log); a lookup in the store is the rare fallback.
        self._mapper = EntryMapper(self._username_of)
        self._topics = sorted(get_topic(event_class) for event_class in _watched())

    def head(self) -> int:
        """The highest position in the log (0 when empty)."""
        return self.cases.recorder.max_notification_id() or 0

    def envelopes(self, *, page: int = 1000) -> Iterator[Envelope]:
        """Every watched event, oldest first."""
        position = 0
        while batch := self.cases.recorder.select_notifications(
            position, page, topics=self._topics, inclusive_of_start=False
        ):
            for notification in batch:
                event = self.cases.mapper.to_domain_event(notification)
                entry = self._mapper.to_entry(notification.id, event)
                # Handling never looks at the predecessor; the contract wants one.
                entry["previous_id"] = (
                    stream_id(notification.id - 1) if notification.id > 1 else "0-0"
                )
                yield parse_entry(entry)
            position = batch[-1].id

    def close(self) -> None:
        """Releases the event store's connections."""
        self.cases.close()

    def _username_of(self, user_id: UUID) -> str:
        user: Any = self.cases.repository.get(user_id)
        return str(user.username)
