"""`careledger notify run`: the consumer, the scheduler and the delivery workers (webhooks,
and e-mail when SMTP is configured), Runner loops in threads of one process, all stopped
warmly on SIGTERM or Ctrl-C. On a terminal a live line shows how far it got; it ends with a
one-line summary either way."""

from __future__ import annotations

import logging
import signal
import sys
import threading

from services.notify.bootstrap import NotifyService
from services.notify.consume.consumer import Consumer, ConsumerOptions
from services.notify.consume.deadletters import count_dead_letters
from services.notify.deliver.deliveries import DeliveryOptions, email_worker, webhook_worker
from services.notify.route.place_names import PlaceNamesLoop
from services.notify.route.scheduler import Scheduler
from shared.process_health import health_port as serve_health
from shared.progress import status_line
from shared.redis_client import redis_client
from shared.runner import Runner

log = logging.getLogger("careledger.notify")


def run_notify(
    service: NotifyService,
    options: ConsumerOptions,
    *,
    scheduler_seconds: float = 60.0,
    show_progress: bool | None = None,
    delivery_options: DeliveryOptions | None = None,
    health_port: int = 0,
) -> str:
    """Runs until SIGTERM/SIGINT; returns the summary line."""
    client = redis_client(service.settings, block_seconds=options.block_ms / 1000, decode=True)
    consumer = Consumer(service, client, service.settings.stream, options)
    scheduler = Scheduler(service)
    workers = [webhook_worker(service, delivery_options)]
    if service.email_enabled:
        workers.append(email_worker(service, delivery_options))
    # The consumer blocks in XREADGROUP, so it needs no idle sleep of its own; the
    # scheduler looks for what became overdue once a minute; the delivery workers look
    # for due rows every half second (a full batch goes on at once).
    runners = [
        Runner(consumer, idle_seconds=0.0),
        # The villages' names notifications give, read again every ten minutes.
        Runner(PlaceNamesLoop(service.db), idle_seconds=600.0),
        Runner(scheduler, idle_seconds=scheduler_seconds),
        *(Runner(worker, idle_seconds=0.5) for worker in workers),
    ]
    threads = [threading.Thread(target=r.run, name=r.loop.name, daemon=True) for r in runners]

    def stop(*_: object) -> None:
        for runner in runners:
            runner.stop()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for thread in threads:
        thread.start()
    show = sys.stderr.isatty() if show_progress is None else show_progress
    gauges = {
        "careledger_notify_pending_entries": (
            "Stream entries delivered to this group and not yet acknowledged",
            lambda: float(consumer.pending()),
        ),
        "careledger_notify_dead_letters": (
            "Entries notify could not handle, waiting for a person",
            lambda: float(count_dead_letters(client, service.settings.stream)),
        ),
    }
    with (
        serve_health(health_port, runners, gauges),
        status_line("notify", show=show) as update,
    ):
        while any(t.is_alive() for t in threads):
            for thread in threads:
                thread.join(timeout=1.0)
            if show:
                s = consumer.stats
                update(
                    f"handled {s.handled} · duplicates {s.duplicates} · notifications "
                    f"{s.notifications + scheduler.stats.notifications} · dead letters "
                    f"{s.dead_lettered} · pending {consumer.pending()} · delivered "
                    f"{sum(w.stats.sent for w in workers)}"
                )
    s = consumer.stats
    dead = count_dead_letters(client, service.settings.stream) if _alive(client) else "?"
    return (
        f"notify stopped: {s.handled} events handled, {s.duplicates} duplicates, "
        f"{s.notifications} notifications from events, {scheduler.stats.notifications} "
        f"from the scheduler ({scheduler.stats.escalations} due dates), "
        f"{s.dead_lettered} dead-lettered ({dead} waiting), {s.gaps} gaps seen; "
        f"deliveries: {sum(w.stats.sent for w in workers)} sent, "
        f"{sum(w.stats.retried for w in workers)} retries scheduled, "
        f"{sum(w.stats.failed for w in workers)} failed"
    )


def _alive(client: object) -> bool:
    try:
        return bool(client.ping())  # type: ignore[attr-defined]
    except Exception:
        return False
