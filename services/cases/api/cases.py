"""Cases: identify a child, list and search, read a case (now or then) and its history."""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from uuid import UUID

from marshmallow import RAISE

from shared import field_views

from ..projections.queries import CaseFilter
from ..register.lookalikes import register_lookalikes
from .blueprint import Blueprint
from .http import actor, idempotency_key, log_reads, service, write_answer
from .presenters import case_view, history_entries, history_view
from .read_schemas import CaseListQuerySchema, CasePageSchema
from .reads import served_headers
from .schemas import (
    CaseQuerySchema,
    CaseSchema,
    HistoryQuerySchema,
    HistorySchema,
    IdentifySchema,
)

blp = Blueprint(
    "cases",
    __name__,
    url_prefix="/api/v1/cases",
    description="Identify children, list, read and replay cases",
)


@blp.route("", methods=["POST"])
@blp.arguments(IdentifySchema)
@blp.response(201, CaseSchema)
def identify(record: dict[str, Any]) -> Any:
    """Identify a left-behind child: opens a case"""
    svc, who = service(), actor()
    result = svc.cases.identify(who, record, idempotency_key())
    if not result.replayed:
        # Likely duplicates are flagged on the new case (an event), never refused.
        found = register_lookalikes(svc.read_models)(record)
        flagged = svc.cases.flag_duplicates(
            who, result.case.id, {alike.case_id: alike.reasons for alike in found}
        )
        # The answer's ETag is then the flagged version, the one a next write must name.
        result = replace(flagged, status=201, position=flagged.position) if flagged else result
    return write_answer(result)


@blp.route("", methods=["GET"])
@blp.arguments(CaseListQuerySchema, location="query", unknown=RAISE)
@blp.response(200, CasePageSchema)
def list_cases(query: dict[str, Any]) -> Any:
    """List and search the cases in the caller's scope (from the read models)"""
    filters = CaseFilter(
        **{
            k: query.get(k)
            for k in ("jurisdiction", "status", "risk_level", "guardian_type", "overdue", "q")
        }
    )
    served = service().read_models.list_cases(
        actor(),
        filters,
        page=query["page"],
        per_page=query["per_page"],
        today=service().cases.clock.today(),
        min_position=query.get("min_position"),
    )
    log_reads(served.value.items, query.get("purpose", "case_list"))
    body = {
        "items": [field_views.case_view(actor().role, row.view) for row in served.value.items],
        "total": served.value.total,
        "page": query["page"],
        "per_page": query["per_page"],
    }
    return body, 200, served_headers(served)


@blp.route("/<uuid:case_id>", methods=["GET"])
@blp.arguments(CaseQuerySchema, location="query", unknown=RAISE)
@blp.response(200, CaseSchema)
def get_case(query: dict[str, Any], case_id: UUID) -> Any:
    """A case now, or as it stood at `version` or at the instant `as_of`"""
    case = service().cases.get_case(
        actor(), case_id, version=query.get("version"), as_of=query.get("as_of")
    )
    emergency = service().cases.reads_in_emergency(actor(), case_id)
    log_reads([case], query.get("purpose"), emergency=emergency)
    today = service().cases.clock.today()
    return case_view(case, today, actor().role), 200, {"ETag": f'"{case.version}"'}


@blp.route("/<uuid:case_id>/history", methods=["GET"])
@blp.arguments(HistoryQuerySchema, location="query", unknown=RAISE)
@blp.response(200, HistorySchema)
def history(query: dict[str, Any], case_id: UUID) -> Any:
    """Every event of a case: type, version, when, by whom, and what it recorded"""
    history = service().cases.history(actor(), case_id)
    emergency = service().cases.reads_in_emergency(actor(), case_id)
    log_reads([history.case], query.get("purpose", "history"), emergency=emergency)
    events = history_view(actor().role, history_entries(history.events), history.case.interventions)
    body = {"case_id": str(case_id), "events": events}
    return body, 200, {"ETag": f'"{history.case.version}"'}
