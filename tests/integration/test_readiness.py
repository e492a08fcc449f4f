"""`/readyz` of the case API (issue 13, operating it): ready while its store answers and
the read models and the stream are within `CARELEDGER_READY_MAX_LAG_EVENTS` of the log;
503 with each problem named otherwise, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest
import redis
from flask.testing import FlaskClient

from services.cases.api import create_app
from services.cases.bootstrap import CaseService
from services.cases.relay.command import RelayOptions, build_relay
from shared.settings import Settings
from tests.conftest import make_service
from tests.integration.relay_support import free_port
from tests.support import caught_up, identify_body, login

LIMIT = 2


@pytest.fixture
def behind(
    settings: Settings, redis_url: str, stream: str, redis_client: redis.Redis
) -> Iterator[tuple[FlaskClient, CaseService]]:
    """An API whose followers have not run, with a lag limit of 2 events."""
    strict = replace(settings, ready_max_lag_events=LIMIT, redis_url=redis_url, stream=stream)
    service = make_service(strict)
    client = create_app(strict, case_service=service).test_client()
    headers = login(client, "director")
    for _ in range(3):
        assert (
            client.post("/api/v1/cases", json=identify_body(), headers=headers).status_code == 201
        )
    yield client, service
    service.close()


def test_not_ready_while_the_read_models_and_the_stream_are_behind_then_ready(
    behind: tuple[FlaskClient, CaseService],
) -> None:
    client, service = behind
    answer = client.get("/readyz")
    assert answer.status_code == 503
    problems = answer.get_json()["problems"]
    assert any(p.startswith("the read models are") and "(limit 2)" in p for p in problems)
    assert any(p.startswith("the stream is") for p in problems)

    caught_up(service)  # the projector
    problems = client.get("/readyz").get_json()["problems"]
    assert [p for p in problems if "read models" in p] == []

    relay, cases, redis_conn = build_relay(service.settings, RelayOptions())
    try:
        while relay.run_once():
            pass
    finally:
        cases.close()
        redis_conn.close()
    assert client.get("/readyz").status_code == 200
    assert client.get("/readyz").get_json() == {"status": "ready"}


def test_not_ready_when_redis_does_not_answer(settings: Settings) -> None:
    nowhere = replace(settings, redis_url=f"redis://127.0.0.1:{free_port()}/0")
    service = make_service(nowhere)
    try:
        caught_up(service)
        answer = create_app(nowhere, case_service=service).test_client().get("/readyz")
        assert answer.status_code == 503
        assert answer.get_json()["problems"] == ["Redis did not answer (ConnectionError)"]
    finally:
        service.close()


def test_ready_without_redis_configured_once_the_read_models_are_current(
    settings: Settings,
) -> None:
    service = make_service(settings)
    try:
        caught_up(service)
        answer = create_app(settings, case_service=service).test_client().get("/readyz")
        assert answer.status_code == 200, answer.get_json()
    finally:
        service.close()
