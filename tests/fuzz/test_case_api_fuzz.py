"""schemathesis against the case service's OpenAPI spec, served by waitress on SQLite and
on PostgreSQL, with real logged-in users (civil affairs of the city for case work, the
admin for the admin operations, the auditor for the access log) and the small city's five
cases, their interventions, real users and a pending user request as path ids: no 5xx,
and every answer as the spec documents it (status, content type, body, headers)."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from flask.testing import FlaskClient

from services.cases.api import create_app
from services.cases.projections.read_models import WORKLISTS
from shared.settings import Settings
from tests.conftest import USERS, make_service
from tests.fuzz.conftest import served
from tests.fuzz.runner import fuzz
from tests.integration.bad_input import WRITES
from tests.integration.small_city import build_small_city, import_city_divisions
from tests.support import caught_up, identify_body, json_of, login

# Who calls what: the users whose work it is, and one or two who may not (their answers
# must be documented too); never one whose token a fuzzed call could end (logout is
# fuzzed with a token of its own user, `disable` never names a caller).
_CALLERS = {
    "/api/v1/admin/": ("admin", "civil_city"),
    "/api/v1/audit/": ("auditor", "director"),
    "/api/v1/": ("civil_city", "civil", "director", "education", "auditor"),
}
_LOGOUT = ("delete", "/api/v1/auth/token")


# Valid bodies for the writes, sent on the real cases besides the generated ones: the
# case's own rules (dates in order, a closed case) decide, and many succeed.
_CASE = "/api/v1/cases/{case_id}"
# A care site in the small city (docs/care-sites.md), registered for real below and as
# the body of fuzzed registrations.
SITE: dict[str, Any] = {
    "name": "前坊村儿童之家",
    "kind": "children_home",
    "jurisdiction": "360124105203",
    "capacity": 30,
    "staff": {"name": "刘芳", "phone": "13900139000"},
    "opening_hours": "16:00-18:30",
}
BODIES: dict[str, list[dict[str, Any]]] = {
    "POST /api/v1/cases": [identify_body()],
    "POST /api/v1/sites": [SITE],
    "POST /api/v1/sites/{site_id}/transitions": [
        {"status": "built", "changed_on": "2026-11-27"},
        {"status": "open", "changed_on": "2026-11-28"},
    ],
    "PUT /api/v1/site-plans/{jurisdiction}/{year}": [{"target": 12}],
    f"POST {_CASE}/site-leaving": [{"left_on": "2026-11-28"}],
    f"POST {_CASE}/school-changes": [{"change": "dropped_out", "changed_on": "2026-11-27"}],
    **{
        f"POST {_CASE}{path.replace('{iid}', '{intervention_id}')}": [body]
        for path, body in WRITES.values()
    },
}


@dataclasses.dataclass(frozen=True)
class CaseWorld:
    base_url: str
    headers: dict[str, dict[str, str]]
    records: list[dict[str, str]]


@pytest.fixture(scope="module")
def storage(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """SQLite, or a PostgreSQL schema of its own (dropped with the test database's)."""
    data_dir = tmp_path_factory.mktemp("var")
    if request.param == "sqlite":
        return Settings(data_dir=data_dir)
    url = request.getfixturevalue("postgres_url")
    schema = f"fuzz_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    request.addfinalizer(lambda: _drop(url, schema))
    return Settings(data_dir=data_dir, database_url=url, postgres_schema=schema)


def _drop(url: str, schema: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture(scope="module")
def world(storage: Settings) -> Iterator[CaseWorld]:
    settings = dataclasses.replace(
        storage.with_generated_secrets(),
        access_token_ttl_seconds=3600,  # outlasts the run
    )
    service = make_service(settings)
    app = create_app(settings, case_service=service)
    client: FlaskClient = app.test_client()
    import_city_divisions(service)
    city = build_small_city(client)
    caught_up(service)
    callers = {name for names in _CALLERS.values() for name in names} | {"police"}
    headers = {name: login(client, name) for name in sorted(callers)}
    records: list[dict[str, str]] = []
    for case_id in city.ids.values():
        case = json_of(client.get(f"/api/v1/cases/{case_id}", headers=headers["civil_city"]))
        records.append({"case_id": case_id})
        records += [
            {"case_id": case_id, "intervention_id": i["intervention_id"]}
            for i in case["interventions"]
        ]
    asked = client.post(
        "/api/v1/admin/users",
        json={
            "username": "fuzz.ca",
            "password": "a long enough password",
            "role": "civil_affairs",
            "scope": "3601",
        },
        headers=headers["admin"],
    )
    assert asked.status_code == 202, asked.json
    records.append({"request_id": json_of(asked)["id"]})
    # Users a fuzzed `disable` may hit without ending the run's own sessions.
    records += [{"username": u} for u in USERS if u not in headers]
    records += [{"name": name} for name in WORKLISTS]
    records += _sites(client, headers["civil_city"])
    with served(app) as base_url:
        yield CaseWorld(base_url, headers, records)
    service.close()


def _sites(client: FlaskClient, civil: dict[str, str]) -> list[dict[str, Any]]:
    """A planned site and an open one, and the city's and a county's plans: their ids as
    path ids; a body attending the open site for the case writes."""
    ids = []
    for steps in ((), (("built", "2026-03-01"), ("open", "2026-04-01"))):
        site = json_of(client.post("/api/v1/sites", json=SITE, headers=civil))
        for status, on in steps:
            body = {"status": status, "changed_on": on}
            client.post(f"/api/v1/sites/{site['id']}/transitions", json=body, headers=civil)
        ids.append(site["id"])
    for jurisdiction in ("3601", "360124"):
        client.put(f"/api/v1/site-plans/{jurisdiction}/2026", json={"target": 5}, headers=civil)
    attend = {"site_id": ids[-1], "attended_on": "2026-11-27"}
    BODIES[f"POST {_CASE}/site-attendance"] = [attend]
    plans = [{"jurisdiction": j, "year": 2026} for j in ("3601", "360124")]
    return [{"site_id": i} for i in ids] + plans


def _callers(world: CaseWorld, method: str, path: str) -> list[dict[str, str]]:
    if (method, path) == _LOGOUT:
        return [world.headers["police"]]
    names = next(names for prefix, names in _CALLERS.items() if path.startswith(prefix))
    return [world.headers[name] for name in names]


@pytest.mark.slow  # about 30 s on the shared 2-core machine, each backend
@pytest.mark.parametrize(
    "storage", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
def test_the_case_api_answers_every_fuzzed_request_as_its_spec_says(
    storage: Settings, world: CaseWorld
) -> None:
    report = fuzz(
        f"case service ({'PostgreSQL' if storage.database_url else 'SQLite'})",
        world.base_url,
        headers_for=lambda method, path: _callers(world, method, path),
        records=world.records,
        bodies=BODIES,
    )

    assert report.requests > 0 and report.statuses[200] > 0
    assert report.server_errors == 0, report.line()
    assert not report.failures, "\n\n".join(f"{k}\n{v}" for k, v in report.failures.items())
