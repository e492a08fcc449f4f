"""The inbox API's input and output schemas (marshmallow). Unknown parameters are
refused. These are HTTP schemas, not the stream contracts of shared/contracts.py."""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate


class InboxQuerySchema(Schema):
    """?unread=true&page=1&per_page=20"""

    class Meta:
        unknown = RAISE

    unread = fields.Boolean(load_default=False)
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


class NotificationSchema(Schema):
    """One notification: what, where, which case; never the child's personal data."""

    id = fields.Integer()
    kind = fields.String(metadata={"example": "no_guardian"})
    level = fields.Integer(metadata={"description": "1, or 2 for an escalation"})
    title = fields.String()
    body = fields.String()
    case_id = fields.String()
    case_url = fields.String(metadata={"description": "the case in the case service's API"})
    page_url = fields.String(
        metadata={"description": "the case's page in the web app the case service serves"}
    )
    intervention_id = fields.String(allow_none=True)
    jurisdiction = fields.String(metadata={"example": "360124105203"})
    event_id = fields.String(allow_none=True)
    occurred_at = fields.String(
        metadata={"description": "the event's instant, or the due date for time-based rules"}
    )
    created_at = fields.String()
    read_at = fields.String(allow_none=True)
    read = fields.Boolean()


class InboxPageSchema(Schema):
    """A page of the caller's inbox, newest first."""

    items = fields.List(fields.Nested(NotificationSchema))
    total = fields.Integer(metadata={"description": "how many match the filter"})
    unread = fields.Integer(metadata={"description": "how many are unread in all"})
    page = fields.Integer()
    per_page = fields.Integer()
