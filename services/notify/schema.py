"""Notify's tables, created and changed by the numbered migrations in
services/notify/migrations/ (shared/migrations.py applies them).

What each holds, and whether the log can give it back (a new consumer group at 0 over a
refilled stream replays every event):

- handled_events  the dedup state: one row per event handled, in the same transaction
                  as what handling it wrote (promise 4)                      rebuilt
- notifications   the inbox: one row per (rule, event or due key, recipient); its
                  `read_at` marks are the users' own doing                 not rebuilt
- outbox          one row per external delivery (webhook or e-mail), written with the
                  inbox row; delivery workers send them and mark them sent or failed.
                  Its history (what was sent when, what failed and why) is not in the
                  log, and replaying would send every delivery again       not rebuilt
- subscriptions   signed webhooks, managed by admins through the API       not rebuilt
- users, revoked_tokens  notify's own directory, learned from user.* events  rebuilt
- cases           the per-case facts the rules need (no personal data)       rebuilt
- due_dates       visits and interventions with a due date, for the scheduler rebuilt
- review_dues     the submissions for review (复核) waiting, by case: submission
                  number and since when, for the scheduler                  rebuilt
- escalations     which time-based notification was sent for which due date and
                  level: written by the scheduler, not by an event         not rebuilt

So notify's database is kept and migrated, never dropped and refilled.

Dead letters are not a table: they live in the dead-letter stream `<stream>:dead` beside
the entries they came from (see deadletters.py).
"""

from __future__ import annotations

from services.notify import migrations
from shared.sql import Database


def create_tables(db: Database) -> list[int]:
    """Brings notify's tables up to date (safe to run at every start); returns the
    migration versions applied now."""
    return migrations.upgrade(db)
