"""Request ids: the caller's X-Request-ID when well-formed, else a new one, so one id
follows a request through both services' logs and events."""

from __future__ import annotations

import re
import uuid
from typing import cast

from flask import g, request

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def request_id() -> str:
    """The caller's X-Request-ID when well-formed, else a new one (the same for the whole
    request)."""
    if "request_id" not in g:
        given = request.headers.get("X-Request-ID", "")
        g.request_id = given if _REQUEST_ID.match(given) else uuid.uuid4().hex
    return cast(str, g.request_id)
