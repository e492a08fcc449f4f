"""Tampering with the stored rows directly, on SQLite and PostgreSQL (issue 9): each
kind is detected by `Verifier.run` and named in the report; an untouched store verifies
clean. The store has three cases with several kinds of event, users, idempotency
records, access-log rows and two signed checkpoints."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from services.cases.access import Actor
from services.cases.access_log import AccessEntry
from services.cases.audit import canonical, keys
from services.cases.audit.checkpoints import CHECKPOINTS, SealRefusedError, seal
from services.cases.audit.links import CHAIN, SALTS
from services.cases.audit.sealer import Sealer
from services.cases.audit.verify import Report
from services.cases.bootstrap import CaseService
from services.cases.idempotency import IdempotencyKey
from services.cli import main
from shared.roles import Role
from shared.settings import Settings
from shared.sql import EventStoreConnections
from tests.conftest import make_service
from tests.support import COUNTY, IDENTIFY, VILLAGE, VISIT

CIVIL = Actor("civil", Role.CIVIL_AFFAIRS, COUNTY, "req-1")
GUARDIAN_CHANGE = {
    "guardian": {
        "type": "other_relative",
        "name": "王大海",
        "relation": "uncle",
        "capacity": "able",
    },
    "reason": "祖母住院",
    "effective_on": "2026-05-01",
}


@dataclass
class Store:
    service: CaseService
    db: EventStoreConnections
    cases: list[UUID]

    @property
    def events(self) -> str:
        return self.db.table(self.service.cases.recorder.events_table_name)  # type: ignore[attr-defined]

    @property
    def position(self) -> str:
        return "notification_id" if self.db.postgres else "rowid"

    def oid(self, aggregate: UUID) -> str:
        return str(aggregate) if self.db.postgres else aggregate.hex

    def verify(self) -> Report:
        return self.service.audit_verifier().run()

    def event_row(self, aggregate: UUID, version: int) -> dict[str, Any]:
        rows = self.db.query(
            f"SELECT {self.position} AS position, topic, state FROM {self.events} "
            "WHERE originator_id = ? AND originator_version = ?",
            (self.oid(aggregate), version),
        )
        return rows[0]

    def delete_event(self, aggregate: UUID, version: int, *, with_link: bool = True) -> None:
        self.db.execute(
            f"DELETE FROM {self.events} WHERE originator_id = ? AND originator_version = ?",
            [(self.oid(aggregate), version)],
        )
        if with_link:
            self.db.execute(
                f"DELETE FROM {self.db.table(CHAIN)} WHERE originator_id = ? AND version = ?",
                [(str(aggregate), version)],
            )

    def set_event(self, aggregate: UUID, version: int, topic: str, state: bytes) -> None:
        self.db.execute(
            f"UPDATE {self.events} SET topic = ?, state = ? "
            "WHERE originator_id = ? AND originator_version = ?",
            [(topic, state, self.oid(aggregate), version)],
        )

    def versions(self, aggregate: UUID) -> int:
        rows = self.db.query(
            f"SELECT MAX(version) AS v FROM {self.db.table(CHAIN)} WHERE originator_id = ?",
            (str(aggregate),),
        )
        return int(rows[0]["v"])

    def checkpoint(self, seq: int) -> dict[str, Any]:
        return self.db.query(
            f"SELECT message, signature FROM {self.db.table(CHECKPOINTS)} WHERE seq = ?", (seq,)
        )[0]

    def set_checkpoint(self, seq: int, message: str, signature: str) -> None:
        self.db.execute(
            f"UPDATE {self.db.table(CHECKPOINTS)} SET message = ?, signature = ? WHERE seq = ?",
            [(message, signature, seq)],
        )


def read(service: CaseService, case_id: UUID, n: int) -> None:
    service.access_log.record(
        [
            AccessEntry(
                datetime(2026, 5, 1, 8, n, tzinfo=UTC),
                "civil",
                "civil_affairs",
                str(case_id),
                VILLAGE,
                "casework",
                f"req-{n}",
            )
        ]
    )


def build_case(service: CaseService, n: int) -> UUID:
    case_id = service.cases.identify(CIVIL, dict(IDENTIFY)).case.id
    key = IdempotencyKey("civil", f"visit-{n}", f"fingerprint-{n}")
    service.cases.record_visit(CIVIL, case_id, VISIT, idempotency=key)
    service.cases.change_guardian(CIVIL, case_id, dict(GUARDIAN_CHANGE))
    service.cases.record_visit(CIVIL, case_id, {**VISIT, "visited_on": "2026-05-03"})
    read(service, case_id, n)
    return case_id


@pytest.fixture
def store(settings: Settings) -> Iterator[Store]:
    service = make_service(settings)
    key = keys.signing_key(settings.audit_signing_key)
    db = service.tables
    first = [build_case(service, n) for n in range(2)]
    assert seal(db, key) is not None
    cases = [*first, build_case(service, 2)]
    for n in range(3, 6):
        read(service, cases[0], n)
    service.cases.record_visit(CIVIL, cases[0], {**VISIT, "visited_on": "2026-05-05"})
    assert seal(db, key) is not None
    yield Store(service, db, cases)
    service.close()


def problems(report: Report) -> set[str]:
    return {f.problem for f in report.cases} | {f.problem for f in report.log}


def case_problem(report: Report, case_id: UUID) -> tuple[int, str]:
    (finding,) = [f for f in report.cases if f.aggregate == str(case_id)]
    return finding.version, finding.problem


def test_an_untouched_store_verifies_clean(store: Store) -> None:
    report = store.verify()
    assert report.ok, report.problems()
    assert report.checkpoints == 2
    assert report.proven_from == 1
    assert report.unsealed == 0
    assert report.access_rows == 6
    assert report.events == store.service.cases.recorder.max_notification_id()


def test_one_changed_byte_of_an_event_is_named(store: Store) -> None:
    row = store.event_row(store.cases[1], 2)
    state = bytearray(row["state"])
    state[len(state) // 2] ^= 0x01
    store.set_event(store.cases[1], 2, row["topic"], bytes(state))

    report = store.verify()

    assert case_problem(report, store.cases[1]) == (2, "undecryptable")
    assert len(report.cases) == 1


def test_an_event_deleted_from_the_middle_is_named(store: Store) -> None:
    store.delete_event(store.cases[1], 2)  # with its link, as a careful attacker would

    report = store.verify()

    assert case_problem(report, store.cases[1]) == (3, "missing")


def test_an_event_deleted_but_its_link_left_is_named(store: Store) -> None:
    store.delete_event(store.cases[1], 2, with_link=False)
    assert case_problem(store.verify(), store.cases[1]) == (2, "deleted")


def test_a_cases_last_event_deleted_is_named(store: Store) -> None:
    # case 1's last event is not the log's newest: only the checkpoint can tell
    store.delete_event(store.cases[1], store.versions(store.cases[1]))

    report = store.verify()

    assert report.cases == []
    assert [(f.subject, f.problem) for f in report.log] == [("checkpoint 1", "events_removed")]


def test_a_whole_case_deleted_is_named(store: Store) -> None:
    case_id = store.cases[0]
    for version in range(1, store.versions(case_id) + 1):
        store.delete_event(case_id, version)
    store.db.execute(
        f"DELETE FROM {store.db.table(SALTS)} WHERE originator_id = ?", [(str(case_id),)]
    )

    report = store.verify()

    assert "events_removed" in problems(report)
    assert report.log[0].subject == "checkpoint 1"


def test_two_events_swapped_are_named(store: Store) -> None:
    case_id = store.cases[2]
    second, third = store.event_row(case_id, 2), store.event_row(case_id, 3)
    store.set_event(case_id, 2, third["topic"], bytes(third["state"]))
    store.set_event(case_id, 3, second["topic"], bytes(second["state"]))

    report = store.verify()

    assert case_problem(report, case_id) == (2, "reordered")
    assert "event 3" in report.cases[0].detail


def test_the_newest_events_of_the_log_truncated_are_named(store: Store) -> None:
    head = store.service.cases.recorder.max_notification_id()
    assert head is not None
    newest = store.db.query(
        f"SELECT originator_id, version FROM {store.db.table(CHAIN)} WHERE position > ?",
        (head - 3,),
    )
    for row in newest:
        store.delete_event(UUID(row["originator_id"]), int(row["version"]))

    report = store.verify()

    assert report.cases == []  # every case's chain is whole: its tail is gone
    assert [(f.subject, f.problem) for f in report.log] == [("checkpoint 2", "truncated")]


def test_a_replaced_checkpoint_is_named(store: Store) -> None:
    first = store.checkpoint(1)
    store.set_checkpoint(2, first["message"], first["signature"])

    report = store.verify()

    assert ("checkpoint 2", "replaced") in [(f.subject, f.problem) for f in report.log]


def test_a_checkpoint_resigned_with_another_key_is_named(store: Store) -> None:
    # the attacker rewrites what checkpoint 2 says and signs it with a key of their own
    message = json.loads(store.checkpoint(2)["message"])
    message["events"] -= 1
    forged = canonical.encode(message)
    signature = Ed25519PrivateKey.generate().sign(forged).hex()
    store.set_checkpoint(2, forged.decode(), signature)

    report = store.verify()

    assert report.log[0].subject == "checkpoint 2"
    assert report.log[0].problem == "bad_signature"


def test_a_deleted_access_log_row_is_named(store: Store) -> None:
    table = store.db.table("careledger_access_log")
    middle = store.db.query(f"SELECT id FROM {table} ORDER BY id")[2]["id"]
    store.db.execute(f"DELETE FROM {table} WHERE id = ?", [(middle,)])

    report = store.verify()

    assert report.log[0].problem == "row_removed"
    assert report.log[0].subject.startswith("access log row ")
    assert "access_changed" in problems(report)


def test_the_command_names_the_problem_and_exits_1(
    store: Store, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in {
        "CARELEDGER_DATA_DIR": str(settings.data_dir),
        "CARELEDGER_DATABASE_URL": settings.database_url,
        "CARELEDGER_POSTGRES_SCHEMA": settings.postgres_schema,
        "CARELEDGER_CIPHER_KEY": settings.cipher_key,
        "CARELEDGER_AUDIT_SIGNING_KEY": settings.audit_signing_key,
    }.items():
        monkeypatch.setenv(name, value)
    runner = CliRunner()
    public = runner.invoke(main, ["audit", "public-key"])
    assert public.output.strip() == keys.public_key_text(
        keys.signing_key(settings.audit_signing_key)
    )
    assert runner.invoke(main, ["audit", "seal"]).output.startswith("audit seal: nothing new")
    clean = runner.invoke(main, ["audit", "verify"])
    assert clean.exit_code == 0, clean.output
    assert "all verified" in clean.output.splitlines()[-1]

    store.delete_event(store.cases[1], 2)
    tampered = runner.invoke(main, ["audit", "verify", "--scope", VILLAGE])

    assert tampered.exit_code == 1
    assert f"Case {store.cases[1]} event 3" in tampered.output
    assert "missing" in tampered.output
    assert "checkpoint 1: events_removed" in tampered.output
    assert "2 problems" in tampered.output.splitlines()[-1]


def test_the_sealer_seals_every_n_events_and_never_over_tampering(
    store: Store, settings: Settings
) -> None:
    key = keys.signing_key(settings.audit_signing_key)
    sealer = Sealer(store.db, key, every_events=3, every_seconds=3600)
    assert sealer.run_once() == 0  # nothing new since the fixture's seal

    service, case_id = store.service, store.cases[2]
    service.cases.record_visit(CIVIL, case_id, {**VISIT, "visited_on": "2026-05-06"})
    assert sealer.run_once() == 0  # one event: neither 3 events nor an hour
    for day in ("2026-05-07", "2026-05-08"):
        service.cases.record_visit(CIVIL, case_id, {**VISIT, "visited_on": day})
    assert sealer.run_once() == 1
    assert store.verify().checkpoints == 3

    first = store.checkpoint(1)
    store.set_checkpoint(3, first["message"], first["signature"])
    for day in ("2026-05-09", "2026-05-10", "2026-05-11"):
        service.cases.record_visit(CIVIL, case_id, {**VISIT, "visited_on": day})
    with pytest.raises(SealRefusedError):
        sealer.run_once()


def test_a_case_whose_salt_was_erased_still_verifies_and_its_order_is_checked(
    store: Store,
) -> None:
    # erasure (the privacy issue) deletes the case's salt: the stored digests stand
    case_id = store.cases[1]
    store.db.execute(
        f"DELETE FROM {store.db.table(SALTS)} WHERE originator_id = ?", [(str(case_id),)]
    )
    report = store.verify()
    assert report.ok, report.problems()
    assert report.erased == 1
    assert "1 erased" in report.summary()

    # and its events are still checked for everything but the personal fields' content
    second, third = store.event_row(case_id, 2), store.event_row(case_id, 3)
    store.set_event(case_id, 2, third["topic"], bytes(third["state"]))
    store.set_event(case_id, 3, second["topic"], bytes(second["state"]))
    assert case_problem(store.verify(), case_id) == (2, "changed")


def test_garbage_in_a_link_or_an_access_row_is_named_not_a_crash(store: Store) -> None:
    store.db.execute(
        f"UPDATE {store.db.table(CHAIN)} SET prev_hash = 'zz', hash = 'not hex' "
        "WHERE originator_id = ? AND version = 2",
        [(str(store.cases[0]),)],
    )
    table = store.db.table("careledger_access_log")
    store.db.execute(f"UPDATE {table} SET prev_hash = NULL WHERE id = 2")

    report = store.verify()

    assert case_problem(report, store.cases[0]) == (2, "broken")
    assert {"row_removed", "log_changed"} <= problems(report)
