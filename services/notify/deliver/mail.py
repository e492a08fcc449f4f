"""Sending e-mails over SMTP (`CARELEDGER_SMTP_HOST`, `_PORT`, `_SENDER`): one session
per batch, every command bounded by a timeout, so a slow or silent server costs the
e-mail worker time and nothing else (webhooks have their own worker).

A message says what the inbox says (title, place, case link) and nothing personal. Its
Message-ID derives from the outbox row's idempotency key, the same on every attempt, so a
mail system that already holds the message can tell a second copy is the same one.

SMTP has no idempotency key, so the one moment that matters is after the message's data
has gone out: the server may have taken it before its answer was lost. Two rules keep
that from turning into a second e-mail:

- the answer to the end of the data is awaited `data_timeout` (RFC 5321 4.5.3.2.6 says
  ten minutes: a server that is slow to file a message is not a failed send);
- if it still does not come (a timeout, a dropped connection), the outcome is unknown:
  the delivery is not retried but ends failed with an error that says so, for an operator
  to check before `careledger notify redeliver`.

Before each message the sender asks `keep_claim` whether the outbox row is still this
worker's (and extends its lease): a row whose lease ran out during a slow batch and that
another worker claimed is left to that worker, never sent by both.
"""

from __future__ import annotations

import hashlib
import json
import smtplib
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from email.utils import formatdate
from typing import TYPE_CHECKING

from services.notify.deliver.outbox import Delivery, Outcome

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer


def message(delivery: Delivery, sender: str) -> EmailMessage:
    """The e-mail of one outbox row."""
    payload = json.loads(delivery.payload)
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = delivery.target
    mail["Subject"] = payload["subject"]
    mail["Date"] = formatdate(usegmt=True)
    digest = hashlib.sha256(delivery.idempotency_key.encode()).hexdigest()[:32]
    mail["Message-ID"] = f"<{digest}@careledger.notify>"
    mail["X-CareLedger-Kind"] = payload["kind"]
    mail.set_content(f"{payload['body']}\n\n-- \nCareLedger ({payload['kind']})\n")
    return mail


class OutcomeUnknownError(Exception):
    """Raised when a message's data went out but the server's answer never came."""


class MailSender:
    """Sends a batch of e-mail deliveries in one SMTP session."""

    def __init__(
        self,
        host: str,
        port: int,
        sender: str,
        *,
        timeout: float,
        data_timeout: float,
        keep_claim: Callable[[Delivery], bool] = lambda _: True,
    ) -> None:
        self.host = host
        self.port = port
        self.sender = sender
        self.timeout = timeout
        self.data_timeout = data_timeout
        self.keep_claim = keep_claim

    def __call__(self, batch: list[Delivery]) -> Iterator[Outcome]:
        """Sends each delivery, yielding its outcome as soon as it is known (the worker
        records it at once, so a sent row is never left for a lease to run out on), in the
        batch's order."""
        try:
            session = _Session(
                self.host, self.port, timeout=self.timeout, data_timeout=self.data_timeout
            )
        except (OSError, smtplib.SMTPException) as error:
            yield from [Outcome.retry(f"SMTP {type(error).__name__}: {error}")] * len(batch)
            return
        done = 0
        try:
            for delivery in batch:
                claimed = self.keep_claim(delivery)
                outcome = self._send(session, delivery) if claimed else Outcome.lost()
                done += 1
                yield outcome
                if outcome.unknown or (outcome.retryable and _broken(session)):
                    break  # the connection is gone: the rest wait for the next attempt
        finally:
            _quit(session)
        lost = "SMTP connection lost before this message was sent"
        yield from [Outcome.retry(lost)] * (len(batch) - done)

    def close(self) -> None:
        """Nothing held between batches."""

    def _send(self, session: smtplib.SMTP, delivery: Delivery) -> Outcome:
        try:
            session.send_message(message(delivery, self.sender))
        except OutcomeUnknownError as error:
            return Outcome.outcome_unknown(f"SMTP sent the message but no answer came: {error}")
        except smtplib.SMTPRecipientsRefused as error:
            codes = [code for code, _ in error.recipients.values()]
            # 5xx: the server will never take this address; 4xx: try again later.
            if codes and all(code >= 500 for code in codes):
                return Outcome.give_up(f"SMTP refused the recipient ({codes[0]})")
            return Outcome.retry(f"SMTP refused the recipient for now ({codes})")
        except (OSError, smtplib.SMTPException) as error:
            # Before the data went out, or a refusal the server answered: not sent.
            return Outcome.retry(f"SMTP {type(error).__name__}: {error}")
        return Outcome.ok()


class _Session(smtplib.SMTP):
    """An SMTP session that waits `data_timeout` for the answer to a message's data, and
    turns a missing answer into OutcomeUnknownError (any other failure means not sent)."""

    def __init__(self, host: str, port: int, *, timeout: float, data_timeout: float) -> None:
        self.data_timeout = data_timeout
        self._in_data = False
        self._data_sent = False
        super().__init__(host, port, timeout=timeout)

    def data(self, msg: ReadableBuffer | str) -> tuple[int, bytes]:
        self._in_data = True
        try:
            return super().data(msg)
        except smtplib.SMTPServerDisconnected as error:  # smtplib's word for a timeout too
            if self._data_sent:
                raise OutcomeUnknownError(str(error)) from error
            raise
        finally:
            self._in_data = False
            self._data_sent = False
            if self.sock is not None:
                self.sock.settimeout(self.timeout)

    def send(self, s: ReadableBuffer | str) -> None:
        super().send(s)
        # Inside DATA, commands are text and the message is bytes ending "\r\n.\r\n": once
        # it is out, the server may file it at any moment.
        if self._in_data and not isinstance(s, str):
            self._data_sent = True
            if self.sock is not None:
                self.sock.settimeout(self.data_timeout)


def _broken(session: smtplib.SMTP) -> bool:
    try:
        return session.noop()[0] != 250
    except (OSError, smtplib.SMTPException):
        return True


def _quit(session: smtplib.SMTP) -> None:
    try:
        session.quit()
    except (OSError, smtplib.SMTPException):
        session.close()
