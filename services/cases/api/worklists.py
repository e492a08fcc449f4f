"""Worklists: overdue visits, children with no guardian, open mandatory reports, overdue
interventions; paginated, the most urgent first, inside the caller's scope. Each line
names a child, so every read is logged."""

from __future__ import annotations

from datetime import date
from typing import Any

from marshmallow import RAISE

from shared import field_views
from shared.http.problems import RequestError

from ..projections.read_models import WORKLISTS
from .blueprint import Blueprint
from .http import actor, log_reads, service
from .read_schemas import WorklistQuerySchema, WorklistSchema
from .reads import served_headers

blp = Blueprint(
    "worklists",
    __name__,
    url_prefix="/api/v1/worklists",
    description="What needs doing, from the read models",
)


@blp.route("/<string:name>", methods=["GET"])
@blp.arguments(WorklistQuerySchema, location="query", unknown=RAISE)
@blp.response(200, WorklistSchema)
def worklist(query: dict[str, Any], name: str) -> Any:
    """A worklist: overdue-visits, no-guardian, mandatory-reports, overdue-interventions,
    awaiting-review or returned-for-correction"""
    if name not in WORKLISTS:
        raise RequestError(404, "name", f"no worklist {name!r}; there are {', '.join(WORKLISTS)}")
    given = query.get("as_of")
    today = date.fromisoformat(given) if given else service().cases.clock.today()
    served = service().read_models.worklist(
        actor(),
        name,
        query.get("scope"),
        today=today,
        page=query["page"],
        per_page=query["per_page"],
        assignee=query.get("assignee"),
        min_position=query.get("min_position"),
    )
    log_reads(served.value.items, query.get("purpose", f"worklist:{name}"))
    role = actor().role
    body = {
        "worklist": name,
        "scope": query.get("scope") or actor().scope,
        "as_of": today.isoformat(),
        "items": [
            {
                "case": field_views.case_view(role, item.case.view),
                # An intervention of another department is not the caller's to read.
                "intervention": item.intervention
                if item.intervention is None
                or field_views.shows_intervention(role, item.intervention)
                else None,
                "days_overdue": item.days_overdue,
            }
            for item in served.value.items
        ],
        "total": served.value.total,
        "page": query["page"],
        "per_page": query["per_page"],
    }
    return body, 200, served_headers(served)
