"""Handling one checked stream entry, inside the caller's transaction: record the event id
(a duplicate stops here and changes nothing), update the directory or the case's facts and
due dates, apply the rules, write the inbox and outbox rows. The consumer and the
dead-letter retry both come through here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from services.notify.consume import casestore
from services.notify.route import rules
from services.notify.route.casefacts import FACTS, evolve
from services.notify.route.directory import DIRECTORY, apply_user_event
from services.notify.route.inbox import LaterInbox, Reads, deliver
from shared.contracts import Envelope
from shared.dispatch import Registry
from shared.sql import (
    SQLITE_MAX_PARAMS,
    Transaction,
    pg_list,
    pg_list_param,
    pg_rows,
    pg_rows_param,
)


@dataclass(frozen=True)
class Handled:
    """What handling one entry did."""

    duplicate: bool
    notifications: int = 0


def undecided(env: Envelope) -> str | None:
    """Why notify cannot handle `env`: a type the contract knows but one of its followers
    has not decided on (a newer case service, an older notify); None when it can. The
    consumer dead-letters such an entry, as one of an unknown type, instead of retrying."""
    return _undecided_type(env.type)


# Per type, once: the registries are complete once their modules are imported, and only
# types the contract knows get here (parse_entry refuses the others), so the cache stays
# small.
@lru_cache(maxsize=256)
def _undecided_type(event_type: str) -> str | None:
    followers: list[Registry[str, Any]] = [FACTS, rules.RULES]
    if event_type.startswith("user."):
        followers.append(DIRECTORY)
    for registry in followers:
        if registry.missing([event_type]):
            return f"{registry.follower} does not know {event_type!r}"
    return None


_RECORD = (
    "INSERT INTO handled_events (event_id, position, type, handled_at) VALUES {rows} "
    "ON CONFLICT (event_id) DO NOTHING"
)


def handle(
    tx: Transaction, env: Envelope, now: datetime, *, email: bool, reads: Reads | None = None
) -> Handled:
    """Handles `env` once: a second time (same event id) it does nothing."""
    inserted = tx.execute(
        _RECORD.format(rows="(?, ?, ?, ?)"),
        (env.event_id, env.position, env.type, now.isoformat()),
    )
    if inserted == 0:
        return Handled(duplicate=True)
    return apply_new(tx, env, now, email=email, reads=reads)


def handled_already(tx: Transaction, envs: list[Envelope]) -> set[str]:
    """The event ids of `envs` recorded as handled (committed), in one round trip: after
    Redis lost its data most of a refilled stream is such duplicates."""
    return handled_ids(tx, [env.event_id for env in envs])


def handled_ids(tx: Transaction, event_ids: list[str]) -> set[str]:
    """Those of `event_ids` recorded as handled, in one round trip."""
    if not event_ids:
        return set()
    if tx.postgres:  # one list, not a placeholder each (see casestore._PG_ROWS)
        rows = tx.all(
            f"SELECT event_id FROM handled_events WHERE event_id = ANY({pg_list('text')})",
            [pg_list_param(event_ids)],
        )
        return {str(row["event_id"]) for row in rows}
    found: set[str] = set()
    for start in range(0, len(event_ids), SQLITE_MAX_PARAMS):  # SQLite: up to 999 to a query
        part = event_ids[start : start + SQLITE_MAX_PARAMS]
        marks = ", ".join("?" for _ in part)
        rows = tx.all(f"SELECT event_id FROM handled_events WHERE event_id IN ({marks})", part)
        found.update(str(row["event_id"]) for row in rows)
    return found


def record_new(tx: Transaction, envs: list[Envelope], now: datetime) -> set[str]:
    """Records `envs` as handled in one statement (SQLite: one per 249); answers the event
    ids that were new (the others a concurrent consumer recorded first). The caller then
    applies each new one with `apply_new`, in the same transaction, or rolls it all back."""
    if not envs:
        return set()
    if tx.postgres:  # one parameter for the rows, not a placeholder a value (casestore)
        rows = tx.all(
            "INSERT INTO handled_events (event_id, position, type, handled_at) "
            f"{pg_rows('text', 'bigint', 'text', 'text')} "
            "ON CONFLICT (event_id) DO NOTHING RETURNING event_id",
            [
                pg_rows_param(
                    [env.event_id for env in envs],
                    [env.position for env in envs],
                    [env.type for env in envs],
                    [now.isoformat()] * len(envs),
                )
            ],
        )
        return {str(row["event_id"]) for row in rows}
    new: set[str] = set()
    for start in range(0, len(envs), SQLITE_MAX_PARAMS // 4):
        part = envs[start : start + SQLITE_MAX_PARAMS // 4]
        rows = tx.all(
            _RECORD.format(rows=", ".join("(?, ?, ?, ?)" for _ in part)) + " RETURNING event_id",
            [v for env in part for v in (env.event_id, env.position, env.type, now.isoformat())],
        )
        new.update(str(row["event_id"]) for row in rows)
    return new


def touches_case(env: Envelope) -> bool:
    """True when `env` changes a case's facts (what `apply_new` locks a case for)."""
    return env.type.startswith("case.") and bool(env.case_id)


def apply_new(
    tx: Transaction,
    env: Envelope,
    now: datetime,
    *,
    email: bool,
    book: casestore.CaseBook | None = None,
    reads: Reads | None = None,
    later: LaterInbox | None = None,
) -> Handled:
    """What an entry recorded as handled just now does: the directory, the case's facts and
    due dates, the rules' inbox and outbox rows. With `book` (a batch), the case's facts
    come from it and go back to it, written when the batch flushes it; without, they are
    locked, read and written here. `reads` (a batch's) holds the directory as read so far.
    With `later` (a batch's) the inbox rows wait in it, and the batch counts them."""
    if env.type.startswith("user."):
        if reads:
            reads.forget()  # before: if applying fails and is rolled back, nothing stale
        apply_user_event(tx, env)
        return Handled(duplicate=False)
    if not touches_case(env):
        return Handled(duplicate=False)  # bookkeeping (idempotency.recorded)
    before = book.get(env.case_id) if book else casestore.lock_facts(tx, env.case_id)
    after = evolve(before, env)
    if book:
        book.put(after)
    else:
        casestore.save_facts(tx, before, after)
    casestore.apply_intervention(tx, env)
    casestore.apply_review(tx, env)
    written = 0
    for alert in rules.alerts_for(env, before, after):
        written += deliver(tx, alert, now, email=email, reads=reads, later=later).inbox_rows
    return Handled(duplicate=False, notifications=written)


def position_seen(tx: Transaction, position: int) -> bool:
    """True when the entry at `position` was handled (gap detection)."""
    return (
        tx.one("SELECT 1 AS seen FROM handled_events WHERE position = ?", (position,)) is not None
    )
