"""What notify adds to `/metrics` (shared/http/metrics.py): its deliveries waiting and
failed, and the last log position it handled (beside the case service's
`careledger_events`, the consumer's lag)."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

import redis

from services.notify.bootstrap import NotifyService
from services.notify.consume.consumer import ConsumerOptions
from services.notify.consume.deadletters import dead_stream
from shared.http.metrics import Gauges
from shared.redis_client import redis_client


def notify_gauges(notify: NotifyService) -> Gauges:
    """Gauges read at each scrape, from notify's own database."""

    def scalar(sql: str) -> Callable[[], float]:
        def read() -> float:
            with notify.db.transaction(write=False) as tx:
                row = tx.one(sql)
            return float(row["n"] or 0) if row else 0.0

        return read

    gauges: dict[str, tuple[str, Callable[[], float | None]]] = {
        "careledger_notify_deliveries_pending": (
            "Webhook and e-mail deliveries waiting to be sent",
            scalar("SELECT COUNT(*) AS n FROM outbox WHERE status = 'pending'"),
        ),
        "careledger_notify_deliveries_failed": (
            "Deliveries given up after every retry",
            scalar("SELECT COUNT(*) AS n FROM outbox WHERE status = 'failed'"),
        ),
        "careledger_notify_handled_position": (
            "The last log position notify has handled",
            scalar("SELECT MAX(position) AS n FROM handled_events"),
        ),
    }
    if notify.settings.redis_url:
        gauges |= _stream_gauges(notify)
    return gauges


def _stream_gauges(notify: NotifyService) -> Gauges:
    stream, group = notify.settings.stream, ConsumerOptions().group

    @cache
    def client() -> redis.Redis:
        return redis_client(notify.settings)

    def pending() -> float:
        summary = client().xpending(stream, group)
        return float(summary["pending"])

    def dead_lettered() -> float:
        return float(client().xlen(dead_stream(stream)))

    return {
        "careledger_notify_pending_entries": (
            "Stream entries read by notify's consumers and not yet acknowledged",
            pending,
        ),
        "careledger_notify_dead_letters": (
            "Entries in the dead-letter stream, waiting for an operator",
            dead_lettered,
        ),
    }
