"""What a form needs to know before it submits, answered from the one place each rule
lives: the vocabularies (shared/vocabulary.py), the facts a correction may name
(domain/corrections.py), today's date in China by the service's clock, and whether a
child is left behind (domain/eligibility.py, asked with the form's values so the web
form explains the very rule the server will apply, not a second copy of it)."""

from __future__ import annotations

from datetime import date
from typing import Any

from marshmallow import fields, validate

from shared import vocabulary as v

from ..domain.corrections import CORRECTABLE
from ..domain.eligibility import check_eligible
from ..domain.errors import NotEligibleError
from .blueprint import Blueprint
from .http import service
from .schemas import IsoDate, Strict

blp = Blueprint(
    "rules",
    __name__,
    url_prefix="/api/v1/rules",
    description="The vocabularies and rules a form explains before it submits",
)

VOCABULARIES = {
    "sexes": v.SEXES,
    "school_statuses": v.SCHOOL_STATUSES,
    "parent_relations": v.PARENT_RELATIONS,
    "parent_statuses": v.PARENT_STATUSES,
    "guardian_types": v.GUARDIAN_TYPES,
    "entrustable_guardian_types": v.ENTRUSTABLE_GUARDIAN_TYPES,
    "capacities": v.CAPACITIES,
    "sources": v.SOURCES,
    "visit_modes": v.VISIT_MODES,
    "living_conditions": v.LIVING_CONDITIONS,
    "school_attendance": v.SCHOOL_ATTENDANCE,
    "emotional_states": v.EMOTIONAL_STATES,
    "safety_concerns": v.SAFETY_CONCERNS,
    "concerns_of_harm": v.CONCERNS_OF_HARM,
    "risk_levels": v.RISK_LEVELS,
    "intervention_kinds": v.INTERVENTION_KINDS,
    "departments": v.DEPARTMENTS,
    "urgencies": v.URGENCIES,
    "closure_reasons": v.CLOSURE_REASONS,
    "erasure_bases": v.ERASURE_BASES,
    "school_changes": v.SCHOOL_CHANGES,
    "site_kinds": v.SITE_KINDS,
    "site_statuses": v.SITE_STATUSES,
}


class RulesSchema(Strict):
    today = fields.String(metadata={"description": "Today's date in China (YYYY-MM-DD)."})
    vocabularies = fields.Dict(keys=fields.String(), values=fields.List(fields.String()))
    correctable_fields = fields.List(fields.String())
    eligibility = fields.Dict()
    visit_interval_days = fields.Dict(keys=fields.String(), values=fields.Integer())


class EligibilityQuestionSchema(Strict):
    birth_date = IsoDate(required=True)
    # A parent not given is unknown to the identifier, as in the identify body.
    father = fields.String(validate=validate.OneOf(v.PARENT_STATUSES), load_default=None)
    mother = fields.String(validate=validate.OneOf(v.PARENT_STATUSES), load_default=None)
    # The identification date; today when not given.
    on = IsoDate(load_default=None)


class EligibilityAnswerSchema(Strict):
    eligible = fields.Boolean()
    reason = fields.String(allow_none=True)
    field = fields.String(allow_none=True)


@blp.route("", methods=["GET"])
@blp.response(200, RulesSchema)
def rules() -> Any:
    """The vocabularies, the correctable facts, today and the eligibility rule's terms"""
    return {
        "today": service().cases.clock.today().isoformat(),
        "vocabularies": {name: list(terms) for name, terms in VOCABULARIES.items()},
        "correctable_fields": list(CORRECTABLE),
        "eligibility": {
            "age_limit_years": v.AGE_LIMIT_YEARS,
            "parent_unable_statuses": sorted(v.PARENT_UNABLE_STATUSES),
        },
        "visit_interval_days": dict(v.VISIT_INTERVAL_DAYS),
    }


@blp.route("/eligibility", methods=["GET"])
@blp.arguments(EligibilityQuestionSchema, location="query")
@blp.response(200, EligibilityAnswerSchema)
def eligibility(question: dict[str, Any]) -> Any:
    """Whether a child is left behind: the identify command's own rule, writing nothing"""
    on = question["on"] or service().cases.clock.today().isoformat()
    parents = [
        {"relation": relation, "status": question[relation]}
        for relation in v.PARENT_RELATIONS
        if question[relation] is not None
    ]
    try:
        check_eligible(date.fromisoformat(question["birth_date"]), parents, date.fromisoformat(on))
    except NotEligibleError as refusal:
        return {"eligible": False, "reason": str(refusal), "field": refusal.field}
    return {"eligible": True, "reason": None, "field": None}
