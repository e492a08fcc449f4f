"""Request plumbing shared by the case service's resources: who is calling, the
`If-Match` and `Idempotency-Key` headers, and the shape of a write's answer (request ids
and errors come from `shared.http`)."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from typing import Any, Protocol, cast

from flask import current_app, g, request

from shared.http.problems import RequestError

from ..access import Actor
from ..access_log import AccessEntry
from ..application import WriteResult
from ..bootstrap import CaseService
from ..idempotency import IdempotencyKey
from .presenters import case_view

_IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,100}$")
_ETAG = re.compile(r'^(?:W/)?"?(\d{1,9})"?$')


def service() -> CaseService:
    """The case service this app was built with."""
    return cast(CaseService, current_app.extensions["careledger"])


def actor() -> Actor:
    """The authenticated caller (set by the authentication hook)."""
    return cast(Actor, g.actor)


def expected_version() -> int | None:
    """The version named by If-Match, or None when the header is absent or `*`."""
    raw = request.headers.get("If-Match")
    if raw is None or raw.strip() == "*":
        return None
    match = _ETAG.match(raw.strip())
    if not match:
        raise RequestError(400, "If-Match", 'If-Match must be an ETag such as "3"')
    return int(match.group(1))


def idempotency_key() -> IdempotencyKey | None:
    """The request's Idempotency-Key with a fingerprint of the request, or None."""
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    if not _IDEMPOTENCY_KEY.match(key):
        raise RequestError(
            422, "Idempotency-Key", "Idempotency-Key must be 1 to 100 printable ASCII characters"
        )
    fingerprint = hashlib.sha256(
        b"\n".join([request.method.encode(), request.path.encode(), _canonical_body()])
    ).hexdigest()
    return IdempotencyKey(actor().username, key, fingerprint)


def write_answer(result: WriteResult) -> tuple[dict[str, Any], int, dict[str, str]]:
    """A write's answer: the case now, its ETag, and Location for a new case."""
    case = result.case
    headers = {"ETag": f'"{case.version}"'}
    if result.status == 201:
        headers["Location"] = f"/api/v1/cases/{case.id}"
    if result.replayed:
        headers["Idempotent-Replayed"] = "true"
    if result.position is not None:
        # Read-your-writes: pass it as `min_position` to the list, dashboard and worklists.
        headers["X-Log-Position"] = str(result.position)
    today = service().cases.clock.today()
    return case_view(case, today, actor().role, result.intervention_id), result.status, headers


class ReadRecord(Protocol):
    """A child's record as read: a case, or a row of a list or worklist."""

    @property
    def id(self) -> Any: ...

    @property
    def jurisdiction(self) -> str: ...


def log_reads(
    records: Iterable[ReadRecord], purpose: str | None, *, emergency: bool = False
) -> None:
    """Records that the caller read these children's records, and why; a read under a
    break-the-glass grant is marked `emergency: ` in the access log."""
    who = actor()
    now = service().cases.clock.now()
    purpose = purpose or "case_work"
    if emergency:
        purpose = f"emergency: {purpose}"
    service().access_log.record(
        AccessEntry(
            now,
            who.username,
            str(who.role),
            str(record.id),
            record.jurisdiction,
            purpose,
            who.request_id,
        )
        for record in records
    )


def _canonical_body() -> bytes:
    """The body as parsed, in one canonical form: a client that re-serialises the same
    request on a retry (other key order, spacing or escapes) gets its replay, not a 422."""
    parsed = request.get_json(silent=True)
    if parsed is None:
        return request.get_data()
    return json.dumps(parsed, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
