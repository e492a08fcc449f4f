"""schemathesis against notify's OpenAPI spec, served by waitress, its database on SQLite
and its directory and inbox filled from a real Redis stream; tokens come from real logins
at a real case service, which notify asks whether they hold. The inbox's notification
ids and a real subscription are the path ids: no 5xx, every answer as the spec says."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest
import redis

from services.cases.api import create_app as create_case_app
from services.notify.api import create_app as create_notify_app
from services.notify.bootstrap import build_notify
from shared.settings import Settings
from tests.conftest import make_service
from tests.fuzz.conftest import served
from tests.fuzz.runner import fuzz
from tests.integration.notify_support import Publisher, consumer, drain, inbox, new_case_id
from tests.support import FixedClock, json_of, login


@dataclasses.dataclass(frozen=True)
class NotifyWorld:
    base_url: str
    headers: dict[str, dict[str, str]]
    records: list[dict[str, int]]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, redis_url: str) -> Iterator[NotifyWorld]:
    cases_settings = Settings(data_dir=tmp_path_factory.mktemp("cases")).with_generated_secrets()
    case_service = make_service(cases_settings)
    case_app = create_case_app(cases_settings, case_service=case_service)
    headers = {name: login(case_app.test_client(), name) for name in ("civil", "admin")}
    stream = f"test:fuzz:{new_case_id()[:8]}:events"
    client = redis.Redis.from_url(redis_url)
    with served(case_app) as cases_url:
        settings = Settings(
            data_dir=tmp_path_factory.mktemp("notify"),
            redis_url=redis_url,
            stream=stream,
            token_secret=cases_settings.token_secret,
            cases_url=cases_url,
        )
        notify = build_notify(settings, clock=FixedClock())
        publisher = Publisher(client, stream)
        publisher.staff()
        for _ in range(3):  # a child with no guardian: alerts in the civil servant's inbox
            publisher.identify(new_case_id(), guardian_type="none")
        drain(consumer(notify, client, stream))
        app = create_notify_app(settings, notify=notify)
        subscription = app.test_client().post(
            "/api/v1/subscriptions",
            json={
                "url": "https://county.example.org/hook",
                "secret": "0123456789abcdef-s",
                "scope": "360124",
                "kinds": ["no_guardian"],
            },
            headers=headers["admin"],
        )
        assert subscription.status_code == 201, subscription.json
        mine = [row["id"] for row in inbox(notify) if row["recipient"] == "civil"]
        assert mine
        with served(app) as base_url:
            yield NotifyWorld(
                base_url,
                headers,
                [{"notification_id": n} for n in mine]
                + [{"subscription_id": json_of(subscription)["id"]}],
            )
        notify.close()
    client.delete(stream, f"{stream}:dead")
    client.close()
    case_service.close()


def test_the_notify_api_answers_every_fuzzed_request_as_its_spec_says(world: NotifyWorld) -> None:
    report = fuzz(
        "notify",
        world.base_url,
        # Each part by the user whose work it is, and by one who may not (the admin has no
        # inbox of the civil servant's notifications, the civil servant no subscriptions).
        headers_for=lambda method, path: [world.headers["admin"], world.headers["civil"]],
        records=world.records,
    )

    assert report.requests > 0 and report.statuses[200] > 0
    assert report.server_errors == 0, report.line()
    assert not report.failures, "\n\n".join(f"{k}\n{v}" for k, v in report.failures.items())
