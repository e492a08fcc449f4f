"""One table: which error becomes which HTTP status. Every error answers with the
problem+json object of `shared.http.problems`: status, title, detail, and for validation
`errors: {field: [..]}`."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response

from shared.http.problems import install_problem_handlers, problem, problem_code
from shared.jurisdictions import divisions

from .. import domain
from ..access import CaseNotFoundError, ForbiddenError
from ..accounts import (
    AuthenticationError,
    InvalidAssigneeError,
    UnknownUserError,
    UnknownUserRequestError,
    UserExistsError,
)
from ..application import (
    AlreadyRegisteredError,
    IdempotencyKeyReusedError,
    StaleVersionError,
    WriteConflictError,
)
from ..domain.site import SiteNotOpenError, SiteTransitionError
from ..domain.user import UserDisabledError
from ..domain.user_request import RequestDecidedError, SelfApprovalError
from ..login_throttle import LoginsBusyError, TooManyLoginsError
from ..projections.read_models import BadQueryError
from ..sites import SiteNotFoundError
from .presenters import FieldNotFoundError

STATUS_OF: dict[type[Exception], int] = {
    AuthenticationError: 401,
    ForbiddenError: 403,
    CaseNotFoundError: 404,
    UnknownUserError: 404,
    UnknownUserRequestError: 404,
    domain.UnknownInterventionError: 404,
    FieldNotFoundError: 404,
    SiteNotFoundError: 404,
    SiteTransitionError: 409,
    SiteNotOpenError: 409,
    domain.CaseClosedError: 409,
    domain.CaseNotClosedError: 409,
    domain.CaseErasedError: 409,
    domain.ErasureNotRequestedError: 409,
    domain.SecondPersonRequiredError: 403,
    domain.FlagNotOpenError: 409,
    domain.ReviewNotPendingError: 409,
    domain.NotReturnedError: 409,
    domain.SelfReviewError: 403,
    domain.InterventionNotOpenError: 409,
    UserExistsError: 409,
    UserDisabledError: 409,
    RequestDecidedError: 409,
    SelfApprovalError: 403,
    WriteConflictError: 409,
    StaleVersionError: 412,
    domain.InvalidValueError: 422,
    domain.NotEligibleError: 422,
    domain.FutureDateError: 422,
    domain.DateBeforeIdentificationError: 422,
    domain.DateBeforeOpeningError: 422,
    domain.UnknownFieldError: 422,
    domain.NothingToCorrectError: 422,
    domain.SameJurisdictionError: 422,
    InvalidAssigneeError: 422,
    IdempotencyKeyReusedError: 422,
    BadQueryError: 422,
}

# The field an error is about, when the error itself does not say.
_FIELD_OF: dict[type[Exception], str] = {
    InvalidAssigneeError: "assignee",
    IdempotencyKeyReusedError: "Idempotency-Key",
}


def register_error_handlers(app: Flask) -> None:
    """Installs the table above in the shared problem+json shape; a stale version also
    says which version the case is at."""
    install_problem_handlers(app, STATUS_OF, field_of=_FIELD_OF)

    @app.errorhandler(StaleVersionError)
    def _stale(error: StaleVersionError) -> Response:
        response = problem(
            412, str(error), current_version=error.current_version, code=problem_code(type(error))
        )
        response.headers["ETag"] = f'"{error.current_version}"'
        return response

    @app.errorhandler(AlreadyRegisteredError)
    def _registered(error: AlreadyRegisteredError) -> Response:
        return problem(
            409, str(error), code=problem_code(type(error)), **registered_elsewhere(error)
        )

    @app.errorhandler(TooManyLoginsError)
    def _throttled(error: TooManyLoginsError) -> Response:
        response = problem(
            429, str(error), retry_after=error.retry_after, code=problem_code(type(error))
        )
        response.headers["Retry-After"] = str(error.retry_after)
        return response

    @app.errorhandler(LoginsBusyError)
    def _busy(error: LoginsBusyError) -> Response:
        response = problem(
            503, str(error), retry_after=error.retry_after, code=problem_code(type(error))
        )
        response.headers["Retry-After"] = str(error.retry_after)
        return response


def registered_elsewhere(error: AlreadyRegisteredError) -> dict[str, Any]:
    """Where the child is registered: the case itself when the caller may see it,
    otherwise only the township that holds it and whom to ask (nothing of the child)."""
    errors = {"child.id_number": ["A child with this ID number is already registered."]}
    if error.in_view:
        url = f"/api/v1/cases/{error.case_id}"
        return {"errors": errors, "existing_case": {"id": str(error.case_id), "url": url}}
    township = divisions().get(error.township)
    return {
        "errors": errors,
        "held_by": {
            "township": error.township,
            "township_name": township.name if township else None,
            "contact": "the township's child supervisor (乡镇儿童督导员)",
        },
    }
