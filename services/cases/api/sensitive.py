"""Reads beyond the usual view, each with a stated reason that is logged: an auditor's
one field of one case in clear, and break-the-glass (a user's emergency access to a case
outside her scope). docs/personal-data.md and docs/security.md."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from marshmallow import RAISE, Schema, fields

from .blueprint import Blueprint
from .http import actor, log_reads, service
from .presenters import field_value
from .schemas import Strict, _text

blp = Blueprint(
    "sensitive",
    __name__,
    url_prefix="/api/v1/cases",
    description="Reasoned reads: a masked field in clear, emergency access",
)


class ReasonQuerySchema(Strict):
    reason = _text(500, metadata={"description": "Why you need it; logged with the read."})


class ReasonSchema(Strict):
    reason = _text(500, metadata={"description": "Why you need it; logged and notified."})


class FieldSchema(Schema):
    case_id = fields.String()
    field = fields.String()
    value = fields.Raw(allow_none=True)


class EmergencyAccessSchema(Schema):
    case_id = fields.String()
    username = fields.String()
    expires_at = fields.String()


@blp.route("/<uuid:case_id>/fields/<string:field>", methods=["GET"])
@blp.arguments(ReasonQuerySchema, location="query", unknown=RAISE)
@blp.response(200, FieldSchema)
def reveal_field(query: dict[str, Any], case_id: UUID, field: str) -> Any:
    """Auditors: one field shown masked (ID number, a phone), in clear, with a reason"""
    case = service().cases.reveal_field(actor(), case_id, field, query["reason"])
    value = field_value(case, field)  # before logging: a field the case lacks is no read
    emergency = service().cases.reads_in_emergency(actor(), case_id)
    log_reads([case], f"reveal {field}: {query['reason']}", emergency=emergency)
    return {"case_id": str(case_id), "field": field, "value": value}


@blp.route("/<uuid:case_id>/emergency-access", methods=["POST"])
@blp.arguments(ReasonSchema)
@blp.response(201, EmergencyAccessSchema)
def emergency_access(body: dict[str, Any], case_id: UUID) -> Any:
    """Break-the-glass: read a case outside your scope for a few hours, with a reason"""
    who = actor()
    result = service().cases.request_emergency_access(who, case_id, body["reason"])
    until = result.case.emergency_access_until(who.username)
    assert until is not None  # just granted
    headers = {"X-Log-Position": str(result.position)} if result.position else {}
    answer = {"case_id": str(case_id), "username": who.username, "expires_at": until.isoformat()}
    return answer, 201, headers
