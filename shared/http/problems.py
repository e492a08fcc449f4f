"""problem+json answers (RFC 9457): `status`, `title`, `detail`, and for invalid input
`errors: {field path: [reasons]}`, with the same field paths in both services (a nested
field is `child.name`, a list item `parents.0.relation`, a header by its name)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from http import HTTPStatus
from typing import Any

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException


class RequestError(Exception):
    """Raised by the HTTP layer for a bad header or parameter (status, field, reason)."""

    def __init__(self, status: int, field: str, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.field = field


def problem(
    status: int, detail: str, errors: dict[str, list[str]] | None = None, **extra: Any
) -> Response:
    """A problem+json answer; a 401 says which scheme to authenticate with."""
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
    if status == 401:
        response.headers["WWW-Authenticate"] = "Bearer"
    return response


def install_problem_handlers(
    app: Flask,
    status_of: Mapping[type[Exception], int],
    *,
    field_of: Mapping[type[Exception], str] | None = None,
) -> None:
    """Answers each error class of `status_of` with its status, and the framework's own
    errors (400, 404, 405, 413, 422…) in the same shape.

    A 422's `errors` names the field the error is about: its `field` attribute, else
    `field_of[its class]`."""
    fields = dict(field_of or {})
    for error_class, status in status_of.items():
        app.register_error_handler(error_class, _table_handler(status, fields))

    @app.errorhandler(RequestError)
    def _request_error(error: RequestError) -> Response:
        return problem(error.status, str(error), {error.field: [str(error)]})

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException) -> Response:
        status = error.code or 500
        messages = getattr(error, "data", {}).get("messages")
        if status == 422 and messages:
            return problem(422, "The request has invalid fields.", field_errors(messages))
        if status == 400 and request.mimetype == "application/json":
            return problem(
                400, "The request body is not valid JSON.", {"body": ["Not valid JSON."]}
            )
        if status == 413:
            return problem(413, "The request body is too large.")
        return problem(status, error.description or "")


def problem_code(error_class: type[Exception]) -> str:
    """The rule an error class stands for, as clients key their own wording on it:
    `CaseClosedError` → `case_closed`."""
    name = error_class.__name__.removesuffix("Error")
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _table_handler(status: int, field_of: dict[type[Exception], str]) -> Callable[..., Response]:
    def handle(error: Exception) -> Response:
        field = getattr(error, "field", None) or field_of.get(type(error))
        return problem(
            status,
            str(error),
            {field: [str(error)]} if field and status == 422 else None,
            code=problem_code(type(error)),
        )

    return handle


def field_errors(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """webargs' messages as field paths: {"json": {"child": {"name": ["…"]}}} →
    {"child.name": ["…"]}."""
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
            flat |= field_errors(value, name)
    elif isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        flat[prefix or "_schema"] = list(messages)
    elif isinstance(messages, list):
        for item in messages:
            flat |= field_errors(item, prefix)
    else:
        flat[prefix or "_schema"] = [str(messages)]
    return flat
