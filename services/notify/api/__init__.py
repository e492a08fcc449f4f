"""The notify service's HTTP API: each user's inbox, and the admins' webhook
subscriptions. `create_app()` builds it from settings or a given NotifyService."""

from __future__ import annotations

import logging

from flask import Flask, g

from services.notify.api import notifications, subscriptions
from services.notify.api.auth import authenticate
from services.notify.api.errors import register_error_handlers
from services.notify.api.http import service
from services.notify.api.metrics import notify_gauges
from services.notify.api.token_check import CaseServiceTokens, TokenChecks, TokenSource
from services.notify.bootstrap import NotifyService, build_notify
from shared.http.app import install_plumbing, new_api_app
from shared.http.cors import allow_cross_origin, origin_of
from shared.http.openapi import ProblemResponses
from shared.settings import Settings

log = logging.getLogger("careledger.notify.http")


def create_app(
    settings: Settings, *, notify: NotifyService | None = None, tokens: TokenSource | None = None
) -> Flask:
    """The Flask app; hand in `notify` to reuse one (tests, benchmarks), and `tokens` to
    ask another than the case service at `settings.cases_url` whether a token holds."""
    if not settings.token_secret:
        raise ValueError("the notify API needs the token secret the case service signs with")
    # Every authenticated call may be a 503: notify fails closed when it cannot check a token.
    problems = ProblemResponses(authenticated=(401, 403, 503))
    app, api = new_api_app(
        "careledger.notify", "CareLedger notify", settings.max_body_bytes, problems
    )
    notify = notify or build_notify(settings)
    app.extensions["careledger.notify"] = notify
    app.extensions["careledger.token_checks"] = TokenChecks(
        tokens or CaseServiceTokens(settings.cases_url), settings.token_check_seconds, notify.clock
    )
    api.register_blueprint(notifications.blp)
    api.register_blueprint(subscriptions.blp)
    register_error_handlers(app)
    # The web app's bell calls the inbox from the case service's origin (before the gate:
    # a preflight carries no token).
    allow_cross_origin(app, settings.web_origins or (origin_of(settings.cases_url),))
    install_plumbing(
        app,
        log=log,
        ready=lambda: service().db.ping(),
        authenticate=authenticate,
        user=lambda: g.get("username"),
        gauges=notify_gauges(notify),
    )
    return app
