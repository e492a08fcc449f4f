"""The relay loop: the Cases application's notification log → the Redis Stream, exactly
once, in order (architecture.md, promise 3).

Each `run_once` holds the lease, reads the next batch of the log after the position the
relay believes is on the stream, maps it to entries and appends it with the one atomic
script that checks that belief (and the lease) first. Any surprise — a restarted
Redis, another relay that published meanwhile, a script re-sent by redis-py after it had
already run — shows up as a cursor mismatch that writes nothing; the relay then resumes
after where the stream really is. Entry ids are the log positions, so nothing can be on
the stream twice.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol
from uuid import UUID

from .entries import EntryMapper, chain
from .lease import Lease
from .stream import RelayStream

log = logging.getLogger("careledger.relay")


class StreamMismatchError(RuntimeError):
    """Raised when the stream holds entries of another event store (a wrong REDIS_URL
    or stream name, or an event store restored from an older backup)."""


class EventLog(Protocol):
    """What the relay reads: the application's ordered notification log."""

    def select(self, after: int, limit: int) -> list[tuple[int, Any]]:
        """Up to `limit` (position, domain event) pairs after position `after`."""

    def head(self) -> int:
        """The highest position in the log (0 when empty)."""

    def event_id_at(self, position: int) -> str | None:
        """The event id stored at `position`, None when there is none."""

    def username_of(self, user_id: UUID) -> str:
        """The username of a user aggregate."""


@dataclass
class RelayStats:
    """Counts for the progress bar, the metrics and the closing summary."""

    published: int = 0
    resyncs: int = 0
    trimmed: int = 0
    refilled_from: int | None = None  # the floor a lost stream was last refilled after


class Floor(Protocol):
    """Where a lost stream is refilled from (floor.py)."""

    def position(self) -> int:
        """The recorded floor (0: none)."""

    def raise_to(self, position: int) -> None:
        """Records a higher floor."""


class Relay:
    """A Loop (shared/runner.py) publishing the event log to one stream."""

    name = "relay"

    def __init__(
        self,
        events: EventLog,
        stream: RelayStream,
        lease: Lease,
        *,
        batch_size: int = 1000,
        trim_every_seconds: float = 5.0,
        max_backlog: int = 500_000,
        check_every_seconds: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        floor: Floor | None = None,
    ) -> None:
        self.events = events
        self.floor = floor
        self.stream = stream
        self.lease = lease
        self.mapper = EntryMapper(events.username_of)
        self.batch_size = batch_size
        self.trim_every_seconds = trim_every_seconds
        self.max_backlog = max_backlog
        self.check_every_seconds = check_every_seconds
        self.clock = clock
        self.position: int | None = None  # what this relay believes the stream holds
        self.backlog = 0
        self.stats = RelayStats()
        self._next_trim = 0.0
        self._next_check = 0.0
        self._full = False

    def run_once(self) -> int:
        """Publishes the next batch; answers how many entries it appended."""
        if not self.lease.hold():
            return 0
        if self.position is None:
            self._resume(self.stream.position())
            if self.position is None:  # the lease went with Redis: taken again next round
                return 0
        self._trim_when_due()
        if self.backlog >= self.max_backlog and self._backlog_full():
            return 0
        batch = self.events.select(self.position, self.batch_size)
        if not batch:
            self._check_when_idle()
            return 0
        entries = chain([self.mapper.to_entry(p, event) for p, event in batch], self.position)
        answer = self.stream.append(self.lease.token, self.position, entries, self.lease.ttl_ms)
        if answer.outcome == "lease":
            self.lease.lost(answer.holder)
            return 0
        if answer.outcome == "cursor":
            self.stats.resyncs += 1
            log.warning(
                "event=cursor_mismatch believed=%d stream=%d", self.position, answer.position
            )
            self._resume(answer.position)
            return 0
        self.lease.renewed()
        self.position, self.backlog = answer.position, answer.length
        self.stats.published += len(entries)
        return len(entries)

    def _check_when_idle(self) -> None:
        # With nothing new to append, a Redis that restarted empty would go unnoticed
        # until the next write: look at where the stream is, now and then.
        now = self.clock()
        if now < self._next_check:
            return
        self._next_check = now + self.check_every_seconds
        position = self.stream.position()
        if position != self.position:
            self.stats.resyncs += 1
            log.warning("event=stream_moved believed=%s stream=%d", self.position, position)
            self._resume(position)

    def _resume(self, position: int) -> None:
        """Resumes after `position`, where the stream is; refuses a stream of another log."""
        self._check_same_log()
        policy = self.stream.eviction_policy()
        if policy not in (None, "noeviction"):
            log.warning(
                'event=unsafe_redis maxmemory-policy=%s hint="Redis may evict stream '
                'entries: set maxmemory-policy noeviction"',
                policy,
            )
        if position == 0:
            started = self._start_above_floor()
            if started is None:  # the lease was not ours after all: again next round
                self.position = None
                return
            position = started
        else:
            log.info("event=resume after=%d", position)
        self.position = position

    def _start_above_floor(self) -> int | None:
        """An empty stream (new, or lost by Redis) continues after the floor: what every
        consumer group had acknowledged is needed by none. Answers where it now is, or
        None when the lease turned out not to be ours (Redis lost it too)."""
        floor = min(self.floor.position(), self.events.head()) if self.floor else 0
        if floor > 0:
            answer = self.stream.start_after(self.lease.token, floor)
            if answer.outcome == "ok":
                self.stats.refilled_from = floor
                log.warning(
                    'event=refill after=%d hint="the stream was empty: Redis lost it; '
                    'positions up to the floor were acknowledged by every consumer group"',
                    floor,
                )
                return floor
            if answer.outcome == "cursor":  # someone filled it meanwhile: go on from there
                return answer.position
            self.lease.lost(answer.holder)
            return None
        log.info('event=refill from=0 hint="the stream is empty: new, or Redis lost it"')
        return 0

    def _check_same_log(self) -> None:
        last = self.stream.last_entry()
        if last is None:
            return
        position, entry = last
        if self.events.event_id_at(position) != entry.get("event_id"):
            raise StreamMismatchError(
                f"stream {self.stream.name} holds position {position} of another event log; "
                "check REDIS_URL and CARELEDGER_STREAM"
            )

    def _trim_when_due(self) -> None:
        now = self.clock()
        if now < self._next_trim:
            return
        self._next_trim = now + self.trim_every_seconds
        removed = self.stream.trim(self.lease.token)
        if self.floor is not None and removed >= 0:
            self.floor.raise_to(self.stream.floor())
        if removed > 0:
            self.stats.trimmed += removed
            self.backlog = max(0, self.backlog - removed)
            log.info("event=trimmed removed=%d", removed)

    def _backlog_full(self) -> bool:
        # Redis runs with noeviction: past the bound, wait for consumers to catch up (and
        # trimming to free memory) rather than fill Redis until its writes fail.
        was_full = self._full
        self.backlog = self.stream.length()
        self._full = self.backlog >= self.max_backlog
        if self._full and not was_full:
            log.warning(
                'event=backlog_full length=%d max=%d hint="waiting for the consumer '
                'groups to acknowledge"',
                self.backlog,
                self.max_backlog,
            )
        return self._full

    def close(self) -> None:
        """Gives the lease up so a standby relay takes over at once."""
        try:
            self.lease.release()
        except Exception:  # Redis may be gone; the lease then simply expires
            log.warning("event=lease_release_failed")
