"""The auditors' access log API: filters, a page, and the total of what matches
(`X-Total-Count`), which the web app's access-log screen shows beside its pager."""

from __future__ import annotations

from flask.testing import FlaskClient

from services.cases.bootstrap import CaseService
from tests.integration.small_city import build_small_city
from tests.support import caught_up, login

LOG = "/api/v1/audit/access-log"


def test_the_access_log_answers_a_page_and_the_total_of_what_matches(
    client: FlaskClient, service: CaseService
) -> None:
    build_small_city(client)
    caught_up(service)
    listed = client.get("/api/v1/cases", headers=login(client, "civil"))
    assert listed.status_code == 200
    read = len(listed.json["items"])  # type: ignore[index]
    assert read >= 3
    auditor = login(client, "auditor")

    everything = client.get(LOG, query_string={"per_page": 1000}, headers=auditor)
    total = int(everything.headers["X-Total-Count"])
    assert total == len(everything.json) >= read  # type: ignore[arg-type]

    page = client.get(LOG, query_string={"username": "civil", "per_page": 2}, headers=auditor)
    assert page.status_code == 200
    assert len(page.json) == 2  # type: ignore[arg-type]
    assert page.headers["X-Total-Count"] == str(read)
    last = client.get(
        LOG, query_string={"username": "civil", "per_page": 2, "page": 99}, headers=auditor
    )
    assert last.json == [] and last.headers["X-Total-Count"] == str(read)
    none = client.get(LOG, query_string={"username": "nobody"}, headers=auditor)
    assert none.json == [] and none.headers["X-Total-Count"] == "0"


def test_the_spec_documents_the_total_header(client: FlaskClient) -> None:
    spec = client.get("/api/v1/openapi.json").json
    answer = spec["paths"]["/api/v1/audit/access-log"]["get"]["responses"]["200"]  # type: ignore[index]
    assert "X-Total-Count" in answer["headers"]
