"""Operating it (issue 13): `/metrics` in Prometheus's format on both services, and the
request log as one JSON object per line; neither ever names a child."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
import redis
from flask.testing import FlaskClient
from prometheus_client.parser import text_string_to_metric_families

from services.cases.bootstrap import CaseService
from services.notify.api import create_app as create_notify_app
from services.notify.bootstrap import NotifyService
from shared.cli import log_handler
from shared.settings import Settings
from tests.integration.notify_support import Publisher, TrustedTokens, consumer, drain
from tests.support import IDENTIFY, identify_body, json_of, login

ID_NUMBER = "36012420150302002X"


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def _one_case(client: FlaskClient) -> tuple[dict[str, str], str]:
    headers = login(client, "director")
    child = {**IDENTIFY["child"], "id_number": ID_NUMBER}
    created = client.post("/api/v1/cases", json=identify_body(child=child), headers=headers)
    assert created.status_code == 201, created.json
    return headers, json_of(created)["id"]


def test_case_metrics_count_requests_by_route_refused_logins_and_the_log(
    client: FlaskClient, service: CaseService
) -> None:
    headers, case_id = _one_case(client)
    assert client.get(f"/api/v1/cases/{case_id}", headers=headers).status_code == 200
    for _ in range(2):
        refused = client.post("/api/v1/auth/token", json={"username": "nobody", "password": "x"})
        assert refused.status_code == 401

    answer = client.get("/metrics")

    assert answer.status_code == 200
    assert answer.mimetype == "text/plain"
    text = answer.get_data(as_text=True)
    samples = _samples(text)
    read = (
        "careledger_http_request_duration_seconds_count",
        (("method", "GET"), ("route", "/api/v1/cases/<uuid:case_id>"), ("status", "200")),
    )
    assert samples[read] == 1
    assert samples[("careledger_logins_refused_total", ())] == 2
    head = service.cases.recorder.max_notification_id()
    assert samples[("careledger_events", ())] == head
    assert 0 <= samples[("careledger_projector_lag_events", ())] <= head
    # routes, never URLs: no case id, and nothing of the child
    for secret in (case_id, IDENTIFY["child"]["name"], ID_NUMBER):
        assert secret not in text


def test_metrics_need_no_token_and_carry_the_security_headers(client: FlaskClient) -> None:
    answer = client.get("/metrics")

    assert answer.status_code == 200
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert answer.headers["Cache-Control"] == "no-store"


@pytest.fixture
def notify_client(
    notify: NotifyService, redis_client: redis.Redis, publisher: Publisher
) -> Iterator[FlaskClient]:
    publisher.staff()
    drain(consumer(notify, redis_client, publisher.stream))
    yield create_notify_app(notify.settings, notify=notify, tokens=TrustedTokens()).test_client()


def test_notify_metrics_show_deliveries_and_the_stream(
    notify_client: FlaskClient, notify: NotifyService, publisher: Publisher
) -> None:
    answer = notify_client.get("/metrics")

    assert answer.status_code == 200
    samples = _samples(answer.get_data(as_text=True))
    assert samples[("careledger_notify_deliveries_pending", ())] == 0
    assert samples[("careledger_notify_deliveries_failed", ())] == 0
    assert samples[("careledger_notify_handled_position", ())] >= 1
    assert notify.settings.redis_url  # the fixtures' real Redis
    assert samples[("careledger_notify_pending_entries", ())] == 0
    assert samples[("careledger_notify_dead_letters", ())] == 0


def test_the_request_log_is_one_json_object_per_line_without_the_child(
    client: FlaskClient,
) -> None:
    lines = io.StringIO()
    handler = log_handler(Settings(log_format="json"), lines)
    http_log = logging.getLogger("careledger.http")
    http_log.addHandler(handler)
    level = http_log.level
    http_log.setLevel(logging.INFO)
    try:
        headers, case_id = _one_case(client)
        client.get(f"/api/v1/cases/{case_id}", headers={**headers, "X-Request-ID": "req-42"})
    finally:
        http_log.removeHandler(handler)
        http_log.setLevel(level)

    records = [json.loads(line) for line in lines.getvalue().splitlines()]
    read = [r for r in records if r.get("request_id") == "req-42"]
    assert len(read) == 1, records
    assert read[0]["route"] == "/api/v1/cases/<uuid:case_id>"
    assert read[0]["status"] == 200
    assert read[0]["user"] == "director"
    assert read[0]["method"] == "GET"
    assert read[0]["duration_ms"] >= 0
    assert read[0]["level"] == "INFO" and read[0]["logger"] == "careledger.http"
    everything = lines.getvalue()
    for secret in (IDENTIFY["child"]["name"], ID_NUMBER, case_id):
        assert secret not in everything


def test_a_log_format_other_than_json_or_text_is_refused() -> None:
    from shared.settings import SettingsError

    with pytest.raises(SettingsError, match="CARELEDGER_LOG_FORMAT"):
        Settings.from_env({"CARELEDGER_LOG_FORMAT": "xml"})
