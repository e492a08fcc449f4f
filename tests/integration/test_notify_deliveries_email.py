"""E-mail deliveries through a real SMTP server (aiosmtpd on 127.0.0.1): each recipient
with an address gets the inbox's words and nothing personal; a slow SMTP server holds up
no webhook and its e-mails still arrive; a server that is down is retried; an address it
will never take ends failed without holding up the others."""

from __future__ import annotations

import email
import email.policy
import random
import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from email.message import EmailMessage

import pytest
import redis

from services.notify.bootstrap import NotifyService
from services.notify.deliver.deliveries import (
    DeliveryOptions,
    DeliveryWorker,
    email_worker,
    webhook_worker,
)
from services.notify.deliver.outbox import Delivery, claim_due
from services.notify.deliver.sealing import SecretBox
from services.notify.deliver.targets import WebhookTargets
from services.notify.route.subscriptions import add_subscription
from shared.runner import Runner
from tests.integration.delivery_support import (
    Mail,
    MovingClock,
    Receiver,
    SmtpServer,
    free_port,
    wait_until,
)
from tests.integration.notify_support import (
    STAFF,
    VILLAGE,
    Publisher,
    consumer,
    drain,
    new_case_id,
    outbox,
)

ADDRESSES = {
    "civil": "civil@jxx.example.gov.cn",
    "supervisor": "sup@zgz.example.gov.cn",
    "police": "police@jxx.example.gov.cn",
}


@pytest.fixture
def clock() -> MovingClock:  # overrides the conftest's fixed clock
    return MovingClock()


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer().start()
    yield server
    server.stop()


def _with_smtp(notify: NotifyService, port: int) -> None:
    notify.settings = replace(
        notify.settings,
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_sender="careledger@city.example.gov.cn",
        webhook_allow=("127.0.0.1/32",),  # the webhook receiver some tests start
    )


def _staff_with_addresses(publisher: Publisher) -> None:
    for username, (role, scope) in STAFF.items():
        publisher.user(username, role, scope, email=ADDRESSES.get(username))


def _alarm(
    notify: NotifyService, client: redis.Redis, publisher: Publisher, kind: str = "mandatory_report"
) -> str:
    case = new_case_id()
    if kind == "mandatory_report":  # county police and civil affairs
        publisher.intervention(case, "i-1", kind="mandatory_report")
    else:  # no guardian: the township supervisor and county civil affairs
        publisher.identify(case, guardian_type="none")
    drain(consumer(notify, client, publisher.stream))
    return case


def _worker(notify: NotifyService, **options: float) -> DeliveryWorker:
    return email_worker(
        notify,
        DeliveryOptions(**options),  # type: ignore[arg-type]
        rng=random.Random(3),
    )


def _parsed(content: bytes) -> EmailMessage:
    return email.message_from_bytes(content, policy=email.policy.default)


def _mails(notify: NotifyService) -> list[dict[str, object]]:
    return [r for r in outbox(notify) if r["channel"] == "email"]


def test_each_recipient_with_an_address_gets_an_email_with_the_inbox_words_and_nothing_personal(
    notify: NotifyService, redis_client: redis.Redis, publisher: Publisher, smtp: SmtpServer
) -> None:
    # given: addresses came with the users' registrations (user.registered v2)
    _with_smtp(notify, smtp.port)
    _staff_with_addresses(publisher)
    case = _alarm(notify, redis_client, publisher)
    worker = _worker(notify)
    # when
    try:
        assert worker.run_once() == 2
    finally:
        worker.close()
    # then
    assert sorted(m.recipients[0] for m in smtp.mails) == sorted(
        [ADDRESSES["civil"], ADDRESSES["police"]]
    )
    for mail in smtp.mails:
        message = _parsed(mail.content)
        assert message["Subject"] == "强制报告"
        assert message["From"] == "careledger@city.example.gov.cn"
        assert message["X-CareLedger-Kind"] == "mandatory_report"
        text = message.get_content()
        assert f"/dashboard/#/cases/{case}" in text and VILLAGE in text
        assert mail.sender == "careledger@city.example.gov.cn"
    assert {r["status"] for r in _mails(notify)} == {"sent"}
    # the same Message-ID on every attempt: one per outbox row
    ids = {_parsed(m.content)["Message-ID"] for m in smtp.mails}
    assert len(ids) == 2


def test_a_slow_smtp_server_holds_up_no_webhook_and_its_emails_still_arrive(
    notify: NotifyService, redis_client: redis.Redis, publisher: Publisher
) -> None:
    # given: an SMTP server that takes no message until the test lets it, and a webhook
    # receiver
    smtp_may_answer = threading.Event()
    smtp = SmtpServer(hold=smtp_may_answer).start()
    receiver = Receiver().start()
    _with_smtp(notify, smtp.port)
    add_subscription(
        notify.db,
        SecretBox.from_settings(notify.settings),
        targets=WebhookTargets.from_settings(notify.settings),
        admin="admin",
        admin_scope="3601",
        url=receiver.url,
        secret="s" * 20,
        scope="3601",
        kinds=[],
        now=notify.clock.now(),
    )
    _staff_with_addresses(publisher)
    _alarm(notify, redis_client, publisher)
    _alarm(notify, redis_client, publisher, kind="no_guardian")
    assert (len(_mails(notify)), len(outbox(notify)) - len(_mails(notify))) == (4, 2)
    # when: both workers run as `careledger notify run` runs them, side by side
    runners = [
        Runner(_worker(notify), idle_seconds=0.05),
        Runner(webhook_worker(notify), idle_seconds=0.05),
    ]
    threads = [threading.Thread(target=r.run) for r in runners]
    try:
        for thread in threads:
            thread.start()
        # then: the webhooks go out while the SMTP server has taken nothing
        wait_until(lambda: len(receiver.requests) == 2, seconds=30)
        assert smtp.mails == []
        smtp_may_answer.set()
        wait_until(lambda: {r["status"] for r in outbox(notify)} == {"sent"}, seconds=30)
    finally:
        smtp_may_answer.set()
        for runner in runners:
            runner.stop()
        for thread in threads:
            thread.join(timeout=30)
        receiver.stop()
        smtp.stop()
    assert max(r.at for r in receiver.requests) < min(m.at for m in smtp.mails)
    assert sorted(m.recipients[0] for m in smtp.mails) == sorted(
        [ADDRESSES["civil"], ADDRESSES["police"], ADDRESSES["civil"], ADDRESSES["supervisor"]]
    )
    assert len(set(smtp.message_ids())) == 4


def test_a_server_slower_than_the_command_timeout_to_file_a_message_still_gets_it_once(
    notify: NotifyService, redis_client: redis.Redis, publisher: Publisher, clock: MovingClock
) -> None:
    # given: a server that takes longer to file each message than a command may take
    smtp = SmtpServer(delay=2.5).start()
    _with_smtp(notify, smtp.port)
    _staff_with_addresses(publisher)
    _alarm(notify, redis_client, publisher)
    worker = _worker(notify, smtp_timeout=2.0, smtp_data_timeout=60.0)
    # when
    try:
        assert worker.run_once() == 2
        clock.advance(3600)
        assert worker.run_once() == 0
    finally:
        worker.close()
        smtp.stop()
    # then: waiting for the answer to the data is not a command's timeout
    assert {(r["status"], r["attempts"]) for r in _mails(notify)} == {("sent", 1)}
    assert len(smtp.mails) == len(set(smtp.message_ids())) == 2


def test_an_email_the_server_filed_without_answering_is_not_sent_again_unasked(
    notify: NotifyService, redis_client: redis.Redis, publisher: Publisher, clock: MovingClock
) -> None:
    # given: a server that files the first message and never answers while the worker
    # waits (a timeout, or the connection dropped at that moment)
    answer = threading.Event()
    smtp = SmtpServer(answer_when=answer).start()
    _with_smtp(notify, smtp.port)
    _staff_with_addresses(publisher)
    _alarm(notify, redis_client, publisher)
    worker = _worker(notify, smtp_data_timeout=0.5)
    # when: the worker tries, gives up waiting, and tries again later
    try:
        assert worker.run_once() == 2
        answer.set()  # from now on the server answers at once
        clock.advance(3600)
        assert worker.run_once() == 1
        clock.advance(3600)
        assert worker.run_once() == 0
    finally:
        answer.set()
        worker.close()
        smtp.stop()
    # then: each message reached the server once; the one whose fate the worker cannot
    # know ends failed, saying so, for an operator to check before sending it again
    wait_until(lambda: len(smtp.mails) >= 2, seconds=30)
    assert len(smtp.mails) == len(set(smtp.message_ids())) == 2
    unknown, sent = _mails(notify)
    assert (unknown["status"], unknown["attempts"]) == ("failed", 1)
    assert "no answer came" in str(unknown["last_error"])
    assert (sent["status"], sent["attempts"]) == ("sent", 2)
    assert (worker.stats.sent, worker.stats.failed, worker.stats.retried) == (1, 1, 1)


def test_a_row_whose_lease_ran_out_during_a_slow_batch_is_left_to_the_worker_that_claimed_it(
    notify: NotifyService, redis_client: redis.Redis, publisher: Publisher, clock: MovingClock
) -> None:
    # given: four e-mails, a worker with a 100 s lease, and a server whose first message
    # takes 60 s of the worker's clock and its second 50 s; at that moment another notify
    # process looks for due e-mails
    lease = 100.0
    taken_elsewhere: list[Delivery] = []

    def time_passes(_: Mail) -> None:
        clock.advance(60 if len(server.mails) == 1 else 50)
        if len(server.mails) == 2:
            taken_elsewhere.extend(
                claim_due(notify.db, "email", clock.now(), limit=10, lease=timedelta(seconds=lease))
            )

    server = SmtpServer(on_message=time_passes).start()
    _with_smtp(notify, server.port)
    _staff_with_addresses(publisher)
    _alarm(notify, redis_client, publisher)
    _alarm(notify, redis_client, publisher, kind="no_guardian")
    worker = _worker(notify, smtp_timeout=5.0, smtp_data_timeout=10.0, lease_seconds=lease)
    # when
    try:
        assert worker.run_once() == 4
    finally:
        worker.close()
        server.stop()
    # then: the first two, sent and recorded in their lease, were not due elsewhere; the
    # last two, whose lease had run out, went to the other process and not to the server
    first, second, third, fourth = _mails(notify)
    assert [d.id for d in taken_elsewhere] == [third["id"], fourth["id"]]
    assert sorted(m.recipients[0] for m in server.mails) == sorted(
        [str(first["target"]), str(second["target"])]
    )
    assert [(r["status"], r["attempts"]) for r in (first, second, third, fourth)] == [
        ("sent", 1),
        ("sent", 1),
        ("pending", 2),
        ("pending", 2),
    ]


def test_a_lease_shorter_than_the_slowest_email_is_refused() -> None:
    with pytest.raises(ValueError, match="lease_seconds"):
        DeliveryOptions(smtp_timeout=10, smtp_data_timeout=600, lease_seconds=300)


def test_an_smtp_server_that_is_down_is_retried_and_each_email_sent_once(
    notify: NotifyService, redis_client: redis.Redis, publisher: Publisher, clock: MovingClock
) -> None:
    # given: nothing listens where the SMTP server should be
    port = free_port()
    _with_smtp(notify, port)
    _staff_with_addresses(publisher)
    _alarm(notify, redis_client, publisher)
    worker = _worker(notify)
    smtp = SmtpServer(port=port)
    try:
        assert worker.run_once() == 2
        assert {(r["status"], r["attempts"]) for r in _mails(notify)} == {("pending", 1)}
        assert all("SMTP ConnectionRefusedError" in str(r["last_error"]) for r in _mails(notify))
        # when: it comes back, and time passes
        smtp.start()
        clock.advance(13)
        assert worker.run_once() == 2
        clock.advance(3600)
        assert worker.run_once() == 0
    finally:
        worker.close()
        smtp.stop()
    # then
    assert len(smtp.mails) == 2
    assert {(r["status"], r["attempts"]) for r in _mails(notify)} == {("sent", 2)}


def test_an_address_the_server_refuses_for_good_ends_failed_and_the_others_go(
    notify: NotifyService, redis_client: redis.Redis, publisher: Publisher
) -> None:
    smtp = SmtpServer(refuse=frozenset({ADDRESSES["police"]})).start()
    _with_smtp(notify, smtp.port)
    _staff_with_addresses(publisher)
    _alarm(notify, redis_client, publisher)
    worker = _worker(notify)
    try:
        assert worker.run_once() == 2
    finally:
        worker.close()
        smtp.stop()
    by_target = {r["target"]: r for r in _mails(notify)}
    assert by_target[ADDRESSES["civil"]]["status"] == "sent"
    refused = by_target[ADDRESSES["police"]]
    assert (refused["status"], refused["attempts"]) == ("failed", 1)
    assert refused["last_error"] == "SMTP refused the recipient (550)"
    assert [m.recipients for m in smtp.mails] == [[ADDRESSES["civil"]]]


def test_no_email_is_queued_without_an_smtp_server_configured(
    notify: NotifyService, redis_client: redis.Redis, publisher: Publisher
) -> None:
    _staff_with_addresses(publisher)
    _alarm(notify, redis_client, publisher)
    assert _mails(notify) == []
