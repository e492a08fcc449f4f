"""The demo city: seeded once into an empty store, readable through the API by the right
people, every event allowed to whoever recorded it, nothing dated after today."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from argon2 import PasswordHasher
from eventsourcing.utils import get_topic
from flask.testing import FlaskClient

from services.cases.api import create_app
from services.cases.api import schemas as s
from services.cases.bootstrap import CaseService, build_case_service
from services.cases.demo import login_users, print_demo_users, seed_demo, village_name, villages
from services.cases.demo.staff import DEMO_VILLAGE, director_username
from services.cases.domain import Case
from services.cases.domain.checks import is_valid_id_number
from services.cases.domain.corrections import get_path
from services.cases.projections.divisions import names_of
from shared.jurisdictions import in_scope
from shared.roles import DEPARTMENT_OF_ROLE, Capability, Role, can
from shared.settings import Settings
from tests.support import TODAY, FixedClock, caught_up, json_of

CHILDREN = 150
# Argon2id with test-sized costs, so logging in as a hundred directors stays quick.
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
DIRECTOR_PASSWORD = "demo-director-2026"

# What each event kind needs of the role that recorded it.
CAPABILITY_OF_EVENT = {
    "Identified": Capability.IDENTIFY,
    "Visited": Capability.VISIT,
    "GuardianChanged": Capability.CHANGE_GUARDIAN,
    "InterventionOpened": Capability.OPEN_INTERVENTION,
    "InterventionProgressed": Capability.WORK_INTERVENTION,
    "InterventionClosed": Capability.WORK_INTERVENTION,
    "Assigned": Capability.ASSIGN,
    "Transferred": Capability.TRANSFER,
    "Closed": Capability.CLOSE_CASE,
    "Reopened": Capability.REOPEN_CASE,
    "Corrected": Capability.CORRECT,
    # Review (复核): who identifies asks for it; the supervisor returns or confirms.
    "ReviewRequested": Capability.IDENTIFY,
    "ReviewConfirmed": Capability.REVIEW,
    "ReviewReturned": Capability.REVIEW,
    "ReviewResubmitted": Capability.CORRECT,
    "SiteAttended": Capability.VISIT,
}
# Dates that say when something happened (due dates may lie ahead).
FACT_DATES = (
    "identified_on",
    "birth_date",
    "visited_on",
    "effective_on",
    "entrustment_signed_on",
    "opened_on",
    "progressed_on",
    "closed_on",
    "transferred_on",
    "reopened_on",
    "attended_on",
)


def new_service(settings: Settings) -> CaseService:
    return build_case_service(settings, clock=FixedClock(), password_hasher=FAST_HASHER)


def case_ids(service: CaseService) -> list[UUID]:
    topic = get_topic(Case.Identified)  # type: ignore[attr-defined]
    found = service.cases.recorder.select_notifications(
        0, 100_000, topics=[topic], inclusive_of_start=False
    )
    return [service.cases.mapper.to_domain_event(n).originator_id for n in found]


def login(client: FlaskClient, username: str, password: str) -> dict[str, str]:
    response = client.post("/api/v1/auth/token", json={"username": username, "password": password})
    assert response.status_code == 201, (username, response.json)
    return {"Authorization": f"Bearer {json_of(response)['token']}"}


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CaseService]:
    """One small demo city on SQLite, shared by the tests that only read it."""
    settings = Settings(data_dir=Path(tmp_path_factory.mktemp("demo"))).with_generated_secrets()
    service = new_service(settings)
    seed_demo(service, children=CHILDREN)
    yield service
    service.close()


@pytest.fixture(scope="module")
def cases(seeded: CaseService) -> list[Case]:
    return [seeded.cases.find_case(case_id) for case_id in case_ids(seeded)]  # type: ignore[misc]


# ---- seeding ----------------------------------------------------------------------------


def test_a_small_city_is_seeded_and_every_case_is_readable_by_its_village_director(
    settings: Settings,
) -> None:
    # given
    service = new_service(settings)
    client = create_app(settings, case_service=service).test_client()
    # when
    summary = seed_demo(service, children=CHILDREN)
    # then
    ids = case_ids(service)
    assert summary.seeded and summary.children == CHILDREN == len(ids)
    villages_of = {
        case_id: service.cases.find_case(case_id).jurisdiction  # type: ignore[union-attr]
        for case_id in ids
    }
    assert len({village[:6] for village in villages_of.values()}) >= 2
    headers: dict[str, dict[str, str]] = {}
    for case_id, village in villages_of.items():
        director = director_username(village)
        headers.setdefault(director, login(client, director, DIRECTOR_PASSWORD))
        response = client.get(f"/api/v1/cases/{case_id}", headers=headers[director])
        assert response.status_code == 200
        assert json_of(response)["jurisdiction"] == village
    service.close()


def test_seeding_a_store_that_holds_cases_writes_nothing(settings: Settings) -> None:
    # given
    service = new_service(settings)
    seed_demo(service, children=20)
    written = service.cases.recorder.max_notification_id()
    # when
    again = seed_demo(service, children=20)
    # then
    assert not again.seeded
    assert service.cases.recorder.max_notification_id() == written
    service.close()


def test_the_same_seed_builds_the_same_city(tmp_path: Path) -> None:
    def children(folder: str) -> list[dict[str, Any]]:
        service = new_service(Settings(data_dir=tmp_path / folder).with_generated_secrets())
        seed_demo(service, children=30)
        found = [service.cases.find_case(i) for i in case_ids(service)]
        service.close()
        return [{**c.record, "version": c.version} for c in found if c is not None]

    assert children("first") == children("second")


def test_seeding_is_quiet_off_a_terminal_and_ends_with_a_summary_line(
    sqlite_settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    service = new_service(sqlite_settings)
    seed_demo(service, children=20)
    captured = capsys.readouterr()
    names = [c.child["name"] for c in map(service.cases.find_case, case_ids(service)) if c]
    service.close()
    assert captured.out == ""
    assert captured.err.startswith("demo seeded children=20 events=")
    assert captured.err.count("\n") == 1
    assert not any(name in captured.err for name in names)


# ---- the demo users -----------------------------------------------------------------------


def test_the_printed_demo_users_can_log_in(
    seeded: CaseService, capsys: pytest.CaptureFixture[str]
) -> None:
    client = create_app(seeded.settings, case_service=seeded).test_client()
    print_demo_users()
    printed = capsys.readouterr().out
    for user in login_users():
        assert user.username in printed and user.password in printed
        assert len(user.password) >= 10
        answer = client.post(
            "/api/v1/auth/token", json={"username": user.username, "password": user.password}
        )
        assert answer.status_code == 201, user.username
        assert json_of(answer)["user"]["role"] == user.role
        assert json_of(answer)["user"]["scope"] == user.scope


def test_the_demo_director_sees_cases_of_a_real_village(seeded: CaseService) -> None:
    client = create_app(seeded.settings, case_service=seeded).test_client()
    director = next(u for u in login_users() if u.username == "director")
    caught_up(seeded)
    listed = client.get("/api/v1/cases", headers=login(client, "director", DIRECTOR_PASSWORD))
    assert listed.status_code == 200
    assert json_of(listed)["total"] > 0
    assert all(
        c["jurisdiction"] == director.scope and c["assigned_to"] == "director"
        for c in json_of(listed)["items"]
        if c["status"] == "active"
    )


# ---- the data ---------------------------------------------------------------------------------


def test_no_seeded_case_has_a_date_after_today(seeded: CaseService, cases: list[Case]) -> None:
    for case in cases:
        for event in seeded.cases.events.get(case.id):
            for day in _fact_dates(vars(event)):
                assert date.fromisoformat(day) <= TODAY, (type(event).__name__, day)
        identified = case.record["identified_on"]
        assert all(v["visited_on"] >= identified for v in _visits(seeded, case))


def test_every_seeded_event_was_recorded_by_someone_allowed_to(
    seeded: CaseService, cases: list[Case]
) -> None:
    users = {u.username: u for u in map(seeded.accounts.get, _actors(seeded, cases))}
    for case in cases:
        village = ""
        for event in seeded.cases.events.get(case.id):
            data = vars(event)
            village = data.get("record", {}).get("address", {}).get("jurisdiction", village)
            user = users[data["actor"]["username"]]
            kind = type(event).__name__
            assert can(Role(user.role), CAPABILITY_OF_EVENT[kind]), (user.username, kind)
            assert in_scope(village, user.scope), (user.username, kind, village)
            department = DEPARTMENT_OF_ROLE.get(Role(user.role))
            if department and kind.startswith("Intervention"):
                iid = data["intervention_id"]
                assert case.interventions[iid]["department"] == department
            assert data["actor"]["request_id"] == "demo-seed"
            village = data.get("jurisdiction", village)  # a transfer moves the case


def test_the_stored_history_keeps_what_each_correction_and_transfer_replaced(
    seeded: CaseService, cases: list[Case]
) -> None:
    changed = 0
    for case in cases:
        for event in seeded.cases.events.get(case.id):
            data, kind = vars(event), type(event).__name__
            if kind not in ("Corrected", "Transferred"):
                continue
            before: Case = seeded.cases.repository.get(
                case.id, version=event.originator_version - 1
            )
            if kind == "Transferred":
                assert before.jurisdiction != data["jurisdiction"]
            elif data["field"].startswith("guardian."):
                assert get_path(before.guardian, data["field"][9:]) == data["old_value"]
            else:
                assert get_path(before.record, data["field"]) == data["old_value"]
            changed += 1
    assert changed > 0


def test_seeded_records_are_what_the_api_would_accept(
    seeded: CaseService, cases: list[Case]
) -> None:
    for case in cases:
        assert s.IdentifySchema().load(_identify_body(case)) == _identify_body(case)
        for visit in _visits(seeded, case):
            assert s.VisitSchema().load(visit) == visit
        for intervention in case.interventions.values():
            body = {
                k: intervention[k]
                for k in ("kind", "department", "urgency", "description", "opened_on", "due_by")
            }
            assert s.InterventionSchema().load(body) == body
        number = case.child["id_number"]
        assert number is None or is_valid_id_number(number)


def test_the_city_has_about_three_hundred_named_villages_in_thirty_townships() -> None:
    everywhere = villages()
    assert 250 <= len(everywhere) <= 350
    assert len({v.township for v in everywhere}) == 30
    assert {v.county for v in everywhere} == {"360121", "360123", "360124"}
    for v in everywhere:
        committee = int(v.code[9:]) < 200
        assert v.name.endswith("社区" if committee else "村")
        assert village_name(v.code) == v.name
    assert sum(int(v.code[9:]) >= 200 for v in everywhere) > 0.8 * len(everywhere)


def _identify_body(case: Case) -> dict[str, Any]:
    # Corrections change the record; the guardian at identification is in `record`.
    return {
        k: case.record[k]
        for k in ("child", "address", "parents", "guardian", "source", "identified_on")
    }


def _visits(service: CaseService, case: Case) -> list[dict[str, Any]]:
    return [
        vars(e)["visit"] for e in service.cases.events.get(case.id) if type(e).__name__ == "Visited"
    ]


def _fact_dates(data: Any) -> Iterator[str]:
    if isinstance(data, dict):
        for key, value in data.items():
            if key in FACT_DATES and isinstance(value, str):
                yield value
            else:
                yield from _fact_dates(value)
    elif isinstance(data, list):
        for item in data:
            yield from _fact_dates(item)


def _actors(service: CaseService, cases: list[Case]) -> set[str]:
    return {vars(e)["actor"]["username"] for c in cases for e in service.cases.events.get(c.id)}


def test_the_demo_loads_its_villages_and_the_official_divisions_as_reference_data(
    seeded: CaseService,
) -> None:
    store = seeded.read_models.store
    codes = ["3601", "360124", *(v.code for v in villages())]

    names = store.read(lambda tx: names_of(tx, codes))

    assert names == {"3601": "南昌市", "360124": "进贤县"} | {v.code: v.name for v in villages()}


def test_the_demo_directors_latest_children_wait_for_review_and_one_was_returned(
    cases: list[Case],
) -> None:
    waiting = [(c.review_status, (c.review or {}).get("comment")) for c in cases if c.review]
    assert sorted(s for s, _ in waiting) == ["pending", "pending", "returned"]
    assert all(c.jurisdiction == DEMO_VILLAGE for c in cases if c.review)
    assert [comment for status, comment in waiting if status == "returned"] != [None]
    # They count nowhere until confirmed: every other case counts.
    assert sum(c.counted for c in cases) == len(cases) - 3


def test_the_demo_has_care_sites_a_plan_and_children_attending_them(seeded: CaseService) -> None:
    client = create_app(seeded.settings, case_service=seeded).test_client()
    caught_up(seeded)
    civil = login(client, "civil", "demo-civil-2026")

    sites = json_of(client.get("/api/v1/sites", headers=civil))["items"]
    figures = json_of(client.get("/api/v1/sites/figures", headers=civil))

    assert len(sites) >= 10
    assert {s["status"] for s in sites} >= {"open", "built", "planned"}
    assert all(s["jurisdiction"].startswith("360124") for s in sites)
    assert figures["villages"]["with_site"] > 0 and figures["villages"]["without_site"] > 0
    assert figures["children_served"] > 0
    assert figures["plan"]["target"] is not None and figures["plan"]["built"] >= 0
    one = json_of(client.get(f"/api/v1/sites/{sites[0]['id']}", headers=civil))
    assert one["staff"]["name"] and one["staff"]["phone"]
