"""The Cases application's notification log, as the relay reads it."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.persistence import ApplicationRecorder

from services.cases.application import Cases


class CasesLog:
    """The global, ordered log of every event the Cases application stored (decrypted)."""

    def __init__(self, cases: Cases) -> None:
        self.cases = cases
        self.recorder: ApplicationRecorder = cases.recorder

    def select(self, after: int, limit: int) -> list[tuple[int, Any]]:
        """Up to `limit` (position, domain event) pairs after position `after`.

        Positions only ever grow in commit order: PostgreSQL appends under a table lock,
        SQLite has one writer. They may skip a number (a rolled-back PostgreSQL insert
        burns its sequence value); `previous_id` then shows the real predecessor."""
        notifications = self.recorder.select_notifications(after, limit, inclusive_of_start=False)
        return [(n.id, self.cases.mapper.to_domain_event(n)) for n in notifications]

    def head(self) -> int:
        """The highest position in the log (0 when empty)."""
        return self.recorder.max_notification_id() or 0

    def event_id_at(self, position: int) -> str | None:
        """The event id stored at `position`, None when there is none."""
        found = self.recorder.select_notifications(position, 1, stop=position)
        return f"{found[0].originator_id}:{found[0].originator_version}" if found else None

    def username_of(self, user_id: UUID) -> str:
        """The username of a user aggregate."""
        user: Any = self.cases.repository.get(user_id)
        return str(user.username)
