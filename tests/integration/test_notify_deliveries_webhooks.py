"""Signed webhooks, delivered by the worker to a real HTTP server on 127.0.0.1: the
receiver can verify the signature, the idempotency key holds across retries, a receiver
that was down gets the webhook once after backing off, one that keeps failing ends in
the failed state, and two workers never send one delivery twice. Time is moved on an
injected clock, never slept. The receiver is on loopback, which webhooks may reach
only because these tests' settings allow it (CARELEDGER_WEBHOOK_ALLOW)."""

from __future__ import annotations

import hashlib
import hmac
import json
import random
import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
import redis

from services.notify.bootstrap import NotifyService, build_notify
from services.notify.deliver.deliveries import DeliveryOptions, DeliveryWorker, webhook_worker
from services.notify.deliver.outbox import redeliver
from services.notify.deliver.sealing import SecretBox
from services.notify.deliver.targets import WebhookTargets
from services.notify.route.subscriptions import add_subscription, delete_subscription
from shared.settings import Settings
from tests.integration.delivery_support import MovingClock, Receiver
from tests.integration.notify_support import (
    VILLAGE,
    Publisher,
    consumer,
    drain,
    new_case_id,
    outbox,
)

SECRET = "a-receivers-shared-secret-0123"
LOOPBACK = ("127.0.0.1/32",)


@pytest.fixture
def notify_settings(notify_settings: Settings) -> Settings:
    """The conftest's settings, allowing webhooks to the receiver on loopback."""
    return replace(notify_settings, webhook_allow=LOOPBACK)


@pytest.fixture
def clock() -> MovingClock:  # overrides the conftest's fixed clock
    return MovingClock()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    started = Receiver().start()
    yield started
    started.stop()


def _subscribe(notify: NotifyService, url: str, secret: str = SECRET) -> int:
    return add_subscription(
        notify.db,
        SecretBox.from_settings(notify.settings),
        targets=WebhookTargets.from_settings(notify.settings),
        admin="admin",
        admin_scope="3601",
        url=url,
        secret=secret,
        scope=VILLAGE[:6],
        kinds=[],
        now=notify.clock.now(),
    ).id


def _alarms(
    notify: NotifyService, client: redis.Redis, publisher: Publisher, count: int = 1
) -> list[str]:
    """`count` children found with no guardian, handled by the consumer."""
    publisher.staff()
    cases = [new_case_id() for _ in range(count)]
    for case in cases:
        publisher.identify(case, guardian_type="none")
    drain(consumer(notify, client, publisher.stream))
    return cases


def _worker(notify: NotifyService, **options: float) -> DeliveryWorker:
    return webhook_worker(
        notify,
        DeliveryOptions(**options),  # type: ignore[arg-type]
        rng=random.Random(7),
    )


def _row(notify: NotifyService) -> dict[str, object]:
    [row] = [r for r in outbox(notify) if r["channel"] == "webhook"]
    return row


def _due_in(notify: NotifyService, clock: MovingClock) -> float:
    due = datetime.fromisoformat(str(_row(notify)["next_attempt_at"]))
    return (due - clock.now()).total_seconds()


def test_a_webhook_carries_a_signature_the_receiver_can_verify_with_the_subscription_secret(
    notify: NotifyService,
    redis_client: redis.Redis,
    publisher: Publisher,
    receiver: Receiver,
    clock: MovingClock,
) -> None:
    # given
    subscription = _subscribe(notify, receiver.url)
    [case] = _alarms(notify, redis_client, publisher)
    worker = _worker(notify)
    # when
    try:
        assert worker.run_once() == 1
    finally:
        worker.close()
    # then: the receiver recomputes the HMAC over the raw bytes it got
    [request] = receiver.requests
    expected = "sha256=" + hmac.new(SECRET.encode(), request.body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(request.headers["X-CareLedger-Signature"], expected)
    forged = (
        "sha256=" + hmac.new(b"another-secret-altogether", request.body, hashlib.sha256).hexdigest()
    )
    assert request.headers["X-CareLedger-Signature"] != forged
    assert request.headers["X-CareLedger-Timestamp"] == str(int(clock.now().timestamp()))
    assert request.headers["Idempotency-Key"] == f"no_guardian:{case}:1:webhook:{subscription}"
    assert request.headers["Content-Type"] == "application/json; charset=utf-8"
    body = json.loads(request.body)
    assert (body["kind"], body["case_id"], body["jurisdiction"]) == ("no_guardian", case, VILLAGE)
    # only what the stream contract allows: no child's name, phone, ID number or address
    assert set(body) == {
        "kind",
        "level",
        "rule",
        "dedup_key",
        "case_id",
        "intervention_id",
        "jurisdiction",
        "title",
        "body",
        "event_id",
        "due_on",
        "occurred_at",
        "created_at",
    }
    row = _row(notify)
    assert (row["status"], row["attempts"], row["last_error"]) == ("sent", 1, None)
    assert row["sent_at"] == clock.now().isoformat()
    with notify.db.transaction() as tx:
        stored = tx.all("SELECT secret FROM subscriptions")
    assert SECRET not in json.dumps(stored)  # sealed at rest


def test_the_idempotency_key_body_and_signature_stay_the_same_across_retries(
    notify: NotifyService, redis_client: redis.Redis, publisher: Publisher, clock: MovingClock
) -> None:
    receiver = Receiver(answers=[500, 503]).start()
    try:
        _subscribe(notify, receiver.url)
        _alarms(notify, redis_client, publisher)
        worker = _worker(notify)
        try:
            for _ in range(3):
                worker.run_once()
                clock.advance(3600)
        finally:
            worker.close()
    finally:
        receiver.stop()
    first, second, third = receiver.requests
    assert len({r.headers["Idempotency-Key"] for r in receiver.requests}) == 1
    assert first.body == second.body == third.body
    assert len({r.headers["X-CareLedger-Signature"] for r in receiver.requests}) == 1
    assert [r.headers["X-CareLedger-Attempt"] for r in receiver.requests] == ["1", "2", "3"]
    assert (_row(notify)["status"], _row(notify)["attempts"]) == ("sent", 3)


def test_a_receiver_down_for_a_while_gets_the_webhook_once_after_backing_off(
    notify: NotifyService, redis_client: redis.Redis, publisher: Publisher, clock: MovingClock
) -> None:
    # given: the receiver is down when the alarm comes
    receiver = Receiver()
    _subscribe(notify, receiver.url)
    _alarms(notify, redis_client, publisher)
    worker = _worker(notify)
    try:
        # when: the first attempt is refused, and the next waits about 10 s
        assert worker.run_once() == 1
        row = _row(notify)
        assert (row["status"], row["attempts"]) == ("pending", 1)
        assert "ConnectionRefusedError" in str(row["last_error"])
        assert 10 <= _due_in(notify, clock) <= 12
        assert worker.run_once() == 0  # not due yet: nothing is sent early
        # the second attempt waits about twice as long
        clock.advance(12)
        assert worker.run_once() == 1
        assert 20 <= _due_in(notify, clock) <= 24
        # the receiver comes back on the same port
        receiver.start()
        clock.advance(24)
        assert worker.run_once() == 1
        # then: delivered once, and never again
        for _ in range(3):
            clock.advance(3600)
            assert worker.run_once() == 0
    finally:
        worker.close()
        receiver.stop()
    assert len(receiver.requests) == 1
    row = _row(notify)
    assert (row["status"], row["attempts"], row["last_error"]) == ("sent", 3, None)
    assert worker.stats.sent == 1 and worker.stats.retried == 2


def test_a_receiver_answering_500_forever_ends_failed_after_the_last_attempt_and_can_be_retried(
    notify: NotifyService,
    redis_client: redis.Redis,
    publisher: Publisher,
    receiver: Receiver,
    clock: MovingClock,
) -> None:
    # given
    receiver.default = 500
    _subscribe(notify, receiver.url)
    _alarms(notify, redis_client, publisher)
    worker = _worker(notify, max_attempts=4)
    try:
        # when
        for _ in range(10):
            worker.run_once()
            clock.advance(3600)
        # then
        row = _row(notify)
        assert (row["status"], row["attempts"]) == ("failed", 4)
        assert row["last_error"] == "HTTP 500 Internal Server Error"
        assert len(receiver.requests) == 4
        assert worker.stats.failed == 1
        # and once the receiver is fixed, an operator sends it again
        receiver.default = 200
        assert redeliver(notify.db, clock.now(), None) == 1
        assert worker.run_once() == 1
    finally:
        worker.close()
    assert (_row(notify)["status"], len(receiver.requests)) == ("sent", 5)


def test_backoff_grows_exponentially_with_jitter_up_to_the_cap() -> None:
    from services.notify.deliver.deliveries import retry_delay

    options = DeliveryOptions(backoff_base_seconds=10, backoff_cap_seconds=100, jitter=0.2)
    rng = random.Random(1)
    delays = [retry_delay(n, options, rng) for n in range(1, 8)]
    for delay, base in zip(delays, [10, 20, 40, 80, 100, 100, 100], strict=True):
        assert base <= delay <= base * 1.2
    assert len({round(d, 6) for d in delays[4:]}) == 3  # jittered: no two retries aligned


def test_a_slow_receiver_costs_only_its_own_timeout(
    notify: NotifyService,
    redis_client: redis.Redis,
    publisher: Publisher,
    receiver: Receiver,
    clock: MovingClock,
) -> None:
    slow = Receiver(delay=60.0).start()  # were the worker to wait for it, a minute
    try:
        _subscribe(notify, slow.url)
        _subscribe(notify, receiver.url)
        _alarms(notify, redis_client, publisher)
        worker = _worker(notify, read_timeout=0.5)
        started = datetime.now()
        try:
            assert worker.run_once() == 2
        finally:
            worker.close()
        took = (datetime.now() - started).total_seconds()
    finally:
        slow.stop()
    assert took < 30.0  # the 0.5 s read timeout, with room for a busy machine
    assert len(receiver.requests) == 1
    by_target = {r["target"]: r for r in outbox(notify)}
    assert by_target[receiver.url]["status"] == "sent"
    assert by_target[slow.url]["status"] == "pending"
    assert "timed out" in str(by_target[slow.url]["last_error"])


def test_a_deleted_subscription_sends_nothing_more(
    notify: NotifyService, redis_client: redis.Redis, publisher: Publisher, receiver: Receiver
) -> None:
    subscription = _subscribe(notify, receiver.url)
    _alarms(notify, redis_client, publisher)
    delete_subscription(notify.db, subscription, "3601", notify.clock.now())
    worker = _worker(notify)
    try:
        assert worker.run_once() == 0
    finally:
        worker.close()
    assert receiver.requests == []
    row = _row(notify)
    assert row["status"] == "failed" and "subscription deleted" in str(row["last_error"])


def test_two_workers_never_send_one_delivery_twice(
    notify: NotifyService,
    redis_client: redis.Redis,
    publisher: Publisher,
    receiver: Receiver,
    clock: MovingClock,
) -> None:
    # given: 40 deliveries due, a receiver taking a moment over each, and a second notify
    # process's worker on the same database
    receiver.delay = 0.02
    _subscribe(notify, receiver.url)
    _alarms(notify, redis_client, publisher, count=40)
    other = build_notify(notify.settings, clock=clock)
    other.db.ping()  # connected before the race starts
    workers = [_worker(notify, webhook_batch=3), _worker(other, webhook_batch=3)]
    counts = [0, 0]
    start = threading.Barrier(2)

    def work(index: int) -> None:
        start.wait()
        while (done := workers[index].run_once()) > 0:
            counts[index] += done

    # when: both work the outbox at once
    try:
        threads = [threading.Thread(target=work, args=(i,)) for i in (0, 1)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    finally:
        for worker in workers:
            worker.close()
        other.close()
    # then: each delivery went out exactly once, and both workers took part
    keys = [r.headers["Idempotency-Key"] for r in receiver.requests]
    assert len(keys) == len(set(keys)) == 40
    assert {r["status"] for r in outbox(notify)} == {"sent"}
    assert sum(counts) == 40 and min(counts) > 0


def test_a_worker_killed_mid_send_leaves_the_delivery_to_be_claimed_again_after_its_lease(
    notify: NotifyService,
    redis_client: redis.Redis,
    publisher: Publisher,
    receiver: Receiver,
    clock: MovingClock,
) -> None:
    from services.notify.deliver.outbox import claim_due

    _subscribe(notify, receiver.url)
    _alarms(notify, redis_client, publisher)
    # a worker claims it and dies before recording anything
    [claimed] = claim_due(notify.db, "webhook", clock.now(), limit=10, lease=timedelta(seconds=300))
    worker = _worker(notify)
    try:
        assert worker.run_once() == 0  # leased: nobody else sends it meanwhile
        clock.advance(301)
        assert worker.run_once() == 1
    finally:
        worker.close()
    [request] = receiver.requests
    assert request.headers["Idempotency-Key"] == claimed.idempotency_key
    assert request.headers["X-CareLedger-Attempt"] == "2"
    assert _row(notify)["status"] == "sent"


def test_a_claim_takes_no_more_than_its_batch_and_only_what_is_due(
    notify: NotifyService,
    redis_client: redis.Redis,
    publisher: Publisher,
    receiver: Receiver,
    clock: MovingClock,
) -> None:
    from services.notify.deliver.outbox import claim_due

    _subscribe(notify, receiver.url)
    _alarms(notify, redis_client, publisher, count=10)
    lease = timedelta(seconds=300)
    assert [d.id for d in claim_due(notify.db, "webhook", clock.now(), limit=3, lease=lease)] == [
        1,
        2,
        3,
    ]
    assert [d.id for d in claim_due(notify.db, "webhook", clock.now(), limit=3, lease=lease)] == [
        4,
        5,
        6,
    ]
    assert claim_due(notify.db, "email", clock.now(), limit=3, lease=lease) == []
    earlier = clock.now() - timedelta(seconds=1)  # nothing was due before it was written
    assert claim_due(notify.db, "webhook", earlier, limit=10, lease=lease) == []


def test_operators_list_failed_deliveries_and_send_them_again_by_id(
    notify: NotifyService,
    redis_client: redis.Redis,
    publisher: Publisher,
    receiver: Receiver,
    clock: MovingClock,
) -> None:
    from click.testing import CliRunner

    from services.cli import main

    s = notify.settings
    env = {
        "CARELEDGER_DATA_DIR": str(s.data_dir),
        "CARELEDGER_TOKEN_SECRET": s.token_secret,
        "CARELEDGER_NOTIFY_DATABASE_URL": s.notify_database_url,
        "CARELEDGER_NOTIFY_POSTGRES_SCHEMA": s.notify_postgres_schema,
    }
    receiver.default = 410
    _subscribe(notify, receiver.url)
    _alarms(notify, redis_client, publisher)
    worker = _worker(notify, max_attempts=1)
    try:
        worker.run_once()
        listed = CliRunner().invoke(main, ["notify", "deliveries", "list"], env=env)
        assert listed.exit_code == 0
        assert listed.output.startswith("1  webhook  failed  attempts 1  ")
        assert "HTTP 410 Gone" in listed.output and receiver.url in listed.output
        # an id that is not a failed delivery: a clear error, and nothing changes
        wrong = CliRunner().invoke(main, ["notify", "deliveries", "retry", "1", "99"], env=env)
        assert wrong.exit_code == 1 and "not failed deliveries: 99" in wrong.output
        assert _row(notify)["status"] == "failed"
        receiver.default = 200
        again = CliRunner().invoke(main, ["notify", "deliveries", "retry", "1"], env=env)
        assert again.exit_code == 0 and "1 failed deliveries queued again" in again.output
        clock.instant = max(clock.instant, datetime.now(UTC))  # the command's own clock
        assert worker.run_once() == 1
    finally:
        worker.close()
    assert (_row(notify)["status"], len(receiver.requests)) == ("sent", 2)
