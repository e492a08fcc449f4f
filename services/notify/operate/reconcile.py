"""Reconciliation: for the alerts that must never be missed (no guardian, harm found on a
visit, a mandatory report), the event log itself says what notify should hold; this
finds what it does not, and can repair it (promise 4, without depending on Redis).

For each such event of the log, the expected notifications are those rules.py makes
for it, addressed by `choose_recipients` over the directory as it stood at that point
of the log (replayed from the user events before it): a user registered later is not
owed old alerts, and a user whose registration never reached notify is still owed
theirs. Users disabled since are left out: nobody would read it. A gap is an event
notify never handled, or an expected inbox row that is not there.

Repair goes through the consumer's own handling path, in log order: user events notify
never handled first (so its directory knows everyone), then each event never handled
(handling.handle: dedup record, facts, every rule, inbox, webhooks, e-mail), then the
inbox rows still missing (inbox.deliver_to: no webhooks, which went out with the event).
Everything is keyed as the consumer keys it, so a second run repairs nothing more, and
running beside live consumers is safe. Events younger than the grace period are left to
the consumers: lag is not loss.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from itertools import islice

from services.notify.bootstrap import NotifyService
from services.notify.consume.handling import handle
from services.notify.route.casefacts import evolve
from services.notify.route.inbox import deliver_to
from services.notify.route.rules import (
    MUST_NOT_MISS,
    RULES,
    Alert,
    Holder,
    alerts_for,
    choose_recipients,
)
from shared.contracts import PAYLOADS, Envelope
from shared.dispatch import Registry
from shared.jurisdictions import SCOPE_LENGTHS
from shared.sql import Transaction

GRACE = timedelta(minutes=10)
_QUERY_CHUNK = 500

# What reconciliation does with each type of the log: replay it into the directory (who
# should hear), or check the must-not-miss alerts it raises. Case types follow the rules'
# own decision (a type whose rules may raise a must-not-miss alert is checked), so a new
# case type is decided here once the rules decide on it; until then it stays missing.
DIRECTORY, CHECK = "directory", "check"
RECONCILE: Registry[str, str] = Registry("reconciliation")
RECONCILE.add("user.registered", DIRECTORY)
RECONCILE.add("user.disabled", DIRECTORY)
RECONCILE.ignore(
    "user.token_revoked", "user.password_changed", why="changes nobody's role or scope"
)
RECONCILE.ignore("idempotency.recorded", why="bookkeeping: raises no alert")
RECONCILE.ignore("site.recorded", why="a care site is no user and raises no alert")
RECONCILE.ignore(
    "user_request.recorded", why="a request is no user: user.registered follows approval"
)
for _type in PAYLOADS:
    if _type.startswith("case.") and not RULES.missing([_type]):
        _rules = RULES.handler(_type)
        if _rules is not None and set(_rules.kinds) & set(MUST_NOT_MISS):
            RECONCILE.add(_type, CHECK)
        else:
            RECONCILE.ignore(_type, why="its rules raise no must-not-miss alert")


@dataclass(frozen=True)
class Gap:
    """One must-not-miss alert notify does not fully hold."""

    kind: str
    case_id: str
    event_id: str
    position: int
    missing: tuple[str, ...]  # recipients without their inbox row
    handled: bool  # False: notify never handled the event at all


@dataclass
class KindTally:
    """Per kind: events seen, notifications expected and missing, events no one holds
    the role for (addressed to nobody: a directory to complete, not a gap)."""

    events: int = 0
    expected: int = 0
    missing: int = 0
    unhandled: int = 0
    unaddressed: int = 0


@dataclass
class Report:
    """What a reconciliation found, and what its repair did."""

    tallies: dict[str, KindTally] = field(
        default_factory=lambda: {kind: KindTally() for kind in MUST_NOT_MISS}
    )
    gaps: list[Gap] = field(default_factory=list)
    users_unhandled: int = 0
    too_recent: int = 0
    repaired: bool = False
    events_handled: int = 0
    notifications_written: int = 0
    remaining: int = 0  # gaps left after the repair

    @property
    def checked(self) -> int:
        """Must-not-miss events checked."""
        return sum(t.events for t in self.tallies.values())

    @property
    def missing(self) -> int:
        """Expected notifications not found."""
        return sum(len(g.missing) for g in self.gaps)

    @property
    def unhandled(self) -> int:
        """Must-not-miss events notify never handled."""
        return len({g.event_id for g in self.gaps if not g.handled})

    @property
    def clean(self) -> bool:
        """Nothing missing (or nothing left after the repair)."""
        return self.remaining == 0 if self.repaired else not (self.gaps or self.users_unhandled)


@dataclass
class _Person:
    role: str
    scope: str
    disabled: bool = False


class _Directory:
    """Who held which role where, at the point of the log reached so far."""

    def __init__(self) -> None:
        self.people: dict[str, _Person] = {}
        self._by_scope: dict[str, set[str]] = {}

    def apply(self, env: Envelope) -> None:
        name = env.payload["username"]
        if env.type == "user.registered":
            self.people[name] = _Person(env.payload["role"], env.payload["scope"])
            self._by_scope.setdefault(env.payload["scope"], set()).add(name)
        elif env.type == "user.disabled" and name in self.people:
            self.people[name].disabled = True

    def holders_over(self, village: str) -> list[Holder]:
        names = {
            n
            for length in SCOPE_LENGTHS
            if len(village) >= length
            for n in self._by_scope.get(village[:length], ())
        }
        return [
            Holder(n, self.people[n].role, self.people[n].scope)
            for n in sorted(names)
            if not self.people[n].disabled
        ]

    def recipients(self, alert: Alert) -> set[str]:
        holders = self.holders_over(alert.jurisdiction)
        for over in {a.over for a in alert.audiences if a.over}:  # as inbox.deliver does
            holders += self.holders_over(over)
        return {
            n
            for audience in alert.audiences
            for n in choose_recipients(holders, audience, alert.jurisdiction)
        }


@dataclass
class _Check:
    env: Envelope
    alert: Alert
    expected: set[str]  # after the comparison: only the recipients without their row
    handled: bool = True


def reconcile(
    log: Iterable[Envelope],
    notify: NotifyService,
    *,
    repair: bool = False,
    grace: timedelta = GRACE,
    progress: Callable[[int], None] = lambda _: None,
) -> Report:
    """Compares the watched events of `log` (oldest first) with notify's database;
    with `repair`, writes what is missing. `progress(position)` follows the log."""
    report = Report()
    directory = _Directory()
    cutoff = notify.clock.now() - grace
    users: list[Envelope] = []
    found: list[_Check] = []
    for chunk in _chunks(iter(log), _QUERY_CHUNK):
        checks: list[_Check] = []
        new_users: list[Envelope] = []
        for env in chunk:
            step = RECONCILE.handler(env.type)
            if step is None:
                continue
            if step == DIRECTORY:
                directory.apply(env)
                if env.occurred_at <= cutoff:
                    new_users.append(env)
            elif env.occurred_at > cutoff:
                report.too_recent += 1
            else:
                checks += [_Check(env, a, directory.recipients(a)) for a in _alerts(env)]
        found += _compare(notify, checks, report)
        users += _unhandled(notify, new_users)
        progress(chunk[-1].position)
    report.users_unhandled = len(users)
    gone = {n for n, p in directory.people.items() if p.disabled}
    found = [c for c in found if c.expected - gone or not c.handled]
    report.gaps = [
        Gap(
            c.alert.kind,
            c.env.case_id,
            c.env.event_id,
            c.env.position,
            tuple(sorted(c.expected - gone)),
            c.handled,
        )
        for c in found
    ]
    _tally_missing(report)
    if repair:
        _repair(notify, users, found, report, gone)
    return report


def _alerts(env: Envelope) -> list[Alert]:
    return [a for a in alerts_for(env, None, evolve(None, env)) if a.kind in MUST_NOT_MISS]


def _compare(notify: NotifyService, checks: list[_Check], report: Report) -> list[_Check]:
    """Counts the checks; returns those with something missing."""
    if not checks:
        return []
    with notify.db.transaction() as tx:
        handled, rows = _held(tx, [c.env.event_id for c in checks])
    gaps: list[_Check] = []
    for check in checks:
        tally = report.tallies[check.alert.kind]
        tally.events += 1
        tally.expected += len(check.expected)
        tally.unaddressed += not check.expected
        missing = {
            n for n in check.expected if (check.alert.rule, check.alert.dedup_key, n) not in rows
        }
        if missing or check.env.event_id not in handled:
            check.expected = missing
            check.handled = check.env.event_id in handled
            gaps.append(check)
    return gaps


def _tally_missing(report: Report) -> None:
    counted: set[str] = set()
    for gap in report.gaps:
        tally = report.tallies[gap.kind]
        tally.missing += len(gap.missing)
        if not gap.handled and gap.event_id not in counted:
            tally.unhandled += 1
            counted.add(gap.event_id)


def _held(tx: Transaction, event_ids: list[str]) -> tuple[set[str], set[tuple[str, str, str]]]:
    """Which of the events notify handled, and their must-not-miss inbox rows."""
    ids = sorted(set(event_ids))
    handled: set[str] = set()
    rows: set[tuple[str, str, str]] = set()
    rules = ", ".join("?" for _ in MUST_NOT_MISS)
    for start in range(0, len(ids), _QUERY_CHUNK):  # bounded: databases cap parameters
        part = ids[start : start + _QUERY_CHUNK]
        marks = ", ".join("?" for _ in part)
        handled |= {
            r["event_id"]
            for r in tx.all(
                f"SELECT event_id FROM handled_events WHERE event_id IN ({marks})", part
            )
        }
        rows |= {
            (r["rule"], r["dedup_key"], r["recipient"])
            for r in tx.all(
                f"SELECT rule, dedup_key, recipient FROM notifications WHERE rule IN ({rules}) "
                f"AND dedup_key IN ({marks})",
                [*MUST_NOT_MISS, *part],
            )
        }
    return handled, rows


def _unhandled(notify: NotifyService, users: list[Envelope]) -> list[Envelope]:
    """The user events of `users` notify never handled."""
    if not users:
        return []
    with notify.db.transaction() as tx:
        handled, _ = _held(tx, [e.event_id for e in users])
    return [e for e in users if e.event_id not in handled]


def _repair(
    notify: NotifyService, users: list[Envelope], gaps: list[_Check], report: Report, gone: set[str]
) -> None:
    email = notify.email_enabled
    done: set[str] = set()  # events handled by this repair (an event may raise two alerts)
    for env in users:
        with notify.db.transaction() as tx:
            report.events_handled += not handle(tx, env, notify.clock.now(), email=email).duplicate
    for check in gaps:
        with notify.db.transaction() as tx:
            now = notify.clock.now()
            if not check.handled and check.env.event_id not in done:
                done.add(check.env.event_id)
                result = handle(tx, check.env, now, email=email)
                report.events_handled += not result.duplicate
                report.notifications_written += result.notifications
            missing = sorted(check.expected - gone)
            report.notifications_written += deliver_to(
                tx, check.alert, missing, now, email=email
            ).inbox_rows
    report.repaired = True
    report.remaining = _remaining(notify, gaps, gone)


def _remaining(notify: NotifyService, gaps: list[_Check], gone: set[str]) -> int:
    """Gaps still open after the repair (0 unless something refused to be written)."""
    if not gaps:
        return 0
    with notify.db.transaction() as tx:
        handled, rows = _held(tx, [c.env.event_id for c in gaps])
    return sum(
        1
        for c in gaps
        if c.env.event_id not in handled
        or any((c.alert.rule, c.alert.dedup_key, n) not in rows for n in c.expected - gone)
    )


def _chunks(items: Iterator[Envelope], size: int) -> Iterator[list[Envelope]]:
    while chunk := list(islice(items, size)):
        yield chunk
