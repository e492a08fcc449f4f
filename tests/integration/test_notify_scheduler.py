"""The scheduler (promise 5): overdue visits and interventions from notify's own due dates,
once per due date and level however often it runs, with today fixed by the test."""

from __future__ import annotations

from datetime import date
from typing import Any

import redis

from services.notify.bootstrap import NotifyService
from services.notify.route.scheduler import Scheduler
from tests.integration.notify_support import (
    Publisher,
    consumer,
    drain,
    inbox,
    new_case_id,
    recipients,
)
from tests.support import FixedClock


def _run(notify: NotifyService, times: int = 3) -> int:
    scheduler = Scheduler(notify)
    return sum(scheduler.run_once() for _ in range(times))


def _known(notify: NotifyService, redis_client: redis.Redis, publisher: Publisher) -> None:
    drain(consumer(notify, redis_client, publisher.stream))


def test_a_visit_overdue_alerts_the_assigned_child_director_once_the_day_after_it_was_due(
    notify: NotifyService, redis_client: redis.Redis, publisher: Publisher, clock: FixedClock
) -> None:
    # given: a case due for a visit on 2026-03-31, assigned to one of two directors
    publisher.staff()
    publisher.user("director_2", "child_director", "360124105203")
    case = new_case_id()
    publisher.identify(case, next_visit_due="2026-03-31")
    publisher.assign(case, "director_2")
    _known(notify, redis_client, publisher)
    # when: on the due date itself, nothing
    clock.day = date(2026, 3, 31)
    assert _run(notify) == 0
    # when: the day after
    clock.day = date(2026, 4, 1)
    # then: the assignee hears, once, however often it runs
    assert _run(notify) == 1
    assert _run(notify) == 0
    assert [(r["recipient"], r["kind"], r["level"]) for r in inbox(notify)] == [
        ("director_2", "visit_overdue", 1)
    ]


def test_an_assignee_no_longer_over_the_village_is_replaced_by_its_directors(
    notify: NotifyService, redis_client: redis.Redis, publisher: Publisher, clock: FixedClock
) -> None:
    publisher.staff()
    case = new_case_id()
    publisher.identify(case, next_visit_due="2026-03-31")
    publisher.assign(case, "director_next_door")
    _known(notify, redis_client, publisher)
    clock.day = date(2026, 4, 1)
    _run(notify)
    assert recipients(notify, "visit_overdue", 1) == {"director"}


def test_level_one_goes_to_the_assignee_and_level_two_to_the_supervisor_seven_days_later(
    notify: NotifyService, redis_client: redis.Redis, publisher: Publisher, clock: FixedClock
) -> None:
    publisher.staff()
    publisher.user("director_2", "child_director", "360124105203")
    case = new_case_id()
    publisher.identify(case, next_visit_due="2026-03-31")
    publisher.assign(case, "director_2")
    _known(notify, redis_client, publisher)
    clock.day = date(2026, 4, 1)
    _run(notify)
    assert recipients(notify, "visit_overdue", 1) == {"director_2"}
    assert recipients(notify, "visit_overdue", 2) == set()
    clock.day = date(2026, 4, 7)  # 7 days after the due date: not yet
    _run(notify)
    assert recipients(notify, "visit_overdue", 2) == set()
    clock.day = date(2026, 4, 8)
    _run(notify)
    _run(notify)
    assert recipients(notify, "visit_overdue", 2) == {"supervisor"}
    rows = inbox(notify)
    assert [(r["recipient"], r["level"]) for r in rows] == [("director_2", 1), ("supervisor", 2)]
    assert rows[1]["title"] == "走访逾期超过7天（督办）" and "2026-03-31" in rows[1]["body"]


def test_an_unassigned_case_alerts_the_villages_child_director(
    notify: NotifyService, redis_client: redis.Redis, publisher: Publisher, clock: FixedClock
) -> None:
    publisher.staff()
    publisher.identify(new_case_id(), next_visit_due="2026-03-31")
    _known(notify, redis_client, publisher)
    clock.day = date(2026, 4, 20)  # long overdue: both levels at once
    assert _run(notify) == 2
    assert recipients(notify, "visit_overdue", 1) == {"director"}
    assert recipients(notify, "visit_overdue", 2) == {"supervisor"}


def test_a_new_visit_moves_the_due_date_and_opens_a_new_cycle(
    notify: NotifyService, redis_client: redis.Redis, publisher: Publisher, clock: FixedClock
) -> None:
    publisher.staff()
    case = new_case_id()
    publisher.identify(case, next_visit_due="2026-03-31")
    _known(notify, redis_client, publisher)
    clock.day = date(2026, 4, 2)
    _run(notify)
    # when: a visit on 2026-04-03, due again 30 days later (medium risk, no date given)
    publisher.visit(case, visited_on="2026-04-03", risk_level="medium")
    _known(notify, redis_client, publisher)
    clock.day = date(2026, 5, 3)
    assert _run(notify) == 0
    clock.day = date(2026, 5, 4)
    assert _run(notify) == 1
    dues = [r["body"] for r in inbox(notify)]
    assert "2026-03-31" in dues[0] and "2026-05-03" in dues[1] and len(dues) == 2


def test_a_closed_case_is_not_chased_and_a_reopened_one_is(
    notify: NotifyService, redis_client: redis.Redis, publisher: Publisher, clock: FixedClock
) -> None:
    publisher.staff()
    case = new_case_id()
    publisher.identify(case, next_visit_due="2026-03-31")
    publisher.close_case(case)
    _known(notify, redis_client, publisher)
    clock.day = date(2026, 4, 2)
    assert _run(notify) == 0
    publisher.reopen(case)
    _known(notify, redis_client, publisher)
    assert _run(notify) == 1


def test_an_overdue_intervention_alerts_its_department_over_the_county(
    notify: NotifyService, redis_client: redis.Redis, publisher: Publisher, clock: FixedClock
) -> None:
    publisher.staff()
    case = new_case_id()
    publisher.identify(case, next_visit_due="2026-12-31")
    publisher.intervention(
        case, "i-edu", kind="dropout_prevention", department="education", due_by="2026-06-30"
    )
    publisher.intervention(
        case, "i-court", kind="temporary_guardianship", department="court", due_by="2026-06-30"
    )
    publisher.intervention(
        case, "i-done", kind="health_protection", department="health", due_by="2026-06-30"
    )
    publisher.intervention(case, "i-open-ended", kind="legal_aid", department="police", due_by=None)
    publisher.close_intervention(case, "i-done")
    _known(notify, redis_client, publisher)
    clock.day = date(2026, 7, 1)
    assert _run(notify) == 2
    rows = inbox(notify)
    assert sorted((r["intervention_id"], r["recipient"]) for r in rows) == [
        ("i-court", "civil"),
        ("i-edu", "education"),
    ]
    assert all(r["kind"] == "intervention_overdue" for r in rows)
    assert "控辍保学（教育负责）应于 2026-06-30 前完成" in rows[0]["body"] + rows[1]["body"]


def _review(publisher: Publisher, case: str, kind: str, submission: int, on: str) -> None:
    dated: dict[str, Any] = {"reviewed_on": on}
    if kind == "case.review_requested":
        dated = {"requested_on": on, "key_facts": []}
    elif kind == "case.review_resubmitted":
        dated = {"resubmitted_on": on}
    publisher.case(
        case, kind, "360124105203", submission=submission, subject="identification", **dated
    )


def test_a_review_waiting_more_than_three_days_alerts_the_township_supervisor_once(
    notify: NotifyService, redis_client: redis.Redis, publisher: Publisher, clock: FixedClock
) -> None:
    # given: a director's identification awaiting review since 2026-03-01 (复核)
    publisher.staff()
    case = new_case_id()
    publisher.identify(case, next_visit_due="2026-12-31")
    _review(publisher, case, "case.review_requested", 1, "2026-03-01")
    _known(notify, redis_client, publisher)
    # when: three days later, nothing; the fourth, the supervisor hears, once
    clock.day = date(2026, 3, 4)
    assert _run(notify) == 0
    clock.day = date(2026, 3, 5)
    assert _run(notify) == 1
    assert _run(notify) == 0
    rows = inbox(notify)
    assert [(r["recipient"], r["kind"]) for r in rows] == [("supervisor", "review_waiting")]
    assert rows[0]["title"] == "待复核超过3天" and "2026-03-01" in rows[0]["body"]
    # when: returned, nothing more; resubmitted and left waiting, a new alert
    _review(publisher, case, "case.review_returned", 1, "2026-03-06")
    _known(notify, redis_client, publisher)
    clock.day = date(2026, 3, 20)
    assert _run(notify) == 0
    _review(publisher, case, "case.review_resubmitted", 2, "2026-03-20")
    _known(notify, redis_client, publisher)
    clock.day = date(2026, 3, 24)
    assert _run(notify) == 1
    # when: confirmed (an older submission's decision arriving late changes nothing)
    _review(publisher, case, "case.review_confirmed", 2, "2026-03-25")
    _review(publisher, case, "case.review_returned", 1, "2026-03-06")
    _known(notify, redis_client, publisher)
    clock.day = date(2026, 5, 1)
    assert _run(notify) == 0
    assert len(inbox(notify)) == 2
