"""The relay's lease: one relay publishes, a second one started beside it waits.

A lease (a key holding a random token, with an expiry) rather than a lock, so a relay
killed with -9 hands over once its lease runs out. The append script checks the token
too: a relay that lost its lease while paused (GC, SIGSTOP, a slow batch) and did not
notice can never append after another relay took over.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from collections.abc import Callable

from .stream import RelayStream

log = logging.getLogger("careledger.relay")


def new_token() -> str:
    """A token that names the process holding it, for an operator reading the key."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


class Lease:
    """This relay's claim on the lease key of `stream`."""

    def __init__(
        self,
        stream: RelayStream,
        *,
        ttl_ms: int = 10_000,
        token: str | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.stream = stream
        self.ttl_ms = ttl_ms
        self.token = token or new_token()
        self.clock = clock
        self.held = False
        self.holder = ""  # who holds it when we wait, for the logs
        self._renewed_at = 0.0

    def hold(self) -> bool:
        """True when this relay holds the lease, taking or renewing it as needed.

        Renewed once a third of its time has passed, so a relay that keeps running keeps
        it; the append script renews it too."""
        if self.held and self.clock() - self._renewed_at < self.ttl_ms / 3000:
            return True
        was_held = self.held
        self.held, holder = self.stream.acquire(self.token, self.ttl_ms)
        if self.held:
            self._renewed_at = self.clock()
            if not was_held:
                log.info("event=lease_acquired token=%s", self.token)
        elif holder != self.holder or was_held:
            log.info("event=waiting holder=%s", holder)
        self.holder = "" if self.held else holder
        return self.held

    def renewed(self) -> None:
        """The append script renewed the lease just now."""
        self._renewed_at = self.clock()

    def lost(self, holder: str) -> None:
        """An append found the lease gone: stop publishing until it is taken again."""
        log.warning("event=lease_lost holder=%s", holder or "-")
        self.held = False
        self.holder = holder

    def release(self) -> None:
        """Gives the lease up on a warm stop, so a standby takes over at once."""
        if self.held:
            self.stream.release(self.token)
            self.held = False
            log.info("event=lease_released")
