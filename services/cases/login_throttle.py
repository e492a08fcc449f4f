"""Login throttling: failed logins counted per username and per client address in the
database beside the events (so every API process agrees), locking a key out for a while
after too many; and a bound on how many passwords one process hashes at once.

Both are checked before any password is hashed: a refused login costs a read of one
table, not an Argon2 computation, so a flood of wrong passwords cannot starve the API.
"""

from __future__ import annotations

import hashlib
import math
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from shared.clock import Clock
from shared.sql import Database, Transaction


class TooManyLoginsError(Exception):
    """Raised when a login is refused because of too many recent failures (the message
    never says whether it was the username or the address, nor whether the user exists)."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"Too many failed logins. Try again in {_seconds(retry_after)}.")
        self.retry_after = retry_after


class LoginsBusyError(Exception):
    """Raised when every password-hashing slot stays busy: the login is refused at once
    rather than queued."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"Too many logins at once. Try again in {_seconds(retry_after)}.")
        self.retry_after = retry_after


def _seconds(n: int) -> str:
    return "1 second" if n == 1 else f"{n} seconds"


@dataclass(frozen=True)
class Limit:
    """`failures` failures lock a key for `lockout`, doubled for each further failure
    after the lock ends, up to `max_lockout`. A key's failures are forgotten `window`
    after its last failure or, when locked, after its lockout ends: an attacker who waits
    out each lockout stays at the longest one."""

    failures: int
    window: timedelta
    lockout: timedelta
    max_lockout: timedelta

    def lock_for(self, failures: int) -> timedelta | None:
        """How long `failures` failures (not yet forgotten) lock the key, or None."""
        if failures < self.failures:
            return None
        doublings = min(failures - self.failures, 32)
        lockout: timedelta = min(self.lockout * (2**doublings), self.max_lockout)
        return lockout


# A person mistyping gets five tries; an address (an office behind one router, say)
# gets ten times that across all its usernames. Lockouts run 30 s, 1, 2, 4, 8 and at
# most 15 minutes; failures are forgotten 15 quiet minutes after the last lockout ends.
PER_USER = Limit(5, timedelta(minutes=15), timedelta(seconds=30), timedelta(minutes=15))
PER_ADDRESS = Limit(50, timedelta(minutes=15), timedelta(seconds=30), timedelta(minutes=15))


class LoginThrottle:
    """Counts failed logins per username and per address; refuses while either is locked."""

    def __init__(
        self,
        tables: Database,
        clock: Clock,
        *,
        per_user: Limit = PER_USER,
        per_address: Limit = PER_ADDRESS,
    ) -> None:
        self.tables = tables
        self.clock = clock
        self.limits = {"user": per_user, "address": per_address}
        self.name = tables.table("careledger_login_throttle")

    def check(self, username: str, address: str | None) -> None:
        """Raises TooManyLoginsError while the username or the address is locked out."""
        keys = self._keys(username, address)
        now = self.clock.now()
        marks = ", ".join("?" for _ in keys)
        with self.tables.transaction(write=False) as tx:
            rows = tx.all(
                f"SELECT locked_until FROM {self.name} WHERE key IN ({marks}) "
                "AND locked_until IS NOT NULL",
                list(keys),
            )
        waits = [datetime.fromisoformat(r["locked_until"]) - now for r in rows]
        longest = max(waits, default=timedelta(0))
        if longest > timedelta(0):
            raise TooManyLoginsError(math.ceil(longest.total_seconds()))

    def failed(self, username: str, address: str | None) -> None:
        """Counts one failed login against the username and the address."""
        now = self.clock.now()
        with self.tables.transaction() as tx:
            # Forgotten rows go first, so usernames an attacker invents do not pile up.
            tx.execute(f"DELETE FROM {self.name} WHERE expires < ?", (now.isoformat(),))
            for key, kind in self._keys(username, address).items():
                self._count(tx, key, self.limits[kind], now)

    def succeeded(self, username: str) -> None:
        """A successful login clears the username's failures (not the address's)."""
        with self.tables.transaction() as tx:
            tx.execute(f"DELETE FROM {self.name} WHERE key = ?", (_key("user", username),))

    def _count(self, tx: Transaction, key: str, limit: Limit, now: datetime) -> None:
        # Insert first: it takes the write lock (SQLite) or the row (PostgreSQL) before
        # the read, so two processes counting the same key cannot both read the old count.
        tx.execute(
            f"INSERT INTO {self.name} (key, failures, last_failure, expires) "
            "VALUES (?, 0, ?, ?) ON CONFLICT (key) DO NOTHING",
            (key, now.isoformat(), now.isoformat()),
        )
        row = tx.one(
            f"SELECT failures, expires FROM {self.name} WHERE key = ?{tx.for_update}",
            (key,),
        )
        assert row is not None
        failures = int(row["failures"])
        if now >= datetime.fromisoformat(row["expires"]):
            failures = 0
        failures += 1
        lock = limit.lock_for(failures)
        locked_until = now + lock if lock else None
        expires = (locked_until or now) + limit.window
        tx.execute(
            f"UPDATE {self.name} SET failures = ?, last_failure = ?, locked_until = ?, "
            "expires = ? WHERE key = ?",
            (
                failures,
                now.isoformat(),
                locked_until and locked_until.isoformat(),
                expires.isoformat(),
                key,
            ),
        )

    @staticmethod
    def _keys(username: str, address: str | None) -> dict[str, str]:
        keys = {_key("user", username): "user"}
        if address:
            keys[_key("address", address)] = "address"
        return keys


def _key(kind: str, value: str) -> str:
    # Hashed: the table keeps no username or address an attacker typed, only counts.
    # Usernames are compared as the login compares them (exactly).
    return f"{kind}:" + hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()


def default_slots() -> int:
    """Hashing slots for this machine: every core but one, at least one."""
    return max(1, (os.cpu_count() or 2) - 1)


class HashingSlots:
    """At most `slots` password hashes at once in this process, and at most `queue`
    logins waiting for one, each for `wait_seconds` at most; the rest are refused at once
    (LoginsBusyError), so logins hold few request threads however many arrive."""

    def __init__(
        self, slots: int | None = None, *, queue: int | None = None, wait_seconds: float = 0.25
    ) -> None:
        self.slots = slots or default_slots()
        self.queue = self.slots if queue is None else queue
        self.wait_seconds = wait_seconds
        self._admitted = threading.BoundedSemaphore(self.slots + self.queue)
        self._hashing = threading.BoundedSemaphore(self.slots)

    @contextmanager
    def hold(self) -> Iterator[None]:
        """A hashing slot for the block, or LoginsBusyError."""
        if not self._admitted.acquire(blocking=False):
            raise LoginsBusyError(1)
        try:
            if not self._hashing.acquire(timeout=self.wait_seconds):
                raise LoginsBusyError(1)
            try:
                yield
            finally:
                self._hashing.release()
        finally:
            self._admitted.release()
