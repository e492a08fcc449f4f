"""The periodic report for the joint meeting (联席会议) as PDF or Excel (docs/report.md):
counts from the dashboard's read models, for a scope inside the caller's own."""

from __future__ import annotations

from typing import Any

from flask import Response
from marshmallow import RAISE, ValidationError, fields, validate

from shared.roles import Role

from ..access import ForbiddenError
from ..reports.labels import LANGUAGES
from ..reports.period import PeriodError, parse
from ..reports.produce import FORMATS, produce
from .blueprint import Blueprint
from .http import actor, service
from .schemas import Strict, _scope_code

blp = Blueprint(
    "reports", __name__, url_prefix="/api/v1/reports", description="The periodic report"
)


def _period(value: str) -> None:
    try:
        parse(value)
    except PeriodError as error:
        raise ValidationError(str(error)) from None


class ReportQuerySchema(Strict):
    scope = fields.String(
        validate=_scope_code,
        metadata={"description": "A jurisdiction inside the caller's scope (default: it)."},
    )
    period = fields.String(
        required=True,
        validate=_period,
        metadata={"description": "A year (2026), a quarter (2026-Q3) or a month (2026-07)."},
    )
    format = fields.String(required=True, validate=validate.OneOf(tuple(FORMATS)))
    lang = fields.String(load_default="zh", validate=validate.OneOf(LANGUAGES))
    recomputed = fields.Boolean(
        load_default=False,
        metadata={"description": "Past periods recounted with today's corrections."},
    )


@blp.route("", methods=["GET"])
@blp.arguments(ReportQuerySchema, location="query", unknown=RAISE)
@blp.response(200, description="The report (.pdf or .xlsx)", content_type="application/pdf")
@blp.doc(
    responses={
        "200": {
            "description": "The report (.pdf or .xlsx)",
            "content": {
                content_type: {"schema": {"type": "string", "format": "binary"}}
                for content_type in FORMATS.values()
            },
        }
    }
)
def report(query: dict[str, Any]) -> Any:
    """The periodic report of a scope for a period, beside the period before (counts only)"""
    who = actor()
    if who.role is Role.POLICE:
        raise ForbiddenError("the police see only mandatory-report figures")
    done = produce(
        service().read_models,
        who,
        query.get("scope") or who.scope,
        parse(query["period"]),
        query["format"],
        query["lang"],
        service().cases.clock.today(),
        recomputed=query["recomputed"],
    )
    answer = Response(done.body, mimetype=done.content_type)
    answer.headers["Content-Disposition"] = f'attachment; filename="{done.filename}"'
    return answer
