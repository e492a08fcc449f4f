"""Request plumbing: the notify service this app was built with."""

from __future__ import annotations

from typing import cast

from flask import current_app

from services.notify.bootstrap import NotifyService


def service() -> NotifyService:
    """The notify service of the running app."""
    return cast(NotifyService, current_app.extensions["careledger.notify"])
