"""Promise 1 (no lost write, no silent overwrite), idempotent retries, snapshots and
encryption at rest — on SQLite and a real PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any
from uuid import UUID

import psycopg
import pytest

from services.cases.access import Actor
from services.cases.application import StaleVersionError
from services.cases.bootstrap import CaseService
from services.cases.idempotency import IdempotencyKey
from shared.roles import Role
from shared.settings import Settings
from tests.support import COUNTY, IDENTIFY, VISIT

CIVIL = Actor("civil", Role.CIVIL_AFFAIRS, COUNTY, "req-1")


def new_case(service: CaseService) -> UUID:
    return service.cases.identify(CIVIL, dict(IDENTIFY)).case.id


def in_threads(count: int, work: Callable[[int], None]) -> list[BaseException]:
    errors: list[BaseException] = []
    barrier = threading.Barrier(count)

    def run(i: int) -> None:
        barrier.wait()
        try:
            work(i)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


def test_concurrent_writers_without_if_match_lose_nothing(
    settings: Settings, service: CaseService
) -> None:
    # given a case, and a second process-like writer on the same store
    case_id = new_case(service)
    other = make_service_without_users(settings)
    writers = [service, other]

    # when two writers append visits to the same case at the same time
    def work(i: int) -> None:
        for n in range(8):
            day = f"2026-04-{n + 1 + 10 * i:02d}"
            writers[i].cases.record_visit(CIVIL, case_id, {**VISIT, "visited_on": day})

    errors = in_threads(2, work)
    other.close()

    # then every visit is there, once
    assert errors == []
    case = service.cases.get_case(CIVIL, case_id)
    assert case.version == 1 + 16
    events = service.cases.history(CIVIL, case_id).events
    visits = [e for e in events if type(e).__name__ == "Visited"]
    assert len({e.visit["visited_on"] for e in visits}) == 16  # type: ignore[attr-defined]


def test_a_write_naming_a_stale_version_is_refused_and_writes_nothing(service: CaseService) -> None:
    case_id = new_case(service)
    service.cases.record_visit(CIVIL, case_id, VISIT, expected_version=1)
    before = service.cases.recorder.max_notification_id()

    with pytest.raises(StaleVersionError) as refused:
        service.cases.record_visit(CIVIL, case_id, VISIT, expected_version=1)

    assert refused.value.current_version == 2
    assert service.cases.recorder.max_notification_id() == before


def test_a_retry_with_the_same_key_after_a_restart_writes_nothing_more(
    settings: Settings, service: CaseService
) -> None:
    # given a visit written with an idempotency key
    case_id = new_case(service)
    key = IdempotencyKey("civil", "visit-0001", "fingerprint-a")
    first = service.cases.record_visit(CIVIL, case_id, VISIT, idempotency=key)
    service.close()

    # when the phone retries after the server restarted
    restarted = make_service_without_users(settings)
    retry = restarted.cases.record_visit(CIVIL, case_id, VISIT, idempotency=key)

    # then it gets the first answer, and the case has one visit
    assert retry.replayed and retry.case.version == first.case.version == 2
    assert restarted.cases.get_case(CIVIL, case_id).version == 2
    restarted.close()


def test_concurrent_retries_with_one_key_write_once(service: CaseService) -> None:
    case_id = new_case(service)
    key = IdempotencyKey("civil", "visit-0002", "fingerprint-b")
    results: list[Any] = []

    errors = in_threads(
        4,
        lambda i: results.append(
            service.cases.record_visit(CIVIL, case_id, VISIT, idempotency=key)
        ),
    )

    assert errors == []
    assert {r.case.version for r in results} == {2}
    assert service.cases.get_case(CIVIL, case_id).version == 2


def test_identification_retried_with_its_key_opens_one_case(service: CaseService) -> None:
    key = IdempotencyKey("civil", "identify-0001", "fingerprint-c")
    before = service.cases.recorder.max_notification_id() or 0

    first = service.cases.identify(CIVIL, dict(IDENTIFY), key)
    again = service.cases.identify(CIVIL, dict(IDENTIFY), key)

    assert again.replayed and again.case.id == first.case.id
    # one case event and one idempotency record were written, nothing more
    assert (service.cases.recorder.max_notification_id() or 0) - before == 2


def test_a_long_case_is_snapshotted_so_opening_it_reads_few_events(service: CaseService) -> None:
    case_id = new_case(service)
    for n in range(44):
        service.cases.record_visit(
            CIVIL, case_id, {**VISIT, "visited_on": f"2026-{4 + n // 28:02d}-{1 + n % 28:02d}"}
        )

    snapshots = list(service.cases.snapshots.get(case_id))  # type: ignore[union-attr]

    assert [s.originator_version for s in snapshots] == [20, 40]
    service.cases.repository.cache = None  # read from the store, not the cache
    assert service.cases.repository.get(case_id).version == 45


def test_children_s_data_is_encrypted_at_rest(settings: Settings, service: CaseService) -> None:
    new_case(service)
    name = IDENTIFY["child"]["name"].encode()

    stored = raw_event_bytes(settings)

    assert stored and all(name not in state for state in stored)
    assert all(b"working_away" not in state for state in stored)


def raw_event_bytes(settings: Settings) -> list[bytes]:
    if settings.uses_postgres:
        with psycopg.connect(settings.database_url) as conn:
            rows = conn.execute(
                f"SELECT state FROM {settings.postgres_schema}.cases_events"
            ).fetchall()
        return [bytes(r[0]) for r in rows]
    import sqlite3

    with sqlite3.connect(settings.data_dir / "cases.sqlite") as conn:
        return [bytes(r[0]) for r in conn.execute("SELECT state FROM stored_events")]


def make_service_without_users(settings: Settings) -> CaseService:
    from services.cases.bootstrap import build_case_service
    from tests.support import FixedClock

    return build_case_service(settings, clock=FixedClock())
