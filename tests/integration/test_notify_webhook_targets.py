"""Where webhooks may go, at delivery: the worker resolves the subscription's name once,
checks every address and connects to the checked one. A name that resolved to an allowed
address when subscribed but now resolves to a forbidden one (DNS rebinding) gets nothing;
loopback works when the operator allows it; https names the host for SNI and the
certificate check while connecting to the checked address. Names are resolved by a resolver the test
hands the worker, never by real DNS."""

from __future__ import annotations

import contextlib
import random
import socket
import ssl
import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import redis
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from services.notify.bootstrap import NotifyService
from services.notify.deliver.deliveries import DeliveryOptions, webhook_worker
from services.notify.deliver.sealing import SecretBox
from services.notify.deliver.targets import WebhookTargets
from services.notify.route.subscriptions import add_subscription
from shared.settings import Settings
from tests.integration.delivery_support import Receiver
from tests.integration.notify_support import (
    VILLAGE,
    Publisher,
    consumer,
    drain,
    new_case_id,
    outbox,
)

HOOK_HOST = "hooks.county.test"  # a name only the test's resolver knows


@pytest.fixture
def notify_settings(notify_settings: Settings) -> Settings:
    """The conftest's settings, allowing webhooks to loopback (the receiver) only."""
    return replace(notify_settings, webhook_allow=("127.0.0.1/32",))


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    started = Receiver().start()
    yield started
    started.stop()


class FakeDns:
    """A resolver whose answers the test changes, and which counts its lookups."""

    def __init__(self, **names: list[str]) -> None:
        self.names = {name.replace("_", "."): addresses for name, addresses in names.items()}
        self.lookups = 0

    def __call__(self, host: str, port: int) -> list[str]:
        self.lookups += 1
        if host not in self.names:
            raise OSError(f"unknown host {host}")
        return self.names[host]


def _subscribe(notify: NotifyService, url: str, dns: FakeDns) -> None:
    add_subscription(
        notify.db,
        SecretBox.from_settings(notify.settings),
        targets=WebhookTargets.from_settings(notify.settings, dns),
        admin="admin",
        admin_scope="3601",
        url=url,
        secret="s" * 20,
        scope=VILLAGE[:6],
        kinds=[],
        now=notify.clock.now(),
    )


def _alarm(notify: NotifyService, client: redis.Redis, publisher: Publisher) -> None:
    publisher.staff()
    publisher.identify(new_case_id(), guardian_type="none")
    drain(consumer(notify, client, publisher.stream))


def _deliver(notify: NotifyService, dns: FakeDns) -> int:
    worker = webhook_worker(notify, DeliveryOptions(), random.Random(7), resolve=dns)
    try:
        return worker.run_once()
    finally:
        worker.close()


def _webhooks(notify: NotifyService) -> list[dict[str, object]]:
    return [r for r in outbox(notify) if r["channel"] == "webhook"]


def test_an_allowed_name_gets_the_webhook_at_its_checked_address_with_its_own_host_header(
    notify: NotifyService, redis_client: redis.Redis, publisher: Publisher, receiver: Receiver
) -> None:
    # given: a name resolving to the allowed loopback
    dns = FakeDns(hooks_county_test=["127.0.0.1"])
    _subscribe(notify, f"http://{HOOK_HOST}:{receiver.port}/hook", dns)
    _alarm(notify, redis_client, publisher)
    # when
    assert _deliver(notify, dns) == 1
    # then
    [request] = receiver.requests
    assert request.headers["Host"] == f"{HOOK_HOST}:{receiver.port}"
    assert [r["status"] for r in _webhooks(notify)] == ["sent"]


def test_a_name_that_now_resolves_to_a_forbidden_address_gets_nothing(
    notify: NotifyService, redis_client: redis.Redis, publisher: Publisher, receiver: Receiver
) -> None:
    # given: subscribed while the name resolved to the allowed loopback…
    dns = FakeDns(hooks_county_test=["127.0.0.1"])
    _subscribe(notify, f"http://{HOOK_HOST}:{receiver.port}/hook", dns)
    _alarm(notify, redis_client, publisher)
    # …the name now answers the cloud metadata address as well (rebinding)
    dns.names[HOOK_HOST] = ["127.0.0.1", "169.254.169.254"]
    lookups = dns.lookups
    # when
    _deliver(notify, dns)
    # then: resolved once, refused for good, nothing sent anywhere
    assert dns.lookups == lookups + 1
    [row] = _webhooks(notify)
    assert row["status"] == "failed"
    assert "link-local" in str(row["last_error"])
    assert "169.254.169.254" not in str(row["last_error"])
    assert receiver.requests == []


def test_a_target_stored_before_the_check_existed_is_refused_at_delivery(
    notify: NotifyService, redis_client: redis.Redis, publisher: Publisher, receiver: Receiver
) -> None:
    # given: a loopback subscription stored while loopback was allowed…
    dns = FakeDns()
    _subscribe(notify, receiver.url, dns)
    _alarm(notify, redis_client, publisher)
    # …and an operator who no longer allows it
    notify.settings = replace(notify.settings, webhook_allow=())
    # when
    _deliver(notify, dns)
    # then
    [row] = _webhooks(notify)
    assert (row["status"], "loopback" in str(row["last_error"])) == ("failed", True)
    assert receiver.requests == []


def test_a_name_that_does_not_resolve_now_is_tried_again_later(
    notify: NotifyService, redis_client: redis.Redis, publisher: Publisher, receiver: Receiver
) -> None:
    dns = FakeDns()
    _subscribe(notify, f"http://{HOOK_HOST}:{receiver.port}/hook", dns)  # taken: unresolved
    _alarm(notify, redis_client, publisher)

    _deliver(notify, dns)

    [row] = _webhooks(notify)
    assert (row["status"], "unknown host" in str(row["last_error"])) == ("pending", True)


def _self_signed(folder: Path, name: str) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


def test_https_goes_to_the_checked_address_naming_the_host_for_sni_and_the_certificate(
    notify: NotifyService,
    redis_client: redis.Redis,
    publisher: Publisher,
    tmp_path: Path,
) -> None:
    # given: a TLS server on loopback with a certificate no public CA signed, which
    # records the server name each client asks for
    cert_file, key_file = _self_signed(tmp_path, HOOK_HOST)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    asked: list[str | None] = []

    def record(_socket: ssl.SSLObject, name: str | None, _context: ssl.SSLContext) -> None:
        asked.append(name)

    context.sni_callback = record
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def serve() -> None:
        with contextlib.suppress(OSError), listener:
            connection, _ = listener.accept()
            with contextlib.suppress(OSError), context.wrap_socket(connection, server_side=True):
                pass

    server = threading.Thread(target=serve, daemon=True)
    server.start()
    dns = FakeDns(hooks_county_test=["127.0.0.1"])
    _subscribe(notify, f"https://{HOOK_HOST}:{port}/hook", dns)
    _alarm(notify, redis_client, publisher)
    # when
    _deliver(notify, dns)
    server.join(timeout=10)
    # then: the name went out as SNI, and its untrusted certificate stopped the body
    assert asked == [HOOK_HOST]
    [row] = _webhooks(notify)
    assert row["status"] == "pending"
    assert "CERTIFICATE_VERIFY_FAILED" in str(row["last_error"])
