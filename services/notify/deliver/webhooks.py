"""Sending webhooks: the outbox row's JSON, byte for byte as written, POSTed with

- `X-CareLedger-Signature: sha256=<hex HMAC-SHA256 of the raw body, keyed with the
  subscription's secret>`: the receiver recomputes it over the bytes it received;
- `X-CareLedger-Timestamp`: when this attempt was made (Unix seconds);
- `Idempotency-Key`: the outbox row's key, the same on every retry, so a receiver that
  saw it already can answer 2xx and do nothing.

Any 2xx is delivered; anything else (another status, a refused or timed-out connection,
a name that does not resolve) is retried by the worker. Redirects are not followed: a
receiver that moved is a configuration to fix, not something to chase with signed bodies.

Before each attempt the URL's host is resolved once and every address checked
(`targets`): a target that is or now resolves to an address webhooks may not reach is
given up, and the connection goes to the checked address, with the URL's name in the
Host header and, over https, as the TLS server name the certificate must match.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import ssl
from concurrent.futures import ThreadPoolExecutor

from services.notify.deliver.outbox import Delivery, Outcome
from services.notify.deliver.sealing import SecretBox, SecretUnreadableError
from services.notify.deliver.targets import Target, WebhookTargetError, WebhookTargets
from shared.clock import Clock

SIGNATURE_HEADER = "X-CareLedger-Signature"
TIMESTAMP_HEADER = "X-CareLedger-Timestamp"
_RESPONSE_READ_LIMIT = 64 * 1024  # read a little of the answer, so the connection ends cleanly


def signature(secret: str, body: bytes) -> str:
    """The signature header's value for `body`: `sha256=<hex digest>`."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """TLS to an address already checked, verifying the certificate of the URL's name."""

    def __init__(self, target: Target, *, timeout: float) -> None:
        self._tls = ssl.create_default_context()
        super().__init__(target.address, target.port, timeout=timeout, context=self._tls)
        self._server_name = target.host_name

    def connect(self) -> None:
        http.client.HTTPConnection.connect(self)  # TCP to the checked address, no lookup
        self.sock = self._tls.wrap_socket(self.sock, server_hostname=self._server_name)


def post(
    target: Target,
    body: bytes,
    headers: dict[str, str],
    *,
    connect_timeout: float,
    read_timeout: float,
) -> Outcome:
    """POSTs `body` to the checked `target`, connecting and reading within the timeouts."""
    connection: http.client.HTTPConnection
    if target.scheme == "https":
        connection = _PinnedHTTPSConnection(target, timeout=connect_timeout)
    else:
        connection = http.client.HTTPConnection(
            target.address, target.port, timeout=connect_timeout
        )
    try:
        connection.connect()
        if connection.sock is not None:
            connection.sock.settimeout(read_timeout)
        connection.request(
            "POST", target.path, body=body, headers={**headers, "Host": target.host_header}
        )
        response = connection.getresponse()
        response.read(_RESPONSE_READ_LIMIT)
    except (OSError, http.client.HTTPException) as error:
        return Outcome.retry(f"{type(error).__name__}: {error}")
    finally:
        connection.close()
    if 200 <= response.status < 300:
        return Outcome.ok()
    return Outcome.retry(f"HTTP {response.status} {response.reason}")


class WebhookSender:
    """Sends a batch of webhook deliveries a few at a time, so one slow receiver holds up
    only its own delivery (each bounded by the timeouts)."""

    def __init__(
        self,
        box: SecretBox,
        clock: Clock,
        *,
        targets: WebhookTargets,
        connect_timeout: float,
        read_timeout: float,
        concurrency: int,
    ) -> None:
        self.box = box
        self.clock = clock
        self.targets = targets
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self._pool = ThreadPoolExecutor(concurrency, thread_name_prefix="notify-webhook")

    def __call__(self, batch: list[Delivery]) -> list[Outcome]:
        """Sends each delivery; the outcomes in the batch's order."""
        return list(self._pool.map(self._send, batch))

    def close(self) -> None:
        """Waits for sends under way, then stops the threads."""
        self._pool.shutdown(wait=True)

    def _send(self, delivery: Delivery) -> Outcome:
        if not delivery.subscription_active or delivery.sealed_secret is None:
            return Outcome.give_up("the subscription was deleted")
        try:
            secret = self.box.open(delivery.sealed_secret)
        except SecretUnreadableError as error:
            return Outcome.give_up(str(error))
        try:
            target = self.targets.target(delivery.target)
        except WebhookTargetError as error:
            return Outcome.give_up(f"refused target: {error}")
        except (OSError, UnicodeError) as error:
            return Outcome.retry(f"{type(error).__name__}: {error}")
        body = delivery.payload.encode()
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "CareLedger-notify/1",
            SIGNATURE_HEADER: signature(secret, body),
            TIMESTAMP_HEADER: str(int(self.clock.now().timestamp())),
            "Idempotency-Key": delivery.idempotency_key,
            "X-CareLedger-Attempt": str(delivery.attempt),
        }
        return post(
            target,
            body,
            headers,
            connect_timeout=self.connect_timeout,
            read_timeout=self.read_timeout,
        )
