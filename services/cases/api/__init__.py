"""The case service's HTTP API: `create_app()` builds it from settings or a given service."""

from __future__ import annotations

import logging

from flask import Flask, g, request
from werkzeug.middleware.proxy_fix import ProxyFix

from shared.http.app import install_plumbing, new_api_app
from shared.http.cors import origin_of
from shared.http.openapi import ProblemResponses
from shared.http.request_ids import request_id
from shared.settings import Settings

from .. import web
from ..accounts import AuthenticationError
from ..bootstrap import CaseService, build_case_service
from . import (
    admin,
    audit,
    auth,
    case_work,
    cases,
    dashboard,
    lifecycle,
    register,
    reports,
    rules,
    sensitive,
    sites,
    worklists,
)
from .errors import register_error_handlers
from .http import service
from .metrics import case_gauges, count_refused_logins
from .readiness import case_readiness

log = logging.getLogger("careledger.http")


def create_app(settings: Settings, *, case_service: CaseService | None = None) -> Flask:
    """The Flask app; hand in `case_service` to reuse one (tests, the demo)."""
    app, api = new_api_app(
        "careledger.cases", "CareLedger cases", settings.max_body_bytes, _problems()
    )
    app.extensions["careledger"] = case_service or build_case_service(settings)
    for module in (
        auth,
        cases,
        case_work,
        lifecycle,
        admin,
        audit,
        dashboard,
        worklists,
        sensitive,
        rules,
        register,
        reports,
        sites,
    ):
        api.register_blueprint(module.blp)
    register_error_handlers(app)
    metrics = install_plumbing(
        app,
        log=log,
        ready=case_readiness(app.extensions["careledger"]),
        authenticate=_authenticate,
        user=_username,
        # Logging in and refreshing, and the dashboard's page and assets.
        public_endpoints={"auth.login", "auth.refresh", *web.PUBLIC_ENDPOINTS},
        gauges=case_gauges(app.extensions["careledger"]),
        # The web app's bell reads notify's inbox, on notify's own origin.
        connect_origins=(origin_of(settings.notify_url),) if settings.notify_url else (),
    )
    count_refused_logins(app, metrics)
    app.config[web.NOTIFY_URL_SETTING] = settings.notify_url
    app.register_blueprint(web.blueprint)
    if settings.trusted_proxies:
        # The client's address, as the proxies in front saw it: what the login throttle
        # counts per address (else every client would share the proxy's).
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=settings.trusted_proxies)  # type: ignore[method-assign]
    return app


_LOGIN = ("post", "/api/v1/auth/token")
_IF_MATCH = {
    ("post", "/api/v1/sites/{site_id}/transitions"),
    ("put", "/api/v1/site-plans/{jurisdiction}/{year}"),
}
_REFRESH = ("post", "/api/v1/auth/refresh")


def _problems() -> ProblemResponses:
    """The case service's error answers beyond the common ones (shared/http/openapi.py)."""

    def extra(method: str, path: str) -> set[int]:
        found: set[int] = set()
        if (method, path) == _LOGIN:
            found |= {429, 503}  # the login throttle, and every hashing slot busy
        if method != "get" and (method, path) not in (_LOGIN, _REFRESH):
            found.add(409)  # a state that forbids the write, a concurrent write
        if method == "post" and path.startswith("/api/v1/cases/{case_id}/"):
            found.add(412)  # If-Match names an older version
        if (method, path) in _IF_MATCH:
            found.add(412)
        return found

    return ProblemResponses(public=[_LOGIN, _REFRESH], extra=extra)


def _authenticate() -> None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthenticationError("a bearer token is required")
    g.actor, g.token = service().accounts.authenticate(token.strip(), request_id())


def _username() -> str | None:
    actor = g.get("actor")
    return actor.username if actor else None
