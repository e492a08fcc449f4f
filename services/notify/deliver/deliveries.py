"""The delivery workers: one Loop per channel (webhook, email) over the outbox, each in
its own Runner, so a slow SMTP server never holds up webhooks nor the reverse.

`run_once()` claims a bounded batch of due rows of its channel (outbox.py: safe with
several notify processes), sends them with nothing held open in the database, and
records each outcome: sent; else another attempt after an exponential backoff with
jitter (10 s, 20 s, 40 s, … capped at an hour, each up to 20 % longer so receivers
coming back are not hit by every retry at once); after `max_attempts`, or an error no
retry can help, the final `failed` state with the last error. An e-mail whose outcome is
unknown (its data went out, the server's answer never came) also ends `failed`, with an
error saying so: retrying it could deliver it twice (mail.py). Time comes from the
service's clock, so tests move it instead of sleeping.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta

from services.notify.bootstrap import NotifyService
from services.notify.deliver.mail import MailSender
from services.notify.deliver.outbox import (
    Delivery,
    Outcome,
    claim_due,
    keep_claim,
    record_failed,
    record_retry,
    record_sent,
)
from services.notify.deliver.sealing import SecretBox
from services.notify.deliver.targets import Resolver, WebhookTargets, system_resolver
from services.notify.deliver.webhooks import WebhookSender

log = logging.getLogger("careledger.notify.deliveries")


@dataclass(frozen=True)
class DeliveryOptions:
    """How the delivery workers send and retry."""

    max_attempts: int = 10  # about 1.5 hours of retries with the backoff below
    backoff_base_seconds: float = 10.0
    backoff_cap_seconds: float = 3600.0
    jitter: float = 0.2
    webhook_batch: int = 20
    webhook_concurrency: int = 4
    email_batch: int = 10
    connect_timeout: float = 3.0
    read_timeout: float = 10.0
    smtp_timeout: float = 10.0  # each SMTP command
    # The answer to a message's data: RFC 5321 4.5.3.2.6 asks for ten minutes, since a
    # client that gives up while the server files the message sends it twice.
    smtp_data_timeout: float = 600.0
    # Longer than the slowest webhook batch and the slowest single e-mail can take (the
    # e-mail worker extends it before each message), so no other worker sees a row due
    # while it is being sent; a worker killed mid-send leaves it due again after this.
    lease_seconds: float = 900.0

    def __post_init__(self) -> None:
        if self.lease_seconds <= max(self.slowest_email_seconds, self.slowest_webhooks_seconds):
            raise ValueError(
                f"lease_seconds={self.lease_seconds} is not longer than the slowest send "
                f"({self.slowest_email_seconds:.0f} s for an e-mail, "
                f"{self.slowest_webhooks_seconds:.0f} s for a batch of webhooks)"
            )

    @property
    def slowest_email_seconds(self) -> float:
        """Connect, greeting, EHLO, MAIL, RCPT and DATA each within the command timeout,
        then the answer to the data."""
        return 6 * self.smtp_timeout + self.smtp_data_timeout

    @property
    def slowest_webhooks_seconds(self) -> float:
        """A batch sent `webhook_concurrency` at a time, each within its two timeouts."""
        rounds = -(-self.webhook_batch // self.webhook_concurrency)
        return rounds * (self.connect_timeout + self.read_timeout)


def retry_delay(attempt: int, options: DeliveryOptions, rng: random.Random) -> float:
    """Seconds to wait after failed attempt number `attempt` (1, 2, …)."""
    exponent = min(attempt - 1, 32)  # no float overflow however many attempts
    delay = min(options.backoff_cap_seconds, options.backoff_base_seconds * 2.0**exponent)
    return delay * (1 + options.jitter * rng.random())


@dataclass
class DeliveryStats:
    """Counters since start."""

    sent: int = 0
    retried: int = 0
    failed: int = 0


class DeliveryWorker:
    """A Loop for shared.runner.Runner: delivers one channel's due outbox rows."""

    def __init__(
        self,
        service: NotifyService,
        channel: str,
        send: Callable[[list[Delivery]], Iterable[Outcome]],
        *,
        batch: int,
        options: DeliveryOptions,
        close: Callable[[], None] = lambda: None,
        rng: random.Random | None = None,
    ) -> None:
        self.name = f"notify-{channel}"
        self.service = service
        self.channel = channel
        self.send = send
        self.batch = batch
        self.options = options
        self.stats = DeliveryStats()
        self._close = close
        self._rng = rng or random.Random()

    def run_once(self) -> int:
        """Sends the due rows of one batch; returns how many it tried."""
        claimed = claim_due(
            self.service.db,
            self.channel,
            self.service.clock.now(),
            limit=self.batch,
            lease=timedelta(seconds=self.options.lease_seconds),
        )
        if not claimed:
            return 0
        # Each outcome is recorded as soon as the sender yields it.
        for delivery, outcome in zip(claimed, self.send(claimed), strict=True):
            self._record(delivery, outcome)
        return len(claimed)

    def close(self) -> None:
        """Stops the sender (the database belongs to the service)."""
        self._close()

    def _record(self, delivery: Delivery, outcome: Outcome) -> None:
        db, now = self.service.db, self.service.clock.now()
        where = f"channel={self.channel} outbox_id={delivery.id} attempt={delivery.attempt}"
        if outcome.claim_lost:
            log.info("event=delivery_claimed_elsewhere %s", where)
        elif outcome.sent:
            if record_sent(db, delivery, now):
                self.stats.sent += 1
                log.info("event=delivered %s", where)
        elif outcome.final or delivery.attempt >= self.options.max_attempts:
            if record_failed(db, delivery, outcome.error):
                self.stats.failed += 1
                event = "delivery_outcome_unknown" if outcome.unknown else "delivery_failed"
                log.warning("event=%s %s error=%s", event, where, outcome.error[:200])
        else:
            delay = retry_delay(delivery.attempt, self.options, self._rng)
            if record_retry(db, delivery, outcome.error, now + timedelta(seconds=delay)):
                self.stats.retried += 1
                log.info(
                    "event=delivery_retry %s retry_in=%.0fs error=%s",
                    where,
                    delay,
                    outcome.error[:200],
                )


def webhook_worker(
    service: NotifyService,
    options: DeliveryOptions | None = None,
    rng: random.Random | None = None,
    resolve: Resolver = system_resolver,
) -> DeliveryWorker:
    """The worker that sends signed webhooks to the targets the settings allow, looking
    names up with `resolve` (the system resolver; tests hand in their own)."""
    o = options or DeliveryOptions()
    sender = WebhookSender(
        SecretBox.from_settings(service.settings),
        service.clock,
        targets=WebhookTargets.from_settings(service.settings, resolve),
        connect_timeout=o.connect_timeout,
        read_timeout=o.read_timeout,
        concurrency=o.webhook_concurrency,
    )
    return DeliveryWorker(
        service, "webhook", sender, batch=o.webhook_batch, options=o, close=sender.close, rng=rng
    )


def email_worker(
    service: NotifyService, options: DeliveryOptions | None = None, rng: random.Random | None = None
) -> DeliveryWorker:
    """The worker that sends e-mails through the configured SMTP server."""
    o = options or DeliveryOptions()
    s = service.settings
    lease = timedelta(seconds=o.lease_seconds)

    def keep(delivery: Delivery) -> bool:
        return keep_claim(service.db, delivery, service.clock.now() + lease)

    sender = MailSender(
        s.smtp_host,
        s.smtp_port,
        s.smtp_sender,
        timeout=o.smtp_timeout,
        data_timeout=o.smtp_data_timeout,
        keep_claim=keep,
    )
    return DeliveryWorker(
        service, "email", sender, batch=o.email_batch, options=o, close=sender.close, rng=rng
    )
