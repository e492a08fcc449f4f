"""The sealer: a long-running loop that seals a checkpoint every N events or every few
minutes, whichever comes first (supervised by `careledger run` like the projector)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from shared.sql import Database

from .checkpoints import SealRefusedError, pending, seal

log = logging.getLogger("careledger.sealer")


class Sealer:
    """One `run_once` seals when enough is waiting, or when the oldest wait is too long."""

    name = "sealer"

    def __init__(
        self,
        db: Database,
        key: Ed25519PrivateKey,
        *,
        every_events: int = 1000,
        every_seconds: float = 300,
    ) -> None:
        self.db = db
        self.key = key
        self.every_events = every_events
        self.every = timedelta(seconds=every_seconds)
        self.sealed = 0

    def run_once(self) -> int:
        """Seals when due; returns 1 when it sealed, else 0."""
        waiting = pending(self.db)
        if waiting.events + waiting.access_rows == 0:
            return 0
        now = datetime.now(UTC)
        overdue = waiting.last_sealed_at is None or now - waiting.last_sealed_at >= self.every
        if waiting.events < self.every_events and not overdue:
            return 0
        try:
            checkpoint = seal(self.db, self.key, now=now)
        except SealRefusedError:
            # Never seal over a checkpoint that does not verify: that would bless tampering.
            log.error("sealer=refused reason=newest_checkpoint_does_not_verify")
            raise
        if checkpoint is None:
            return 0
        self.sealed += 1
        log.info(
            "sealer=sealed checkpoint=%d position=%d events=%d access_rows=%d",
            checkpoint.seq,
            checkpoint.position,
            checkpoint.events,
            checkpoint.access_rows,
        )
        return 1

    def close(self) -> None:
        """Nothing of its own to release (the service's connections are closed by its owner)."""
