"""Audit: who read which child's record."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from flask import Response, stream_with_context
from marshmallow import RAISE

from shared.roles import Capability

from ..access import require, require_in_scope
from ..access_log import AccessQuery
from .blueprint import Blueprint
from .http import actor, log_reads, service
from .presenters import access_entry_view
from .schemas import AccessEntrySchema, AccessLogQuerySchema, AuditVerifyQuerySchema


@dataclass(frozen=True)
class ExportedCase:
    """A case in an export, as the access log records a read of it."""

    id: UUID
    jurisdiction: str


blp = Blueprint("audit", __name__, url_prefix="/api/v1/audit", description="For auditors")


@blp.route("/access-log", methods=["GET"])
@blp.arguments(AccessLogQuerySchema, location="query", unknown=RAISE)
@blp.response(
    200,
    AccessEntrySchema(many=True),
    headers={
        "X-Total-Count": {
            "description": "How many entries match the filters in all",
            "schema": {"type": "integer"},
        }
    },
)
def access_log(query: dict[str, Any]) -> Any:
    """Reads of children's records inside the auditor's scope, newest first; the header
    `X-Total-Count` says how many match the filters in all (the page holds `per_page`)"""
    case_id = query.get("case_id")
    entries, total = service().access_log.search_as(
        actor(),
        AccessQuery(
            case_id=str(case_id) if case_id else None,
            username=query.get("username"),
            since=query.get("since"),
            until=query.get("until"),
            page=query["page"],
            per_page=query["per_page"],
        ),
    )
    return [access_entry_view(e) for e in entries], 200, {"X-Total-Count": str(total)}


@blp.route("/verify", methods=["GET"])
@blp.arguments(AuditVerifyQuerySchema, location="query", unknown=RAISE)
@blp.response(200)
def verify(query: dict[str, Any]) -> Any:
    """Recompute the hash chains, checkpoints and access log; the cases of `scope` (by
    default the auditor's own) with the first event of each that fails, and the first
    checkpoint that fails (docs/auditors.md)"""
    caller = actor()
    require(caller, Capability.READ_AUDIT)
    scope = query.get("scope") or caller.scope
    require_in_scope(caller, scope, "scope")
    return service().audit_verifier().run(scope).to_json()


@blp.route("/export", methods=["GET"])
@blp.arguments(AuditVerifyQuerySchema, location="query", unknown=RAISE)
@blp.response(200)
def export(query: dict[str, Any]) -> Any:
    """Every event of the cases of `scope` (by default the auditor's own) with its chain
    hashes, the checkpoints and the public key, as JSON Lines streamed in constant memory;
    verify it with `careledger audit verify-export` (docs/auditors.md, "The export")"""
    caller = actor()
    require(caller, Capability.READ_AUDIT)
    scope = query.get("scope") or caller.scope
    require_in_scope(caller, scope, "scope")
    # Every case exported is a read of a child's record: logged before a line leaves.
    lines = (
        service()
        .audit_exporter()
        .lines(
            scope,
            on_cases=lambda cases: log_reads(
                [ExportedCase(UUID(case), where) for case, where in cases.items()], "audit_export"
            ),
        )
    )
    return Response(
        stream_with_context(lines),
        mimetype="application/x-ndjson",
        headers={"Content-Disposition": f'attachment; filename="audit-{scope}.jsonl"'},
    )
