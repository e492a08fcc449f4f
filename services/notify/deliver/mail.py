"""Sending e-mails over SMTP (`CARELEDGER_SMTP_HOST`, `_PORT`, `_SENDER`): one session
per batch, every command bounded by a timeout, so a slow or silent server costs the
e-mail worker time and nothing else (webhooks have their own worker).

A message says what the inbox says (title, place, case link) and nothing personal. Its
Message-ID derives from the outbox row's idempotency key, the same on every retry, so a
mail system that already holds the message can tell the retry is the same one.
"""

from __future__ import annotations

import hashlib
import json
import smtplib
from email.message import EmailMessage
from email.utils import formatdate

from services.notify.deliver.outbox import Delivery, Outcome


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


class MailSender:
    """Sends a batch of e-mail deliveries in one SMTP session."""

    def __init__(self, host: str, port: int, sender: str, *, timeout: float) -> None:
        self.host = host
        self.port = port
        self.sender = sender
        self.timeout = timeout

    def __call__(self, batch: list[Delivery]) -> list[Outcome]:
        """Sends each delivery; the outcomes in the batch's order."""
        try:
            session = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        except (OSError, smtplib.SMTPException) as error:
            return [Outcome.retry(f"SMTP {type(error).__name__}: {error}")] * len(batch)
        outcomes: list[Outcome] = []
        try:
            for delivery in batch:
                outcome = self._send(session, delivery)
                outcomes.append(outcome)
                if not outcome.sent and not outcome.final and _broken(session):
                    break  # the connection is gone: the rest wait for the next attempt
        finally:
            _quit(session)
        lost = "SMTP connection lost before this message was sent"
        return outcomes + [Outcome.retry(lost)] * (len(batch) - len(outcomes))

    def close(self) -> None:
        """Nothing held between batches."""

    def _send(self, session: smtplib.SMTP, delivery: Delivery) -> Outcome:
        try:
            session.send_message(message(delivery, self.sender))
        except smtplib.SMTPRecipientsRefused as error:
            codes = [code for code, _ in error.recipients.values()]
            # 5xx: the server will never take this address; 4xx: try again later.
            if codes and all(code >= 500 for code in codes):
                return Outcome.give_up(f"SMTP refused the recipient ({codes[0]})")
            return Outcome.retry(f"SMTP refused the recipient for now ({codes})")
        except (OSError, smtplib.SMTPException) as error:
            return Outcome.retry(f"SMTP {type(error).__name__}: {error}")
        return Outcome.ok()


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
