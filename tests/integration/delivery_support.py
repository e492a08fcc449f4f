"""Real receivers for the delivery tests: an HTTP server (http.server in a thread on
127.0.0.1) that records every request and answers what the test says, and can be stopped
and started again on the same port; an SMTP server (aiosmtpd) that can be slow; and a
clock the test moves instead of sleeping."""

from __future__ import annotations

import asyncio
import email
import email.policy
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller

from tests.support import TODAY, FixedClock


class MovingClock(FixedClock):
    """A clock that stands still until the test moves it (TODAY, 04:00 UTC, to begin)."""

    def __init__(self) -> None:
        super().__init__(TODAY)
        self.instant = datetime(TODAY.year, TODAY.month, TODAY.day, 4, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.instant

    def advance(self, seconds: float) -> None:
        self.instant += timedelta(seconds=seconds)
        self.day = self.instant.date()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass(frozen=True)
class Received:
    """One request as the receiver saw it: the raw body, byte for byte."""

    path: str
    headers: dict[str, str]
    body: bytes
    at: float  # time.monotonic()


class Receiver:
    """A webhook receiver on 127.0.0.1. `answers` is consumed one status per request
    (then `default`); `delay` seconds pass before each answer."""

    def __init__(
        self,
        *,
        answers: list[int] | None = None,
        default: int = 200,
        delay: float = 0.0,
        port: int | None = None,
    ) -> None:
        self.answers = list(answers or [])
        self.default = default
        self.delay = delay
        self.port = port or free_port()
        self.requests: list[Received] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                time.sleep(receiver.delay)
                status = receiver._record(
                    Received(self.path, dict(self.headers.items()), body, time.monotonic())
                )
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_: Any) -> None:  # quiet test output
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        """Stops listening: connections to the port are refused until `start()`."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def _record(self, received: Received) -> int:
        with self._lock:
            self.requests.append(received)
            return self.answers.pop(0) if self.answers else self.default


@dataclass(frozen=True)
class Mail:
    """One message the SMTP server accepted."""

    sender: str
    recipients: list[str]
    content: bytes
    at: float


class SmtpServer:
    """A real SMTP server (aiosmtpd) on 127.0.0.1. Before taking each message it waits
    `delay` seconds, and until `hold` is set when given (a server as slow as the test
    needs, without guessing at timings). Once it has filed a message (in `mails`), it
    calls `on_message` and, when `answer_when` is given, withholds its answer until that
    is set: the client cannot know the message arrived."""

    def __init__(
        self,
        *,
        delay: float = 0.0,
        port: int | None = None,
        refuse: frozenset[str] = frozenset(),
        hold: threading.Event | None = None,
        answer_when: threading.Event | None = None,
        on_message: Callable[[Mail], None] = lambda _: None,
    ) -> None:
        self.delay = delay
        self.port = port or free_port()
        self.refuse = refuse  # addresses answered 550: no such mailbox
        self.hold = hold
        self.answer_when = answer_when
        self.on_message = on_message
        self.mails: list[Mail] = []
        self._controller: Controller | None = None

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        if address in self.refuse:
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        await asyncio.sleep(self.delay)
        await _until(self.hold)
        content = bytes(envelope.content)
        mail = Mail(envelope.mail_from, list(envelope.rcpt_tos), content, time.monotonic())
        self.mails.append(mail)
        self.on_message(mail)
        await _until(self.answer_when)
        return "250 Message accepted"

    def message_ids(self) -> list[str]:
        """The Message-ID of each message taken, in the order taken."""
        return [
            str(email.message_from_bytes(m.content, policy=email.policy.default)["Message-ID"])
            for m in self.mails
        ]

    def start(self) -> SmtpServer:
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


async def _until(event: threading.Event | None) -> None:
    while event is not None and not event.is_set():
        await asyncio.sleep(0.01)


def wait_until(
    condition: Callable[[], bool],
    seconds: float = 20.0,
    state: Callable[[], object] = lambda: "",
) -> None:
    """Returns as soon as `condition()` holds; fails after `seconds` (a bound for a busy
    machine, not a timing the test relies on), saying `state()`: what was seen instead."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out after {seconds} s: {state()}"
        time.sleep(0.02)
