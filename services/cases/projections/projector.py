"""The projector: follows the Cases notification log into the read models.

It is a `Loop` (shared/runner.py): `run_once()` takes the next page of notifications after
the active generation's tracking position and applies it in one transaction with the new
position. A crash at any instant leaves either the whole page or none of it; the next start
resumes from the stored position. When a rebuild switches generations, the page in hand
is refused (its generation is no longer active) and the feed restarts from the new one's
position.
"""

from __future__ import annotations

import gc
import logging
import time
from collections.abc import Callable

from eventsourcing.persistence import ApplicationRecorder

from shared.settings import Settings

from ..application import Cases
from .feeds import Feed, PollingFeed, SubscribedFeed
from .lease import AdvisoryLease, FileLease, Lease
from .pages import PageProjection
from .personal import PersonalData
from .store import GenerationMovedError, ReadModelStore, advisory_key

log = logging.getLogger("careledger.projector")
PAGE_SIZE = 1000
CATCH_UP_GROWTH = 20
REBUILD_PAGE_SIZE = 20_000  # a rebuild is all catching up: bigger pages, fewer commits


class Projector:
    """Keeps the read models up with the log, one page per transaction."""

    name = "projector"

    def __init__(
        self,
        projection: PageProjection,
        store: ReadModelStore,
        feed: Feed,
        *,
        page_size: int = PAGE_SIZE,
        max_page_size: int | None = None,
        lease: Lease | None = None,
        on_page: Callable[[int], None] | None = None,
    ) -> None:
        self.projection = projection
        self.store = store
        self.feed = feed
        self.page_size = page_size
        # Far behind (a full page came back), pages grow up to twenty times: fewer, bigger
        # transactions catch up faster (counters of a big page are summed before they are
        # written); back at the head, they are small again.
        self._limit = page_size
        self.max_page_size = max(page_size, max_page_size or page_size * CATCH_UP_GROWTH)
        self.lease = lease
        self.on_page = on_page
        self.events = 0  # notifications handled by this process
        self.pages = 0
        self.position = 0
        self.started = time.monotonic()
        self._waiting_logged = False

    def run_once(self) -> int:
        """Applies the next page, if any; returns how many notifications it covered."""
        if self.lease is not None and not self.lease.acquire():
            if not self._waiting_logged:
                log.info("event=standby reason=another projector holds the lease")
                self._waiting_logged = True
            return 0
        generation, position = self.store.active()
        try:
            notifications = self.feed.next_page(position, self._limit)
            self._limit = (
                min(self._limit * 2, self.max_page_size)
                if len(notifications) >= self._limit
                else self.page_size
            )
            if not notifications:
                self.position = position
                return 0
            with self.store.writing(generation) as tx:
                self.projection.apply(tx, notifications)
                self.position = tx.position
        except GenerationMovedError:
            log.info("event=generation_switched from=%s", generation)
            self.feed.reset()
            return 0
        except Exception:
            self.feed.reset()  # what was read ahead is read again from the stored position
            raise
        self.events += len(notifications)
        self.pages += 1
        if self.on_page is not None:
            self.on_page(self.position)
        return len(notifications)

    def close(self) -> None:
        """Stops the feed and gives up the lease (the store belongs to the service)."""
        self.feed.close()
        if self.lease is not None:
            self.lease.release()
        log.info("event=projector_stopped %s", self.summary())

    def summary(self) -> str:
        """One line: what this process did."""
        seconds = time.monotonic() - self.started
        return (
            f"events={self.events} pages={self.pages} position={self.position} "
            f"seconds={seconds:.1f}"
        )


def build_projector(
    settings: Settings,
    cases: Cases,
    store: ReadModelStore,
    *,
    subscribe: bool | None = None,
    lease: bool = True,
    stall_seconds: float = 2.0,
    page_size: int = PAGE_SIZE,
    max_page_size: int | None = None,
    on_page: Callable[[int], None] | None = None,
) -> Projector:
    """The projector for a store: subscribed on PostgreSQL, polling on SQLite."""
    recorder = cases.recorder
    assert isinstance(recorder, ApplicationRecorder)
    use_subscription = settings.uses_postgres if subscribe is None else subscribe
    feed: Feed = (
        SubscribedFeed(recorder, stall_seconds=stall_seconds)
        if use_subscription
        else PollingFeed(recorder)
    )
    holder: Lease | None = None
    if lease:
        holder = (
            AdvisoryLease(settings.database_url, advisory_key(store.schema, "projector"))
            if settings.uses_postgres
            else FileLease(store.path.with_suffix(".lock"))
        )
    return Projector(
        PageProjection(cases.mapper, PersonalData(settings.cipher_key)),
        store,
        feed,
        page_size=page_size,
        max_page_size=max_page_size,
        lease=holder,
        on_page=on_page,
    )


def catch_up(
    settings: Settings, cases: Cases, store: ReadModelStore, *, max_pages: int | None = None
) -> int:
    """Projects everything recorded so far (at most `max_pages` pages), in this thread:
    tests, benchmarks, and a read that must see the latest users. Safe beside a running
    projector: each page is applied once, whoever gets to it first. Returns the number of
    notifications handled."""
    projector = build_projector(settings, cases, store, subscribe=False, lease=False)
    handled, pages = 0, 0
    while (max_pages is None or pages < max_pages) and (done := projector.run_once()):
        handled, pages = handled + done, pages + 1
    projector.feed.close()
    return handled


def tune_gc() -> None:
    """Fewer garbage collections for a process that decodes tens of thousands of events a
    page: with the default threshold (700 allocations) the collector walks the page's
    objects again and again, which costs the projector as much as a third of its time.
    Nothing here forms reference cycles worth collecting sooner."""
    gc.freeze()  # what was loaded at start-up stays: no need to walk it each time
    gc.set_threshold(50_000, 50, 100)
