"""Place names for the web app's headings and breadcrumbs: the names of division codes
inside the caller's scope or above it, never of another county's places."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from services.cases.bootstrap import CaseService
from tests.integration.small_city import COUNTY, TOWNSHIP, V1, V3, import_city_divisions
from tests.support import login


@pytest.fixture
def named(client: FlaskClient, service: CaseService) -> FlaskClient:
    import_city_divisions(service)
    return client


def _names(client: FlaskClient, user: str, *codes: str) -> object:
    answer = client.get(
        "/api/v1/dashboard/places", query_string={"code": list(codes)}, headers=login(client, user)
    )
    assert answer.status_code == 200, answer.json
    return answer.json["names"]  # type: ignore[index]


def test_a_supervisor_gets_the_names_of_the_places_above_and_below(named: FlaskClient) -> None:
    names = _names(named, "supervisor", "3601", COUNTY, TOWNSHIP, V1)
    assert names == {"3601": "南昌市", COUNTY: "进贤县", TOWNSHIP: "张公镇", V1: "前坊村"}


def test_a_place_outside_the_scope_is_left_out(named: FlaskClient) -> None:
    assert _names(named, "supervisor", V3) == {}


def test_a_bad_code_or_too_many_is_refused_naming_the_field(named: FlaskClient) -> None:
    headers = login(named, "supervisor")
    bad = named.get("/api/v1/dashboard/places?code=12345", headers=headers)
    many = named.get("/api/v1/dashboard/places", query_string={"code": [V1] * 51}, headers=headers)
    none = named.get("/api/v1/dashboard/places", headers=headers)
    assert (bad.status_code, many.status_code, none.status_code) == (422, 422, 422)
    assert "code.0" in bad.json["errors"]  # type: ignore[index]
