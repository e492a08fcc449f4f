"""Notify's problem+json answers, shaped like the case service's (status, title, detail,
and for validation `errors: {field: [reasons]}`). Its own small table: services import
nothing from each other."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from flask import Flask, Response, jsonify
from werkzeug.exceptions import HTTPException

from services.notify.api.reading import NotificationNotFoundError
from services.notify.route.subscriptions import OutsideScopeError, SubscriptionNotFoundError


class AuthenticationError(Exception):
    """Raised when a request has no valid bearer token, or its user may not log in."""


class ForbiddenError(Exception):
    """Raised when the caller's role may not do what the request asks."""


STATUS_OF: dict[type[Exception], int] = {
    AuthenticationError: 401,
    ForbiddenError: 403,
    OutsideScopeError: 403,
    NotificationNotFoundError: 404,
    SubscriptionNotFoundError: 404,
}


def problem(status: int, detail: str, errors: dict[str, list[str]] | None = None) -> Response:
    """A problem+json answer."""
    body: dict[str, Any] = {"status": status, "title": HTTPStatus(status).phrase, "detail": detail}
    if errors:
        body["errors"] = errors
    response = jsonify(body)
    response.status_code = status
    response.mimetype = "application/problem+json"
    if status == 401:
        response.headers["WWW-Authenticate"] = "Bearer"
    return response


def register_error_handlers(app: Flask) -> None:
    """Installs the table above and the shape of framework errors (404, 405, 422…)."""
    for error_class, status in STATUS_OF.items():
        app.register_error_handler(error_class, _handler(status))

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException) -> Response:
        status = error.code or 500
        messages = getattr(error, "data", {}).get("messages")
        if status == 422 and messages:
            return problem(422, "The request has invalid fields.", _flatten(messages))
        return problem(status, error.description or "")


def _handler(status: int) -> Any:
    def handle(error: Exception) -> Response:
        return problem(status, str(error))

    return handle


def _flatten(messages: Any) -> dict[str, list[str]]:
    """{"query": {"page": ["…"]}} → {"page": ["…"]}: the location is not the field."""
    flat: dict[str, list[str]] = {}
    for fields in messages.values():
        for name, reasons in fields.items():
            flat[str(name)] = (
                [str(r) for r in reasons] if isinstance(reasons, list) else [str(reasons)]
            )
    return flat
