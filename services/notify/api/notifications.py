"""The caller's inbox: list it, mark a notification read."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint
from marshmallow import RAISE

from services.notify.api.auth import username
from services.notify.api.http import service
from services.notify.api.reading import inbox, mark_read
from services.notify.api.schemas import InboxPageSchema, InboxQuerySchema, NotificationSchema

blp = Blueprint(
    "notifications",
    __name__,
    url_prefix="/api/v1/notifications",
    description="Each user's inbox of notifications",
)


@blp.route("", methods=["GET"])
@blp.arguments(InboxQuerySchema, location="query", unknown=RAISE)
@blp.response(200, InboxPageSchema)
def list_notifications(query: dict[str, Any]) -> Any:
    """The caller's notifications, newest first; `unread=true` for the unread ones only"""
    page = inbox(
        service().db,
        username(),
        unread_only=query["unread"],
        page=query["page"],
        per_page=query["per_page"],
    )
    return {
        "items": page.items,
        "total": page.total,
        "unread": page.unread,
        "page": page.page,
        "per_page": page.per_page,
    }


# Ids are 64-bit: a larger one names nothing (404) rather than overflowing the database.
@blp.route("/<int(max=9223372036854775807):notification_id>/read", methods=["POST"])
@blp.response(200, NotificationSchema)
def read(notification_id: int) -> Any:
    """Mark one of the caller's notifications read (again: no change)"""
    return mark_read(service().db, username(), notification_id, service().clock.now())
