"""The case service's HTTP API: `create_app()` builds it from settings or a given service."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, g, request, send_from_directory
from flask.typing import ResponseReturnValue
from flask_smorest import Api

from shared.http_app import BEARER_SPEC, openapi_config
from shared.settings import Settings

from .. import web
from ..accounts import AuthenticationError
from ..bootstrap import CaseService, build_case_service
from . import admin, audit, auth, case_work, cases, dashboard, lifecycle, worklists
from .errors import register_error_handlers
from .http import request_id, service

log = logging.getLogger("careledger.http")

# Endpoints anyone may call: logging in, health and the API's own documentation.
_PUBLIC = {
    "auth.login",
    "healthz",
    "readyz",
    "api-docs.openapi_json",
    "api-docs.openapi_swagger_ui",
    "docs_assets",
    *web.PUBLIC_ENDPOINTS,
}


def create_app(settings: Settings, *, case_service: CaseService | None = None) -> Flask:
    """The Flask app; hand in `case_service` to reuse one (tests, the demo)."""
    app = Flask("careledger.cases", static_folder=None)
    app.config |= openapi_config("CareLedger cases", settings.max_body_bytes)
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.extensions["careledger"] = case_service or build_case_service(settings)

    api = Api(app, spec_kwargs=BEARER_SPEC)
    for module in (auth, cases, case_work, lifecycle, admin, audit, dashboard, worklists):
        api.register_blueprint(module.blp)
    register_error_handlers(app)
    _add_operational_routes(app)
    app.register_blueprint(web.blueprint)

    app.before_request(_authenticate)
    app.after_request(_stamp)
    return app


def _authenticate() -> ResponseReturnValue | None:
    if request.endpoint in _PUBLIC or request.endpoint is None:
        return None
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthenticationError("a bearer token is required")
    g.actor, g.token_id = service().accounts.authenticate(token.strip(), request_id())
    return None


def _stamp(response: Any) -> Any:
    response.headers["X-Request-ID"] = request_id()
    # Children's records must not linger in shared caches or a phone's disk cache.
    response.headers.setdefault("Cache-Control", "no-store")
    actor = g.get("actor")
    # Never a child's data here: who, what, how it went.
    log.info(
        "request method=%s path=%s status=%s user=%s request_id=%s",
        request.method,
        request.url_rule.rule if request.url_rule else "-",
        response.status_code,
        actor.username if actor else "-",
        request_id(),
    )
    return response


def _add_operational_routes(app: Flask) -> None:
    from swagger_ui_bundle import swagger_ui_path

    @app.get("/api/v1/docs-assets/<path:filename>", endpoint="docs_assets")
    def docs_assets(filename: str) -> Any:
        return send_from_directory(swagger_ui_path, filename)

    @app.get("/healthz", endpoint="healthz")
    def healthz() -> Any:
        return {"status": "ok"}

    @app.get("/readyz", endpoint="readyz")
    def readyz() -> Any:
        service().cases.recorder.max_notification_id()
        return {"status": "ready"}
