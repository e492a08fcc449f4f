"""Where the projector's pages of notifications come from.

SQLite has no LISTEN/NOTIFY: `PollingFeed` reads the next page each time it is asked.
On PostgreSQL, `SubscribedFeed` follows the library's subscription (LISTEN/NOTIFY plus
pulls). That subscription can stall without a word: it pulls once before its LISTEN is in
place, so a NOTIFY sent in between is lost (seen in the tests after a reconnect), as is any
event committed without one, and it simply stops delivering. So
whenever the feed has been idle it compares the log's head with its own position; still
behind after `stall_seconds`, it drops the subscription and subscribes again from where
the read models are. A subscription that fails (its LISTEN connection terminated, the
database restarted) is likewise replaced.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from eventsourcing.persistence import ApplicationRecorder, Notification

log = logging.getLogger("careledger.projector")


class Feed(Protocol):
    """Pages of notifications after a position."""

    def next_page(self, after: int, limit: int) -> Sequence[Notification]:
        """Up to `limit` notifications with ids above `after` (maybe none, after a wait)."""

    def reset(self) -> None:
        """Forgets what was read ahead: the next page starts where the caller says."""

    def close(self) -> None:
        """Releases connections and threads."""


class PollingFeed:
    """Reads the log page by page (SQLite; also rebuilds and tests)."""

    def __init__(self, recorder: ApplicationRecorder) -> None:
        self.recorder = recorder

    def next_page(self, after: int, limit: int) -> Sequence[Notification]:
        """The next page straight from the log."""
        return self.recorder.select_notifications(after, limit, inclusive_of_start=False)

    def reset(self) -> None:
        """Nothing is read ahead."""

    def close(self) -> None:
        """Nothing to release."""


class _Failed:
    """What the pump hands over when the subscription ended with an error."""

    def __init__(self, error: BaseException) -> None:
        self.error = error


class SubscribedFeed:
    """Follows a PostgreSQL LISTEN/NOTIFY subscription, replacing it when it fails or
    stalls."""

    def __init__(
        self,
        recorder: ApplicationRecorder,
        *,
        wait_seconds: float = 1.0,
        stall_seconds: float = 2.0,
        buffer: int = 5000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.recorder = recorder
        self.wait_seconds = wait_seconds
        self.stall_seconds = stall_seconds
        self.buffer = buffer
        self.clock = clock
        self.resubscriptions = 0  # how often a failed or stalled subscription was replaced
        self._subscription: Any = None
        self._pump: threading.Thread | None = None
        self._queue: queue.Queue[Notification | _Failed] = queue.Queue()
        self._stop = threading.Event()
        self._after: int | None = None  # the last id handed out
        self._behind_since: float | None = None
        # Far behind, pages are read straight from the log (no threads, no queues); the
        # subscription takes over once a page comes back short: the head is near.
        self._catching_up = True

    def next_page(self, after: int, limit: int) -> Sequence[Notification]:
        """The next notifications: read directly while catching up, then from the
        subscription, waiting up to `wait_seconds`."""
        if self._catching_up:
            read = self.recorder.select_notifications(after, limit, inclusive_of_start=False)
            if len(read) >= limit:
                return read
            self._catching_up = False
            if read:
                return read
        if self._subscription is None or self._after != after:
            self._subscribe(after)
        page: list[Notification] = []
        try:
            item = self._queue.get(timeout=self.wait_seconds)
            while True:
                if isinstance(item, _Failed):
                    # Logged by type only: the error text may quote data.
                    log.warning("event=subscription_lost error=%s", type(item.error).__name__)
                    self._replace(after if not page else page[-1].id)
                    break
                if item.id > (page[-1].id if page else after):
                    page.append(item)
                if len(page) >= limit:
                    break
                item = self._queue.get_nowait()
        except queue.Empty:
            pass
        if page:
            self._after = page[-1].id
            self._behind_since = None
        elif self._subscription is not None:
            self._check_stall(after)
        return page

    def reset(self) -> None:
        """Drops the subscription; the next page starts again from the caller's position."""
        self._unsubscribe()
        self._catching_up = True

    def close(self) -> None:
        """Stops the subscription and its threads."""
        self._unsubscribe()

    def _check_stall(self, after: int) -> None:
        head = self.recorder.max_notification_id() or 0
        if head <= after:
            self._behind_since = None
            return
        now = self.clock()
        if self._behind_since is None:
            self._behind_since = now
        elif now - self._behind_since >= self.stall_seconds:
            log.warning("event=subscription_stalled position=%s head=%s", after, head)
            self._replace(after)

    def _replace(self, after: int) -> None:
        self.resubscriptions += 1
        self._subscribe(after)

    def _subscribe(self, after: int) -> None:
        self._unsubscribe()
        self._queue = queue.Queue(maxsize=self.buffer)
        self._stop = threading.Event()
        subscription = self.recorder.subscribe(gt=after)
        subscription.__enter__()
        self._subscription = subscription
        self._pump = threading.Thread(
            target=_pump,
            args=(subscription, self._queue, self._stop),
            name="projector-subscription",
            daemon=True,
        )
        self._pump.start()
        self._after = after
        self._behind_since = None

    def _unsubscribe(self) -> None:
        subscription, pump = self._subscription, self._pump
        self._subscription, self._pump, self._after = None, None, None
        if subscription is None:
            return
        self._stop.set()
        try:
            subscription.__exit__(None, None, None)  # stops it and joins its threads
        except Exception as error:  # a dead connection: it is being replaced anyway
            log.info("event=subscription_closed error=%s", type(error).__name__)
        if pump is not None:
            pump.join(timeout=5)


def _pump(
    subscription: Any, into: queue.Queue[Notification | _Failed], stop: threading.Event
) -> None:
    """Moves the subscription's notifications into a queue the projector can wait on
    with a timeout (the subscription's own iterator blocks without one)."""
    try:
        for notification in subscription:
            if not _put(into, notification, stop):
                return
    except BaseException as error:
        _put(into, _Failed(error), stop)


def _put(
    into: queue.Queue[Notification | _Failed], item: Notification | _Failed, stop: threading.Event
) -> bool:
    while not stop.is_set():
        try:
            into.put(item, timeout=0.2)
            return True
        except queue.Full:
            continue
    return False
