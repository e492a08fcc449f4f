"""Schemas of the calls answered from the read models: the case list, the dashboard and
the worklists. Every one accepts `min_position` (read-your-writes)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from shared import vocabulary as v

from .schemas import IsoDate, Strict, _scope_code, _term, _text

_MIN_POSITION = (
    "Wait (up to 2 s) until the read models include this log position, as given by a "
    "write's X-Log-Position header. The answer's X-Read-Model-Position says which position "
    "it reflects; X-Read-Model-Behind: true that it is still short of this one."
)


def _min_position() -> fields.Integer:
    return fields.Integer(validate=validate.Range(min=0), metadata={"description": _MIN_POSITION})


def _page() -> fields.Integer:
    return fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))


def _per_page() -> fields.Integer:
    return fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


def _scope() -> fields.String:
    return fields.String(
        validate=_scope_code,
        metadata={
            "description": "A jurisdiction code inside the caller's scope (default: the scope)."
        },
    )


class CaseListQuerySchema(Strict):
    jurisdiction = fields.String(validate=_scope_code)
    status = _term(v.CASE_STATUSES)
    risk_level = _term(v.RISK_LEVELS)
    guardian_type = _term(v.GUARDIAN_TYPES)
    overdue = fields.Boolean()
    q = _text(
        50,
        required=False,
        metadata={
            "description": "A child's name, its start or its end (王, 王小, 小明), or an ID number."
        },
    )
    page = _page()
    per_page = _per_page()
    purpose = _text(100, required=False)
    min_position = _min_position()


class ListedChildSchema(Schema):
    name = fields.String(allow_none=True)
    sex = fields.String(allow_none=True)
    birth_date = fields.String(allow_none=True)


class CaseRowSchema(Schema):
    """A case as lists and worklists show it (the full case is at /api/v1/cases/{id})."""

    id = fields.String()
    version = fields.Integer()
    status = fields.String()
    jurisdiction = fields.String()
    child = fields.Nested(ListedChildSchema)
    guardian_type = fields.String()
    guardian_since = fields.String()
    entrustment_signed = fields.Boolean()
    identified_on = fields.String()
    risk_level = fields.String(allow_none=True)
    last_visit_on = fields.String(allow_none=True)
    next_visit_due = fields.String()
    visit_overdue = fields.Boolean()
    visit_count = fields.Integer()
    school_status = fields.String()
    assigned_to = fields.String(allow_none=True)
    open_interventions = fields.Integer()
    has_mandatory_report = fields.Boolean()
    closed_on = fields.String(allow_none=True)
    review = fields.Dict(
        metadata={"description": "复核: status (confirmed, pending, returned), subject, since"}
    )
    likely_duplicates = fields.List(
        fields.String(),
        metadata={"description": "Cases it holds an open likely-duplicate flag for"},
    )


class CasePageSchema(Schema):
    items = fields.List(fields.Nested(CaseRowSchema))
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()


def _as_of() -> IsoDate:
    """The day figures are counted for (default: today). Bounded: the figures reach a
    few years back from it, and no register holds a child before 2000."""
    return IsoDate(
        validate=validate.Range(
            min="2000-01-01",
            max="2999-12-31",
            error="Must be a date from 2000-01-01 to 2999-12-31.",
        )
    )


class SummaryQuerySchema(Strict):
    scope = _scope()
    as_of = _as_of()
    recomputed = fields.Boolean(
        load_default=False,
        metadata={
            "description": "A past as_of: recount with today's corrections instead of the "
            "figures as they stood that day."
        },
    )
    min_position = _min_position()


class PlacesQuerySchema(Strict):
    code = fields.List(
        fields.String(validate=_scope_code),
        required=True,
        validate=validate.Length(min=1, max=50),
        metadata={"description": "Division codes (repeat the parameter; at most 50)."},
    )


class PlacesSchema(Schema):
    names = fields.Dict(keys=fields.String(), values=fields.String())


class TrendQuerySchema(Strict):
    scope = _scope()
    months = fields.Integer(load_default=12, validate=validate.Range(min=1, max=36))
    as_of = _as_of()
    min_position = _min_position()


class RankingQuerySchema(SummaryQuerySchema):
    level = fields.String(
        validate=validate.OneOf(("county", "township", "village")),
        metadata={"description": "Which level to rank (default: the one below the scope)."},
    )


class WorklistQuerySchema(Strict):
    scope = _scope()
    as_of = _as_of()
    assignee = _text(
        64,
        required=False,
        metadata={"description": "overdue-visits only: the cases of one child director."},
    )
    page = _page()
    per_page = _per_page()
    purpose = _text(100, required=False)
    min_position = _min_position()


class WorkItemSchema(Schema):
    case = fields.Nested(CaseRowSchema)
    intervention = fields.Dict(allow_none=True)
    days_overdue = fields.Integer(allow_none=True)


class WorklistSchema(Schema):
    worklist = fields.String()
    scope = fields.String()
    as_of = fields.String()
    items = fields.List(fields.Nested(WorkItemSchema))
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()
