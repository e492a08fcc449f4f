"""One child, one case: identifying a child whose ID number a case holds already is
refused (409) with a pointer to that case, or only to its township when the caller may
not see it; the survey import is refused the same way."""

from __future__ import annotations

import threading
from typing import Any

from flask.testing import FlaskClient

from services.cases.access import Actor
from services.cases.application import AlreadyRegisteredError
from services.cases.bootstrap import CaseService
from services.cases.register.sheets import read_sheet
from services.cases.register.survey import import_survey
from shared.roles import Role
from tests.integration.survey_support import id_number, survey_row, xlsx
from tests.support import (
    IDENTIFY,
    OTHER_COUNTY_VILLAGE,
    OTHER_VILLAGE,
    TOWNSHIP,
    identify_body,
    json_of,
    login,
)

NUMBER = id_number(42)


def _body(village: str | None = None, number: str = NUMBER) -> dict[str, Any]:
    body = identify_body(child={**IDENTIFY["child"], "id_number": number})
    if village:
        body["address"] = {**body["address"], "jurisdiction": village}
    return body


def test_a_second_identification_in_view_points_to_the_case(
    client: FlaskClient, service: CaseService
) -> None:
    first = client.post("/api/v1/cases", json=_body(), headers=login(client, "civil"))
    before = service.cases.recorder.max_notification_id()

    again = client.post("/api/v1/cases", json=_body(), headers=login(client, "director"))

    assert first.status_code == 201
    assert again.status_code == 409
    body = json_of(again)
    case_id = json_of(first)["id"]
    assert body["existing_case"] == {"id": case_id, "url": f"/api/v1/cases/{case_id}"}
    assert "child.id_number" in body["errors"]
    assert service.cases.recorder.max_notification_id() == before


def test_a_second_identification_out_of_view_names_only_the_township(
    client: FlaskClient, service: CaseService
) -> None:
    client.post("/api/v1/cases", json=_body(), headers=login(client, "civil"))

    from_next_village = client.post(
        "/api/v1/cases", json=_body(OTHER_VILLAGE), headers=login(client, "director_elsewhere")
    )
    from_other_county = client.post(
        "/api/v1/cases",
        json=_body(OTHER_COUNTY_VILLAGE),
        headers=login(client, "civil_elsewhere"),
    )

    for answer in (from_next_village, from_other_county):
        assert answer.status_code == 409
        body = json_of(answer)
        assert "existing_case" not in body
        assert body["held_by"]["township"] == TOWNSHIP
        assert body["held_by"]["contact"]
        assert "王小明" not in answer.get_data(as_text=True)
        assert "前坊" not in answer.get_data(as_text=True)


def test_a_child_without_an_id_number_is_not_refused(client: FlaskClient) -> None:
    headers = login(client, "civil")
    answers = [client.post("/api/v1/cases", json=identify_body(), headers=headers) for _ in "ab"]

    assert [a.status_code for a in answers] == [201, 201]


def test_a_retry_with_the_same_idempotency_key_still_replays(client: FlaskClient) -> None:
    headers = login(client, "civil") | {"Idempotency-Key": "row-1"}
    first = client.post("/api/v1/cases", json=_body(), headers=headers)
    retry = client.post("/api/v1/cases", json=_body(), headers=headers)

    assert (first.status_code, retry.status_code) == (201, 201)
    assert retry.headers["Idempotent-Replayed"] == "true"


def test_two_identifications_racing_open_one_case(service: CaseService) -> None:
    civil = Actor("civil", Role.CIVIL_AFFAIRS, TOWNSHIP[:6], "race")
    outcomes: list[str] = []
    start = threading.Barrier(4)

    def identify() -> None:
        start.wait()
        try:
            service.cases.identify(civil, _body())
            outcomes.append("created")
        except AlreadyRegisteredError:
            outcomes.append("refused")

    threads = [threading.Thread(target=identify) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["created", "refused", "refused", "refused"]


def test_the_import_refuses_a_registered_child_naming_where(service: CaseService) -> None:
    civil = Actor("civil", Role.CIVIL_AFFAIRS, TOWNSHIP[:6], "t")
    service.cases.identify(civil, _body())
    elsewhere = Actor("civil_elsewhere", Role.CIVIL_AFFAIRS, OTHER_COUNTY_VILLAGE[:6], "t")
    row = survey_row(身份证号=NUMBER, **{"村（社区）代码": OTHER_COUNTY_VILLAGE})
    sheet = read_sheet(xlsx([row]), "s.xlsx")

    dry = import_survey(service.cases, elsewhere, sheet, dry_run=True)
    real = import_survey(service.cases, elsewhere, sheet)

    for report in (dry, real):
        (outcome,) = report.rows
        assert outcome.outcome == "refused"
        (problem,) = outcome.problems
        assert problem.column == "身份证号"
        assert problem.message.startswith("该身份证号已在")
        assert TOWNSHIP in problem.message and "请联系该乡镇儿童督导员" in problem.message


def test_the_claim_stores_no_id_number_in_clear(service: CaseService) -> None:
    civil = Actor("civil", Role.CIVIL_AFFAIRS, TOWNSHIP[:6], "t")
    service.cases.identify(civil, _body())

    # The claim's id is derived from a keyed hash; nothing names the number itself.
    found = service.cases.registered_case(NUMBER)
    assert found is not None
    assert NUMBER not in str(found)
    assert service.cases.registered_case(id_number(43)) is None


def test_a_correction_to_a_registered_id_number_is_refused_and_a_new_one_claimed(
    client: FlaskClient,
) -> None:
    headers = login(client, "civil")
    client.post("/api/v1/cases", json=_body(), headers=headers)
    other = json_of(client.post("/api/v1/cases", json=identify_body(), headers=headers))
    url = f"/api/v1/cases/{other['id']}/corrections"

    def correct(number: str) -> Any:
        body = {"field": "child.id_number", "value": number, "reason": "户口本核对"}
        return client.post(url, json=body, headers=headers)

    taken = correct(NUMBER)
    fresh = correct(id_number(44))
    again = client.post("/api/v1/cases", json=_body(number=id_number(44)), headers=headers)

    assert taken.status_code == 409
    assert fresh.status_code == 200
    assert again.status_code == 409
    assert json_of(again)["existing_case"]["id"] == other["id"]


def test_cases_from_before_claims_are_claimed_by_the_upgrade_command(
    tmp_path: Any, monkeypatch: Any
) -> None:
    from click.testing import CliRunner

    from services.cases.bootstrap import build_case_service
    from services.cases.domain import Case
    from services.cli import main
    from shared.settings import Settings

    monkeypatch.setenv("CARELEDGER_DATA_DIR", str(tmp_path / "var"))
    civil = Actor("civil", Role.CIVIL_AFFAIRS, TOWNSHIP[:6], "t")
    service = build_case_service(Settings.from_env().with_generated_secrets())
    # Saved as before claims existed: the case alone. Two of one child, one without a number.
    legacy = [
        Case.identify(
            record=_body(), actor=civil.as_event_data(), today=service.cases.clock.today()
        )
        for _ in "ab"
    ]
    plain = Case.identify(
        record=identify_body(), actor=civil.as_event_data(), today=service.cases.clock.today()
    )
    service.cases.save(*legacy, plain)
    service.close()

    first = CliRunner().invoke(main, ["cases", "claim-id-numbers"])
    again = CliRunner().invoke(main, ["cases", "claim-id-numbers"])

    assert first.exit_code == 0, first.output
    assert "cases=3 claimed=1 already=0 without_id_number=1 conflicts=1" in first.output
    assert "cases=3 claimed=0 already=1 without_id_number=1 conflicts=1" in again.output
    service = build_case_service(Settings.from_env().with_generated_secrets())
    try:
        assert service.cases.registered_case(NUMBER) == legacy[0].id
    finally:
        service.close()
