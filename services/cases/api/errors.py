"""One table: which error becomes which HTTP status. Every error answers with a
problem+json object: status, title, detail, and for validation `errors: {field: [..]}`."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException

from .. import domain
from ..access import CaseNotFoundError, ForbiddenError
from ..accounts import AuthenticationError, InvalidAssigneeError, UnknownUserError, UserExistsError
from ..application import IdempotencyKeyReusedError, StaleVersionError, WriteConflictError
from ..domain.user import UserDisabledError
from ..projections.read_models import BadQueryError

STATUS_OF: dict[type[Exception], int] = {
    AuthenticationError: 401,
    ForbiddenError: 403,
    CaseNotFoundError: 404,
    UnknownUserError: 404,
    domain.UnknownInterventionError: 404,
    domain.CaseClosedError: 409,
    domain.CaseNotClosedError: 409,
    domain.InterventionNotOpenError: 409,
    UserExistsError: 409,
    UserDisabledError: 409,
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


class RequestError(Exception):
    """Raised by the HTTP layer for a bad header or parameter (status, field, reason)."""

    def __init__(self, status: int, field: str, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.field = field


def problem(
    status: int, detail: str, errors: dict[str, list[str]] | None = None, **extra: Any
) -> Response:
    """A problem+json answer."""
    body: dict[str, Any] = {
        "status": status,
        "title": HTTPStatus(status).phrase,
        "detail": detail,
        **extra,
    }
    if errors:
        body["errors"] = errors
    response = jsonify(body)
    response.status_code = status
    response.mimetype = "application/problem+json"
    return response


def register_error_handlers(app: Flask) -> None:
    """Installs the table above, and the shape of framework errors (400, 413, 422…)."""

    for error_class, status in STATUS_OF.items():
        app.register_error_handler(error_class, _handler(status))

    @app.errorhandler(RequestError)
    def _request_error(error: RequestError) -> Response:
        return problem(error.status, str(error), {error.field: [str(error)]})

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException) -> Response:
        status = error.code or 500
        messages = getattr(error, "data", {}).get("messages")
        if status == 422 and messages:
            return problem(422, "The request has invalid fields.", _flatten(messages))
        detail = error.description or ""
        if status == 400 and request.mimetype == "application/json":
            return problem(
                400, "The request body is not valid JSON.", {"body": ["Not valid JSON."]}
            )
        if status == 413:
            detail = "The request body is too large."
        response = problem(status, detail)
        if status == 401:
            response.headers["WWW-Authenticate"] = "Bearer"
        return response


def _handler(status: int) -> Any:
    def handle(error: Exception) -> Response:
        field = getattr(error, "field", None) or _FIELD_OF.get(type(error))
        errors = {field: [str(error)]} if field and status == 422 else None
        if isinstance(error, StaleVersionError):
            response = problem(status, str(error), current_version=error.current_version)
            response.headers["ETag"] = f'"{error.current_version}"'
        else:
            response = problem(status, str(error), errors)
        if status == 401:
            response.headers["WWW-Authenticate"] = "Bearer"
        return response

    return handle


def _flatten(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """{"json": {"child": {"name": ["…"]}}} → {"child.name": ["…"]}."""
    flat: dict[str, list[str]] = {}
    if isinstance(messages, dict):
        for key, value in messages.items():
            # webargs groups by location (json, query, headers); the field path is enough.
            # marshmallow files errors about a whole nested object under `_schema`.
            if key == "_schema" and prefix:
                name = prefix
            elif not prefix and key in ("json", "query", "headers"):
                name = ""
            else:
                name = f"{prefix}.{key}" if prefix else str(key)
            flat |= _flatten(value, name)
    elif isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        flat[prefix or "_schema"] = list(messages)
    elif isinstance(messages, list):
        for item in messages:
            flat |= _flatten(item, prefix)
    else:
        flat[prefix or "_schema"] = [str(messages)]
    return flat
