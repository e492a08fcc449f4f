"""Request plumbing: the notify service this app was built with, and its token checks."""

from __future__ import annotations

from typing import cast

from flask import current_app

from services.notify.api.token_check import TokenChecks
from services.notify.bootstrap import NotifyService


def service() -> NotifyService:
    """The notify service of the running app."""
    return cast(NotifyService, current_app.extensions["careledger.notify"])


def token_checks() -> TokenChecks:
    """The case service's answers on tokens, as this app keeps them."""
    return cast(TokenChecks, current_app.extensions["careledger.token_checks"])
