"""Handling a batch of checked entries in one transaction of notify's database.

The first attempt runs the whole batch without savepoints (two round trips fewer per
entry), reads and writes the facts of the batch's cases in one statement each
(`casestore.CaseBook`) instead of two per entry, and writes the inbox rows of all its
alerts in one (`inbox.LaterInbox`). When one entry fails, that transaction
is rolled back and the batch runs again with a savepoint around each entry, so the failing
entry is left out and the others commit. A database that is unwell (OPERATIONAL_ERRORS)
fails the whole batch: the caller backs off and nothing is acknowledged.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field

from services.notify.bootstrap import NotifyService
from services.notify.consume.casestore import CaseBook
from services.notify.consume.handling import (
    Handled,
    apply_new,
    handle,
    handled_already,
    position_seen,
    record_new,
    touches_case,
)
from services.notify.route.inbox import LaterInbox, Reads
from shared.contracts import Envelope
from shared.sql import OPERATIONAL_ERRORS, Transaction

log = logging.getLogger("careledger.notify.consumer")


@dataclass
class BatchOutcome:
    """What a committed batch did."""

    done: list[tuple[str, Envelope]] = field(default_factory=list)  # to acknowledge
    failed: dict[str, str] = field(default_factory=dict)  # stream id → error
    handled: int = 0
    duplicates: int = 0
    notifications: int = 0
    gaps: int = 0


class _EntryFailedError(Exception):
    """Raised to roll back an optimistic batch when one of its entries failed."""


def handle_batch(
    service: NotifyService, checked: list[tuple[str, Envelope]], seen_before: Callable[[int], bool]
) -> BatchOutcome:
    """Handles `checked` (stream id, envelope) pairs; `seen_before(position)` says whether
    this process saw a position in an earlier batch (gap detection)."""
    if not checked:
        return BatchOutcome()
    try:
        return _attempt(service, checked, seen_before, careful=False)
    except _EntryFailedError:
        return _attempt(service, checked, seen_before, careful=True)


def _attempt(
    service: NotifyService,
    checked: list[tuple[str, Envelope]],
    seen_before: Callable[[int], bool],
    *,
    careful: bool,
) -> BatchOutcome:
    outcome = BatchOutcome()
    now = service.clock.now()
    in_batch: set[int] = set()
    with service.db.transaction() as tx:
        # Entries handled before cost one query for the batch, not a statement each. The
        # optimistic attempt records the new ones in one statement, locks and reads the
        # cases they touch in one, and at the end writes the cases' facts back in one and
        # the inbox rows of every alert in one: a failure rolls back all of it. The careful
        # attempt does each entry's part inside its savepoint, one by one.
        known = handled_already(tx, [env for _, env in checked])
        fresh = [env for _, env in checked if env.event_id not in known]
        new: set[str] = set()
        book: CaseBook | None = None
        later: LaterInbox | None = None
        if not careful:
            with _for_many_entries():
                new = record_new(tx, fresh, now)
                touched = {e.case_id for e in fresh if e.event_id in new and touches_case(e)}
                book = CaseBook(tx, touched)
            later = LaterInbox()
        # The directory and subscriptions, read once for the batch's alerts. The careful
        # attempt too: a savepoint rolled back undoes writes, never these reads, and a
        # user event clears them before it is applied.
        reads = Reads()
        for entry_id, env in checked:
            if env.event_id in known:
                in_batch.add(env.position)
                outcome.done.append((entry_id, env))
                outcome.duplicates += 1
                continue
            try:
                with tx.savepoint() if careful else nullcontext():
                    if careful:
                        result = handle(tx, env, now, email=service.email_enabled, reads=reads)
                    elif env.event_id in new:
                        new.discard(env.event_id)  # the same event twice in one batch: once
                        result = apply_new(
                            tx,
                            env,
                            now,
                            email=service.email_enabled,
                            book=book,
                            reads=reads,
                            later=later,
                        )
                    else:
                        result = Handled(duplicate=True)
                    if not result.duplicate and _is_gap(tx, env, in_batch, seen_before):
                        outcome.gaps += 1
                        log.warning(
                            "event=gap position=%s previous=%s", env.position, env.previous_id
                        )
            except OPERATIONAL_ERRORS:
                raise  # the database, not the entry: roll back all, back off, retry
            except Exception as error:
                if not careful:
                    raise _EntryFailedError from error
                # This entry, not the others: it stays pending, is retried by the upkeep,
                # and after too many deliveries becomes a dead letter. Logged by type
                # only: an error's text might quote the data it choked on.
                outcome.failed[entry_id] = f"{type(error).__name__}: {error}"[:500]
                log.warning(
                    "event=handle_failed stream_id=%s type=%s error=%s",
                    entry_id,
                    env.type,
                    type(error).__name__,
                )
                continue
            in_batch.add(env.position)
            outcome.done.append((entry_id, env))
            outcome.handled += not result.duplicate
            outcome.duplicates += result.duplicate
            outcome.notifications += result.notifications
        if book is not None and later is not None:
            with _for_many_entries():
                book.flush(tx)
                outcome.notifications += later.write(tx).inbox_rows
    return outcome


@contextmanager
def _for_many_entries() -> Iterator[None]:
    """Around a statement of the optimistic attempt that writes for many entries at once:
    a refusal (a row, not the database) is one entry's, found by the careful attempt."""
    try:
        yield
    except OPERATIONAL_ERRORS:
        raise
    except Exception as error:
        raise _EntryFailedError from error


def _is_gap(
    tx: Transaction, env: Envelope, in_batch: set[int], seen_before: Callable[[int], bool]
) -> bool:
    previous = int(env.previous_id.split("-")[0])
    if previous == 0 or previous in in_batch or seen_before(previous):
        return False
    return not position_seen(tx, previous)
