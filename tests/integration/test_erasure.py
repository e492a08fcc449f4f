"""Erasure that keeps the history provable (issue 10): a case's personal data is sealed
under a key of its own; erasing the case (asked for by one civil-affairs officer of a
county or above, approved by another) destroys the key. The personal fields become
unreadable everywhere, a copy of the store taken before included, while the facts stay:
the dashboards count the same and the audit chain verifies."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from flask.testing import FlaskClient

from services.cases.bootstrap import CaseService
from services.cases.keys.master import MasterKeys
from services.cases.keys.store import CaseKeys
from shared.sql import Transaction
from tests.support import COUNTY, IDENTIFY, VISIT, caught_up, identify_body, json_of, login

PERSONAL = ("王小明", "前坊村三组12号", "13800138000", "李秀英", "13900139000", "孩子想念父母")
CLOSURE = {"reason": "moved_out", "closed_on": "2026-06-01"}
REQUEST = {"basis": "registered_in_error", "reason": "登记有误，依申请删除"}


def _closed_case(client: FlaskClient, identity: str = "360124201503021233") -> str:
    headers = login(client, "civil")
    body = identify_body(child={**IDENTIFY["child"], "id_number": identity})
    case_id: str = json_of(client.post("/api/v1/cases", json=body, headers=headers))["id"]
    visited = client.post(f"/api/v1/cases/{case_id}/visits", json=VISIT, headers=headers)
    assert visited.status_code == 200
    closed = client.post(f"/api/v1/cases/{case_id}/closure", json=CLOSURE, headers=headers)
    assert closed.status_code == 200
    return case_id


def _post(client: FlaskClient, user: str, path: str, body: Any = None) -> Any:
    return client.post(path, json=body, headers=login(client, user))


def _erase(client: FlaskClient, case_id: str) -> Any:
    asked = _post(client, "civil", f"/api/v1/cases/{case_id}/erasure", REQUEST)
    assert asked.status_code == 201, asked.json
    return _post(client, "civil_city", f"/api/v1/cases/{case_id}/erasure/approval")


def _events_table(service: CaseService) -> str:
    return service.tables.table(service.cases.recorder.events_table_name)  # type: ignore[attr-defined]


def _copy_table(tx: Transaction, source: str, copy: str) -> None:
    tx.execute(f"CREATE TABLE {copy} AS SELECT * FROM {source}")


def _events_in(service: CaseService, table: str, case_id: str) -> list[Any]:
    with service.tables.transaction(write=False) as tx:
        rows = tx.all(
            f"SELECT originator_id, originator_version, topic, state FROM {table} "
            "WHERE originator_id = ? ORDER BY originator_version",
            (case_id if tx.postgres else UUID(case_id).hex,),
        )
    return [
        service.cases.mapper.to_domain_event(
            StoredEvent(
                UUID(str(r["originator_id"])),
                r["originator_version"],
                r["topic"],
                bytes(r["state"]),
            )
        )
        for r in rows
    ]


def _summary(client: FlaskClient) -> Any:
    answer = client.get(
        "/api/v1/dashboard/summary", query_string={"scope": COUNTY}, headers=login(client, "civil")
    )
    assert answer.status_code == 200
    figures = json_of(answer)
    assert figures["cases"]["closed"] == 1
    return figures


def test_an_erased_case_keeps_its_facts_and_loses_the_child_everywhere_backups_included(
    client: FlaskClient, service: CaseService
) -> None:
    case_id = _closed_case(client)
    with service.tables.transaction() as tx:  # a backup of the store, taken before
        _copy_table(tx, _events_table(service), service.tables.table("backup_of_events"))
    caught_up(service)
    before = _summary(client)
    readable = _events_in(service, service.tables.table("backup_of_events"), case_id)
    assert readable[0].record["child"]["name"] == "王小明"  # the key opens the backup now

    erased = _erase(client, case_id)

    assert erased.status_code == 200, erased.json
    case = json_of(client.get(f"/api/v1/cases/{case_id}", headers=login(client, "civil")))
    assert case["child"]["name"] is None and case["child"]["id_number"] is None
    assert case["child"]["birth_date"] is None and case["address"]["detail"] is None
    assert case["parents"][0]["phone"] is None and case["guardian"]["name"] is None
    assert case["erasure"]["basis"] == "registered_in_error"
    assert case["erasure"]["requested_by"] == "civil"
    assert case["erasure"]["approved_by"] == "civil_city"
    # the facts stay: the village, the dates, the kinds
    assert (case["jurisdiction"], case["identified_on"], case["status"]) == (
        IDENTIFY["address"]["jurisdiction"],
        "2026-03-01",
        "closed",
    )
    assert case["guardian"]["type"] == "grandparent" and case["visit_count"] == 1
    history = client.get(f"/api/v1/cases/{case_id}/history", headers=login(client, "civil"))
    assert not any(word in history.get_data(as_text=True) for word in PERSONAL)
    assert [e["type"] for e in json_of(history)["events"]][-2:] == ["erasure_requested", "erased"]

    # The backup taken before: its events read without the child, for the key is gone.
    old = _events_in(service, service.tables.table("backup_of_events"), case_id)
    assert old[0].record["child"]["name"] is None
    assert old[0].record["address"]["jurisdiction"] == IDENTIFY["address"]["jurisdiction"]
    assert old[1].visit["notes"] is None and old[1].visit["risk_level"] == "medium"
    # A new process (no cached key) reads the live store the same.
    fresh = CaseKeys.open(service.settings)
    assert fresh is not None and fresh.key_of(UUID(case_id)) is None

    # Dashboards count the same; the search finds the child no more.
    caught_up(service)
    assert _summary(client) == before
    found = client.get(
        "/api/v1/cases", query_string={"q": "王小明"}, headers=login(client, "civil")
    )
    assert json_of(found)["items"] == []
    # The audit chain still verifies, the case counted as erased.
    report = service.audit_verifier().run()
    assert report.ok, report.problems()
    assert report.erased == 1


def test_nothing_more_is_written_on_an_erased_case(
    client: FlaskClient, service: CaseService
) -> None:
    case_id = _closed_case(client)
    assert _erase(client, case_id).status_code == 200

    reopened = _post(
        client,
        "civil",
        f"/api/v1/cases/{case_id}/reopening",
        {"reason": "again", "reopened_on": "2026-07-01"},
    )
    again = _post(client, "civil", f"/api/v1/cases/{case_id}/erasure", REQUEST)

    assert (reopened.status_code, json_of(reopened)["code"]) == (409, "case_erased")
    assert (again.status_code, json_of(again)["code"]) == (409, "case_erased")


def test_erasure_needs_civil_affairs_of_a_county_a_closed_case_and_a_second_person(
    client: FlaskClient, service: CaseService
) -> None:
    case_id = _closed_case(client)
    version = json_of(client.get(f"/api/v1/cases/{case_id}", headers=login(client, "civil")))[
        "version"
    ]
    path = f"/api/v1/cases/{case_id}/erasure"

    assert _post(client, "director", path, REQUEST).status_code == 403
    assert _post(client, "supervisor", path, REQUEST).status_code == 403
    assert _post(client, "civil_elsewhere", path, REQUEST).status_code == 404
    bad_basis = _post(client, "civil", path, {**REQUEST, "basis": "because"})
    assert bad_basis.status_code == 422 and "basis" in json_of(bad_basis)["errors"]
    no_reason = _post(client, "civil", path, {"basis": "court_order"})
    assert no_reason.status_code == 422 and "reason" in json_of(no_reason)["errors"]
    nothing_asked = _post(client, "civil_city", f"{path}/approval")
    assert (nothing_asked.status_code, json_of(nothing_asked)["code"]) == (
        409,
        "erasure_not_requested",
    )
    # Refusals wrote nothing.
    now = json_of(client.get(f"/api/v1/cases/{case_id}", headers=login(client, "civil")))
    assert now["version"] == version and now["erasure_request"] is None

    assert _post(client, "civil", path, REQUEST).status_code == 201
    twice = _post(client, "civil", path, REQUEST)
    self_approved = _post(client, "civil", f"{path}/approval")
    assert (twice.status_code, json_of(twice)["code"]) == (409, "erasure_not_requested")
    assert (self_approved.status_code, json_of(self_approved)["code"]) == (
        403,
        "second_person_required",
    )
    declined = _post(client, "civil_city", f"{path}/decline", {"reason": "需核实"})
    assert declined.status_code == 200 and json_of(declined)["erasure_request"] is None
    assert json_of(declined)["child"]["name"] == "王小明"  # nothing was erased


def test_an_active_case_is_closed_before_it_is_erased(
    client: FlaskClient, service: CaseService
) -> None:
    headers = login(client, "civil")
    case_id = json_of(client.post("/api/v1/cases", json=identify_body(), headers=headers))["id"]

    asked = _post(client, "civil", f"/api/v1/cases/{case_id}/erasure", REQUEST)

    assert (asked.status_code, json_of(asked)["code"]) == (409, "case_not_closed")


def test_a_restored_snapshot_sealed_under_a_destroyed_key_gives_way_to_the_events(
    client: FlaskClient, service: CaseService
) -> None:
    headers = login(client, "civil")
    case_id = json_of(client.post("/api/v1/cases", json=identify_body(), headers=headers))["id"]
    for day in range(2, 25):  # past the snapshot interval (20 events)
        visit = {**VISIT, "visited_on": f"2026-04-{day:02d}"}
        assert (
            client.post(f"/api/v1/cases/{case_id}/visits", json=visit, headers=headers).status_code
            == 200
        )
    assert (
        client.post(f"/api/v1/cases/{case_id}/closure", json=CLOSURE, headers=headers).status_code
        == 200
    )
    snapshots = service.tables.table(service.cases.snapshots.recorder.events_table_name)  # type: ignore[union-attr]
    backup = service.tables.table("backup_of_snapshots")
    with service.tables.transaction() as tx:
        _copy_table(tx, snapshots, backup)
        assert tx.value(f"SELECT COUNT(*) FROM {backup}") >= 1

    assert _erase(client, case_id).status_code == 200
    with service.tables.transaction() as tx:  # the old backup restored over the store
        assert tx.value(f"SELECT COUNT(*) FROM {snapshots}") == 0  # erasure dropped them
        tx.execute(f"INSERT INTO {snapshots} SELECT * FROM {backup}")
    service.cases.repository.cache = None  # as a new process

    case = json_of(client.get(f"/api/v1/cases/{case_id}", headers=login(client, "civil")))

    assert case["child"]["name"] is None and case["visit_count"] == 23
    assert case["erasure"]["approved_by"] == "civil_city"


def test_rotating_the_master_key_rewraps_every_case_key_and_rewrites_no_event(
    client: FlaskClient, service: CaseService
) -> None:
    case_id = _closed_case(client)
    keys = CaseKeys.open(service.settings)
    assert keys is not None
    with service.tables.transaction(write=False) as tx:
        stored = tx.all(f"SELECT state FROM {_events_table(service)} ORDER BY 1")
    old = service.settings.case_master_keys
    new = MasterKeys.new_key()
    case_key = keys.key_of(UUID(case_id))
    assert case_key is not None

    rotated = CaseKeys(keys.db, MasterKeys.parse((new, *old)))
    moved = sum(rotated.rotate(batch=1))

    assert moved >= 1
    status = rotated.status()
    assert status.wrapped_by == {status.current_master_key: moved}
    # The old master key may go: the case opens under the new one alone.
    only_new = CaseKeys(keys.db, MasterKeys.parse((new,)))
    assert only_new.key_of(UUID(case_id)) == case_key
    with service.tables.transaction(write=False) as tx:
        assert tx.all(f"SELECT state FROM {_events_table(service)} ORDER BY 1") == stored


def test_the_id_number_of_an_erased_case_can_be_registered_again_once(
    client: FlaskClient, service: CaseService
) -> None:
    case_id = _closed_case(client, identity="360124201503021233")
    assert _erase(client, case_id).status_code == 200
    headers = login(client, "civil")
    body = identify_body(child={**IDENTIFY["child"], "id_number": "360124201503021233"})

    again = client.post("/api/v1/cases", json=body, headers=headers)
    third = client.post("/api/v1/cases", json=body, headers=headers)

    assert again.status_code == 201, again.json
    assert third.status_code == 409
    assert json_of(third)["existing_case"]["id"] == json_of(again)["id"]
