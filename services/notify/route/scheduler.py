"""The scheduler: time-based rules over notify's own table of due dates, with no incoming
event needed (promise 5). Overdue visits (level 1 to the assigned child director, level 2
to the township supervisor seven days later) and overdue interventions (their department).

Reviews waiting more than three days (复核) go to the township supervisor, once per
submission.

Idempotent per (rule, visit or intervention, due date, level): the escalation is recorded
with its notifications in one transaction, so running again sends nothing twice. A new
visit moves the due date, which opens a new cycle.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, timedelta

from services.notify.bootstrap import NotifyService
from services.notify.route import rules
from services.notify.route.casefacts import COLUMNS, CaseFacts
from services.notify.route.inbox import deliver
from shared.overdue import overdue_before
from shared.sql import Transaction
from shared.vocabulary import REVIEW_WAIT_DAYS

log = logging.getLogger("careledger.notify.scheduler")
_FACTS = ", ".join(f"c.{c}" for c in COLUMNS)


@dataclass
class SchedulerStats:
    """Counters since start."""

    escalations: int = 0
    notifications: int = 0


class Scheduler:
    """A Loop for shared.runner.Runner: each run handles at most `batch` due dates."""

    name = "notify-scheduler"

    def __init__(self, service: NotifyService, *, batch: int = 200) -> None:
        self.service = service
        self.batch = batch
        self.stats = SchedulerStats()

    def run_once(self) -> int:
        """Sends what became overdue and was not sent yet; returns how many escalations
        (due date and level) it recorded."""
        today = self.service.clock.today()
        now = self.service.clock.now()
        done = notifications = 0
        with self.service.db.transaction() as tx:
            for alert in self._due_alerts(tx, today):
                subject = alert.intervention_id or alert.case_id
                if alert.kind == "review_waiting":  # one submission of the case
                    subject = alert.dedup_key.removesuffix(":1")
                # The escalation row is the once-only guard: it exists, nothing is sent.
                if (
                    tx.execute(
                        "INSERT INTO escalations (rule, subject_id, due_on, level, sent_at) "
                        "VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                        (alert.kind, subject, alert.due_on, alert.level, now.isoformat()),
                    )
                    == 0
                ):
                    continue
                notifications += deliver(
                    tx, alert, now, email=self.service.email_enabled
                ).inbox_rows
                done += 1
        self.stats.escalations += done
        self.stats.notifications += notifications
        if done:
            log.info("event=escalated count=%s notifications=%s", done, notifications)
        return done

    def close(self) -> None:
        """Nothing of its own to release (the database belongs to the service)."""

    def _due_alerts(self, tx: Transaction, today: date) -> list[rules.Alert]:
        alerts: list[rules.Alert] = []
        for level, as_of in (
            (1, today),
            (2, today - timedelta(days=rules.ESCALATE_AFTER_DAYS)),
        ):
            for row in tx.all(
                f"SELECT {_FACTS}, d.due_on AS due_on FROM due_dates d "
                "JOIN cases c ON c.case_id = d.case_id "
                "WHERE d.kind = 'visit' AND d.open = 1 AND d.due_on < ? "
                "AND c.status = 'active' AND c.jurisdiction <> '' AND NOT EXISTS ("
                "SELECT 1 FROM escalations e WHERE e.rule = 'visit_overdue' "
                "AND e.subject_id = d.subject_id AND e.due_on = d.due_on AND e.level = ?) "
                "ORDER BY d.due_on LIMIT ?",
                (overdue_before(as_of), level, self.batch),
            ):
                due_on = row.pop("due_on")
                found = rules.visit_overdue(CaseFacts(**row), due_on, today)
                alerts += [a for a in found if a.level == level]
        for row in tx.all(
            f"SELECT {_FACTS}, d.subject_id AS intervention_id, d.due_on AS due_on, "
            "d.department AS department, d.intervention_kind AS intervention_kind "
            "FROM due_dates d JOIN cases c ON c.case_id = d.case_id "
            "WHERE d.kind = 'intervention' AND d.open = 1 AND d.due_on < ? "
            "AND c.status = 'active' AND c.jurisdiction <> '' AND NOT EXISTS ("
            "SELECT 1 FROM escalations e WHERE e.rule = 'intervention_overdue' "
            "AND e.subject_id = d.subject_id AND e.due_on = d.due_on AND e.level = 1) "
            "ORDER BY d.due_on LIMIT ?",
            (overdue_before(today), self.batch),
        ):
            iid, due_on = row.pop("intervention_id"), row.pop("due_on")
            department, kind = row.pop("department"), row.pop("intervention_kind")
            alerts += rules.intervention_overdue(
                CaseFacts(**row), iid, kind or "", department or "", due_on, today
            )
        # Reviews waiting more than three days (复核): once per case and submission (the
        # escalation's subject is "<case>:<submission>").
        waited = (today - timedelta(days=REVIEW_WAIT_DAYS)).isoformat()
        for row in tx.all(
            f"SELECT {_FACTS}, r.submission AS submission, r.waiting_since AS since "
            "FROM review_dues r JOIN cases c ON c.case_id = r.case_id "
            "WHERE r.open = 1 AND r.waiting_since < ? AND c.jurisdiction <> '' "
            "AND NOT EXISTS (SELECT 1 FROM escalations e WHERE e.rule = 'review_waiting' "
            "AND e.subject_id = r.case_id || ':' || CAST(r.submission AS TEXT) AND e.level = 1) "
            "ORDER BY r.waiting_since LIMIT ?",
            (waited, self.batch),
        ):
            submission, since = int(row.pop("submission")), str(row.pop("since"))
            alerts += rules.review_waiting(CaseFacts(**row), submission, since, today)
        return alerts
