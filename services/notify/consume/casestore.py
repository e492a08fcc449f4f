"""Per-case facts and due dates in notify's database: loaded, evolved by an event, saved."""

from __future__ import annotations

from dataclasses import fields

from services.notify.route.casefacts import COLUMNS, CaseFacts
from shared.contracts import Envelope
from shared.sql import SQLITE_MAX_PARAMS, Transaction, pg_rows, pg_rows_param

# Inserting nothing new but "updating" the key returns the row, existing or just made,
# and locks it (PostgreSQL; SQLite's IMMEDIATE transaction holds the whole file).
_LOCK = (
    f"INSERT INTO cases ({', '.join(COLUMNS)}) "
    f"VALUES ({', '.join('?' for _ in COLUMNS)}) ON CONFLICT (case_id) DO UPDATE SET "
    f"case_id = excluded.case_id RETURNING {', '.join(COLUMNS)}"
)
_UPSERT = (
    f"INSERT INTO cases ({', '.join(COLUMNS)}) "
    f"VALUES ({', '.join('?' for _ in COLUMNS)}) ON CONFLICT (case_id) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in COLUMNS if c != "case_id")
)


# On PostgreSQL the rows of a batch travel as one JSON parameter (shared/sql.pg_rows): a
# statement of one parameter, which psycopg parses once and the server prepares once, where
# a VALUES list of thousands of placeholders is parsed anew in Python every time (psycopg
# caches no statement of more than 50 parameters).
_PG_ROWS = pg_rows(*("bigint" if isinstance(f.default, int) else "text" for f in fields(CaseFacts)))
_ROW = f"({', '.join('?' for _ in COLUMNS)})"
# SQLite: rows per statement, 17 parameters each (PostgreSQL takes the rows as one).
_CHUNK = SQLITE_MAX_PARAMS // len(COLUMNS)
_VISIT_DUE = (
    "INSERT INTO due_dates (kind, subject_id, case_id, due_on, open) {rows} "
    "ON CONFLICT (kind, subject_id) DO UPDATE SET due_on = excluded.due_on"
)
_VISIT_DUE_PG = f"SELECT 'visit', s, s, d, 1 FROM ({pg_rows('text', 'text')}) AS u (s, d)"


class CaseBook:
    """The facts of a batch's cases: locked and read in one statement, evolved in memory
    entry by entry, and written back in one statement before the commit. Nothing reads
    the `cases` table inside the consumer's transaction except through this book (the
    scheduler reads it in its own), so writing at the end changes nothing but the count
    of round trips."""

    def __init__(self, tx: Transaction, case_ids: set[str]) -> None:
        self._before = lock_many(tx, case_ids)
        self._now = dict(self._before)

    def get(self, case_id: str) -> CaseFacts:
        """The case's facts as the entries handled so far in the batch left them."""
        return self._now[case_id]

    def put(self, facts: CaseFacts) -> None:
        """Keeps `facts` as the case's newest, to be written by `flush`."""
        self._now[facts.case_id] = facts

    def flush(self, tx: Transaction) -> None:
        """Writes what changed since the lock: as `save_facts` per entry would have."""
        changed = [(self._before[k], v) for k, v in self._now.items() if v != self._before[k]]
        dues = [a for b, a in changed if a.next_visit_due != b.next_visit_due]
        if tx.postgres and changed:
            tx.execute(
                _UPSERT.replace(f"VALUES {_ROW}", _PG_ROWS, 1),
                [pg_rows_param(*([getattr(a, c) for _, a in changed] for c in COLUMNS))],
            )
            if dues:
                tx.execute(
                    _VISIT_DUE.format(rows=_VISIT_DUE_PG),
                    [pg_rows_param([a.case_id for a in dues], [a.next_visit_due for a in dues])],
                )
            return
        for start in range(0, len(changed), _CHUNK):
            chunk = changed[start : start + _CHUNK]
            tx.execute(
                _UPSERT.replace(_ROW, ", ".join(_ROW for _ in chunk), 1),
                [getattr(after, c) for _, after in chunk for c in COLUMNS],
            )
        for start in range(0, len(dues), _CHUNK):
            part = dues[start : start + _CHUNK]
            tx.execute(
                _VISIT_DUE.format(
                    rows="VALUES " + ", ".join("('visit', ?, ?, ?, 1)" for _ in part)
                ),
                [v for a in part for v in (a.case_id, a.case_id, a.next_visit_due)],
            )


def lock_many(tx: Transaction, case_ids: set[str]) -> dict[str, CaseFacts]:
    """`lock_facts` for several cases, 500 to a statement. The rows are locked in the
    order of their ids, the same in every consumer, so two consumers whose batches share
    cases wait for each other instead of deadlocking."""
    found: dict[str, CaseFacts] = {}
    ordered = sorted(case_ids)
    if tx.postgres and ordered:
        defaults = [CaseFacts(case_id) for case_id in ordered]
        rows = tx.all(
            _LOCK.replace(f"VALUES {_ROW}", _PG_ROWS, 1),
            [pg_rows_param(*([getattr(d, c) for d in defaults] for c in COLUMNS))],
        )
        return {str(row["case_id"]): CaseFacts(**row) for row in rows}
    for start in range(0, len(ordered), _CHUNK):
        chunk = ordered[start : start + _CHUNK]
        rows = tx.all(
            _LOCK.replace(_ROW, ", ".join(_ROW for _ in chunk), 1),
            [getattr(CaseFacts(case_id), c) for case_id in chunk for c in COLUMNS],
        )
        found.update((str(row["case_id"]), CaseFacts(**row)) for row in rows)
    return found


def lock_facts(tx: Transaction, case_id: str) -> CaseFacts:
    """The case's facts (all defaults when notify has seen nothing of it), in one round
    trip: the row is created when missing and stays locked until the transaction ends, so
    two consumers handling one case take turns."""
    row = tx.one(_LOCK, [getattr(CaseFacts(case_id), c) for c in COLUMNS])
    assert row is not None
    return CaseFacts(**row)


def save_facts(tx: Transaction, before: CaseFacts, after: CaseFacts) -> None:
    """Writes what changed: the case's facts, and its visit due date."""
    if after == before:
        return
    # Not dataclasses.asdict: it deep-copies, and this runs for every case event.
    tx.execute(_UPSERT, [getattr(after, c) for c in COLUMNS])
    if after.next_visit_due != before.next_visit_due:
        tx.execute(
            "INSERT INTO due_dates (kind, subject_id, case_id, due_on, open) "
            "VALUES ('visit', ?, ?, ?, 1) ON CONFLICT (kind, subject_id) DO UPDATE SET "
            "due_on = excluded.due_on",
            (after.case_id, after.case_id, after.next_visit_due),
        )


def apply_intervention(tx: Transaction, env: Envelope) -> None:
    """Keeps an intervention's due date while it is open. A closing handled before its
    opening (out of order) stays closed."""
    p = env.payload
    if env.type == "case.intervention_opened":
        tx.execute(
            "INSERT INTO due_dates (kind, subject_id, case_id, due_on, department, "
            "intervention_kind, open) VALUES ('intervention', ?, ?, ?, ?, ?, 1) "
            "ON CONFLICT (kind, subject_id) DO UPDATE SET due_on = excluded.due_on, "
            "department = excluded.department, intervention_kind = excluded.intervention_kind",
            (p["intervention_id"], env.case_id, p["due_by"], p["department"], p["kind"]),
        )
    elif env.type == "case.intervention_closed":
        tx.execute(
            "INSERT INTO due_dates (kind, subject_id, case_id, open) "
            "VALUES ('intervention', ?, ?, 0) "
            "ON CONFLICT (kind, subject_id) DO UPDATE SET open = 0",
            (p["intervention_id"], env.case_id),
        )


_WAITING = ("case.review_requested", "case.review_resubmitted")
_DECIDED = ("case.review_confirmed", "case.review_returned")


def apply_review(tx: Transaction, env: Envelope) -> None:
    """Keeps the submission awaiting review of a case (review_dues), for the scheduler:
    a new submission waits from its date; a decision on it ends the wait. Entries out of
    order: a submission never replaces a later one, and a decision ends only its own."""
    p = env.payload
    if env.type in _WAITING:
        since = p["requested_on"] if env.type == "case.review_requested" else p["resubmitted_on"]
        tx.execute(
            "INSERT INTO review_dues (case_id, submission, waiting_since, open) "
            "VALUES (?, ?, ?, 1) ON CONFLICT (case_id) DO UPDATE SET "
            "submission = excluded.submission, waiting_since = excluded.waiting_since, "
            "open = 1 WHERE review_dues.submission < excluded.submission",
            (env.case_id, p["submission"], since),
        )
    elif env.type in _DECIDED:
        tx.execute(
            "INSERT INTO review_dues (case_id, submission, waiting_since, open) "
            "VALUES (?, ?, ?, 0) ON CONFLICT (case_id) DO UPDATE SET open = 0, "
            "submission = excluded.submission, waiting_since = excluded.waiting_since "
            "WHERE review_dues.submission <= excluded.submission",
            (env.case_id, p["submission"], p["reviewed_on"]),
        )
