"""On PostgreSQL the projector follows LISTEN/NOTIFY, and gets over what silently stops a
subscription: its LISTEN connection terminated by the server, and a notification that
never comes."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import psycopg
import pytest

from services.cases.access import Actor
from services.cases.bootstrap import CaseService
from services.cases.projections.feeds import SubscribedFeed
from services.cases.projections.projector import Projector, build_projector
from shared.roles import Role
from shared.runner import Runner
from shared.settings import Settings
from tests.conftest import make_service
from tests.support import identify_body

pytestmark = pytest.mark.postgres
CIVIL = Actor("civil_city", Role.CIVIL_AFFAIRS, "3601", "subscription-test")


@dataclass
class Following:
    """A projector running in a thread over a subscription, as `cases project` runs it."""

    service: CaseService
    projector: Projector
    feed: SubscribedFeed
    app_name: str
    url: str

    def identify(self) -> None:
        self.service.cases.identify(CIVIL, identify_body())

    def head(self) -> int:
        return self.service.cases.recorder.max_notification_id() or 0

    def projected_cases(self) -> int:
        return int(
            self.service.read_models.store.read(lambda tx: tx.value("SELECT COUNT(*) FROM {cases}"))
        )


@pytest.fixture
def own_database(postgres_url: str) -> Iterator[str]:
    """A database of its own: NOTIFY channels are per database, and other tests' writes on
    the shared one would wake the subscription and hide a stall."""
    name = f"careledger_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    yield urlunparse(urlparse(postgres_url)._replace(path=f"/{name}"))
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE {name} WITH (FORCE)")


@pytest.fixture
def following(
    own_database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Following]:
    # Every connection of this test carries its own name, so the test can find its own
    # LISTEN connection among whatever else the server is serving.
    app_name = f"careledger-test-{uuid.uuid4().hex[:8]}"
    monkeypatch.setenv("PGAPPNAME", app_name)
    settings = Settings(
        data_dir=tmp_path / "var", database_url=own_database, postgres_schema="careledger"
    ).with_generated_secrets()
    with psycopg.connect(own_database, autocommit=True) as admin:
        admin.execute("CREATE SCHEMA careledger")
    service = make_service(settings)
    projector = build_projector(
        settings, service.cases, service.read_models.store, lease=False, stall_seconds=1.0
    )
    assert isinstance(projector.feed, SubscribedFeed)
    projector.feed.wait_seconds = 0.2
    runner = Runner(projector, idle_seconds=0.02, max_backoff_seconds=0.5)
    thread = threading.Thread(target=runner.run, daemon=True)
    thread.start()
    yield Following(service, projector, projector.feed, app_name, own_database)
    runner.stop()
    thread.join(timeout=30)
    service.close()


def eventually(condition: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def test_the_projector_follows_new_events_as_they_are_notified(following: Following) -> None:
    following.identify()
    assert eventually(lambda: following.projected_cases() == 1, 10)
    assert following.feed.resubscriptions == 0


def test_the_projector_resubscribes_when_its_listen_connection_is_terminated(
    following: Following,
) -> None:
    following.identify()
    assert eventually(lambda: following.projected_cases() == 1, 10)

    with psycopg.connect(following.url, autocommit=True) as admin:
        terminated = admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE application_name = %s AND query LIKE 'LISTEN%%' AND pid <> pg_backend_pid()",
            (following.app_name,),
        ).fetchall()
    assert terminated, "the subscription's LISTEN connection was found and terminated"
    # The new subscription pulls before it LISTENs: a NOTIFY in between is lost, and only
    # the stall check (1 s here) notices. Both ways must end with the event projected.
    following.identify()

    assert eventually(lambda: following.projected_cases() == 2, 15)
    assert following.feed.resubscriptions >= 1
    assert following.service.read_models.position() == following.head()


def test_the_projector_notices_a_stalled_subscription_and_resubscribes(
    following: Following,
) -> None:
    following.identify()
    assert eventually(lambda: following.projected_cases() == 1, 10)

    following.feed.stall_seconds = 3600  # first, without the stall check
    # An event recorded without its NOTIFY: the library's subscription never hears of it.
    events = f"careledger.{following.service.cases.recorder.events_table_name}"  # type: ignore[attr-defined]
    with psycopg.connect(following.url, autocommit=True) as writer:
        writer.execute(
            f"INSERT INTO {events} (originator_id, originator_version, topic, state) "
            f"SELECT gen_random_uuid(), 1, topic, state FROM {events} "
            "WHERE topic LIKE '%%Case.Identified' LIMIT 1"
        )
    assert not eventually(lambda: following.projected_cases() == 2, 1.5), (
        "without the stall check the subscription would wait for ever"
    )

    following.feed.stall_seconds = 0.3

    assert eventually(lambda: following.projected_cases() == 2, 10)
    assert following.feed.resubscriptions >= 1
    assert following.service.read_models.position() == following.head()
