"""The audit chain (issue 9): every event of every aggregate (cases, users, idempotency
records) gets its link in the transaction that stores it, on SQLite and PostgreSQL; the
links recompute from the stored events; personal fields enter only as salted digests;
a store written before the chain is adopted once, and says from where it is proven."""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.persistence import IntegrityError

from services.cases.access import Actor
from services.cases.audit import canonical
from services.cases.audit.adopt import PROVEN_FROM
from services.cases.audit.links import CHAIN, SALTS, STATE, facts_of
from services.cases.bootstrap import CaseService, build_case_service
from services.cases.domain import Case
from services.cases.idempotency import IdempotencyKey
from shared.roles import Role
from shared.settings import Settings
from shared.sql import EventStoreConnections
from tests.support import COUNTY, IDENTIFY, VISIT

CIVIL = Actor("civil", Role.CIVIL_AFFAIRS, COUNTY, "req-1")


def tables(service: CaseService) -> EventStoreConnections:
    return EventStoreConnections(service.cases.recorder.datastore)  # type: ignore[attr-defined]


def chain_rows(service: CaseService) -> list[dict[str, Any]]:
    db = tables(service)
    return db.query(f"SELECT * FROM {db.table(CHAIN)} ORDER BY position")


def salt_of(service: CaseService, aggregate: str) -> bytes:
    db = tables(service)
    rows = db.query(f"SELECT salt FROM {db.table(SALTS)} WHERE originator_id = ?", (aggregate,))
    return bytes.fromhex(rows[0]["salt"])


def test_every_event_of_every_aggregate_is_linked_with_its_position(service: CaseService) -> None:
    # given users (registered by the fixture), a case, and a write with an idempotency key
    case_id = service.cases.identify(CIVIL, dict(IDENTIFY)).case.id
    key = IdempotencyKey("civil", "key-1", "fingerprint")
    service.cases.record_visit(CIVIL, case_id, VISIT, idempotency=key)

    # then every event in the log has exactly one link, at its position
    log = service.cases.recorder.select_notifications(start=1, limit=10_000)
    rows = chain_rows(service)
    assert [(r["position"], UUID(r["originator_id"]), r["version"]) for r in rows] == [
        (n.id, n.originator_id, n.originator_version) for n in log
    ]
    topics = {json.loads(r["document"])["topic"].rsplit(":", 1)[-1] for r in rows}
    assert {"User.Registered", "Case.Identified", "Case.Visited"} <= topics
    assert any(t.startswith("IdempotencyRecord") for t in topics)
    # salts only for aggregates with personal fields: cases and users, not idempotency records
    db = tables(service)
    salted = {r["originator_id"] for r in db.query(f"SELECT originator_id FROM {db.table(SALTS)}")}
    assert str(case_id) in salted
    assert str(key.record_id) not in salted


def test_links_recompute_from_the_stored_events(service: CaseService) -> None:
    case_id = service.cases.identify(CIVIL, dict(IDENTIFY)).case.id
    service.cases.record_visit(CIVIL, case_id, VISIT)
    service.cases.record_visit(CIVIL, case_id, {**VISIT, "visited_on": "2026-04-02"})

    rows = [r for r in chain_rows(service) if UUID(r["originator_id"]) == case_id]
    previous = canonical.GENESIS
    salt = salt_of(service, str(case_id))
    for row, event in zip(rows, service.cases.events.get(case_id), strict=True):
        facts = facts_of(event)
        document = canonical.document(
            aggregate=case_id,
            version=event.originator_version,
            topic=json.loads(row["document"])["topic"],
            timestamp=facts.timestamp,
            content=facts.content,
            salt=salt,
        )
        assert row["document"].encode() == document
        assert row["prev_hash"] == previous.hex()
        previous = canonical.chain_hash(previous, document)
        assert row["hash"] == previous.hex()
    assert [r["version"] for r in rows] == [1, 2, 3]


def test_personal_fields_are_only_digests_in_the_chain(service: CaseService) -> None:
    service.cases.identify(CIVIL, dict(IDENTIFY))
    stored = " ".join(r["document"] for r in chain_rows(service))
    for secret in ("王小明", "2015-03-02", "前坊村三组12号", "13800138000", "李秀英"):
        assert secret not in stored
    assert '"$digest"' in stored
    assert "$argon2" not in stored  # users' password hashes too


def test_a_failed_append_leaves_no_link(service: CaseService) -> None:
    case_id = service.cases.identify(CIVIL, dict(IDENTIFY)).case.id
    before = chain_rows(service)
    # a second writer holding version 1 loses the race on the events' unique key
    stale: Case = service.cases.repository.get(case_id)
    service.cases.record_visit(CIVIL, case_id, VISIT)
    middle = chain_rows(service)
    stale.record_visit(visit=dict(VISIT), actor={"username": "x"}, today=stale.modified_on.date())
    with pytest.raises(IntegrityError):
        service.cases.save(stale)
    assert len(middle) == len(before) + 1
    assert chain_rows(service) == middle


def test_a_store_written_before_the_chain_is_adopted_once(settings: Settings) -> None:
    # given a store whose events have no links (as before issue 9)
    first = build_case_service(settings)
    case_id = first.cases.identify(CIVIL, dict(IDENTIFY)).case.id
    first.cases.record_visit(CIVIL, case_id, VISIT)
    db = tables(first)
    db.execute(f"DELETE FROM {db.table(CHAIN)}")
    db.execute(f"DELETE FROM {db.table(STATE)}")
    head = first.cases.recorder.max_notification_id()
    first.close()

    # when the service starts on it again
    reopened = build_case_service(settings)
    reopened.cases.record_visit(CIVIL, case_id, {**VISIT, "visited_on": "2026-04-02"})
    db = tables(reopened)

    # then the old events are linked, the new one follows them, and the state says from
    # which position links were written with their events
    rows = db.query(f"SELECT * FROM {db.table(CHAIN)} ORDER BY position")
    assert [r["version"] for r in rows] == [1, 2, 3]
    assert [r["prev_hash"] for r in rows[1:]] == [r["hash"] for r in rows[:-1]]
    state = db.query(f"SELECT value FROM {db.table(STATE)} WHERE name = ?", (PROVEN_FROM,))
    assert state == [{"value": str((head or 0) + 1)}]
    # and verification says so, and finds the adopted store whole
    report = reopened.audit_verifier().run()
    assert report.ok, report.problems()
    assert report.proven_from == (head or 0) + 1
    assert f"chain proven from position {(head or 0) + 1}" in report.summary()
    reopened.close()
