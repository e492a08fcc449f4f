"""The security headers on every response of both services: a strict, first-party-only
Content-Security-Policy (no inline script or style, no other origin, no framing),
`X-Content-Type-Options: nosniff`, `X-Frame-Options: DENY` for browsers that predate
`frame-ancestors`, and a `Referrer-Policy` that never sends a URL (a case id is one) to
another site."""

from __future__ import annotations

from flask import Response

# What the dashboard needs and nothing more: its own scripts, styles, API calls and
# images; no inline code, no eval, no plugin, no other origin, no form posted elsewhere.
_DIRECTIVES = {
    "default-src": "'none'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self'",
    "font-src": "'self'",
    "connect-src": "'self'",
    "manifest-src": "'self'",
    "base-uri": "'none'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}
# Swagger UI's stylesheet draws its icons as data: SVG images; scripts stay first-party.
_DOCS_DIRECTIVES = _DIRECTIVES | {"img-src": "'self' data:"}


def _policy(directives: dict[str, str]) -> str:
    return "; ".join(f"{name} {value}" for name, value in directives.items())


CONTENT_SECURITY_POLICY = _policy(_DIRECTIVES)
DOCS_CONTENT_SECURITY_POLICY = _policy(_DOCS_DIRECTIVES)


def policy_with_connections(origins: tuple[str, ...]) -> str:
    """The strict policy, letting scripts also call these origins (each named, never a
    wildcard): the web app's notification bell calls the notify service."""
    if not origins:
        return CONTENT_SECURITY_POLICY
    return _policy(_DIRECTIVES | {"connect-src": " ".join(("'self'", *origins))})


def add_security_headers(
    response: Response, *, docs_page: bool = False, connect_origins: tuple[str, ...] = ()
) -> Response:
    """Stamps the security headers on `response`; the API docs page gets its own policy,
    first-party only as well; `connect_origins` are other origins scripts may call."""
    policy = DOCS_CONTENT_SECURITY_POLICY if docs_page else policy_with_connections(connect_origins)
    response.headers["Content-Security-Policy"] = policy
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
