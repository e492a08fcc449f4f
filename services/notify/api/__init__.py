"""The notify service's HTTP API: each user's inbox, and the admins' webhook
subscriptions. `create_app()` builds it from settings or a given NotifyService."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from flask import Flask, g, request, send_from_directory
from flask_smorest import Api

from services.notify.api import notifications, subscriptions
from services.notify.api.auth import authenticate
from services.notify.api.errors import register_error_handlers
from services.notify.api.http import service
from services.notify.bootstrap import NotifyService, build_notify
from shared.http_app import BEARER_SPEC, openapi_config
from shared.settings import Settings

log = logging.getLogger("careledger.notify.http")

# Endpoints anyone may call: health and the API's own documentation.
_PUBLIC = {
    "healthz",
    "readyz",
    "api-docs.openapi_json",
    "api-docs.openapi_swagger_ui",
    "docs_assets",
}


def create_app(settings: Settings, *, notify: NotifyService | None = None) -> Flask:
    """The Flask app; hand in `notify` to reuse one (tests, benchmarks)."""
    if not settings.token_secret:
        raise ValueError("the notify API needs the token secret the case service signs with")
    app = Flask("careledger.notify", static_folder=None)
    app.config |= openapi_config("CareLedger notify", settings.max_body_bytes)
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.extensions["careledger.notify"] = notify or build_notify(settings)
    api = Api(app, spec_kwargs=BEARER_SPEC)
    api.register_blueprint(notifications.blp)
    api.register_blueprint(subscriptions.blp)
    register_error_handlers(app)
    _add_operational_routes(app)
    app.before_request(_authenticate)
    app.after_request(_stamp)
    return app


def _authenticate() -> None:
    if request.endpoint in _PUBLIC or request.endpoint is None:
        return
    authenticate()


def _stamp(response: Any) -> Any:
    request_id = request.headers.get("X-Request-ID", "")
    if not (0 < len(request_id) <= 64 and request_id.replace("-", "").isalnum()):
        request_id = uuid.uuid4().hex
    response.headers["X-Request-ID"] = request_id
    response.headers.setdefault("Cache-Control", "no-store")
    log.info(
        "request method=%s path=%s status=%s user=%s request_id=%s",
        request.method,
        request.url_rule.rule if request.url_rule else "-",
        response.status_code,
        g.get("username", "-"),
        request_id,
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
        service().db.ping()
        return {"status": "ready"}
