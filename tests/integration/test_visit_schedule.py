"""A city's own visit intervals (CARELEDGER_VISIT_INTERVALS) reach the case through the
whole service: the visit's answer and the read models say the date they give."""

from __future__ import annotations

from dataclasses import replace

from services.cases.api import create_app
from shared.settings import Settings
from tests.conftest import make_service
from tests.support import VISIT, caught_up, identify_body, json_of, login


def test_a_citys_intervals_set_the_next_visit_due(settings: Settings) -> None:
    nanchang = replace(settings, visit_intervals=(("3601", 3, 14, 60),))
    service = make_service(nanchang)
    client = create_app(nanchang, case_service=service).test_client()
    headers = login(client, "civil")
    case_id = json_of(client.post("/api/v1/cases", json=identify_body(), headers=headers))["id"]

    visited = client.post(
        f"/api/v1/cases/{case_id}/visits", json={**VISIT, "risk_level": "medium"}, headers=headers
    )

    assert json_of(visited)["next_visit_due"] == "2026-04-15"  # 14 days after 2026-04-01
    caught_up(service)
    listed = client.get("/api/v1/cases", headers=headers)
    assert [c["next_visit_due"] for c in json_of(listed)["items"]] == ["2026-04-15"]
    service.close()
