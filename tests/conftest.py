"""Fixtures: a case service on SQLite (a temporary file) and on a real PostgreSQL.

PostgreSQL comes from CARELEDGER_TEST_POSTGRES_URL, else the server on 127.0.0.1:5432,
else a throwaway server started from the local binaries (tests/throwaway_postgres.py).
Each test gets its own schema, dropped afterwards: a clean database per test.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient

from services.cases.api import create_app
from services.cases.bootstrap import CaseService, build_case_service
from shared.roles import Role
from shared.settings import Settings
from tests.support import (
    COUNTY,
    OTHER_COUNTY_VILLAGE,
    PASSWORD,
    TOWNSHIP,
    VILLAGE,
    FixedClock,
)
from tests.throwaway_postgres import throwaway_postgres

# Argon2id still, with test-sized costs: hashing a dozen users per test stays cheap.
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]

# Markers that follow from the folder a test lives in (registered in pyproject.toml). The
# browser tests share a seeded city and a Chromium that take about 20 s to set up: slow.
# A slow test elsewhere carries @pytest.mark.slow itself.
FOLDER_MARKERS = {"browser": ("browser", "slow"), "e2e": ("e2e",), "fuzz": ("fuzz",)}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Marks each test by its folder under tests/ (FOLDER_MARKERS)."""
    tests = Path(__file__).parent
    for item in items:
        if item.path.is_relative_to(tests):
            for marker in FOLDER_MARKERS.get(item.path.relative_to(tests).parts[0], ()):
                item.add_marker(marker)


def _answers(host: str, port: int) -> bool:
    try:
        socket.create_connection((host, port), timeout=1).close()
        return True
    except OSError:
        return False


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A PostgreSQL server's URL, starting a throwaway one when none is configured.

    CARELEDGER_TEST_POSTGRES_URL=throwaway forces the throwaway server (to test that path).
    """
    url = os.environ.get("CARELEDGER_TEST_POSTGRES_URL", "")
    if url and url != "throwaway":
        yield url
        return
    if not url and _answers("127.0.0.1", 5432):
        yield "postgresql://postgres@127.0.0.1:5432/test"
        return
    with throwaway_postgres() as throwaway_url:
        yield throwaway_url


@pytest.fixture
def postgres_schema(postgres_url: str) -> Iterator[str]:
    """A fresh schema for one test, dropped afterwards."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    yield schema
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture(params=BACKENDS)
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    """Settings for one test, on SQLite and (a second run) on PostgreSQL."""
    base = Settings(data_dir=tmp_path / "var")
    if request.param == "postgres":
        schema = request.getfixturevalue("postgres_schema")
        base = Settings(
            data_dir=tmp_path / "var",
            database_url=request.getfixturevalue("postgres_url"),
            postgres_schema=schema,
        )
    return base.with_generated_secrets()


@pytest.fixture
def sqlite_settings(tmp_path: Path) -> Settings:
    """Settings on a SQLite file only, for tests about the HTTP layer alone."""
    return Settings(data_dir=tmp_path / "var").with_generated_secrets()


# The users every API test can log in as, one per role and scope of interest.
USERS: dict[str, tuple[Role, str]] = {
    "director": (Role.CHILD_DIRECTOR, VILLAGE),
    "director_elsewhere": (Role.CHILD_DIRECTOR, "360124105204"),
    "supervisor": (Role.CHILD_SUPERVISOR, TOWNSHIP),
    "civil": (Role.CIVIL_AFFAIRS, COUNTY),
    "civil_city": (Role.CIVIL_AFFAIRS, "3601"),
    "civil_elsewhere": (Role.CIVIL_AFFAIRS, OTHER_COUNTY_VILLAGE[:6]),
    "education": (Role.EDUCATION, COUNTY),
    "police": (Role.POLICE, COUNTY),
    "health": (Role.HEALTH, COUNTY),
    "womens": (Role.WOMENS_FEDERATION, COUNTY),
    "auditor": (Role.AUDITOR, "3601"),
    "admin": (Role.ADMIN, "3601"),
}


def make_service(settings: Settings) -> CaseService:
    """A case service on `settings`, with today fixed and the test users registered."""
    service = build_case_service(settings, clock=FixedClock(), password_hasher=FAST_HASHER)
    for username, (role, scope) in USERS.items():
        service.accounts.register(
            None, username=username, role=role, scope=scope, password=PASSWORD
        )
    return service


@pytest.fixture
def service(settings: Settings) -> Iterator[CaseService]:
    """The case service on both backends, with the test users."""
    svc = make_service(settings)
    yield svc
    svc.close()


@pytest.fixture
def app(settings: Settings, service: CaseService) -> Flask:
    return create_app(settings, case_service=service)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()
