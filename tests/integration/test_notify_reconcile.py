"""`careledger notify reconcile`: the case service's event log, read from its own store,
against what notify recorded, for the alerts that must never be missed. A clean state
reports nothing; a deleted inbox row and an entry lost on the way (never delivered to
notify) are reported with their case and event, and repaired through the consumer's own
handling path, once: a second run repairs nothing more. Without Redis."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
import redis
from click.testing import CliRunner

from services.cases.access import Actor
from services.cases.bootstrap import CaseService
from services.cases.relay import Relay
from services.cli import main
from services.notify.bootstrap import NotifyService, build_notify
from services.notify.deliver.sealing import SecretBox
from services.notify.deliver.targets import WebhookTargets
from services.notify.operate.caselog import CaseLog
from services.notify.operate.reconcile import Report, reconcile
from services.notify.operate.reconcile_view import summary
from services.notify.route.subscriptions import add_subscription
from shared.roles import Role
from shared.settings import Settings
from tests.conftest import make_service
from tests.integration.notify_support import TOKEN_SECRET, consumer, drain, inbox, outbox
from tests.integration.relay_support import make_relay, publish_all
from tests.support import INTERVENTION, PASSWORD, VISIT, identify_body

CIVIL = Actor("civil", Role.CIVIL_AFFAIRS, "360124", "req-reconcile")
NOW = timedelta(0)  # events were written a moment ago: no grace in these tests


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def stores(
    request: pytest.FixtureRequest, tmp_path: Path, redis_url: str, stream: str
) -> Iterator[Settings]:
    """One deployment's settings: the case store and notify's database, both on SQLite
    files, or both on PostgreSQL (a schema each)."""
    settings = Settings(
        data_dir=tmp_path / "var", redis_url=redis_url, stream=stream, token_secret=TOKEN_SECRET
    )
    if request.param == "sqlite":
        yield settings.with_generated_secrets()
        return
    url = request.getfixturevalue("postgres_url")
    notify_schema = f"n_{uuid.uuid4().hex[:12]}"
    yield replace(
        settings,
        database_url=url,
        postgres_schema=request.getfixturevalue("postgres_schema"),
        notify_database_url=url,
        notify_postgres_schema=notify_schema,
    ).with_generated_secrets()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {notify_schema} CASCADE")


@dataclass
class World:
    """The case service, its relay to the stream, and notify consuming it."""

    cases: CaseService
    notify: NotifyService
    relay: Relay
    redis: redis.Redis
    stream: str

    def publish(self) -> None:
        publish_all(self.relay)

    def consume(self) -> None:
        drain(consumer(self.notify, self.redis, self.stream))

    def sync(self) -> None:
        self.publish()
        self.consume()

    def lose(self, position: int) -> None:
        """The stream entry at `position` is lost before notify reads it."""
        assert self.redis.xdel(self.stream, f"{position}-0") == 1

    def head(self) -> int:
        return int(self.cases.cases.recorder.max_notification_id() or 0)

    def reconcile(self, *, repair: bool = False, grace: timedelta = NOW) -> Report:
        log = CaseLog(self.cases.settings)
        try:
            return reconcile(log.envelopes(), self.notify, repair=repair, grace=grace)
        finally:
            log.close()

    def no_guardian(self) -> str:
        return str(
            self.cases.cases.identify(CIVIL, identify_body(guardian={"type": "none"})).case.id
        )

    def harm_found(self) -> str:
        case = self.cases.cases.identify(CIVIL, identify_body()).case.id
        self.cases.cases.record_visit(
            CIVIL, case, {**VISIT, "safety_concerns": ["suspected_abuse"]}
        )
        return str(case)

    def mandatory_report(self) -> str:
        case = self.cases.cases.identify(CIVIL, identify_body()).case.id
        self.cases.cases.open_intervention(
            CIVIL, case, {**INTERVENTION, "kind": "mandatory_report", "department": "police"}
        )
        return str(case)


@pytest.fixture
def world(stores: Settings, redis_client: redis.Redis) -> Iterator[World]:
    cases = make_service(stores)
    notify = build_notify(stores)  # the real clock: the events are "now" too
    yield World(
        cases, notify, make_relay(cases, redis_client, stores.stream), redis_client, stores.stream
    )
    notify.close()
    cases.close()
    redis_client.delete(f"{stores.stream}:relay:cursor", f"{stores.stream}:relay:lease")


def _rows(world: World, case_id: str) -> list[tuple[str, str]]:
    return sorted(
        (r["kind"], r["recipient"]) for r in inbox(world.notify) if r["case_id"] == case_id
    )


def test_a_clean_state_reports_nothing(world: World) -> None:
    # given: every must-not-miss alert, handled as it should be
    world.no_guardian()
    world.harm_found()
    world.mandatory_report()
    world.sync()
    # when
    report = world.reconcile()
    # then
    assert report.gaps == [] and report.clean
    assert report.checked == 3
    assert {k: (t.events, t.expected, t.missing) for k, t in report.tallies.items()} == {
        "no_guardian": (1, 2, 0),
        "harm_found": (1, 2, 0),
        "mandatory_report": (1, 2, 0),
    }
    assert summary(report) == (
        "reconcile: 3 must-not-miss events checked, 6 notifications expected: no gaps"
    )


def test_a_deleted_inbox_row_is_reported_and_repaired_once(world: World) -> None:
    # given
    case = world.no_guardian()
    world.sync()
    with world.notify.db.transaction() as tx:
        tx.execute("DELETE FROM notifications WHERE case_id = ? AND recipient = 'civil'", (case,))
    # when
    found = world.reconcile()
    # then
    [gap] = found.gaps
    assert (gap.kind, gap.case_id, gap.missing, gap.handled) == (
        "no_guardian",
        case,
        ("civil",),
        True,
    )
    assert gap.event_id == f"{case}:1"
    assert not found.clean and _rows(world, case) == [("no_guardian", "supervisor")]
    assert "1 notifications missing in 1 cases" in summary(found)
    # when repaired, then the row is back, and a second repair does nothing more
    repaired = world.reconcile(repair=True)
    assert (repaired.notifications_written, repaired.remaining, repaired.clean) == (1, 0, True)
    assert _rows(world, case) == [("no_guardian", "civil"), ("no_guardian", "supervisor")]
    again = world.reconcile(repair=True)
    assert again.gaps == [] and again.notifications_written == 0
    assert len(inbox(world.notify)) == 2


def test_an_entry_lost_on_the_way_to_notify_is_reported_and_handled_through_the_same_path(
    world: World,
) -> None:
    # given: a webhook subscription, and a visit finding harm whose entry is lost
    add_subscription(
        world.notify.db,
        SecretBox.from_settings(world.notify.settings),
        targets=WebhookTargets(["127.0.0.1/32"]),
        admin="admin",
        admin_scope="3601",
        url="http://127.0.0.1:9/hook",
        secret="s" * 20,
        scope="360124",
        kinds=[],
        now=world.notify.clock.now(),
    )
    case = world.harm_found()
    world.publish()
    lost = world.head()
    world.lose(lost)
    world.consume()
    assert _rows(world, case) == []
    # when
    found = world.reconcile()
    # then
    [gap] = found.gaps
    assert (gap.kind, gap.case_id, gap.event_id) == ("harm_found", case, f"{case}:2")
    assert (gap.handled, gap.missing) == (False, ("civil", "police"))
    assert found.unhandled == 1 and found.tallies["harm_found"].unhandled == 1
    # when repaired: handled as the consumer would have (dedup record, inbox, webhook)
    repaired = world.reconcile(repair=True)
    assert (repaired.events_handled, repaired.remaining) == (1, 0)
    assert _rows(world, case) == [("harm_found", "civil"), ("harm_found", "police")]
    assert [(r["channel"], r["status"]) for r in outbox(world.notify)] == [("webhook", "pending")]
    with world.notify.db.transaction() as tx:
        assert (
            tx.one("SELECT 1 AS ok FROM handled_events WHERE event_id = ?", (f"{case}:2",))
            is not None
        )
    # and the entry turning up after all changes nothing
    world.redis.delete(world.stream)  # Redis lost it all: the relay refills the stream
    world.sync()
    assert world.redis.xrange(world.stream, f"{lost}-0", f"{lost}-0")  # it is back
    assert world.reconcile(repair=True).events_handled == 0
    assert len(inbox(world.notify)) == 2 and len(outbox(world.notify)) == 1


def test_a_lost_registration_is_repaired_first_so_its_user_gets_the_alert(world: World) -> None:
    # given: a second county police officer whose registration never reached notify
    world.cases.accounts.register(
        None, username="police2", role=Role.POLICE, scope="360124", password=PASSWORD
    )
    world.publish()
    world.lose(world.head())
    case = world.mandatory_report()
    world.sync()
    assert _rows(world, case) == [("mandatory_report", "civil"), ("mandatory_report", "police")]
    # when
    found = world.reconcile()
    repaired = world.reconcile(repair=True)
    # then
    assert [g.missing for g in found.gaps] == [("police2",)]
    assert found.users_unhandled == 1 and "1 user events never handled" in summary(found)
    assert repaired.events_handled == 1 and repaired.clean
    assert ("mandatory_report", "police2") in _rows(world, case)
    with world.notify.db.transaction() as tx:
        assert tx.one("SELECT role FROM users WHERE username = 'police2'") == {"role": "police"}


def test_staff_registered_later_are_not_owed_old_alerts_and_disabled_staff_are_left_out(
    world: World,
) -> None:
    # given: an alarm; then a new civil affairs officer, and the old one disabled after
    # their row was lost
    case = world.no_guardian()
    world.cases.accounts.register(
        None, username="civil2", role=Role.CIVIL_AFFAIRS, scope="360124", password=PASSWORD
    )
    civil = world.cases.accounts.get("civil")
    civil.disable(CIVIL.as_event_data())
    world.cases.cases.save(civil)
    world.sync()
    with world.notify.db.transaction() as tx:
        tx.execute("DELETE FROM notifications WHERE recipient = 'civil'")
    # when
    report = world.reconcile(repair=True)
    # then
    assert report.gaps == [] and report.clean
    assert _rows(world, case) == [("no_guardian", "supervisor")]


def test_events_younger_than_the_grace_period_are_left_to_the_consumers(world: World) -> None:
    world.no_guardian()
    world.publish()  # published, not yet consumed: lag, not loss
    report = world.reconcile(grace=timedelta(minutes=10))
    assert report.gaps == [] and report.checked == 0 and report.too_recent == 1


def _cli(settings: Settings, *args: str) -> Any:
    env: dict[str, str | None] = {
        "CARELEDGER_DATA_DIR": str(settings.data_dir),
        "REDIS_URL": None,
        "CARELEDGER_CIPHER_KEY": settings.cipher_key,
        "CARELEDGER_TOKEN_SECRET": settings.token_secret,
        "CARELEDGER_DATABASE_URL": settings.database_url,
        "CARELEDGER_POSTGRES_SCHEMA": settings.postgres_schema,
        "CARELEDGER_NOTIFY_DATABASE_URL": settings.notify_database_url,
        "CARELEDGER_NOTIFY_POSTGRES_SCHEMA": settings.notify_postgres_schema,
    }
    return CliRunner().invoke(main, ["notify", "reconcile", "--grace-minutes", "0", *args], env=env)


def test_the_command_reports_gaps_with_exit_status_1_and_repairs_without_redis(
    world: World, stores: Settings
) -> None:
    # given
    case = world.mandatory_report()
    world.sync()
    with world.notify.db.transaction() as tx:
        tx.execute("DELETE FROM notifications WHERE recipient = 'police'")
    # when, then: no REDIS_URL anywhere
    found = _cli(stores)
    assert found.exit_code == 1, found.output
    assert f"gap kind=mandatory_report case_id={case} event_id={case}:2 position=" in found.output
    assert "handled=true missing=police" in found.output
    assert found.output.strip().splitlines()[-1] == (
        "reconcile: 1 must-not-miss events checked, 2 notifications expected: "
        "1 notifications missing in 1 cases, 0 events never handled, 0 user events never "
        "handled; run with --repair to write them"
    )
    repaired = _cli(stores, "--repair")
    assert repaired.exit_code == 0, repaired.output
    assert "repaired: 0 events handled, 1 notifications written, 0 gaps remain" in (repaired.output)
    clean = _cli(stores, "--json")
    assert clean.exit_code == 0 and '"gaps": []' in clean.output


def test_the_command_says_where_it_looked_when_there_is_no_case_store(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "empty", token_secret=TOKEN_SECRET)
    result = _cli(settings)
    assert result.exit_code == 1 and "no case store at" in result.output
    assert not (tmp_path / "empty" / "cases.sqlite").exists()
