"""Each rule of product.md reaches the right people, and only them: entries go through a
real Redis stream and the consumer into notify's database (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
import redis

from services.notify.bootstrap import NotifyService
from services.notify.route.inbox import record_subscription
from services.notify.route.place_names import load, store
from services.notify.route.rules import Audience, Holder, choose_recipients
from shared.roles import Role
from tests.integration.notify_support import (
    OTHER_COUNTY_VILLAGE,
    VILLAGE,
    Publisher,
    consumer,
    drain,
    inbox,
    new_case_id,
    outbox,
    recipients,
)


def _consume(notify: NotifyService, client: redis.Redis, publisher: Publisher) -> None:
    drain(consumer(notify, client, publisher.stream))


def test_a_child_identified_with_no_guardian_alerts_the_township_supervisor_and_county_civil(
    notify: NotifyService, redis_client: redis.Redis, publisher: Publisher
) -> None:
    # given
    publisher.staff()
    publisher.identify(new_case_id(), guardian_type="none")
    # when
    _consume(notify, redis_client, publisher)
    # then
    assert recipients(notify, "no_guardian") == {"supervisor", "civil"}
    assert {r["kind"] for r in inbox(notify)} == {"no_guardian"}


def test_a_guardian_change_to_nobody_alerts_them_too_but_a_change_to_a_relative_does_not(
    notify: NotifyService, redis_client: redis.Redis, publisher: Publisher
) -> None:
    publisher.staff()
    case = new_case_id()
    publisher.identify(case)
    publisher.guardian(case, "other_relative")
    publisher.guardian(case, "none")
    _consume(notify, redis_client, publisher)
    rows = inbox(notify)
    assert sorted(r["recipient"] for r in rows) == ["civil", "supervisor"]
    assert {r["event_id"] for r in rows} == {f"{case}:3"}


def test_harm_found_on_a_visit_alerts_county_police_and_civil_affairs(
    notify: NotifyService, redis_client: redis.Redis, publisher: Publisher
) -> None:
    publisher.staff()
    case = new_case_id()
    publisher.identify(case)
    publisher.visit(case, safety_concerns=["neglect"])  # a concern, but not harm
    publisher.visit(case, visited_on="2026-05-01", safety_concerns=["domestic_violence"])
    _consume(notify, redis_client, publisher)
    assert recipients(notify, "harm_found") == {"police", "civil"}
    [row, *_] = [r for r in inbox(notify) if r["kind"] == "harm_found"]
    assert "家庭暴力" in row["body"] and row["event_id"] == f"{case}:3"


def test_a_mandatory_report_alerts_county_police_and_civil_affairs(
    notify: NotifyService, redis_client: redis.Redis, publisher: Publisher
) -> None:
    publisher.staff()
    case = new_case_id()
    publisher.identify(case)
    publisher.intervention(case, "i-1", kind="psychological_support")
    publisher.intervention(case, "i-2", kind="mandatory_report", department="police")
    _consume(notify, redis_client, publisher)
    assert recipients(notify, "mandatory_report") == {"police", "civil"}
    assert {r["kind"] for r in inbox(notify)} == {"mandatory_report"}


def test_a_school_dropout_alerts_the_county_education_bureau_once_until_the_child_returns(
    notify: NotifyService, redis_client: redis.Redis, publisher: Publisher
) -> None:
    publisher.staff()
    case = new_case_id()
    publisher.identify(case)
    publisher.visit(case, visited_on="2026-04-01", school_attendance="dropped_out")
    publisher.visit(case, visited_on="2026-05-01", school_attendance="dropped_out")
    publisher.visit(case, visited_on="2026-06-01", school_attendance="regular")
    publisher.visit(case, visited_on="2026-07-01", school_attendance="dropped_out")
    _consume(notify, redis_client, publisher)
    rows = [r for r in inbox(notify) if r["kind"] == "school_dropout"]
    assert [(r["recipient"], r["event_id"]) for r in rows] == [
        ("education", f"{case}:2"),
        ("education", f"{case}:5"),
    ]


def test_a_child_identified_as_dropped_out_alerts_education(
    notify: NotifyService, redis_client: redis.Redis, publisher: Publisher
) -> None:
    publisher.staff()
    publisher.identify(new_case_id(), school_status="dropped_out")
    _consume(notify, redis_client, publisher)
    assert recipients(notify, "school_dropout") == {"education"}


def test_risk_raised_to_high_alerts_the_township_supervisor_only_when_it_was_not_high(
    notify: NotifyService, redis_client: redis.Redis, publisher: Publisher
) -> None:
    publisher.staff()
    case = new_case_id()
    publisher.identify(case)
    publisher.visit(case, visited_on="2026-04-01", risk_level="medium")
    publisher.visit(case, visited_on="2026-05-01", risk_level="high")  # raised: alert
    publisher.visit(case, visited_on="2026-06-01", risk_level="high")  # still high: none
    publisher.visit(case, visited_on="2026-03-15", risk_level="high")  # an older visit
    _consume(notify, redis_client, publisher)
    rows = [r for r in inbox(notify) if r["kind"] == "risk_high"]
    assert [(r["recipient"], r["event_id"]) for r in rows] == [("supervisor", f"{case}:3")]


def test_v1_visits_published_before_they_stated_their_transition_are_still_alerted(
    notify: NotifyService, redis_client: redis.Redis, publisher: Publisher
) -> None:
    # given visits published as case.visited v1 (no risk or school status before/after)
    publisher.staff()
    case = new_case_id()
    publisher.identify(case)
    publisher.visit(case, visited_on="2026-04-01", risk_level="medium", schema_version=1)
    publisher.visit(case, visited_on="2026-05-01", risk_level="high", schema_version=1)
    publisher.visit(
        case,
        visited_on="2026-06-01",
        risk_level="high",
        school_attendance="dropped_out",
        schema_version=1,
    )
    publisher.visit(case, visited_on="2026-03-15", risk_level="high", schema_version=1)
    # when notify handles them in order
    _consume(notify, redis_client, publisher)
    # then it judges them by its own view of the case, as before v2
    alerts = [
        (r["kind"], r["recipient"], r["event_id"])
        for r in inbox(notify)
        if r["kind"] in ("risk_high", "school_dropout")
    ]
    assert sorted(alerts) == [
        ("risk_high", "supervisor", f"{case}:3"),
        ("school_dropout", "education", f"{case}:4"),
    ]


def test_a_child_in_another_county_alerts_that_countys_staff_and_not_ours(
    notify: NotifyService, redis_client: redis.Redis, publisher: Publisher
) -> None:
    publisher.staff()
    publisher.identify(new_case_id(), OTHER_COUNTY_VILLAGE, guardian_type="none")
    _consume(notify, redis_client, publisher)
    # Nobody supervises that township: nobody above a supervisor is a supervisor either.
    assert recipients(notify, "no_guardian") == {"civil_elsewhere"}


def test_without_county_staff_the_city_level_hears_instead(
    notify: NotifyService, redis_client: redis.Redis, publisher: Publisher
) -> None:
    publisher.user("civil_city", "civil_affairs", VILLAGE[:4])
    publisher.user("civil_province", "civil_affairs", VILLAGE[:2])
    publisher.identify(new_case_id(), guardian_type="none")
    _consume(notify, redis_client, publisher)
    assert recipients(notify, "no_guardian") == {"civil_city"}


def test_a_disabled_user_is_not_notified(
    notify: NotifyService, redis_client: redis.Redis, publisher: Publisher
) -> None:
    publisher.staff()
    publisher.disable("police")
    publisher.intervention(new_case_id(), "i-1", kind="mandatory_report")
    _consume(notify, redis_client, publisher)
    assert recipients(notify, "mandatory_report") == {"civil"}


def test_who_holds_a_scope_follows_user_events_within_one_batch(
    notify: NotifyService, redis_client: redis.Redis, publisher: Publisher
) -> None:
    # A batch reads the directory once for its alerts: a user event in the middle of it
    # must still count for the alerts after it, as it did when each alert read it anew.
    publisher.staff()
    first, second, third = new_case_id(), new_case_id(), new_case_id()
    for case in (first, second, third):
        publisher.identify(case)
    publisher.visit(first, safety_concerns=["domestic_violence"])
    publisher.disable("police")
    publisher.visit(second, safety_concerns=["domestic_violence"])
    publisher.user("police2", "police", VILLAGE[:6])
    publisher.visit(third, safety_concerns=["domestic_violence"])

    reader = consumer(notify, redis_client, publisher.stream, batch=1000)
    drain(reader)

    by_case: dict[str, set[str]] = {}
    for row in inbox(notify):
        by_case.setdefault(row["case_id"], set()).add(row["recipient"])
    assert by_case == {
        first: {"police", "civil"},
        second: {"civil"},
        third: {"police2", "civil"},
    }
    # all of it one batch
    assert reader.stats.handled == redis_client.xlen(publisher.stream) < 1000


def test_ordinary_events_notify_nobody(
    notify: NotifyService, redis_client: redis.Redis, publisher: Publisher
) -> None:
    publisher.staff()
    case = new_case_id()
    publisher.identify(case)
    publisher.visit(case)
    publisher.assign(case, "director")
    publisher.intervention(case, "i-1")
    publisher.close_intervention(case, "i-1")
    publisher.close_case(case)
    publisher.reopen(case)
    _consume(notify, redis_client, publisher)
    assert inbox(notify) == []


def test_notifications_say_where_and_link_the_case_but_hold_no_personal_data(
    notify: NotifyService, redis_client: redis.Redis, publisher: Publisher
) -> None:
    publisher.staff()
    case = new_case_id()
    publisher.identify(case, guardian_type="none")
    _consume(notify, redis_client, publisher)
    row = inbox(notify)[0]
    assert row["title"] == "儿童无人监护，需临时监护"
    assert "进贤县张公镇 村 360124105203" in row["body"]
    assert f"/dashboard/#/cases/{case}" in row["body"]
    assert row["case_id"] == case and row["jurisdiction"] == VILLAGE


def test_a_village_with_an_imported_name_is_named_by_it(
    notify: NotifyService, redis_client: redis.Redis, publisher: Publisher
) -> None:
    store(notify.db, [(VILLAGE, "前坊村")])
    load(notify.db)
    try:
        publisher.staff()
        publisher.identify(new_case_id(), guardian_type="none")
        _consume(notify, redis_client, publisher)
        assert "进贤县张公镇前坊村" in inbox(notify)[0]["body"]
        assert VILLAGE not in inbox(notify)[0]["body"]
    finally:
        with notify.db.transaction() as tx:
            tx.execute("DELETE FROM place_names")
        load(notify.db)  # the names are the process's: leave none for the other tests


def test_a_matching_webhook_subscription_gets_one_outbox_row_per_alert(
    notify: NotifyService, redis_client: redis.Redis, publisher: Publisher
) -> None:
    # given: subscriptions for the county (matching), another county, another kind
    with notify.db.transaction() as tx:
        wanted = record_subscription(
            tx,
            url="http://127.0.0.1:9/hook",
            secret="s1",
            scope=VILLAGE[:6],
            kinds=["no_guardian"],
            created_by="admin",
            now=notify.clock.now(),
        )
        record_subscription(
            tx,
            url="http://127.0.0.1:9/other-county",
            secret="s2",
            scope=OTHER_COUNTY_VILLAGE[:6],
            kinds=[],
            created_by="admin",
            now=notify.clock.now(),
        )
        record_subscription(
            tx,
            url="http://127.0.0.1:9/other-kind",
            secret="s3",
            scope=VILLAGE[:4],
            kinds=["school_dropout"],
            created_by="admin",
            now=notify.clock.now(),
        )
    publisher.staff()
    case = new_case_id()
    publisher.identify(case, guardian_type="none")
    # when
    _consume(notify, redis_client, publisher)
    # then
    rows = outbox(notify)
    assert [(r["channel"], r["subscription_id"], r["status"]) for r in rows] == [
        ("webhook", wanted, "pending")
    ]
    payload = json.loads(rows[0]["payload"])
    assert payload["kind"] == "no_guardian" and payload["case_id"] == case
    assert rows[0]["idempotency_key"] == f"no_guardian:{case}:1:webhook:{wanted}"


@pytest.mark.parametrize("smtp_host", ["", "127.0.0.1"])
def test_email_is_queued_for_recipients_with_an_address_only_when_smtp_is_configured(
    notify: NotifyService, redis_client: redis.Redis, publisher: Publisher, smtp_host: str
) -> None:
    publisher.staff()
    _consume(notify, redis_client, publisher)
    with notify.db.transaction() as tx:  # the stream contract carries no e-mail yet
        tx.execute("UPDATE users SET email = 'civil@example.org' WHERE username = 'civil'")
    notify.settings = replace(notify.settings, smtp_host=smtp_host)
    publisher.identify(new_case_id(), guardian_type="none")
    _consume(notify, redis_client, publisher)
    mails = [(r["channel"], r["target"]) for r in outbox(notify)]
    assert mails == ([("email", "civil@example.org")] if smtp_host else [])


def test_each_alerts_email_in_one_batch_points_at_its_own_inbox_row(
    notify: NotifyService, redis_client: redis.Redis, publisher: Publisher
) -> None:
    # A batch writes all its alerts' inbox rows in one statement: each e-mail must still
    # name the inbox row of its own alert and recipient, and go to the address the
    # directory held when the alert was raised, not one a later entry of the batch set.
    for username, (role, scope) in {
        "police": ("police", VILLAGE[:6]),
        "civil": ("civil_affairs", VILLAGE[:6]),
    }.items():
        publisher.user(username, role, scope, email=f"{username}@old.example.org")
    harmed = [new_case_id() for _ in range(3)]
    for case in harmed:
        publisher.identify(case)
        publisher.visit(case, safety_concerns=["domestic_violence"])
    publisher.user("police", "police", VILLAGE[:6], email="police@new.example.org")
    last = new_case_id()
    publisher.identify(last)
    publisher.visit(last, safety_concerns=["domestic_violence"])
    notify.settings = replace(notify.settings, smtp_host="127.0.0.1")

    reader = consumer(notify, redis_client, publisher.stream, batch=1000)
    drain(reader)

    assert reader.stats.handled == redis_client.xlen(publisher.stream) < 1000  # one batch
    rows = {row["id"]: row for row in inbox(notify)}
    assert len(rows) == 8 and reader.stats.notifications == 8
    mails = [r for r in outbox(notify) if r["channel"] == "email"]
    sent_to = {}
    for mail in mails:
        row = rows[mail["notification_id"]]
        payload = json.loads(mail["payload"])
        assert payload["dedup_key"] == row["dedup_key"] and payload["case_id"] == row["case_id"]
        assert mail["target"].startswith(f"{row['recipient']}@")
        sent_to[(row["case_id"], row["recipient"])] = mail["target"]
    assert sent_to == {
        **{(case, "civil"): "civil@old.example.org" for case in [*harmed, last]},
        **{(case, "police"): "police@old.example.org" for case in harmed},
        (last, "police"): "police@new.example.org",
    }


# ---- choosing recipients, without a database --------------------------------------------

HOLDERS = [
    Holder("sup", "child_supervisor", "360124105"),
    Holder("civil", "civil_affairs", "360124"),
    Holder("civil-town", "civil_affairs", "360124105"),
    Holder("civil-city", "civil_affairs", "3601"),
    Holder("dir", "child_director", VILLAGE),
]


def test_recipients_are_at_the_expected_level_or_closer_to_the_child() -> None:
    assert choose_recipients(HOLDERS, Audience(Role.CIVIL_AFFAIRS, 6), VILLAGE) == [
        "civil",
        "civil-town",
    ]


def test_a_named_user_is_chosen_when_enabled_and_over_the_village_else_the_role_decides() -> None:
    director = Audience(Role.CHILD_DIRECTOR, 12, "dir")
    assert choose_recipients(HOLDERS, director, VILLAGE) == ["dir"]
    gone = Audience(Role.CHILD_DIRECTOR, 12, "someone-disabled")
    assert choose_recipients(HOLDERS, gone, VILLAGE) == ["dir"]


def test_nobody_is_chosen_when_no_one_holds_the_role_over_the_village() -> None:
    assert choose_recipients(HOLDERS, Audience(Role.POLICE, 6), VILLAGE) == []


@pytest.mark.parametrize(
    ("requester", "role", "scope", "told"),
    [
        # A child director of the next village: her township supervisor.
        ("director_next_door", "child_director", "360124105204", {"supervisor"}),
        # Civil affairs of another county: the city's civil affairs, not the child's county.
        ("civil_elsewhere", "civil_affairs", "360121", {"civil_city"}),
        # A department of another county: civil affairs of her own county.
        ("education_elsewhere", "education", "360121", {"civil_elsewhere"}),
    ],
)
def test_break_the_glass_tells_the_requesters_supervisor_and_the_auditors_over_the_child(
    notify: NotifyService,
    redis_client: redis.Redis,
    publisher: Publisher,
    requester: str,
    role: str,
    scope: str,
    told: set[str],
) -> None:
    publisher.staff()
    case = new_case_id()
    publisher.identify(case)
    publisher.emergency_access(case, requester, role, scope)
    _consume(notify, redis_client, publisher)
    assert recipients(notify, "emergency_access") == told | {"auditor"}
    rows = [r for r in inbox(notify) if r["kind"] == "emergency_access"]
    # Who opened which case, until when: her username and the place, never the child.
    assert all(requester in r["body"] and f"/dashboard/#/cases/{case}" in r["body"] for r in rows)
    assert all("王小明" not in r["body"] for r in rows)
