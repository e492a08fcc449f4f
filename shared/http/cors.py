"""Cross-origin calls from the web app to a service on another origin (the notification
bell: the web app is served by the case service, the inbox by notify). Only the origins
named in settings, only what the inbox needs: GET and POST with a bearer token. Preflight
requests are answered before authentication (a browser sends them without the token)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import urlparse

from flask import Flask, Response, request

ALLOWED_METHODS = "GET, POST"
ALLOWED_HEADERS = "Authorization, Content-Type, Idempotency-Key"


def origin_of(url: str) -> str:
    """'https://a.example:8443/x' → 'https://a.example:8443'; '' for an empty URL."""
    if not url:
        return ""
    parts = urlparse(url)
    return f"{parts.scheme}://{parts.netloc}"


def allow_cross_origin(app: Flask, origins: Iterable[str]) -> None:
    """Lets pages from `origins` call `app` with a bearer token. Register it before the
    authentication gate, so a preflight is answered without one."""
    allowed = frozenset(o.rstrip("/") for o in origins if o)

    @app.before_request
    def _preflight() -> Any:
        if request.method == "OPTIONS" and request.headers.get("Origin") in allowed:
            return Response(status=204)
        return None

    @app.after_request
    def _allow(response: Response) -> Response:
        origin = request.headers.get("Origin")
        response.vary.add("Origin")
        if origin in allowed:
            response.headers["Access-Control-Allow-Origin"] = origin
            response.headers["Access-Control-Allow-Methods"] = ALLOWED_METHODS
            response.headers["Access-Control-Allow-Headers"] = ALLOWED_HEADERS
            response.headers["Access-Control-Max-Age"] = "600"
        return response
