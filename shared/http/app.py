"""The Flask app both services build on: OpenAPI set-up and its bearer scheme, the
operational routes, the authentication gate, the response headers and the request log."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask, Response, g, request, send_from_directory
from flask_smorest import Api

from shared.http.docs_page import DOCS_ENDPOINT, INIT_ENDPOINT, install_docs_page
from shared.http.json_body import check_json_body
from shared.http.metrics import AppMetrics, Gauges
from shared.http.openapi import ProblemResponses
from shared.http.request_ids import request_id
from shared.http.security import add_security_headers

# Swagger UI's assets are served by each app itself (swagger-ui-bundle): deployments sit
# on government intranets with no internet.
DOCS_ASSETS_URL = "/api/v1/docs-assets/"

# Endpoints anyone may call in either service: health and the API's own documentation.
OPERATIONAL_ENDPOINTS = frozenset(
    {
        "healthz",
        "readyz",
        "metrics",
        "api-docs.openapi_json",
        DOCS_ENDPOINT,
        "docs_assets",
        INIT_ENDPOINT,
    }
)

# Every call but login carries `Authorization: Bearer <token>`.
BEARER_SPEC: dict[str, Any] = {
    "components": {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}}
    },
    "security": [{"bearer": []}],
}


def openapi_config(title: str, max_body_bytes: int) -> dict[str, Any]:
    """The Flask config flask-smorest reads: spec at /api/v1/openapi.json, docs at /api/v1/docs."""
    return {
        "MAX_CONTENT_LENGTH": max_body_bytes,
        "API_TITLE": title,
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/api/v1",
        "OPENAPI_JSON_PATH": "openapi.json",
        "OPENAPI_SWAGGER_UI_PATH": "docs",
        "OPENAPI_SWAGGER_UI_URL": DOCS_ASSETS_URL,
    }


def new_api_app(
    import_name: str, title: str, max_body_bytes: int, problems: ProblemResponses
) -> tuple[Flask, Api]:
    """A Flask app with its flask-smorest Api: JSON keys in the order written, and every
    error answer documented as problem+json by `problems`."""
    app = Flask(import_name, static_folder=None)
    app.config |= openapi_config(title, max_body_bytes)
    app.json.sort_keys = False  # type: ignore[attr-defined]
    return app, Api(app, spec_kwargs=BEARER_SPEC | {"extra_plugins": [problems]})


def install_plumbing(
    app: Flask,
    *,
    log: logging.Logger,
    ready: Callable[[], Iterable[str] | None],
    authenticate: Callable[[], None],
    user: Callable[[], str | None],
    public_endpoints: Iterable[str] = (),
    gauges: Gauges | None = None,
    connect_origins: tuple[str, ...] = (),
) -> AppMetrics:
    """Adds /healthz, /readyz (ready when `ready()` returns no problem and raises
    nothing; else 503 with the problems), /metrics (with `gauges`
    read at each scrape) and the docs' assets; calls `authenticate()` before every endpoint
    but those and `public_endpoints`; and stamps every response with its X-Request-ID,
    `Cache-Control: no-store` and the security headers (`security`), timing it and logging
    one line per request: method, route, status, user (`user()`), request id, duration.
    `connect_origins`: other origins the pages' scripts may call (the
    Content-Security-Policy's connect-src names them). Answers the app's metrics, to
    which the app may add its own counters."""
    public = OPERATIONAL_ENDPOINTS | set(public_endpoints)
    metrics = app.extensions["careledger.metrics"] = AppMetrics(gauges)
    _add_operational_routes(app, ready, metrics)

    @app.before_request
    def _start_clock() -> None:
        g.started = time.perf_counter()

    @app.before_request
    def _gate() -> None:
        if request.endpoint is not None and request.endpoint not in public:
            authenticate()

    # After the gate: a caller without a token learns nothing about the body's rules.
    app.before_request(check_json_body)

    @app.after_request
    def _stamp(response: Any) -> Any:
        response.headers["X-Request-ID"] = request_id()
        # Children's records must not linger in shared caches or a phone's disk cache.
        response.headers.setdefault("Cache-Control", "no-store")
        add_security_headers(
            response,
            docs_page=request.endpoint == DOCS_ENDPOINT,
            connect_origins=connect_origins,
        )
        route = request.url_rule.rule if request.url_rule else "-"
        seconds = time.perf_counter() - g.get("started", time.perf_counter())
        metrics.observe(request.method, route, response.status_code, seconds)
        # Never a child's data here: who, what, how it went. The route is the URL rule
        # (`/api/v1/cases/<uuid:case_id>`), never the URL with its ids and query.
        who = user() or "-"
        log.info(
            "request method=%s path=%s status=%s user=%s request_id=%s duration_ms=%.1f",
            request.method,
            route,
            response.status_code,
            who,
            request_id(),
            seconds * 1000,
            extra={
                "method": request.method,
                "route": route,
                "status": response.status_code,
                "user": who,
                "request_id": request_id(),
                "duration_ms": round(seconds * 1000, 1),
            },
        )
        return response

    return metrics


def _add_operational_routes(
    app: Flask, ready: Callable[[], Iterable[str] | None], metrics: AppMetrics
) -> None:
    from swagger_ui_bundle import swagger_ui_path

    install_docs_page(app, DOCS_ASSETS_URL)

    @app.get("/api/v1/docs-assets/<path:filename>", endpoint="docs_assets")
    def docs_assets(filename: str) -> Any:
        return send_from_directory(swagger_ui_path, filename)

    @app.get("/healthz", endpoint="healthz")
    def healthz() -> Any:
        return {"status": "ok"}

    @app.get("/metrics", endpoint="metrics")
    def metrics_text() -> Any:
        return Response(metrics.text(), mimetype="text/plain; version=0.0.4")

    @app.get("/readyz", endpoint="readyz")
    def readyz() -> Any:
        try:
            problems = list(ready() or ())
        except Exception as error:
            # The store did not answer; what it said may name a host, never a child.
            problems = [f"the database did not answer ({type(error).__name__})"]
        if problems:
            return {"status": "not_ready", "problems": problems}, 503
        return {"status": "ready"}
