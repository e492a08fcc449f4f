"""The stream consumer: reads the relay's stream in a consumer group and hands each entry
to the handler, exactly once in effect (promise 4).

- The group is created at id 0 (a group at `$` would silently skip history), and again
  when Redis answers NOGROUP (restarted empty, stream deleted): the replay is harmless,
  because what was handled is recorded in notify's database, never only in Redis.
- A batch is handled in one transaction, one savepoint per entry; entries are acked only
  after the commit. A crash in between means a re-delivery, which the dedup absorbs.
- An entry whose handling fails stays pending and is retried by the periodic upkeep
  (this consumer's own pending entries, then XAUTOCLAIM of entries idle too long in
  dead consumers); one delivered more than `max_deliveries` times, or one that breaks the
  contract, goes to the dead letters and never blocks the rest.
- Each entry names the stream id before it: an unseen predecessor is logged as a gap
  (a metric, not a stop).
"""

from __future__ import annotations

import logging
import os
import re
import socket
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import redis

from services.notify.bootstrap import NotifyService
from services.notify.consume.batch import handle_batch
from services.notify.consume.deadletters import send_to_dead_letters
from services.notify.consume.handling import handled_ids, undecided
from shared.contracts import ContractError, Envelope, parse_entry

log = logging.getLogger("careledger.notify.consumer")
Entry = tuple[str, dict[str, str]]
_GONE_CONSUMER_IDLE_MS = 3_600_000  # forget consumers idle an hour with nothing pending
# A dead letter's position, remembered for gap detection only when it can be one (ASCII
# digits, 64 bits): `isdigit()` lets through "²" and 5,000 digits, which int() refuses.
_POSITION = re.compile(r"^[0-9]{1,18}$")


def default_consumer_name() -> str:
    """host:pid, unique per process; a restarted process's leftovers are reclaimed."""
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass(frozen=True)
class ConsumerOptions:
    """How the consumer reads."""

    group: str = "notify"
    consumer: str = field(default_factory=default_consumer_name)
    batch: int = 1000  # as the relay appends; fewer, larger transactions (benchmarks.md)
    block_ms: int = 1000
    min_idle_ms: int = 30_000  # an entry pending this long in another consumer is taken
    max_deliveries: int = 10
    upkeep_seconds: float = 15.0


@dataclass
class ConsumerStats:
    """Counters since start (logged, and shown by `careledger notify run`)."""

    handled: int = 0
    duplicates: int = 0
    notifications: int = 0
    dead_lettered: int = 0
    failures: int = 0
    gaps: int = 0
    groups_created: int = 0


class Consumer:
    """One consumer of the group; a Loop for shared.runner.Runner."""

    name = "notify-consumer"

    def __init__(
        self,
        service: NotifyService,
        client: redis.Redis,
        stream: str,
        options: ConsumerOptions | None = None,
    ) -> None:
        self.service = service
        self.redis = client
        # A client that decodes its replies (hiredis, in C: `redis_client(decode=True)`)
        # hands over text; a plain one bytes, decoded here field by field.
        self._decoded = bool(client.get_encoder().decode_responses)
        self.stream = stream
        self.options = options or ConsumerOptions()
        self.stats = ConsumerStats()
        self._group_ready = False
        self._healthy = True
        self._next_upkeep = 0.0
        self._phase, self._cursor = "own", "0"
        self._last_errors: dict[str, str] = {}
        self._recent: deque[int] = deque(maxlen=10_000)
        self._recent_set: set[int] = set()

    # ---- the loop ------------------------------------------------------------------

    def run_once(self) -> int:
        """Upkeep when due, then one blocking read of new entries; returns how many
        entries it handled, acknowledged or dead-lettered."""
        try:
            if not self._healthy:
                # After a failure, touch Redis only once the database answers: reading
                # would raise delivery counts towards the dead letters for nothing.
                self.service.db.ping()
                self._next_upkeep = 0.0
            self._ensure_group()
            done = 0
            upkeep_running = time.monotonic() >= self._next_upkeep
            if upkeep_running:
                done += self._upkeep()
            block = None if upkeep_running else self.options.block_ms
            done += self._process(self._read(">", block), {})
            self._healthy = True
            return done
        except BaseException:
            self._healthy = False
            raise

    def close(self) -> None:
        """Closes the Redis connection (the service's database belongs to the caller)."""
        self.redis.close()

    def pending(self) -> int:
        """How many entries the group has delivered and not yet acknowledged."""
        try:
            return int(self.redis.xpending(self.stream, self.options.group)["pending"])
        except redis.RedisError:  # no group yet, or Redis away: nothing known pending
            return 0

    # ---- reading ---------------------------------------------------------------------

    def _read(self, start: str, block: int | None) -> list[Entry]:
        reply = self._call(
            lambda: self.redis.xreadgroup(
                self.options.group,
                self.options.consumer,
                {self.stream: start},
                count=self.options.batch,
                block=block,
            )
        )
        if not reply:
            return []
        # RESP2 answers a list of [stream, entries]; RESP3 a dict.
        streams = reply.items() if isinstance(reply, dict) else reply
        return self._entries(pair for _, entries in streams for pair in entries)

    def _entries(self, pairs: Iterable[tuple[Any, Any]]) -> list[Entry]:
        if self._decoded:
            return [(i, f or {}) for i, f in pairs]
        return [(_text(i), _fields(f)) for i, f in pairs]

    def _upkeep(self) -> int:
        """One step of the upkeep: this consumer's own pending entries page by page,
        then other consumers' stuck entries; the next step runs at once until done."""
        batch = self.options.batch
        if self._phase == "own":
            entries = self._read(self._cursor, None)
            done = self._process(entries, self._delivery_counts(entries))
            if len(entries) == batch:
                self._cursor = entries[-1][0]
            else:
                self._phase, self._cursor = "claim", "0-0"
            return done
        reply: Any = self._call(
            lambda: self.redis.xautoclaim(
                self.stream,
                self.options.group,
                self.options.consumer,
                self.options.min_idle_ms,
                self._cursor,
                count=batch,
            )
        )
        claimed = self._entries(reply[1])
        done = self._process(claimed, self._delivery_counts(claimed))
        self._cursor = _text(reply[0])
        if self._cursor == "0-0":
            self._forget_gone_consumers()
            self._phase, self._cursor = "own", "0"
            self._next_upkeep = time.monotonic() + self.options.upkeep_seconds
        return done

    def _delivery_counts(self, entries: list[Entry]) -> dict[str, int]:
        if not entries:
            return {}
        pipe = self.redis.pipeline(transaction=False)
        for entry_id, _ in entries:
            pipe.xpending_range(
                self.stream, self.options.group, entry_id, entry_id, 1, self.options.consumer
            )
        counts: dict[str, int] = {}
        for rows in self._call(pipe.execute):
            for row in rows:
                counts[_text(row["message_id"])] = int(row["times_delivered"])
        return counts

    # ---- handling --------------------------------------------------------------------

    def _process(self, entries: list[Entry], counts: dict[str, int]) -> int:
        if not entries:
            return 0
        acks: list[str] = []
        checked: list[tuple[str, Envelope]] = []
        recorded = self._recorded(entries)
        for entry_id, fields in entries:
            deliveries = counts.get(entry_id, 1)
            if fields.get("event_id") in recorded:
                # Handled before (a replay, a redelivery): acknowledged without checking
                # it again. The event it names was checked, handled and recorded in one
                # transaction; what else the entry holds changes nothing any more.
                acks.append(entry_id)
                self._last_errors.pop(entry_id, None)
                self.stats.duplicates += 1
                if _POSITION.match(fields.get("position", "")):
                    self._remember(int(fields["position"]))
                continue
            if not fields:  # trimmed or deleted while pending: nothing left to handle
                log.warning("event=entry_vanished stream_id=%s", entry_id)
                acks.append(entry_id)
            elif (garbled := _not_utf8(fields)) is not None:
                self._dead_letter(
                    entry_id, _readable(fields), f"field {garbled!r} is not UTF-8", deliveries
                )
            elif deliveries > self.options.max_deliveries:
                last = self._last_errors.pop(entry_id, "not known to this consumer")
                self._dead_letter(
                    entry_id,
                    fields,
                    f"delivered {deliveries} times "
                    f"(limit {self.options.max_deliveries}); last error: {last}",
                    deliveries,
                )
            else:
                try:
                    env = parse_entry(fields)
                except ContractError as error:
                    self._dead_letter(entry_id, fields, str(error), deliveries)
                    continue
                if (reason := undecided(env)) is not None:
                    self._dead_letter(entry_id, fields, reason, deliveries)
                else:
                    checked.append((entry_id, env))
        failures = self._handle_all(checked, acks)
        if acks:
            self._call(lambda: self.redis.xack(self.stream, self.options.group, *acks))
        return len(entries) - failures

    def _recorded(self, entries: list[Entry]) -> set[str]:
        """The event ids of `entries` already recorded as handled, in one query: after
        Redis lost its data, or when a consumer took over another's pending entries, a
        batch is mostly such duplicates, and acking them costs no decoding."""
        # Only ids a database can be asked about: the others (not UTF-8, a NUL) go the
        # usual way, to the dead letters.
        ids = [
            i for _, f in entries if (i := f.get("event_id")) and "\x00" not in i and _is_utf8(i)
        ]
        if not ids:
            return set()
        with self.service.db.transaction(write=False) as tx:
            return handled_ids(tx, ids)

    def _handle_all(self, checked: list[tuple[str, Envelope]], acks: list[str]) -> int:
        """Handles the entries in one transaction; appends the handled ones to `acks`
        (to be acked after the commit); returns how many failed."""
        outcome = handle_batch(self.service, checked, self._recent_set.__contains__)
        # Committed: acknowledge and count it.
        for entry_id, env in outcome.done:
            acks.append(entry_id)
            self._last_errors.pop(entry_id, None)
            self._remember(env.position)
        if len(self._last_errors) > 10_000:
            self._last_errors.clear()  # bounded: entries another consumer took over
        self._last_errors.update(outcome.failed)
        self.stats.handled += outcome.handled
        self.stats.duplicates += outcome.duplicates
        self.stats.notifications += outcome.notifications
        self.stats.gaps += outcome.gaps
        self.stats.failures += len(outcome.failed)
        return len(outcome.failed)

    def _remember(self, position: int) -> None:
        if len(self._recent) == self._recent.maxlen:
            self._recent_set.discard(self._recent[0])
        self._recent.append(position)
        self._recent_set.add(position)

    def _dead_letter(
        self, entry_id: str, fields: dict[str, str], reason: str, deliveries: int
    ) -> None:
        self._call(
            lambda: send_to_dead_letters(
                self.redis,
                self.stream,
                self.options.group,
                entry_id,
                fields,
                reason=reason,
                deliveries=deliveries,
                consumer=self.options.consumer,
                now=self.service.clock.now(),
            )
        )
        self.stats.dead_lettered += 1
        if _POSITION.match(fields.get("position", "")):
            self._remember(int(fields["position"]))
        log.warning("event=dead_lettered stream_id=%s reason=%s", entry_id, reason[:300])

    # ---- the group -----------------------------------------------------------------

    def _ensure_group(self) -> None:
        if self._group_ready:
            return
        try:
            self.redis.xgroup_create(self.stream, self.options.group, id="0", mkstream=True)
            self.stats.groups_created += 1
            log.info("event=group_created stream=%s group=%s", self.stream, self.options.group)
        except redis.ResponseError as error:
            if "BUSYGROUP" not in str(error):
                raise
        self._group_ready = True

    def _call(self, command: Any) -> Any:
        """Runs a Redis command; on NOGROUP (Redis restarted empty, stream deleted)
        recreates the group at 0 and runs it once more."""
        try:
            return command()
        except redis.ResponseError as error:
            if "NOGROUP" not in str(error):
                raise
        log.warning("event=nogroup stream=%s group=%s", self.stream, self.options.group)
        self._group_ready = False
        self._phase, self._cursor = "own", "0"
        self._ensure_group()
        return command()

    def _forget_gone_consumers(self) -> None:
        for info in self._call(lambda: self.redis.xinfo_consumers(self.stream, self.options.group)):
            name = _text(info["name"])
            if (
                name != self.options.consumer
                and int(info["pending"]) == 0
                and int(info["idle"]) > _GONE_CONSUMER_IDLE_MS
            ):
                self.redis.xgroup_delconsumer(self.stream, self.options.group, name)


def _text(value: bytes | str) -> str:
    # Never a crash on bad bytes: an entry's undecodable bytes are kept as lone
    # surrogates, which `_not_utf8` finds, so the entry is dead-lettered, not garbled.
    return value.decode("utf-8", "surrogateescape") if isinstance(value, bytes) else value


def _fields(raw: dict[Any, Any] | None) -> dict[str, str]:
    if not raw:
        return {}
    # `_text` inlined: this runs for every field of every entry read.
    return {
        (k.decode("utf-8", "surrogateescape") if isinstance(k, bytes) else k): (
            v.decode("utf-8", "surrogateescape") if isinstance(v, bytes) else v
        )
        for k, v in raw.items()
    }


def _not_utf8(fields: dict[str, str]) -> str | None:
    """The name of the first field whose name or value was not UTF-8, else None."""
    if _is_utf8("".join(fields) + "".join(fields.values())):
        return None  # the usual case, in one encoding instead of two a field
    for key, value in fields.items():
        if not (_is_utf8(key) and _is_utf8(value)):
            return _readable_text(key)
    return None


def _is_utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _readable(fields: dict[str, str]) -> dict[str, str]:
    """The fields as stored in the dead letters: bytes that were not UTF-8 as U+FFFD."""
    return {_readable_text(k): _readable_text(v) for k, v in fields.items()}


def _readable_text(text: str) -> str:
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
