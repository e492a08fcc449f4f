"""Notify's tables as release 1 created them (services/notify/schema.py describes them).

`IF NOT EXISTS`: a database made by that release, before migrations were recorded, is
adopted as it is, and only the record that version 1 is there is added.
"""

from __future__ import annotations

from shared.sql import Transaction

_TABLES = """
CREATE TABLE IF NOT EXISTS handled_events (
    event_id TEXT PRIMARY KEY,
    position BIGINT NOT NULL,
    type TEXT NOT NULL,
    handled_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS handled_events_position ON handled_events (position);

CREATE TABLE IF NOT EXISTS notifications (
    id {serial},
    rule TEXT NOT NULL,
    dedup_key TEXT NOT NULL,
    recipient TEXT NOT NULL,
    kind TEXT NOT NULL,
    level INTEGER NOT NULL,
    case_id TEXT NOT NULL,
    intervention_id TEXT,
    jurisdiction TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    event_id TEXT,
    occurred_at TEXT NOT NULL,
    created_at TEXT NOT NULL,
    read_at TEXT,
    UNIQUE (rule, dedup_key, recipient)
);
CREATE INDEX IF NOT EXISTS notifications_inbox ON notifications (recipient, id);
CREATE INDEX IF NOT EXISTS notifications_case ON notifications (case_id);

CREATE TABLE IF NOT EXISTS outbox (
    id {serial},
    notification_id BIGINT,
    subscription_id BIGINT,
    channel TEXT NOT NULL CHECK (channel IN ('webhook', 'email')),
    target TEXT NOT NULL,
    idempotency_key TEXT NOT NULL UNIQUE,
    payload TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    last_error TEXT,
    created_at TEXT NOT NULL,
    sent_at TEXT
);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox (status, next_attempt_at);

CREATE TABLE IF NOT EXISTS subscriptions (
    id {serial},
    url TEXT NOT NULL,
    secret TEXT NOT NULL,
    scope TEXT NOT NULL,
    kinds TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    active INTEGER NOT NULL DEFAULT 1
);

CREATE TABLE IF NOT EXISTS users (
    username TEXT PRIMARY KEY,
    role TEXT NOT NULL,
    scope TEXT NOT NULL,
    display_name TEXT NOT NULL,
    email TEXT,
    disabled INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS users_scope ON users (scope);

CREATE TABLE IF NOT EXISTS revoked_tokens (
    token_id TEXT PRIMARY KEY,
    username TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS cases (
    case_id TEXT PRIMARY KEY,
    jurisdiction TEXT NOT NULL,
    jurisdiction_v INTEGER NOT NULL,
    status TEXT NOT NULL,
    status_v INTEGER NOT NULL,
    assignee TEXT,
    assignee_v INTEGER NOT NULL,
    guardian_type TEXT,
    guardian_v INTEGER NOT NULL,
    identified_v INTEGER NOT NULL,
    record_school_status TEXT,
    risk_level TEXT,
    latest_attendance TEXT,
    last_visit_on TEXT,
    last_visit_v INTEGER NOT NULL,
    next_visit_due TEXT,
    has_mandatory_report INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS due_dates (
    kind TEXT NOT NULL CHECK (kind IN ('visit', 'intervention')),
    subject_id TEXT NOT NULL,
    case_id TEXT NOT NULL,
    due_on TEXT,
    department TEXT,
    intervention_kind TEXT,
    open INTEGER NOT NULL,
    PRIMARY KEY (kind, subject_id)
);
CREATE INDEX IF NOT EXISTS due_dates_due ON due_dates (kind, open, due_on);

CREATE TABLE IF NOT EXISTS escalations (
    rule TEXT NOT NULL,
    subject_id TEXT NOT NULL,
    due_on TEXT NOT NULL,
    level INTEGER NOT NULL,
    sent_at TEXT NOT NULL,
    PRIMARY KEY (rule, subject_id, due_on, level)
);
"""


def upgrade(tx: Transaction) -> None:
    """Creates notify's tables and indexes."""
    tx.execute_script(_TABLES.format(serial=tx.dialect.serial_key))
