"""Dead letters: entries notify cannot handle (malformed, an unknown type, a newer schema
version, or delivered too often) go to the stream `<stream>:dead` with the reason and the
original fields, and are acknowledged, so they never block the rest.

They live only in Redis, on purpose: the event log stays the truth. If Redis loses its
data, the relay refills the main stream, the dead-lettered events were never recorded as
handled, so they are delivered again and land here again.

Retrying one handles the original entry straight from the dead-letter stream through the
same handler as the consumer (the main stream's ids are the log's positions and cannot be
appended again); on success the dead letter is deleted. An event handled meanwhile is a
duplicate: the retry succeeds and changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import redis

from services.notify.bootstrap import NotifyService
from services.notify.consume.handling import handle
from shared.contracts import ContractError, parse_entry

PREFIX = "dead."  # dead-letter fields; the original entry's fields keep their names


def dead_stream(stream: str) -> str:
    """The dead-letter stream of `stream`."""
    return f"{stream}:dead"


@dataclass(frozen=True)
class DeadLetter:
    """One dead-lettered entry."""

    id: str  # its id in the dead-letter stream
    stream_id: str  # its id in the main stream
    reason: str
    deliveries: int
    at: str
    fields: dict[str, str]  # the original entry

    @property
    def type(self) -> str:
        """The entry's type, as far as it says."""
        return self.fields.get("type", "?")


def send_to_dead_letters(
    client: redis.Redis,
    stream: str,
    group: str,
    stream_id: str,
    fields: dict[str, str],
    *,
    reason: str,
    deliveries: int,
    consumer: str,
    now: datetime,
) -> None:
    """Adds the entry to the dead letters and acknowledges it, atomically (MULTI), so a
    crash in between neither loses it nor dead-letters it twice."""
    record = {
        **fields,
        f"{PREFIX}reason": reason[:2000],
        f"{PREFIX}stream_id": stream_id,
        f"{PREFIX}deliveries": str(deliveries),
        f"{PREFIX}at": now.isoformat(),
        f"{PREFIX}consumer": consumer,
    }
    pipe = client.pipeline(transaction=True)
    pipe.xadd(dead_stream(stream), record)  # type: ignore[arg-type]
    pipe.xack(stream, group, stream_id)
    pipe.execute()


def list_dead_letters(
    client: redis.Redis, stream: str, *, count: int = 100, after: str = "-"
) -> list[DeadLetter]:
    """The oldest `count` dead letters after id `after`."""
    start = after if after == "-" else f"({after}"
    rows: Any = client.xrange(dead_stream(stream), start, "+", count=count)
    return [_dead_letter(i, f) for i, f in rows]


def all_dead_letters(client: redis.Redis, stream: str) -> Iterator[DeadLetter]:
    """Every dead letter, oldest first, read page by page."""
    after = "-"
    while page := list_dead_letters(client, stream, count=500, after=after):
        yield from page
        after = page[-1].id


def get_dead_letter(client: redis.Redis, stream: str, dead_id: str) -> DeadLetter | None:
    """The dead letter with id `dead_id`, or None."""
    found: Any = client.xrange(dead_stream(stream), dead_id, dead_id, count=1)
    return _dead_letter(*found[0]) if found else None


def count_dead_letters(client: redis.Redis, stream: str) -> int:
    """How many dead letters wait."""
    return int(client.xlen(dead_stream(stream)))


@dataclass(frozen=True)
class RetryResult:
    """How retrying one dead letter went."""

    id: str
    ok: bool
    duplicate: bool = False
    error: str = ""


def retry(
    service: NotifyService, client: redis.Redis, stream: str, letter: DeadLetter
) -> RetryResult:
    """Handles the original entry again; deletes the dead letter when that succeeds."""
    try:
        env = parse_entry(letter.fields)
    except ContractError as error:
        return RetryResult(letter.id, ok=False, error=str(error))
    try:
        with service.db.transaction() as tx:
            result = handle(tx, env, service.clock.now(), email=service.email_enabled)
    except Exception as error:  # the reason is reported; the dead letter stays
        return RetryResult(letter.id, ok=False, error=f"{type(error).__name__}: {error}")
    # Deleted only after the commit: a crash in between leaves a dead letter whose next
    # retry is a harmless duplicate.
    client.xdel(dead_stream(stream), letter.id)
    return RetryResult(letter.id, ok=True, duplicate=result.duplicate)


def _dead_letter(dead_id: bytes | str, raw: dict[Any, Any]) -> DeadLetter:
    fields = {_text(k): _text(v) for k, v in raw.items()}
    meta = {k.removeprefix(PREFIX): v for k, v in fields.items() if k.startswith(PREFIX)}
    original = {k: v for k, v in fields.items() if not k.startswith(PREFIX)}
    deliveries = meta.get("deliveries", "0")
    return DeadLetter(
        _text(dead_id),
        meta.get("stream_id", "?"),
        meta.get("reason", ""),
        int(deliveries) if deliveries.isdigit() else 0,
        meta.get("at", ""),
        original,
    )


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value
