"""Work on a case: visits, guardian changes, school changes, interventions."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from marshmallow import fields, validate

from shared.vocabulary import SCHOOL_CHANGES

from .blueprint import Blueprint
from .http import actor, expected_version, idempotency_key, service, write_answer
from .schemas import (
    CaseSchema,
    GuardianChangeSchema,
    InterventionClosureSchema,
    InterventionSchema,
    IsoDate,
    ProgressSchema,
    Strict,
    VisitSchema,
)

blp = Blueprint(
    "case_work",
    __name__,
    url_prefix="/api/v1/cases",
    description="Visits, guardian changes and interventions",
)


@blp.route("/<uuid:case_id>/visits", methods=["POST"])
@blp.arguments(VisitSchema)
@blp.response(200, CaseSchema)
def record_visit(visit: dict[str, Any], case_id: UUID) -> Any:
    """Record a home, phone, video or school visit"""
    return write_answer(
        service().cases.record_visit(actor(), case_id, visit, expected_version(), idempotency_key())
    )


@blp.route("/<uuid:case_id>/guardian-changes", methods=["POST"])
@blp.arguments(GuardianChangeSchema)
@blp.response(200, CaseSchema)
def change_guardian(change: dict[str, Any], case_id: UUID) -> Any:
    """Record who now looks after the child"""
    return write_answer(
        service().cases.change_guardian(
            actor(), case_id, change, expected_version(), idempotency_key()
        )
    )


class SchoolChangeSchema(Strict):
    change = fields.String(required=True, validate=validate.OneOf(SCHOOL_CHANGES))
    changed_on = IsoDate(required=True)
    school_name = fields.String(load_default=None, allow_none=True)
    grade = fields.String(load_default=None, allow_none=True)
    note = fields.String(load_default=None, allow_none=True)


@blp.route("/<uuid:case_id>/school-changes", methods=["POST"])
@blp.arguments(SchoolChangeSchema)
@blp.response(200, CaseSchema)
def change_school(change: dict[str, Any], case_id: UUID) -> Any:
    """Record a school change: enrolled at a new school, returned, or dropped out"""
    return write_answer(
        service().cases.change_school(
            actor(), case_id, change, expected_version(), idempotency_key()
        )
    )


class SiteAttendanceSchema(Strict):
    site_id = fields.String(required=True, metadata={"format": "uuid"})
    attended_on = IsoDate(required=True)


class SiteLeavingSchema(Strict):
    left_on = IsoDate(required=True)


@blp.route("/<uuid:case_id>/site-attendance", methods=["POST"])
@blp.arguments(SiteAttendanceSchema)
@blp.response(200, CaseSchema)
def attend_site(attendance: dict[str, Any], case_id: UUID) -> Any:
    """Record that the child attends a care site (an open one, in the case's county)"""
    return write_answer(
        service().cases.attend_site(
            actor(), case_id, attendance, expected_version(), idempotency_key()
        )
    )


@blp.route("/<uuid:case_id>/site-leaving", methods=["POST"])
@blp.arguments(SiteLeavingSchema)
@blp.response(200, CaseSchema)
def leave_site(leaving: dict[str, Any], case_id: UUID) -> Any:
    """Record that the child no longer attends her care site"""
    return write_answer(
        service().cases.leave_site(actor(), case_id, leaving, expected_version(), idempotency_key())
    )


@blp.route("/<uuid:case_id>/interventions", methods=["POST"])
@blp.arguments(InterventionSchema)
@blp.response(201, CaseSchema)
def open_intervention(intervention: dict[str, Any], case_id: UUID) -> Any:
    """Open an intervention; the answer carries its `intervention_id`"""
    return write_answer(
        service().cases.open_intervention(
            actor(), case_id, intervention, expected_version(), idempotency_key()
        )
    )


@blp.route("/<uuid:case_id>/interventions/<string:intervention_id>/progress", methods=["POST"])
@blp.arguments(ProgressSchema)
@blp.response(200, CaseSchema)
def progress_intervention(progress: dict[str, Any], case_id: UUID, intervention_id: str) -> Any:
    """Add a progress note to an open intervention"""
    return write_answer(
        service().cases.progress_intervention(
            actor(), case_id, intervention_id, progress, expected_version(), idempotency_key()
        )
    )


@blp.route("/<uuid:case_id>/interventions/<string:intervention_id>/closure", methods=["POST"])
@blp.arguments(InterventionClosureSchema)
@blp.response(200, CaseSchema)
def close_intervention(closure: dict[str, Any], case_id: UUID, intervention_id: str) -> Any:
    """Close an open intervention with its outcome"""
    return write_answer(
        service().cases.close_intervention(
            actor(), case_id, intervention_id, closure, expected_version(), idempotency_key()
        )
    )
