"""Notify's own table: which error becomes which HTTP status. The problem+json shape is
the case service's, from `shared.http.problems`; services import nothing from each other."""

from __future__ import annotations

from flask import Flask, Response

from services.notify.api.reading import NotificationNotFoundError
from services.notify.api.token_check import TokenCheckUnavailableError
from services.notify.deliver.targets import WebhookTargetError
from services.notify.route.subscriptions import OutsideScopeError, SubscriptionNotFoundError
from shared.http.problems import install_problem_handlers, problem


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
    WebhookTargetError: 422,  # its `field` is "url"
}


def register_error_handlers(app: Flask) -> None:
    """Installs the table above, and the shared shape of framework errors."""
    install_problem_handlers(app, STATUS_OF)

    @app.errorhandler(TokenCheckUnavailableError)
    def _cannot_check(error: TokenCheckUnavailableError) -> Response:
        # Fail closed: a token the case service cannot vouch for now is not trusted.
        response = problem(503, f"The token cannot be checked now: {error}.")
        response.headers["Retry-After"] = "5"
        return response
