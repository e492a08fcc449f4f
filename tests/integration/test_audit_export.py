"""The audit export (issue 9): written from a store on SQLite and PostgreSQL, verified
offline by `ExportVerifier` / `careledger audit verify-export` with neither database nor
service, and replayed into a case by the domain's own code. Each kind of tampering with
the exported file is caught and named; so is an export of a tampered store."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask.testing import FlaskClient

from services.cases.audit import canonical, keys
from services.cases.audit.replay import ReplayError, replay
from services.cases.audit.verify import Report
from services.cases.audit.verify_export import ExportVerifier
from services.cases.audit_export_command import domain_transcoder
from services.cases.bootstrap import CaseService
from services.cli import main
from shared.settings import Settings
from tests.integration.test_audit_tamper import Store, case_problem, problems
from tests.integration.test_audit_tamper import store as store  # the fixture
from tests.support import COUNTY, IDENTIFY, json_of, login


def export(store: Store, scope: str = COUNTY) -> list[str]:
    return list(store.service.audit_exporter().lines(scope))


def objects(lines: list[str]) -> list[dict[str, Any]]:
    return [json.loads(text) for text in lines]


def verify(lines: list[str] | list[dict[str, Any]], key: str | None = None) -> Report:
    texts = [t if isinstance(t, str) else json.dumps(t, ensure_ascii=False) for t in lines]
    return ExportVerifier(key).run(texts)


def event_lines(objs: list[dict[str, Any]], case_id: UUID) -> list[int]:
    return [
        i for i, o in enumerate(objs) if o["type"] == "event" and o["aggregate"] == str(case_id)
    ]


def test_an_untouched_export_verifies_clean(store: Store) -> None:
    objs = objects(export(store))
    report = verify(objs)

    assert report.ok, report.problems()
    assert report.checkpoints == 2
    assert report.access_rows == 6
    assert report.aggregates == 3  # the three cases; users and idempotency records as links
    assert report.unsealed == 0
    assert objs[0]["public_key"] == keys.public_key_text(
        keys.signing_key(store.service.settings.audit_signing_key)
    )
    links = [o for o in objs if o["type"] == "link"]
    assert links and all(set(o) == {"type", "position", "hash"} for o in links)


def test_an_export_outside_every_case_holds_links_only_and_verifies(store: Store) -> None:
    objs = objects(export(store, "9999"))
    assert not [o for o in objs if o["type"] == "event"]
    assert not [o for o in objs if o["type"] == "access" and "row" in o]
    assert verify(objs).ok


def test_one_changed_byte_of_an_exported_event_is_named(store: Store) -> None:
    objs = objects(export(store))
    at = event_lines(objs, store.cases[1])[1]
    objs[at]["state"]["visit"]["visited_on"] = "2026-04-29"  # one character of a personal field

    report = verify(objs)

    assert case_problem(report, store.cases[1]) == (2, "changed")


def test_an_event_removed_from_the_middle_of_an_export_is_named(store: Store) -> None:
    objs = objects(export(store))
    del objs[event_lines(objs, store.cases[1])[1]]

    report = verify(objs)

    assert case_problem(report, store.cases[1]) == (3, "missing")
    assert "events_removed" in problems(report)


def test_a_cases_last_event_removed_from_an_export_is_named(store: Store) -> None:
    objs = objects(export(store))
    del objs[event_lines(objs, store.cases[1])[-1]]

    report = verify(objs)

    assert "events_removed" in problems(report)
    assert report.log[0].subject == "checkpoint 1"


def test_a_whole_case_removed_from_an_export_is_named(store: Store) -> None:
    objs = objects(export(store))
    for at in reversed(event_lines(objs, store.cases[1])):
        del objs[at]

    report = verify(objs)

    assert "events_removed" in problems(report)
    assert str(store.cases[1]) not in {f.aggregate for f in report.cases}


def test_two_events_swapped_in_an_export_are_named(store: Store) -> None:
    objs = objects(export(store))
    a, b = event_lines(objs, store.cases[1])[1:3]
    objs[a], objs[b] = objs[b], objs[a]

    report = verify(objs)

    assert case_problem(report, store.cases[1])[1] == "reordered"


def test_two_events_contents_swapped_in_place_are_named(store: Store) -> None:
    objs = objects(export(store))
    a, b = event_lines(objs, store.cases[1])[1:3]
    for field in ("state", "topic"):
        objs[a][field], objs[b][field] = objs[b][field], objs[a][field]

    report = verify(objs)

    assert case_problem(report, store.cases[1]) == (2, "changed")


def test_the_newest_events_truncated_from_an_export_are_named(store: Store) -> None:
    objs = objects(export(store))
    log = [i for i, o in enumerate(objs) if o["type"] in ("event", "link")]
    for at in reversed(log[-2:]):
        del objs[at]

    report = verify(objs)

    assert "truncated" in problems(report)


def test_a_replaced_checkpoint_in_an_export_is_named(store: Store) -> None:
    objs = objects(export(store))
    first, second = [i for i, o in enumerate(objs) if o["type"] == "checkpoint"]
    objs[second] = {**objs[first], "seq": 2}

    report = verify(objs)

    assert report.log[0].subject == "checkpoint 2"
    assert report.log[0].problem == "replaced"


def test_a_checkpoint_resigned_with_another_key_in_an_export_is_named(store: Store) -> None:
    objs = objects(export(store))
    second = [o for o in objs if o["type"] == "checkpoint"][1]
    second["signature"] = Ed25519PrivateKey.generate().sign(second["message"].encode()).hex()

    report = verify(objs)

    assert (report.log[0].subject, report.log[0].problem) == ("checkpoint 2", "bad_signature")


def test_a_whole_export_resigned_with_another_key_is_named_given_the_real_key(
    store: Store,
) -> None:
    objs = objects(export(store))
    real = objs[0]["public_key"]
    forger = Ed25519PrivateKey.generate()
    objs[0]["public_key"] = keys.public_key_text(forger)
    for o in objs:
        if o["type"] == "checkpoint":
            o["signature"] = forger.sign(o["message"].encode()).hex()
    assert verify(objs).ok  # consistent with itself: only the key given apart tells

    report = verify(objs, real)

    assert {"wrong_key", "bad_signature"} <= problems(report)


def test_a_deleted_access_log_row_in_an_export_is_named(store: Store) -> None:
    objs = objects(export(store))
    rows = [i for i, o in enumerate(objs) if o["type"] == "access"]
    del objs[rows[2]]

    report = verify(objs)

    assert "row_removed" in problems(report)


def test_an_export_cut_short_is_named(store: Store) -> None:
    lines = export(store)
    assert "incomplete" in problems(verify(lines[:-1]))


def test_an_export_of_a_tampered_store_is_named(store: Store) -> None:
    row = store.event_row(store.cases[1], 2)
    state = bytearray(row["state"])
    state[len(state) // 2] ^= 0x01
    store.set_event(store.cases[1], 2, row["topic"], bytes(state))

    report = verify(export(store))

    assert case_problem(report, store.cases[1]) == (2, "undecryptable")


def test_a_case_replays_from_the_export_at_a_version_and_an_instant(store: Store) -> None:
    lines = export(store)
    transcoder = domain_transcoder()
    case_id = store.cases[0]
    now: Any = store.service.cases.repository.get(case_id)

    whole = replay(lines, case_id, transcoder=transcoder)
    first = replay(lines, case_id, version=1, transcoder=transcoder)

    assert whole.version == now.version
    assert whole.guardian == now.guardian and whole.visit_count == now.visit_count
    assert first.version == 1 and first.visit_count == 0
    same: Any = store.service.cases.repository.get(case_id, version=2)
    at_two = replay(lines, case_id, as_of=same.modified_on, transcoder=transcoder)
    assert at_two.version == 2
    assert at_two.record == same.record


def test_a_case_whose_chain_is_broken_is_not_replayed(store: Store) -> None:
    objs = objects(export(store))
    objs[event_lines(objs, store.cases[0])[1]]["state"]["visit"]["visited_on"] = "2026-05-02"

    with pytest.raises(ReplayError, match=r"event 2 .*changed"):
        replay([json.dumps(o) for o in objs], store.cases[0], transcoder=domain_transcoder())


def test_the_commands_export_verify_offline_and_replay(
    store: Store, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    environment = {
        "CARELEDGER_DATA_DIR": str(settings.data_dir),
        "CARELEDGER_DATABASE_URL": settings.database_url,
        "CARELEDGER_POSTGRES_SCHEMA": settings.postgres_schema,
        "CARELEDGER_CIPHER_KEY": settings.cipher_key,
        "CARELEDGER_AUDIT_SIGNING_KEY": settings.audit_signing_key,
    }
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    file = tmp_path / "audit.jsonl"
    runner = CliRunner()

    exported = runner.invoke(main, ["audit", "export", "--scope", COUNTY, str(file)])
    assert exported.exit_code == 0, exported.output
    assert stat.S_IMODE(file.stat().st_mode) == 0o600  # it holds children's records
    logged = store.service.access_log.search(scope="")
    exported_reads = sorted(e.case_id for e in logged if e.purpose == "audit_export")
    assert exported_reads == sorted(str(c) for c in store.cases)  # each case read, logged

    # offline: no database, no service settings at all
    for name in environment:
        monkeypatch.delenv(name)
    key = json.loads(file.read_text(encoding="utf-8").splitlines()[0])["public_key"]
    clean = runner.invoke(main, ["audit", "verify-export", "--public-key", key, str(file)])
    assert clean.exit_code == 0, clean.output
    assert "all verified" in clean.output

    replayed = runner.invoke(
        main, ["audit", "replay", str(file), "--case", str(store.cases[0]), "--version", "2"]
    )
    assert replayed.exit_code == 0, replayed.output
    assert json.loads(replayed.output)["version"] == 2
    before = runner.invoke(
        main, ["audit", "replay", str(file), "--case", str(store.cases[0]), "--as-of", "2000-01-01"]
    )
    assert before.exit_code == 1 and "not been identified" in before.output

    objs = objects(file.read_text(encoding="utf-8").splitlines(keepends=True))
    del objs[event_lines(objs, store.cases[1])[1]]
    file.write_text("".join(json.dumps(o, ensure_ascii=False) + "\n" for o in objs))
    tampered = runner.invoke(main, ["audit", "verify-export", str(file)])
    assert tampered.exit_code == 1
    assert f"Case {store.cases[1]} event 3" in tampered.output and "missing" in tampered.output


def test_the_export_api_is_for_auditors_in_scope(client: FlaskClient, service: CaseService) -> None:
    created = client.post("/api/v1/cases", json=IDENTIFY, headers=login(client, "civil"))
    assert created.status_code == 201, created.json
    auditor = login(client, "auditor")

    response = client.get("/api/v1/audit/export", headers=auditor)
    outside = client.get("/api/v1/audit/export", query_string={"scope": "99"}, headers=auditor)
    civil = client.get("/api/v1/audit/export", headers=login(client, "civil"))

    assert response.status_code == 200
    assert response.mimetype == "application/x-ndjson"
    lines = response.get_data(as_text=True).splitlines()
    report = verify(lines)
    assert report.ok, report.problems()
    assert report.aggregates == 1
    assert json.loads(lines[0])["scope"] == "3601"
    assert outside.status_code == 403
    assert civil.status_code == 403
    assert canonical.ENCODING_VERSION == 1
    assert json_of(created)["id"] in response.get_data(as_text=True)
    logged = service.access_log.search(scope="", case_id=json_of(created)["id"])
    assert [(e.username, e.purpose) for e in logged] == [("auditor", "audit_export")]


def test_an_erased_cases_export_verifies_and_its_clear_fields_are_still_checked(
    store: Store,
) -> None:
    objs = objects(export(store))
    for at in event_lines(objs, store.cases[1]):
        objs[at]["salt"] = None  # as after erasure: the salt is gone, the digests stay
    assert verify(objs).ok

    objs[event_lines(objs, store.cases[1])[1]]["state"]["next_visit_due"] = "2027-01-01"

    assert case_problem(verify(objs), store.cases[1]) == (2, "changed")


def test_a_line_added_to_an_export_is_named(store: Store) -> None:
    objs = objects(export(store))
    rows = [i for i, o in enumerate(objs) if o["type"] == "access"]
    objs.insert(rows[-1] + 1, {**objs[rows[-1]], "id": objs[rows[-1]]["id"] + 1})

    report = verify(objs)

    assert "lines_added" in problems(report)


def test_a_case_whose_identification_is_gone_is_not_hidden_as_out_of_scope(
    store: Store,
) -> None:
    # Without its identification the export cannot tell the case's division: its links
    # would pass for another scope's. They are exported as the case's, without state.
    store.delete_event(store.cases[1], 1, with_link=False)

    objs = objects(export(store))
    report = verify(objs)

    assert case_problem(report, store.cases[1]) == (1, "unplaced")
    assert all(objs[i].get("state") is None for i in event_lines(objs, store.cases[1]))
