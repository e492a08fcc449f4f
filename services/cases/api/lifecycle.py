"""The life of a case: assignment, transfer, closure, reopening, corrections."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from marshmallow import fields

from .blueprint import Blueprint
from .http import actor, expected_version, idempotency_key, service, write_answer
from .schemas import (
    AssignmentSchema,
    CaseSchema,
    ClosureSchema,
    CorrectionSchema,
    ErasureDeclineSchema,
    ErasureRequestSchema,
    ReopeningSchema,
    Strict,
    TransferSchema,
)

blp = Blueprint(
    "lifecycle",
    __name__,
    url_prefix="/api/v1/cases",
    description="Assign, transfer, close, reopen, correct, review and erase cases",
)


@blp.route("/<uuid:case_id>/assignment", methods=["POST"])
@blp.arguments(AssignmentSchema)
@blp.response(200, CaseSchema)
def assign(body: dict[str, Any], case_id: UUID) -> Any:
    """Assign the case to a child director of its village"""
    return write_answer(
        service().cases.assign(
            actor(), case_id, body["assignee"], expected_version(), idempotency_key()
        )
    )


@blp.route("/<uuid:case_id>/transfer", methods=["POST"])
@blp.arguments(TransferSchema)
@blp.response(200, CaseSchema)
def transfer(body: dict[str, Any], case_id: UUID) -> Any:
    """Move the case to another village when the family moves"""
    return write_answer(
        service().cases.transfer(actor(), case_id, body, expected_version(), idempotency_key())
    )


@blp.route("/<uuid:case_id>/closure", methods=["POST"])
@blp.arguments(ClosureSchema)
@blp.response(200, CaseSchema)
def close_case(body: dict[str, Any], case_id: UUID) -> Any:
    """Close the case with a reason"""
    return write_answer(
        service().cases.close_case(actor(), case_id, body, expected_version(), idempotency_key())
    )


@blp.route("/<uuid:case_id>/reopening", methods=["POST"])
@blp.arguments(ReopeningSchema)
@blp.response(200, CaseSchema)
def reopen(body: dict[str, Any], case_id: UUID) -> Any:
    """Reopen a closed case"""
    return write_answer(
        service().cases.reopen(actor(), case_id, body, expected_version(), idempotency_key())
    )


@blp.route("/<uuid:case_id>/corrections", methods=["POST"])
@blp.arguments(CorrectionSchema)
@blp.response(200, CaseSchema)
def correct(body: dict[str, Any], case_id: UUID) -> Any:
    """Correct an earlier fact; the history keeps the old value beside the new"""
    return write_answer(
        service().cases.correct(actor(), case_id, body, expected_version(), idempotency_key())
    )


@blp.route("/<uuid:case_id>/duplicates/<uuid:other_case_id>/dismissal", methods=["POST"])
@blp.response(200, CaseSchema)
def dismiss_duplicate(case_id: UUID, other_case_id: UUID) -> Any:
    """Dismiss a likely-duplicate flag: the two cases are two children (supervisors)"""
    return write_answer(
        service().cases.dismiss_duplicate(
            actor(), case_id, str(other_case_id), expected_version(), idempotency_key()
        )
    )


@blp.route("/<uuid:case_id>/duplicates/<uuid:other_case_id>/merge", methods=["POST"])
@blp.response(200, CaseSchema)
def merge_duplicate(case_id: UUID, other_case_id: UUID) -> Any:
    """Close this case as a duplicate of the other (the same child), linked both ways"""
    return write_answer(
        service().cases.merge_duplicate(
            actor(), case_id, other_case_id, expected_version(), idempotency_key()
        )
    )


# ---- erasure (issue 10: docs/personal-data.md#erasure) ----------------------------------


@blp.route("/<uuid:case_id>/erasure", methods=["POST"])
@blp.arguments(ErasureRequestSchema)
@blp.response(201, CaseSchema)
def request_erasure(body: dict[str, Any], case_id: UUID) -> Any:
    """Ask for a closed case's personal data to be erased (civil affairs, county or above)"""
    return write_answer(
        service().cases.request_erasure(
            actor(), case_id, body["basis"], body["reason"], expected_version(), idempotency_key()
        )
    )


@blp.route("/<uuid:case_id>/erasure/approval", methods=["POST"])
@blp.response(200, CaseSchema)
def approve_erasure(case_id: UUID) -> Any:
    """Approve the erasure asked for: its key is destroyed (a second person, not who asked)"""
    return write_answer(
        service().cases.approve_erasure(actor(), case_id, expected_version(), idempotency_key())
    )


@blp.route("/<uuid:case_id>/erasure/decline", methods=["POST"])
@blp.arguments(ErasureDeclineSchema)
@blp.response(200, CaseSchema)
def decline_erasure(body: dict[str, Any], case_id: UUID) -> Any:
    """Decline (or, by who asked, withdraw) the erasure asked for, with a reason"""
    return write_answer(
        service().cases.decline_erasure(
            actor(), case_id, body["reason"], expected_version(), idempotency_key()
        )
    )


# ---- review before it counts (复核, issue 11) ------------------------------------------


class ReturnSchema(Strict):
    comment = fields.String(required=True, metadata={"description": "What to correct"})


@blp.route("/<uuid:case_id>/review/confirmation", methods=["POST"])
@blp.response(200, CaseSchema)
def confirm_review(case_id: UUID) -> Any:
    """Confirm what a child director submitted for review: the case counts (supervisors)"""
    return write_answer(
        service().cases.confirm_review(actor(), case_id, expected_version(), idempotency_key())
    )


@blp.route("/<uuid:case_id>/review/return", methods=["POST"])
@blp.arguments(ReturnSchema)
@blp.response(200, CaseSchema)
def return_review(body: dict[str, Any], case_id: UUID) -> Any:
    """Return the submission to the child director with a comment saying what to correct"""
    return write_answer(
        service().cases.return_review(
            actor(), case_id, body["comment"], expected_version(), idempotency_key()
        )
    )


@blp.route("/<uuid:case_id>/review/resubmission", methods=["POST"])
@blp.response(200, CaseSchema)
def resubmit_review(case_id: UUID) -> Any:
    """Submit a returned case again once corrected"""
    return write_answer(
        service().cases.resubmit_review(actor(), case_id, expected_version(), idempotency_key())
    )
