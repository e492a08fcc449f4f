"""Reading one's inbox and marking notifications read: always the caller's own rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from services.notify.route.wording import case_link
from shared.sql import Database

_COLUMNS = (
    "id, kind, level, title, body, case_id, intervention_id, jurisdiction, "
    "event_id, occurred_at, created_at, read_at"
)


class NotificationNotFoundError(LookupError):
    """Raised when a notification does not exist or is not the caller's."""


@dataclass(frozen=True)
class InboxPage:
    """One page of an inbox, newest first."""

    items: list[dict[str, Any]]
    total: int
    unread: int
    page: int
    per_page: int


def inbox(db: Database, username: str, *, unread_only: bool, page: int, per_page: int) -> InboxPage:
    """The page `page` of `username`'s notifications, newest first."""
    only_unread = " AND read_at IS NULL" if unread_only else ""
    with db.transaction() as tx:
        counts = tx.one(
            "SELECT COUNT(*) AS total, COALESCE(SUM(CASE WHEN read_at IS NULL "
            "THEN 1 ELSE 0 END), 0) AS unread FROM notifications "
            "WHERE recipient = ?",
            (username,),
        )
        rows = tx.all(
            f"SELECT {_COLUMNS} FROM notifications WHERE recipient = ?{only_unread} "
            "ORDER BY id DESC LIMIT ? OFFSET ?",
            (username, per_page, (page - 1) * per_page),
        )
    assert counts is not None
    unread = int(counts["unread"])
    total = unread if unread_only else int(counts["total"])
    return InboxPage([_view(r) for r in rows], total, unread, page, per_page)


def mark_read(db: Database, username: str, notification_id: int, now: datetime) -> dict[str, Any]:
    """Marks the caller's notification read (the first reading time stays); returns it."""
    with db.transaction() as tx:
        tx.execute(
            "UPDATE notifications SET read_at = ? WHERE id = ? AND recipient = ? "
            "AND read_at IS NULL",
            (now.isoformat(), notification_id, username),
        )
        row = tx.one(
            f"SELECT {_COLUMNS} FROM notifications WHERE id = ? AND recipient = ?",
            (notification_id, username),
        )
    if row is None:
        raise NotificationNotFoundError("no such notification in your inbox")
    return _view(row)


def _view(row: dict[str, Any]) -> dict[str, Any]:
    return {
        **row,
        "id": int(row["id"]),
        "read": row["read_at"] is not None,
        "case_url": f"/api/v1/cases/{row['case_id']}",
        "page_url": case_link(row["case_id"]),
    }
