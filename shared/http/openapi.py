"""Every error answer in both OpenAPI specs, written in one place: an apispec plugin that
gives each operation the problem+json responses the server can answer it with, all with
the shared `Problem` schema (`shared.http.problems`), instead of flask-smorest's
`application/json` "Error" and its catch-all `default`.

Which statuses an operation can get follows from what it is (the rules below), plus what
a service adds (`extra`, e.g. 409/412 on the case service's writes). schemathesis checks
in tests/fuzz that the server answers nothing else (docs/security.md, "Fuzzing")."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from apispec import APISpec, BasePlugin

PROBLEM_TYPE = "application/problem+json"

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "RFC 9457 problem details, the same in both services",
    "required": ["status", "title", "detail"],
    "properties": {
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "title": {"type": "string", "description": "the status's phrase"},
        "detail": {"type": "string", "description": "what went wrong, in words"},
        "errors": {
            "type": "object",
            "description": "for invalid input: each field's path (`child.name`, "
            "`parents.0.relation`, a header or parameter by its name) and its reasons",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        },
        "code": {
            "type": "string",
            "description": "which rule refused (`case_closed`, `forbidden`, …): clients say it "
            "in the user's language; `detail` says it in English",
        },
        "current_version": {"type": "integer", "description": "412: the case's version now"},
        "retry_after": {"type": "integer", "description": "429 and 503: seconds to wait"},
    },
    "additionalProperties": False,
}

_RETRY_AFTER = {"description": "seconds to wait", "schema": {"type": "integer"}}

# status → (what it means, headers it carries)
PROBLEMS: dict[int, tuple[str, dict[str, Any]]] = {
    400: (
        "The body is not JSON, is nested deeper than 32 levels, or a header (If-Match) "
        "is malformed; `errors` names it",
        {},
    ),
    401: (
        "No bearer token, or one that is invalid, expired or revoked, or of a disabled user",
        {"WWW-Authenticate": {"description": "`Bearer`", "schema": {"type": "string"}}},
    ),
    403: ("The caller's role or scope does not allow this", {}),
    404: ("Nothing of that id within the caller's reach", {}),
    409: (
        "The state forbids it now: the case is closed (or not closed), the intervention "
        "is not open, the user exists or is disabled, the request was decided, or a "
        "concurrent write came first",
        {},
    ),
    412: (
        "`If-Match` names an older version; `current_version` and ETag give the current one",
        {"ETag": {"description": "the case's current version", "schema": {"type": "string"}}},
    ),
    413: ("The body is larger than the service accepts (CARELEDGER_MAX_BODY_BYTES)", {}),
    422: (
        "A field, parameter or header is invalid (wrong type, out of range, unknown, "
        "text with a lone surrogate or control characters, a date out of order); "
        "`errors` names each and why. Nothing was written",
        {},
    ),
    429: ("Too many failed logins for this username or address", {"Retry-After": _RETRY_AFTER}),
    503: ("The service cannot answer now; try again", {"Retry-After": _RETRY_AFTER}),
}

# Whatever the operation: a malformed or oversized body, or a bad field (a JSON body is
# checked before any view, shared/http/json_body.py).
_ANY_OPERATION = (400, 413, 422)
_AUTHENTICATED = (401, 403)
_WITH_PATH_IDS = (404,)

Extra = Callable[[str, str], Iterable[int]]


class ProblemResponses(BasePlugin):
    """Documents each operation's problem+json answers.

    `public` are the (method, path) pairs that need no token (`security: []`; a 401 is
    for wrong credentials, never a 403);
    `authenticated` are the statuses any authenticated call can get (notify adds 503:
    it fails closed when it cannot check a token); `extra(method, path)` adds a
    service's own."""

    def __init__(
        self,
        *,
        public: Iterable[tuple[str, str]] = (),
        authenticated: Iterable[int] = _AUTHENTICATED,
        extra: Extra = lambda method, path: (),
    ) -> None:
        self.public = {(method.lower(), path) for method, path in public}
        self.authenticated = tuple(authenticated)
        self.extra = extra

    def init_spec(self, spec: APISpec) -> None:
        super().init_spec(spec)
        spec.components.schema("Problem", PROBLEM_SCHEMA)

    def operation_helper(
        self, path: str | None = None, operations: dict[str, Any] | None = None, **kwargs: Any
    ) -> None:
        for method, operation in (operations or {}).items():
            if path is None or not isinstance(operation, dict):
                continue
            responses = operation.setdefault("responses", {})
            responses.pop("default", None)
            for status in sorted(self.statuses(method, path)):
                responses[str(status)] = _problem_response(status, responses.get(str(status)))
            if (method, path) in self.public:
                operation["security"] = []

    def statuses(self, method: str, path: str) -> set[int]:
        """The error statuses the server may answer `method path` with."""
        found = set(_ANY_OPERATION)
        if (method, path) in self.public:
            found.add(401)  # wrong credentials, a refresh token that no longer holds
        else:
            found |= set(self.authenticated)
        if "{" in path:
            found |= set(_WITH_PATH_IDS)
        return found | set(self.extra(method, path))


def _problem_response(status: int, declared: Any) -> dict[str, Any]:
    """The response object: a view's own description and headers (from alt_response)
    when it gave them, else the table's."""
    description, headers = PROBLEMS[status]
    if isinstance(declared, dict):
        description = declared.get("description", description)
        headers = declared.get("headers", headers)
    response: dict[str, Any] = {
        "description": description,
        "content": {PROBLEM_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }
    if headers:
        response["headers"] = headers
    return response
