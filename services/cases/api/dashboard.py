"""The dashboard: summary, breakdown one level down, monthly trend and the ranking for
the assessment (考核), each for a scope inside the caller's own (default: that scope)."""

from __future__ import annotations

from datetime import date
from typing import Any

from marshmallow import RAISE, Schema, fields

from .blueprint import Blueprint
from .http import actor, service
from .read_schemas import (
    PlacesQuerySchema,
    PlacesSchema,
    RankingQuerySchema,
    SummaryQuerySchema,
    TrendQuerySchema,
)
from .reads import served_headers

blp = Blueprint(
    "dashboard",
    __name__,
    url_prefix="/api/v1/dashboard",
    description="Figures per jurisdiction, from the read models",
)


class _Place(Schema):
    code = fields.String()
    level = fields.String()
    name = fields.String()
    as_of = fields.String()


class SummarySchema(_Place):
    cases = fields.Dict()
    guardian_types = fields.Dict()
    no_guardian = fields.Integer()
    risk_levels = fields.Dict()
    emotional_states = fields.Dict()
    this_month = fields.Dict()
    visit_coverage = fields.Dict()
    overdue_visits = fields.Integer()
    entrustment = fields.Dict()
    school = fields.Dict()
    school_dropouts = fields.Integer()
    interventions = fields.Dict()
    mandatory_reports = fields.Dict()
    workload = fields.Dict()
    pending_review = fields.Dict(
        metadata={
            "description": "Review before it counts (复核): the other figures count confirmed "
            "cases; new_cases: identifications by child directors not yet confirmed (of "
            "which returned: sent back for correction); changes: counted cases with a "
            "director's change of key facts awaiting review; total."
        }
    )


class BreakdownSchema(_Place):
    rows = fields.List(fields.Dict())


class TrendSchema(_Place):
    months = fields.List(fields.Dict())


class RankingSchema(_Place):
    ranked_level = fields.String()
    rows = fields.List(fields.Dict())


def _as_of(query: dict[str, Any]) -> date:
    given = query.get("as_of")
    return date.fromisoformat(given) if given else service().cases.clock.today()


def _basis(query: dict[str, Any]) -> str | None:
    """Which daily series answers a past as_of (None: today's counters)."""
    given = query.get("as_of")
    if not given or date.fromisoformat(given) >= service().cases.clock.today():
        return None
    return "effective" if query.get("recomputed") else "recorded"


@blp.route("/summary", methods=["GET"])
@blp.arguments(SummaryQuerySchema, location="query", unknown=RAISE)
@blp.response(200, SummarySchema)
def summary(query: dict[str, Any]) -> Any:
    """Every figure for one scope (the police: mandatory reports only)"""
    served = service().read_models.summary(
        actor(), query.get("scope"), _as_of(query), query.get("min_position"), _basis(query)
    )
    return served.value, 200, served_headers(served)


@blp.route("/breakdown", methods=["GET"])
@blp.arguments(SummaryQuerySchema, location="query", unknown=RAISE)
@blp.response(200, BreakdownSchema)
def breakdown(query: dict[str, Any]) -> Any:
    """The main figures of each jurisdiction one level below the scope"""
    served = service().read_models.breakdown(
        actor(), query.get("scope"), _as_of(query), query.get("min_position"), _basis(query)
    )
    return served.value, 200, served_headers(served)


@blp.route("/trend", methods=["GET"])
@blp.arguments(TrendQuerySchema, location="query", unknown=RAISE)
@blp.response(200, TrendSchema)
def trend(query: dict[str, Any]) -> Any:
    """Month by month: identified, visited, interventions, closed, active at month end"""
    served = service().read_models.trend(
        actor(), query.get("scope"), _as_of(query), query["months"], query.get("min_position")
    )
    return served.value, 200, served_headers(served)


@blp.route("/ranking", methods=["GET"])
@blp.arguments(RankingQuerySchema, location="query", unknown=RAISE)
@blp.response(200, RankingSchema)
def ranking(query: dict[str, Any]) -> Any:
    """Counties or townships ranked by visit coverage, timeliness and entrustment (考核)"""
    served = service().read_models.ranking(
        actor(),
        query.get("scope"),
        query.get("level"),
        _as_of(query),
        query.get("min_position"),
        _basis(query),
    )
    return served.value, 200, served_headers(served)


@blp.route("/places", methods=["GET"])
@blp.arguments(PlacesQuerySchema, location="query", unknown=RAISE)
@blp.response(200, PlacesSchema)
def places(query: dict[str, Any]) -> Any:
    """The names of division codes in the caller's scope or above it (headings and
    breadcrumbs show places, not codes); a code without a stored name is left out"""
    return {"names": service().read_models.place_names(actor(), query["code"])}
