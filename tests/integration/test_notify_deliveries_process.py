"""`careledger notify run` as a real process sends webhooks and e-mails beside consuming:
with a slow SMTP server, the webhooks go out first and every e-mail still arrives, once;
the summary line counts what was delivered. Nothing here depends on how fast the machine
is: the SMTP server takes no message until the webhooks are in, and the test waits for
the outbox to say every delivery was sent (bounded, for a machine that is merely busy)."""

from __future__ import annotations

import hashlib
import hmac
import os
import signal
import subprocess
import sys
import threading

import redis

from services.notify.bootstrap import NotifyService
from services.notify.deliver.sealing import SecretBox
from services.notify.deliver.targets import WebhookTargets
from services.notify.route.subscriptions import add_subscription
from tests.integration.delivery_support import Receiver, SmtpServer, wait_until
from tests.integration.notify_support import STAFF, Publisher, new_case_id, outbox

SECRET = "process-test-secret-0123456789"


def _start(notify: NotifyService, smtp_port: int) -> subprocess.Popen[str]:
    s = notify.settings
    env = {
        **os.environ,
        "CARELEDGER_DATA_DIR": str(s.data_dir),
        "REDIS_URL": s.redis_url,
        "CARELEDGER_STREAM": s.stream,
        "CARELEDGER_TOKEN_SECRET": s.token_secret,
        "CARELEDGER_NOTIFY_DATABASE_URL": s.notify_database_url,
        "CARELEDGER_NOTIFY_POSTGRES_SCHEMA": s.notify_postgres_schema,
        "CARELEDGER_SMTP_HOST": "127.0.0.1",
        "CARELEDGER_SMTP_PORT": str(smtp_port),
        "CARELEDGER_SMTP_SENDER": "careledger@city.example.gov.cn",
        "CARELEDGER_LOG_LEVEL": "WARNING",
        "CARELEDGER_WEBHOOK_ALLOW": "127.0.0.1/32",  # the receiver on loopback
    }
    return subprocess.Popen(
        [sys.executable, "-m", "services.cli", "notify", "run", "--consumer", "notify-deliveries"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _statuses(notify: NotifyService) -> list[str]:
    return [str(row["status"]) for row in outbox(notify)]


def test_notify_run_delivers_webhooks_ahead_of_a_slow_smtp_server_and_every_email_arrives(
    notify: NotifyService, redis_client: redis.Redis, publisher: Publisher
) -> None:
    # given: a receiver, an SMTP server that takes no message until the test lets it, and
    # staff with addresses; the subscription sealed with the key the process will read
    receiver = Receiver().start()
    smtp_may_answer = threading.Event()
    smtp = SmtpServer(hold=smtp_may_answer).start()
    box = SecretBox.from_settings(notify.settings.with_generated_secrets())
    add_subscription(
        notify.db,
        box,
        targets=WebhookTargets(["127.0.0.1/32"]),
        admin="admin",
        admin_scope="3601",
        url=receiver.url,
        secret=SECRET,
        scope="3601",
        kinds=["mandatory_report"],
        now=notify.clock.now(),
    )
    for username, (role, scope) in STAFF.items():
        publisher.user(username, role, scope, email=f"{username}@example.gov.cn")
    process = _start(notify, smtp.port)
    try:
        # when: two mandatory reports (two webhooks, four e-mails to police and civil)
        for number in (1, 2):
            # No due date: the process's scheduler runs on the real clock, to which any
            # fixed date falls due one day, and would add its overdue e-mails.
            publisher.intervention(
                new_case_id(), f"i-{number}", kind="mandatory_report", due_by=None
            )
        # then: the webhooks arrive while the SMTP server has taken nothing

        def seen() -> str:  # what the test saw, should it time out
            rows = [
                (r["channel"], r["status"], r["attempts"], r["last_error"]) for r in outbox(notify)
            ]
            return (
                f"webhooks {len(receiver.requests)}, mails {len(smtp.mails)}, outbox {rows}, "
                f"process alive {process.poll() is None}"
            )

        wait_until(lambda: len(receiver.requests) == 2, seconds=60, state=seen)
        assert smtp.mails == []
        smtp_may_answer.set()
        wait_until(lambda: _statuses(notify) == ["sent"] * 6, seconds=60, state=seen)
    finally:
        smtp_may_answer.set()
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=30)
        receiver.stop()
        smtp.stop()
    assert process.returncode == 0, stderr
    for request in receiver.requests:
        expected = "sha256=" + hmac.new(SECRET.encode(), request.body, hashlib.sha256).hexdigest()
        assert request.headers["X-CareLedger-Signature"] == expected
    # each e-mail once (the order they are sent in is not promised)
    assert sorted(m.recipients[0] for m in smtp.mails) == sorted(
        ["police@example.gov.cn", "civil@example.gov.cn"] * 2
    )
    assert len(set(smtp.message_ids())) == 4
    last = stderr.strip().splitlines()[-1]
    assert last.endswith("deliveries: 6 sent, 0 retries scheduled, 0 failed"), last
