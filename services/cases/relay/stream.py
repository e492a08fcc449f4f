"""The relay's side of Redis: the stream, its cursor and the relay's lease, each changed
only by one of the atomic scripts of scripts.py (EVALSHA; redis-py loads a script with
SCRIPT LOAD and loads it again when Redis answers NOSCRIPT, as after a restart).

In a Redis Cluster the three keys must share a slot: give the stream name a hash tag,
e.g. `{careledger}:events`, and the derived keys carry it too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import redis

from .entries import FIELDS, Entry
from .scripts import ACQUIRE, APPEND, FLOOR, POSITION, RELEASE, START_AFTER, TRIM


@dataclass(frozen=True)
class Appended:
    """What an append answered. `outcome`: "ok" (the batch is on the stream, up to
    `position`), "lease" (the caller does not hold the lease: nothing written, `holder`
    does), or "cursor" (the stream is at `position`, not where the caller believed:
    nothing written)."""

    outcome: Literal["ok", "lease", "cursor"]
    position: int = 0
    length: int = 0
    holder: str = ""


class RelayStream:
    """The stream `name` and the relay's keys beside it, on one Redis connection."""

    def __init__(self, client: redis.Redis, name: str) -> None:
        self.client = client
        self.name = name
        self.keys = (name, f"{name}:relay:cursor", f"{name}:relay:lease")
        self._append = client.register_script(APPEND)
        self._position = client.register_script(POSITION)
        self._acquire = client.register_script(ACQUIRE)
        self._release = client.register_script(RELEASE)
        self._trim = client.register_script(TRIM)
        self._floor = client.register_script(FLOOR)
        self._start_after = client.register_script(START_AFTER)

    def append(self, token: str, after: int, entries: Sequence[Entry], lease_ms: int) -> Appended:
        """Appends `entries` (in order, each with its `previous_id`) if the caller holds
        the lease and the stream holds exactly up to `after`; atomic, one round trip."""
        args: list[str | int] = [token, str(after), lease_ms, len(FIELDS), *FIELDS]
        args.extend(
            "\x1f".join([entry["position"], *[entry[f] for f in FIELDS]]) for entry in entries
        )
        answer = self._append(keys=self.keys, args=args)
        outcome = _text(answer[0])
        if outcome == "ok":
            return Appended("ok", int(answer[1]), int(answer[2]))
        if outcome == "lease":
            return Appended("lease", holder=_text(answer[1]))
        return Appended("cursor", int(answer[1]))

    def position(self) -> int:
        """The log position the stream holds up to (0: nothing, or Redis lost it)."""
        return int(self._position(keys=self.keys))

    def acquire(self, token: str, lease_ms: int) -> tuple[bool, str]:
        """Takes or renews the lease; answers (held, holder's token)."""
        held, holder = self._acquire(keys=self.keys, args=[token, lease_ms])
        return bool(held), _text(holder)

    def release(self, token: str) -> None:
        """Gives the lease up, if it is still `token`'s."""
        self._release(keys=self.keys, args=[token])

    def trim(self, token: str) -> int:
        """Removes the entries every consumer group acknowledged; answers how many
        (-1 when `token` does not hold the lease)."""
        return int(self._trim(keys=self.keys, args=[token]))

    def floor(self) -> int:
        """The highest position every consumer group has acknowledged, with all before
        it (-1: unknown: no stream, or no group yet)."""
        return int(self._floor(keys=self.keys))

    def start_after(self, token: str, position: int) -> Appended:
        """Makes an empty stream (new, or lost by Redis) continue after `position`, if the
        caller holds the lease; answers "ok", or "cursor" with where a stream that is
        not empty is (nothing written), or "lease"."""
        answer = self._start_after(keys=self.keys, args=[token, str(position)])
        outcome = _text(answer[0])
        if outcome == "ok":
            return Appended("ok", int(answer[1]))
        if outcome == "lease":
            return Appended("lease", holder=_text(answer[1]))
        return Appended("cursor", int(answer[1]))

    def last_entry(self) -> tuple[int, dict[str, str]] | None:
        """The last entry still on the stream, with its position."""
        entries = self.client.xrevrange(self.name, count=1)
        if not entries:
            return None
        entry_id, fields = entries[0]
        return (
            int(_text(entry_id).split("-")[0]),
            {_text(k): _text(v) for k, v in (fields or {}).items()},
        )

    def length(self) -> int:
        """How many entries the stream holds."""
        return int(self.client.xlen(self.name))

    def eviction_policy(self) -> str | None:
        """Redis's maxmemory-policy, or None when CONFIG is not allowed (managed Redis)."""
        try:
            config: Any = self.client.config_get("maxmemory-policy")
        except redis.ResponseError:
            return None
        value = config.get("maxmemory-policy")
        return None if value is None else _text(value)


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
