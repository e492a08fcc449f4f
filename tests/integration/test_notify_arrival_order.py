"""Alerts for a change of a case's state must not depend on the order in which entries
reach notify. They do arrive out of order: two consumers share the group, and a consumer
killed holding entries takes them back only when it restarts (or another reclaims them
after 30 s), while the other consumer goes on with later entries of the same case.

Found by tests/e2e/test_faults.py's design: a raise of the risk to high, or a dropout,
followed shortly by a visit that lowers it again is only notified when the entries are
handled in order. These tests replay that arrival order deterministically.
"""

from __future__ import annotations

import redis

from services.notify.bootstrap import NotifyService
from tests.integration.notify_support import (
    Publisher,
    consumer,
    drain,
    new_case_id,
    recipients,
)


def _killed_holding(client: redis.Redis, stream: str, name: str, count: int) -> None:
    """What consumer `name` leaves when killed with -9 right after reading `count`
    entries: delivered to it, never handled, never acknowledged."""
    client.xreadgroup("notify", name, {stream: ">"}, count=count)


def test_risk_raised_to_high_is_notified_when_a_later_lower_visit_is_handled_first(
    notify: NotifyService, redis_client: redis.Redis, publisher: Publisher
) -> None:
    # given the staff known, and a child identified
    publisher.staff()
    case = new_case_id()
    publisher.identify(case)
    drain(consumer(notify, redis_client, publisher.stream, consumer="c2"))
    # when consumer c1 is killed holding the visit that raised the risk to high,
    publisher.visit(case, visited_on="2026-04-01", risk_level="high")
    _killed_holding(redis_client, publisher.stream, "c1", 1)
    # c2 handles the next visit, a week later, which brought it down again,
    publisher.visit(case, visited_on="2026-04-08", risk_level="medium")
    drain(consumer(notify, redis_client, publisher.stream, consumer="c2"))
    # and c1, restarted, takes its own entry back
    drain(consumer(notify, redis_client, publisher.stream, consumer="c1"))
    # then the supervisor hears of the raise, as when the entries arrive in order
    assert recipients(notify, "risk_high") == {"supervisor"}


def test_a_dropout_is_notified_when_a_later_visit_back_at_school_is_handled_first(
    notify: NotifyService, redis_client: redis.Redis, publisher: Publisher
) -> None:
    publisher.staff()
    case = new_case_id()
    publisher.identify(case)
    drain(consumer(notify, redis_client, publisher.stream, consumer="c2"))
    publisher.visit(case, visited_on="2026-04-01", school_attendance="dropped_out")
    _killed_holding(redis_client, publisher.stream, "c1", 1)
    publisher.visit(case, visited_on="2026-04-20", school_attendance="regular")
    drain(consumer(notify, redis_client, publisher.stream, consumer="c2"))
    drain(consumer(notify, redis_client, publisher.stream, consumer="c1"))
    assert recipients(notify, "school_dropout") == {"education"}
