"""Whether a bearer token still holds, asked of the case service, which decides.

Notify's own directory learns revocations from the stream, so it is as late as the relay
and the consumer. Before trusting a token, notify therefore asks the case service
(`GET /api/v1/auth/token`, authenticated by the very token it asks about) and keeps the
answer for `token_check_seconds`: a revoked token or a disabled user is refused here
within that many seconds, whatever the stream's state. When the case service cannot
answer, notify cannot know, and refuses (503) rather than trust.
"""

from __future__ import annotations

import http.client
import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol
from urllib.parse import urlsplit

from shared.clock import Clock

log = logging.getLogger("careledger.notify.tokens")

# Answers kept at most; the oldest go first (tokens live minutes, the cache seconds).
MAX_ANSWERS = 10_000
TIMEOUT_SECONDS = 2.0


class TokenCheckUnavailableError(Exception):
    """Raised when the case service cannot say whether a token holds (notify refuses)."""


class TokenSource(Protocol):
    """Who decides whether a token holds: True (holds) or False (refused); raises
    TokenCheckUnavailableError when it cannot tell."""

    def holds(self, token: str) -> bool: ...


class CaseServiceTokens:
    """The case service over HTTP: 200 holds, 401 refused, anything else unknown."""

    def __init__(self, cases_url: str, timeout: float = TIMEOUT_SECONDS) -> None:
        parts = urlsplit(cases_url)
        self.https = parts.scheme == "https"
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or (443 if self.https else 80)
        self.path = parts.path.rstrip("/") + "/api/v1/auth/token"
        self.timeout = timeout

    def holds(self, token: str) -> bool:
        """Asks the case service about `token`, which authenticates the question."""
        kind = http.client.HTTPSConnection if self.https else http.client.HTTPConnection
        connection = kind(self.host, self.port, timeout=self.timeout)
        try:
            connection.request("GET", self.path, headers={"Authorization": f"Bearer {token}"})
            status = connection.getresponse().status
        except (OSError, http.client.HTTPException) as error:
            log.warning("token_check unavailable error=%s", type(error).__name__)
            raise TokenCheckUnavailableError("the case service cannot be reached") from None
        finally:
            connection.close()
        if status == 200:
            return True
        if status == 401:
            return False
        log.warning("token_check unavailable status=%s", status)
        raise TokenCheckUnavailableError(f"the case service answered {status}")


@dataclass(frozen=True)
class _Answer:
    holds: bool
    asked_at: datetime


class TokenChecks:
    """The source's answers, each kept `ttl_seconds` by `clock`, per token id."""

    def __init__(self, source: TokenSource, ttl_seconds: int, clock: Clock) -> None:
        self.source = source
        self.ttl = timedelta(seconds=ttl_seconds)
        self.clock = clock
        self._answers: OrderedDict[str, _Answer] = OrderedDict()
        self._lock = threading.Lock()

    def holds(self, token_id: str, token: str) -> bool:
        """True when the source said, at most `ttl_seconds` ago, that the token holds.
        Raises TokenCheckUnavailableError when it must be asked and cannot answer."""
        now = self.clock.now()
        with self._lock:
            answer = self._answers.get(token_id)
        if answer is not None and now - answer.asked_at < self.ttl:
            return answer.holds
        holds = self.source.holds(token)
        with self._lock:
            self._answers[token_id] = _Answer(holds, now)
            self._answers.move_to_end(token_id)
            while len(self._answers) > MAX_ANSWERS:
                self._answers.popitem(last=False)
        return holds
