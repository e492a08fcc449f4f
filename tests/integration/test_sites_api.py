"""Care sites (关爱保护场所, issue 12): civil affairs register sites and move them through
their life, set the yearly plan; a case records the site a child attends, a visit where
it took place; the figures follow from the read models. On both backends, bad paths too."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from services.cases.bootstrap import CaseService
from tests.support import (
    COUNTY,
    OTHER_COUNTY_VILLAGE,
    OTHER_VILLAGE,
    TOWNSHIP,
    VILLAGE,
    VISIT,
    caught_up,
    identify_body,
    json_of,
    login,
)

SITE: dict[str, Any] = {
    "name": "前坊村儿童之家",
    "kind": "children_home",
    "jurisdiction": VILLAGE,
    "capacity": 30,
    "staff": {"name": "刘芳", "phone": "13900139000"},
    "opening_hours": "周一至周五 16:00-18:30，周末 9:00-17:00",
}


def register(client: FlaskClient, headers: dict[str, str], **changes: Any) -> dict[str, Any]:
    answer = client.post("/api/v1/sites", json={**SITE, **changes}, headers=headers)
    assert answer.status_code == 201, answer.json
    return dict(json_of(answer))


def move(client: FlaskClient, headers: dict[str, str], site_id: str, status: str, on: str) -> Any:
    body = {"status": status, "changed_on": on}
    return client.post(f"/api/v1/sites/{site_id}/transitions", json=body, headers=headers)


def open_site(client: FlaskClient, headers: dict[str, str], **changes: Any) -> dict[str, Any]:
    site = register(client, headers, **changes)
    assert move(client, headers, site["id"], "built", "2026-03-01").status_code == 200
    assert move(client, headers, site["id"], "open", "2026-04-01").status_code == 200
    return site


def test_civil_affairs_register_a_site_and_move_it_planned_built_open_closed(
    client: FlaskClient,
) -> None:
    civil = login(client, "civil")
    site = register(client, civil)
    assert (site["status"], site["capacity"], site["staff"]["name"]) == ("planned", 30, "刘芳")

    built = move(client, civil, site["id"], "built", "2026-03-01")
    opened = move(client, civil, site["id"], "open", "2026-04-01")
    closed = move(client, civil, site["id"], "closed", "2026-11-01")

    assert [a.status_code for a in (built, opened, closed)] == [200, 200, 200]
    read = client.get(f"/api/v1/sites/{site['id']}", headers=login(client, "director"))
    body = json_of(read)
    assert (body["status"], body["built_on"], body["opened_on"], body["closed_on"]) == (
        "closed",
        "2026-03-01",
        "2026-04-01",
        "2026-11-01",
    )
    assert read.headers["ETag"] == '"4"'


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"jurisdiction": "360124999203"}, "jurisdiction"),  # no such township
        ({"jurisdiction": "36012410520"}, "jurisdiction"),  # eleven digits
        ({"jurisdiction": "360124105000"}, "jurisdiction"),  # a township, not a village
        ({"capacity": 0}, "capacity"),
        ({"capacity": "30"}, "capacity"),
        ({"capacity": True}, "capacity"),
        ({"kind": "library"}, "kind"),
        ({"name": "  "}, "name"),
        ({"staff": {"name": "刘芳"}}, "staff.phone"),
        ({"staff": {"name": "刘芳", "phone": "call me"}}, "staff.phone"),
        ({"opening_hours": "x" * 201}, "opening_hours"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_a_bad_site_is_refused_with_its_field_and_nothing_is_written(
    client: FlaskClient, service: CaseService, changes: dict[str, Any], field: str
) -> None:
    civil = login(client, "civil")
    before = service.cases.recorder.max_notification_id()

    answer = client.post("/api/v1/sites", json={**SITE, **changes}, headers=civil)

    assert answer.status_code == 422, answer.json
    assert field in json_of(answer)["errors"], answer.json
    assert service.cases.recorder.max_notification_id() == before


def test_a_village_missing_from_the_loaded_villages_of_its_township_is_unknown(
    client: FlaskClient, service: CaseService
) -> None:
    from services.cases.projections.division_rows import DivisionRow
    from services.cases.projections.divisions import import_divisions

    import_divisions(service.read_models.store, [DivisionRow(1, VILLAGE, "前坊村")])
    civil = login(client, "civil")

    known = client.post("/api/v1/sites", json=SITE, headers=civil)
    unknown = client.post(
        "/api/v1/sites", json={**SITE, "jurisdiction": OTHER_VILLAGE}, headers=civil
    )

    assert known.status_code == 201
    assert unknown.status_code == 422
    assert "jurisdiction" in json_of(unknown)["errors"]


def test_an_illegal_transition_is_refused_with_the_reason(client: FlaskClient) -> None:
    civil = login(client, "civil")
    site = register(client, civil)

    opened_unbuilt = move(client, civil, site["id"], "open", "2026-04-01")
    unknown = move(client, civil, site["id"], "demolished", "2026-04-01")
    future = move(client, civil, site["id"], "built", "2027-01-01")
    move(client, civil, site["id"], "closed", "2026-04-01")
    reopened = move(client, civil, site["id"], "built", "2026-05-01")

    assert opened_unbuilt.status_code == 409
    assert "a planned site cannot become open" in json_of(opened_unbuilt)["detail"]
    assert (unknown.status_code, future.status_code) == (422, 422)
    assert reopened.status_code == 409
    assert json_of(client.get(f"/api/v1/sites/{site['id']}", headers=civil))["status"] == "closed"


def test_a_step_dated_before_the_last_is_refused(client: FlaskClient) -> None:
    civil = login(client, "civil")
    site = register(client, civil)
    move(client, civil, site["id"], "built", "2026-05-01")

    answer = move(client, civil, site["id"], "open", "2026-04-01")

    assert answer.status_code == 422
    assert "changed_on" in json_of(answer)["errors"]


def test_only_civil_affairs_manage_sites_and_only_in_their_scope(client: FlaskClient) -> None:
    civil = login(client, "civil")
    site = register(client, civil)

    by_director = client.post("/api/v1/sites", json=SITE, headers=login(client, "director"))
    by_education = move(client, login(client, "education"), site["id"], "built", "2026-03-01")
    elsewhere = login(client, "civil_elsewhere")
    outside = client.post("/api/v1/sites", json=SITE, headers=elsewhere)
    moved_outside = move(client, elsewhere, site["id"], "built", "2026-03-01")
    read_outside = client.get(f"/api/v1/sites/{site['id']}", headers=elsewhere)
    read_by_admin = client.get(f"/api/v1/sites/{site['id']}", headers=login(client, "admin"))
    read_by_police = client.get(f"/api/v1/sites/{site['id']}", headers=login(client, "police"))

    assert (by_director.status_code, by_education.status_code) == (403, 403)
    assert (outside.status_code, moved_outside.status_code, read_outside.status_code) == (
        403,
        404,
        404,
    )
    assert (read_by_admin.status_code, read_by_police.status_code) == (403, 200)
    listed = json_of(client.get("/api/v1/sites", headers=elsewhere))
    assert listed["items"] == []


def test_an_idempotency_key_replays_the_first_answer_and_refuses_another_body(
    client: FlaskClient, service: CaseService
) -> None:
    civil = login(client, "civil")
    headers = civil | {"Idempotency-Key": "site-1"}

    first = client.post("/api/v1/sites", json=SITE, headers=headers)
    after_first = service.cases.recorder.max_notification_id()
    again = client.post("/api/v1/sites", json=SITE, headers=headers)
    other = client.post("/api/v1/sites", json={**SITE, "capacity": 40}, headers=headers)

    assert (first.status_code, again.status_code) == (201, 201)
    assert json_of(again)["id"] == json_of(first)["id"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert service.cases.recorder.max_notification_id() == after_first
    assert other.status_code == 422
    assert "Idempotency-Key" in json_of(other)["errors"]


def test_if_match_names_the_version_a_transition_expects(client: FlaskClient) -> None:
    civil = login(client, "civil")
    site = register(client, civil)
    body = {"status": "built", "changed_on": "2026-03-01"}
    url = f"/api/v1/sites/{site['id']}/transitions"

    stale = client.post(url, json=body, headers=civil | {"If-Match": '"7"'})
    current = client.post(url, json=body, headers=civil | {"If-Match": '"1"'})

    assert stale.status_code == 412
    assert current.status_code == 200
    assert current.headers["ETag"] == '"2"'


def test_a_plan_is_set_revised_and_read_beside_the_sites_built_that_year(
    client: FlaskClient, service: CaseService
) -> None:
    civil = login(client, "civil")
    url = f"/api/v1/site-plans/{COUNTY}/2026"

    drawn = client.put(url, json={"target": 4}, headers=civil)
    revised = client.put(url, json={"target": 2}, headers=civil)
    open_site(client, civil)
    register(client, civil, name="前坊村老年之家", kind="elderly_centre")
    caught_up(service)
    read = client.get(url, headers=login(client, "civil_city"))
    below = client.get(url, headers=login(client, "director"))  # a plan above her scope

    assert (drawn.status_code, revised.status_code, below.status_code) == (201, 200, 404)
    assert json_of(read) | {"id": None} == {
        "id": None,
        "version": 2,
        "jurisdiction": COUNTY,
        "year": 2026,
        "target": 2,
        "built": 1,
        "share": 0.5,
    }


@pytest.mark.parametrize(
    ("path", "body", "status"),
    [
        (f"/api/v1/site-plans/{COUNTY}/2026", {"target": 0}, 422),
        (f"/api/v1/site-plans/{COUNTY}/2026", {"target": "50"}, 422),
        (f"/api/v1/site-plans/{COUNTY}/1999", {"target": 5}, 422),
        ("/api/v1/site-plans/36012/2026", {"target": 5}, 422),
        ("/api/v1/site-plans/999999/2026", {"target": 5}, 422),
        (f"/api/v1/site-plans/{OTHER_COUNTY_VILLAGE[:6]}/2026", {"target": 5}, 403),
        ("/api/v1/site-plans/3601/2026", {"target": 5}, 403),  # above the county's scope
    ],
)
def test_a_bad_or_outside_plan_is_refused(
    client: FlaskClient, service: CaseService, path: str, body: dict[str, Any], status: int
) -> None:
    before = service.cases.recorder.max_notification_id()
    answer = client.put(path, json=body, headers=login(client, "civil"))
    assert answer.status_code == status, answer.json
    assert service.cases.recorder.max_notification_id() == before


def test_a_child_attends_an_open_site_and_a_visit_takes_place_at_it(
    client: FlaskClient, service: CaseService
) -> None:
    civil = login(client, "civil")
    site = open_site(client, civil)
    case = json_of(client.post("/api/v1/cases", json=identify_body(), headers=civil))
    url = f"/api/v1/cases/{case['id']}"
    director = login(client, "director")

    attended = client.post(
        f"{url}/site-attendance",
        json={"site_id": site["id"], "attended_on": "2026-05-01"},
        headers=director,
    )
    visited = client.post(f"{url}/visits", json={**VISIT, "site_id": site["id"]}, headers=director)

    assert attended.status_code == 200, attended.json
    assert json_of(attended)["site_id"] == site["id"]
    assert visited.status_code == 200, visited.json
    assert json_of(visited)["recent_visits"][-1]["site_id"] == site["id"]
    caught_up(service)
    listed = json_of(client.get("/api/v1/sites", headers=civil))["items"]
    assert [(s["id"], s["children_served"]) for s in listed] == [(site["id"], 1)]
    history = json_of(client.get(f"{url}/history", headers=civil))["events"]
    assert [e["type"] for e in history][-2:] == ["site_attended", "visited"]

    left = client.post(f"{url}/site-leaving", json={"left_on": "2026-06-01"}, headers=director)
    assert left.status_code == 200
    assert json_of(left)["site_id"] is None
    caught_up(service)
    listed = json_of(client.get("/api/v1/sites", headers=civil))["items"]
    assert listed[0]["children_served"] == 0


def test_attending_a_site_that_is_not_open_unknown_or_far_away_is_refused(
    client: FlaskClient, service: CaseService
) -> None:
    civil = login(client, "civil")
    closed = open_site(client, civil)
    move(client, civil, closed["id"], "closed", "2026-10-01")
    planned = register(client, civil)
    far = open_site(client, login(client, "civil_elsewhere"), jurisdiction=OTHER_COUNTY_VILLAGE)
    case = json_of(client.post("/api/v1/cases", json=identify_body(), headers=civil))
    url = f"/api/v1/cases/{case['id']}/site-attendance"
    before = service.cases.recorder.max_notification_id()

    def attend(site_id: str) -> Any:
        body = {"site_id": site_id, "attended_on": "2026-05-01"}
        return client.post(url, json=body, headers=civil)

    answers = [attend(s["id"]) for s in (closed, planned, far)]
    unknown = attend("6f1c2b8e-0000-4000-8000-000000000000")
    malformed = attend("not-a-uuid")

    assert [a.status_code for a in answers] == [409, 409, 422]
    assert "only an open site takes children" in json_of(answers[0])["detail"]
    assert (unknown.status_code, malformed.status_code) == (422, 422)
    assert "site_id" in json_of(unknown)["errors"]
    visits = f"/api/v1/cases/{case['id']}/visits"
    unknown_visit = client.post(
        visits, json={**VISIT, "site_id": "6f1c2b8e-0000-4000-8000-000000000000"}, headers=civil
    )
    far_visit = client.post(visits, json={**VISIT, "site_id": far["id"]}, headers=civil)
    bad_visit = client.post(visits, json={**VISIT, "site_id": "nope"}, headers=civil)
    assert [a.status_code for a in (unknown_visit, far_visit, bad_visit)] == [422, 422, 422]
    assert all("site_id" in json_of(a)["errors"] for a in (unknown_visit, far_visit, bad_visit))
    assert service.cases.recorder.max_notification_id() == before


def test_the_figures_count_sites_villages_children_and_the_plan(
    client: FlaskClient, service: CaseService
) -> None:
    from services.cases.projections.division_rows import DivisionRow
    from services.cases.projections.divisions import import_divisions

    import_divisions(
        service.read_models.store,
        [DivisionRow(1, VILLAGE, "前坊村"), DivisionRow(2, OTHER_VILLAGE, "后坊村")],
    )
    civil = login(client, "civil")
    site = open_site(client, civil)
    register(client, civil, name="后坊村儿童之家", jurisdiction=OTHER_VILLAGE)
    client.put(f"/api/v1/site-plans/{COUNTY}/2026", json={"target": 4}, headers=civil)
    case = json_of(client.post("/api/v1/cases", json=identify_body(), headers=civil))
    client.post(
        f"/api/v1/cases/{case['id']}/site-attendance",
        json={"site_id": site["id"], "attended_on": "2026-05-01"},
        headers=civil,
    )
    caught_up(service)

    now = json_of(client.get(f"/api/v1/sites/figures?scope={COUNTY}", headers=civil))
    before = json_of(
        client.get(f"/api/v1/sites/figures?scope={COUNTY}&as_of=2026-03-15", headers=civil)
    )

    assert now["sites"] == {"planned": 1, "built": 0, "open": 1, "closed": 0, "standing": 1}
    assert now["villages"] == {"total": 2, "with_site": 1, "without_site": 1}
    assert (now["children_served"], now["capacity_open"]) == (1, 30)
    assert now["plan"] == {"target": 4, "built": 1, "share": 0.25, "year": 2026}
    assert [(r["code"], r["sites"]["open"]) for r in now["rows"]] == [(TOWNSHIP, 1)]
    assert before["sites"]["built"] == 1 and before["sites"]["open"] == 0
    outside = client.get("/api/v1/sites/figures?scope=3601", headers=civil)
    assert outside.status_code == 403


def test_children_served_are_counted_as_of_a_day_from_the_days_of_attendance(
    client: FlaskClient, service: CaseService
) -> None:
    """A child attends from D1 and leaves on D3: served as of D2, not as of D0 (the site
    open already) nor D4; in the figures and per site. Today she is not served."""
    civil = login(client, "civil")
    site = open_site(client, civil)  # open from 2026-04-01
    case = json_of(client.post("/api/v1/cases", json=identify_body(), headers=civil))
    url = f"/api/v1/cases/{case['id']}"
    attended = client.post(
        f"{url}/site-attendance",
        json={"site_id": site["id"], "attended_on": "2026-05-01"},  # D1
        headers=civil,
    )
    left = client.post(f"{url}/site-leaving", json={"left_on": "2026-07-01"}, headers=civil)
    assert (attended.status_code, left.status_code) == (200, 200)
    caught_up(service)

    def served(day: str | None) -> tuple[int, int]:
        as_of = f"&as_of={day}" if day else ""
        figures = json_of(client.get(f"/api/v1/sites/figures?scope={COUNTY}{as_of}", headers=civil))
        listed = json_of(client.get(f"/api/v1/sites?{as_of[1:]}", headers=civil))["items"]
        assert [row["code"] for row in figures["rows"]] == [TOWNSHIP]
        assert figures["rows"][0]["children_served"] == figures["children_served"]
        return figures["children_served"], listed[0]["children_served"]

    assert served("2026-04-15") == (0, 0)  # D0: the site open, she not there yet
    assert served("2026-05-01") == (1, 1)  # D1
    assert served("2026-06-01") == (1, 1)  # D2
    assert served("2026-07-01") == (0, 0)  # D3: the day she left
    assert served("2026-08-01") == (0, 0)  # D4
    assert served(None) == (0, 0)


def test_moving_to_another_site_ends_the_stay_at_the_first(
    client: FlaskClient, service: CaseService
) -> None:
    civil = login(client, "civil")
    first = open_site(client, civil)
    second = open_site(client, civil, name="前坊村第二儿童之家")
    case = json_of(client.post("/api/v1/cases", json=identify_body(), headers=civil))
    url = f"/api/v1/cases/{case['id']}/site-attendance"
    for site, on in ((first, "2026-05-01"), (second, "2026-06-01")):
        answer = client.post(url, json={"site_id": site["id"], "attended_on": on}, headers=civil)
        assert answer.status_code == 200, answer.json
    caught_up(service)

    def per_site(day: str) -> list[int]:
        items = json_of(client.get(f"/api/v1/sites?as_of={day}", headers=civil))["items"]
        return [s["children_served"] for s in items]

    assert per_site("2026-05-15") == [1, 0]
    assert per_site("2026-06-15") == [0, 1]
    figures = json_of(client.get(f"/api/v1/sites/figures?scope={COUNTY}", headers=civil))
    assert figures["children_served"] == 1
