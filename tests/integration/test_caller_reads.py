"""Every request reads its caller as stored now: a change made by another API process holds
on the next request, and while one user's requests run at once in many threads, none that
starts after a revocation is let through, which a cached caller that skips a busy
fast-forward (eventsourcing's `fastforward_skipping`) would break (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from services.cases.access import Actor
from services.cases.accounts import AuthenticationError
from services.cases.bootstrap import CaseService, build_case_service
from shared.roles import Role
from shared.settings import Settings
from tests.conftest import FAST_HASHER
from tests.support import PASSWORD, FixedClock

ADMIN = Actor("admin", Role.ADMIN, "3601", "test")


@pytest.fixture
def other_worker(settings: Settings, service: CaseService) -> Iterator[CaseService]:
    """A second API process's service on the same store (the users already registered)."""
    other = build_case_service(settings, clock=FixedClock(), password_hasher=FAST_HASHER)
    yield other
    other.close()


def _refused(service: CaseService, token: str) -> bool:
    try:
        service.accounts.authenticate(token, "test")
    except AuthenticationError:
        return True
    return False


def test_a_user_disabled_by_another_process_is_refused_on_the_next_request(
    service: CaseService, other_worker: CaseService
) -> None:
    token = service.accounts.login("director", PASSWORD).issued.token
    assert not _refused(service, token)  # the caller is now kept by this process
    assert not _refused(service, token)

    other_worker.accounts.disable(ADMIN, "director")

    assert _refused(service, token)
    assert _refused(service, token)  # and stays refused once the change is kept


def test_a_session_revoked_by_another_process_is_refused_and_the_others_still_work(
    service: CaseService, other_worker: CaseService
) -> None:
    first = service.accounts.login("director", PASSWORD)
    second = service.accounts.login("director", PASSWORD)
    for login in (first, second):
        assert not _refused(service, login.issued.token)
    actor, _ = other_worker.accounts.authenticate(first.issued.token, "test")

    other_worker.accounts.revoke(actor, first.refresh.token_id)  # logout of one session

    assert _refused(service, first.issued.token)
    assert not _refused(service, second.issued.token)


def test_no_request_that_starts_after_a_revocation_gets_through_while_many_run_at_once(
    service: CaseService, other_worker: CaseService
) -> None:
    # given: eight threads authenticating the same caller as fast as they can
    token = service.accounts.login("director", PASSWORD).issued.token
    revoked_at: list[float] = []
    let_through_after: list[float] = []
    errors: list[BaseException] = []
    stop = threading.Event()

    def caller() -> None:
        try:
            while not stop.is_set():
                started = time.monotonic()
                if not _refused(service, token) and revoked_at and started > revoked_at[0]:
                    let_through_after.append(started - revoked_at[0])
        except BaseException as error:  # reported below, not lost in a thread
            errors.append(error)

    threads = [threading.Thread(target=caller) for _ in range(8)]
    for thread in threads:
        thread.start()
    try:
        time.sleep(0.3)
        # when: another process disables the user; the clock is read once it committed
        other_worker.accounts.disable(ADMIN, "director")
        revoked_at.append(time.monotonic())
        time.sleep(0.3)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
    # then
    assert errors == []
    assert let_through_after == []
    assert _refused(service, token)
