"""Brute force and login floods: failed logins are counted per username and per client
address in the database (so every API process agrees), a key is locked out for a while
after too many, with a 429 and Retry-After that say nothing of whether the user exists;
and logins beyond the hashing slots are refused at once instead of piling up."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any, Literal

import pytest
from argon2 import PasswordHasher
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from services.cases.api import create_app
from services.cases.bootstrap import CaseService, build_case_service
from services.cases.login_throttle import HashingSlots
from shared.roles import Role
from shared.settings import Settings, SettingsError
from tests.conftest import FAST_HASHER
from tests.support import PASSWORD, VILLAGE, FixedClock

HERE = "127.0.0.2"
ELSEWHERE = "127.0.0.3"


class MovingClock(FixedClock):
    """A fixed instant that the test moves on."""

    def __init__(self) -> None:
        super().__init__()
        self.offset = timedelta(0)

    def now(self) -> datetime:
        return super().now() + self.offset


class CountingHasher(PasswordHasher):
    """Argon2id at test costs, counting the passwords it checks."""

    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_cost=1024, parallelism=1)
        self.verified = 0

    def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:
        self.verified += 1
        return super().verify(hash, password)


def start(settings: Settings, clock: MovingClock, **kwargs: Any) -> CaseService:
    service = build_case_service(settings, clock=clock, **kwargs)
    return service


@pytest.fixture
def clock() -> MovingClock:
    return MovingClock()


@pytest.fixture
def hasher() -> CountingHasher:
    return CountingHasher()


@pytest.fixture
def throttled(
    settings: Settings, clock: MovingClock, hasher: CountingHasher
) -> Iterator[CaseService]:
    service = start(settings, clock, password_hasher=hasher)
    service.accounts.register(
        None, username="director", role=Role.CHILD_DIRECTOR, scope=VILLAGE, password=PASSWORD
    )
    yield service
    service.close()


def client_of(settings: Settings, service: CaseService) -> FlaskClient:
    return create_app(settings, case_service=service).test_client()


def log_in(
    client: FlaskClient,
    username: str,
    password: str,
    address: str = HERE,
    forwarded_for: str | None = None,
) -> TestResponse:
    return client.post(
        "/api/v1/auth/token",
        json={"username": username, "password": password},
        environ_base={"REMOTE_ADDR": address},
        headers={"X-Forwarded-For": forwarded_for} if forwarded_for else {},
    )


def assert_throttled(response: TestResponse, retry_after: int) -> dict[str, Any]:
    assert response.status_code == 429, response.json
    assert response.mimetype == "application/problem+json"
    assert response.headers["Retry-After"] == str(retry_after)
    body: dict[str, Any] = response.get_json()
    assert body["status"] == 429 and body["retry_after"] == retry_after
    assert f"Try again in {retry_after} seconds" in body["detail"]
    assert "token" not in body
    return body


def test_five_wrong_passwords_lock_the_user_out_even_with_the_right_one_until_it_ends(
    settings: Settings, throttled: CaseService, clock: MovingClock
) -> None:
    client = client_of(settings, throttled)
    for _ in range(5):
        assert log_in(client, "director", "wrong password").status_code == 401
    assert_throttled(log_in(client, "director", PASSWORD), 30)
    clock.offset += timedelta(seconds=20)
    assert_throttled(log_in(client, "director", PASSWORD), 10)
    clock.offset += timedelta(seconds=10)
    assert log_in(client, "director", PASSWORD).status_code == 201


def test_a_locked_login_is_refused_before_any_password_is_hashed(
    settings: Settings, throttled: CaseService, hasher: CountingHasher
) -> None:
    client = client_of(settings, throttled)
    for _ in range(5):
        log_in(client, "director", "wrong password")
    checked = hasher.verified
    for _ in range(20):
        assert log_in(client, "director", PASSWORD).status_code == 429
    assert hasher.verified == checked


def test_an_unknown_username_is_locked_out_the_same_way_so_the_429_tells_nothing(
    settings: Settings, throttled: CaseService
) -> None:
    client = client_of(settings, throttled)
    for username in ("director", "nobody"):
        for _ in range(5):
            assert log_in(client, username, "wrong password").status_code == 401
    assert assert_throttled(log_in(client, "director", PASSWORD), 30) == assert_throttled(
        log_in(client, "nobody", PASSWORD), 30
    )


def test_the_lockout_doubles_after_each_further_failure_up_to_fifteen_minutes_then_is_forgotten(
    settings: Settings, throttled: CaseService, clock: MovingClock
) -> None:
    client = client_of(settings, throttled)
    for _ in range(5):
        log_in(client, "director", "wrong password")
    retry_afters = []
    for _ in range(6):
        refused = log_in(client, "director", "wrong password")
        retry_afters.append(int(refused.headers["Retry-After"]))
        clock.offset += timedelta(seconds=retry_afters[-1])
        assert log_in(client, "director", "wrong password").status_code == 401
    assert retry_afters == [30, 60, 120, 240, 480, 900]
    # The failure after the longest lockout locked the key for the longest again.
    assert_throttled(log_in(client, "director", PASSWORD), 900)
    # Fifteen quiet minutes after a lockout ends, the failures are forgotten: five tries.
    clock.offset += timedelta(minutes=30)
    for _ in range(4):
        assert log_in(client, "director", "wrong password").status_code == 401
    assert log_in(client, "director", PASSWORD).status_code == 201


def test_a_successful_login_resets_the_users_count(
    settings: Settings, throttled: CaseService
) -> None:
    client = client_of(settings, throttled)
    for _ in range(4):
        log_in(client, "director", "wrong password")
    assert log_in(client, "director", PASSWORD).status_code == 201
    for _ in range(4):
        assert log_in(client, "director", "wrong password").status_code == 401
    assert log_in(client, "director", PASSWORD).status_code == 201


def test_one_address_trying_many_usernames_is_locked_out_but_not_other_addresses(
    settings: Settings, throttled: CaseService, clock: MovingClock
) -> None:
    client = client_of(settings, throttled)
    for n in range(50):
        assert log_in(client, f"guess{n}", "wrong password").status_code == 401
    assert_throttled(log_in(client, "director", PASSWORD), 30)
    assert log_in(client, "director", PASSWORD, address=ELSEWHERE).status_code == 201
    clock.offset += timedelta(seconds=30)
    assert log_in(client, "director", PASSWORD).status_code == 201


def test_a_client_cannot_dodge_the_address_limit_by_naming_another_address(
    settings: Settings, throttled: CaseService
) -> None:
    client = client_of(settings, throttled)
    for n in range(50):
        log_in(client, f"guess{n}", "wrong password", forwarded_for=f"127.9.0.{n}")
    assert_throttled(log_in(client, "director", PASSWORD, forwarded_for="127.9.1.1"), 30)


def test_behind_a_trusted_proxy_each_forwarded_client_is_counted_apart(
    settings: Settings, throttled: CaseService
) -> None:
    # given the API behind one reverse proxy (the TCP peer is always the proxy)
    client = create_app(replace(settings, trusted_proxies=1), case_service=throttled).test_client()
    # when one client behind it fails 50 times
    for n in range(50):
        log_in(client, f"guess{n}", "wrong password", forwarded_for=ELSEWHERE)
    # then that client is locked out, and another client behind the same proxy is not
    assert_throttled(log_in(client, "director", PASSWORD, forwarded_for=ELSEWHERE), 30)
    assert log_in(client, "director", PASSWORD, forwarded_for="127.0.0.4").status_code == 201


def test_trusted_proxies_is_a_small_count() -> None:
    assert Settings.from_env({"CARELEDGER_TRUSTED_PROXIES": "2"}).trusted_proxies == 2
    assert Settings.from_env({}).trusted_proxies == 0
    for wrong in ("-1", "yes", "6", "1.5"):
        with pytest.raises(SettingsError, match="CARELEDGER_TRUSTED_PROXIES"):
            Settings.from_env({"CARELEDGER_TRUSTED_PROXIES": wrong})


def test_the_count_is_shared_by_every_api_process_on_the_database(
    settings: Settings, throttled: CaseService, clock: MovingClock
) -> None:
    # given a second API process on the same database
    other = start(settings, clock, password_hasher=FAST_HASHER)
    try:
        first, second = client_of(settings, throttled), client_of(settings, other)
        # when the failures are spread over both
        for client in (first, second, first, second, first):
            assert log_in(client, "director", "wrong password").status_code == 401
        # then both refuse
        assert_throttled(log_in(second, "director", PASSWORD), 30)
        assert_throttled(log_in(first, "director", PASSWORD), 30)
    finally:
        other.close()


class BlockingHasher(PasswordHasher):
    """Checks no password until the test lets it: holds a hashing slot."""

    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_cost=1024, parallelism=1)
        self.entered = threading.Event()
        self.release = threading.Event()

    def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:
        self.entered.set()
        self.release.wait(10)
        return super().verify(hash, password)


def test_logins_beyond_the_hashing_slots_are_refused_at_once_instead_of_piling_up(
    sqlite_settings: Settings, clock: MovingClock
) -> None:
    hasher = BlockingHasher()
    service = start(
        sqlite_settings,
        clock,
        password_hasher=hasher,
        hashing_slots=HashingSlots(1, queue=1, wait_seconds=0.2),
    )
    try:
        app = create_app(sqlite_settings, case_service=service)
        # given one login hashing (its slot held)
        with ThreadPoolExecutor(17) as pool:
            hashing = pool.submit(
                lambda: log_in(app.test_client(), "nobody", "x", address="127.0.0.10")
            )
            assert hasher.entered.wait(10)
            # when 16 more arrive at once, from 16 addresses
            began = time.monotonic()
            answers = list(
                pool.map(
                    lambda n: log_in(app.test_client(), f"user{n}", "x", address=f"127.0.1.{n}"),
                    range(16),
                )
            )
            elapsed = time.monotonic() - began
            hasher.release.set()
            assert hashing.result().status_code == 401
        # then each is refused with 503 and Retry-After within the short wait
        assert [a.status_code for a in answers] == [503] * 16
        assert all(a.headers["Retry-After"] == "1" for a in answers)
        assert all(a.mimetype == "application/problem+json" for a in answers)
        assert elapsed < 2, elapsed
        # and the slot is free again once the hash is done
        assert log_in(app.test_client(), "nobody", "x").status_code == 401
    finally:
        service.close()
