"""The consumer's batch path on SQLite and PostgreSQL, against a real Redis: a case's
entries in one batch are evolved in order with its facts read and written once per batch,
a failing entry leaves its batch's others committed, and a replay of handled entries is
acknowledged without checking each entry again."""

from __future__ import annotations

from typing import Any

import pytest
import redis

from services.notify.bootstrap import NotifyService
from services.notify.consume import consumer as consumer_module
from shared.contracts import parse_entry
from tests.integration.notify_support import (
    Publisher,
    consumer,
    drain,
    inbox,
    new_case_id,
    pending_count,
)


def _facts(notify: NotifyService, case_id: str) -> dict[str, Any]:
    with notify.db.transaction() as tx:
        row = tx.one("SELECT * FROM cases WHERE case_id = ?", (case_id,))
        due = tx.value(
            "SELECT due_on FROM due_dates WHERE kind = 'visit' AND subject_id = ?", (case_id,)
        )
    assert row is not None
    return row | {"due_on": due}


def test_a_cases_entries_in_one_batch_are_evolved_in_order(
    notify: NotifyService, redis_client: redis.Redis, publisher: Publisher
) -> None:
    # given: a case identified and visited three times, all in one batch
    publisher.staff()
    case = new_case_id()
    publisher.identify(case, next_visit_due="2026-03-31")
    publisher.visit(case, visited_on="2026-04-01", risk_level="high")
    publisher.visit(case, visited_on="2026-05-01", risk_level="high")
    publisher.visit(case, visited_on="2026-06-01", risk_level="medium", next_visit_due="2026-07-01")
    c = consumer(notify, redis_client, publisher.stream, batch=100)
    # when
    drain(c)
    # then: the risk became high once (one alert per recipient), and the facts and due
    # date are the last visit's
    [(kind, raised_by)] = {(r["kind"], r["event_id"]) for r in inbox(notify)}
    assert (kind, raised_by) == ("risk_high", f"{case}:2")
    assert c.stats.notifications == len(inbox(notify)) >= 1
    facts = _facts(notify, case)
    assert (facts["guardian_type"], facts["identified_v"]) == ("grandparent", 1)
    assert (facts["risk_level"], facts["last_visit_on"]) == ("medium", "2026-06-01")
    assert facts["next_visit_due"] == facts["due_on"] == "2026-07-01"
    assert c.stats.handled == publisher.position


def test_a_failing_entry_leaves_the_other_entries_of_its_case_committed(
    notify: NotifyService, redis_client: redis.Redis, publisher: Publisher
) -> None:
    # given: the database refuses the facts the last of a case's visits would leave,
    # which the batch writes once, at its end
    publisher.staff()
    case = new_case_id()
    publisher.identify(case)
    publisher.visit(case, visited_on="2026-04-01")
    publisher.visit(case, visited_on="2026-05-01", risk_level="high")
    publisher.visit(case, visited_on="2026-06-01", risk_level="medium")
    _refuse_cases_visited_on(notify, "2026-06-01")
    c = consumer(notify, redis_client, publisher.stream, batch=100, upkeep_seconds=3600)
    # when
    c.run_once()
    # then: that visit waits in the pending list; the others are committed, the case's
    # facts as the visit before it left them, its high risk told
    assert c.stats.failures == 1
    assert c.stats.handled == publisher.position - 1
    assert pending_count(redis_client, publisher.stream) == 1
    facts = _facts(notify, case)
    assert (facts["risk_level"], facts["last_visit_on"]) == ("high", "2026-05-01")
    assert {r["kind"] for r in inbox(notify)} == {"risk_high"}


def test_a_replay_of_handled_entries_is_acked_without_checking_each_again(
    notify: NotifyService,
    redis_client: redis.Redis,
    publisher: Publisher,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # given: everything handled once
    publisher.staff()
    case = new_case_id()
    publisher.identify(case, guardian_type="none")
    publisher.visit(case, risk_level="high")
    drain(consumer(notify, redis_client, publisher.stream))
    before = inbox(notify)
    parsed: list[str] = []
    real_parse = parse_entry

    def counting(fields: dict[str, str]) -> Any:
        parsed.append(fields["event_id"])
        return real_parse(fields)

    monkeypatch.setattr(consumer_module, "parse_entry", counting)
    # when: a new group reads it all again (Redis restarted empty and the relay refilled
    # the stream), with one new entry at the end
    later = new_case_id()
    publisher.identify(later)
    replay = consumer(notify, redis_client, publisher.stream, group="notify-2")
    drain(replay)
    # then: only the new entry was checked and handled; nobody was told twice
    assert parsed == [f"{later}:1"]
    assert replay.stats.duplicates == publisher.position - 1
    assert replay.stats.handled == 1
    assert inbox(notify) == before
    assert pending_count(redis_client, publisher.stream, "notify-2") == 0


def _refuse_cases_visited_on(notify: NotifyService, visited_on: str) -> None:
    with notify.db.transaction() as tx:
        if tx.postgres:
            tx.execute(
                "CREATE FUNCTION refuse() RETURNS trigger AS $$ BEGIN "
                f"IF NEW.last_visit_on = '{visited_on}' THEN RAISE EXCEPTION 'refused'; "
                "END IF; RETURN NEW; END $$ LANGUAGE plpgsql"
            )
            tx.execute(
                "CREATE TRIGGER refuse BEFORE INSERT OR UPDATE ON cases "
                "FOR EACH ROW EXECUTE FUNCTION refuse()"
            )
        else:
            for when in ("INSERT", "UPDATE"):
                tx.execute(
                    f"CREATE TRIGGER refuse_{when.lower()} BEFORE {when} ON cases "
                    f"WHEN NEW.last_visit_on = '{visited_on}' "
                    "BEGIN SELECT RAISE(ABORT, 'refused'); END"
                )


def test_a_batch_larger_than_one_statement_holds_is_handled_whole(
    notify: NotifyService, redis_client: redis.Redis, publisher: Publisher
) -> None:
    # given: 300 cases, more than one statement records, locks or writes on SQLite; one
    # in three without a guardian: 200 inbox rows, more than one statement writes there
    publisher.staff()
    cases = [new_case_id() for _ in range(300)]
    alone = set(cases[::3])
    for case in cases:
        publisher.identify(case, guardian_type="none" if case in alone else "grandparent")
    c = consumer(notify, redis_client, publisher.stream, batch=1000, upkeep_seconds=3600)
    # when
    c.run_once()
    # then
    assert c.stats.handled == publisher.position and c.stats.failures == 0
    with notify.db.transaction() as tx:
        assert tx.value("SELECT COUNT(*) AS n FROM cases") == 300
        assert tx.value("SELECT COUNT(*) AS n FROM handled_events") == publisher.position
        assert tx.value("SELECT COUNT(*) AS n FROM due_dates WHERE kind = 'visit'") == 300
    rows = inbox(notify)
    assert {(r["case_id"], r["recipient"]) for r in rows} == {
        (case, who) for case in alone for who in ("supervisor", "civil")
    }
    assert len(rows) == c.stats.notifications == 200
