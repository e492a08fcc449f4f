"""The realistic mix `bench/load_test.py` drives with locust (not run on its own).

90% reads: a case (the case page), the county dashboard, a worklist; 10% writes: a visit
(one in ten sent twice with the same Idempotency-Key, as a phone on a weak line would) and
an identification. The driver logs in once and hands the tokens and case ids over in
LOAD_TEST_FIXTURE (a JSON file); `LOAD_TEST_MIX=bare` sends only the server's bare
endpoint (`/healthz`), the baseline measured beside the mix in the same run."""

from __future__ import annotations

import json
import os
import random
import uuid
from typing import Any

from locust import HttpUser, constant, task

with open(os.environ["LOAD_TEST_FIXTURE"]) as fixture_file:
    FIXTURE: dict[str, Any] = json.load(fixture_file)
BARE = os.environ.get("LOAD_TEST_MIX") == "bare"


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


class Bare(HttpUser):
    """The baseline: the server's bare endpoint, nothing behind it."""

    weight = 1 if BARE else 0
    wait_time = constant(0)

    @task
    def healthz(self) -> None:
        self.client.get("/healthz", name="bare")


class Staff(HttpUser):
    """A county official reading and a village child director writing."""

    weight = 0 if BARE else 1
    wait_time = constant(0)

    def on_start(self) -> None:
        self.reader = _bearer(FIXTURE["reader_token"])
        self.writer = _bearer(FIXTURE["writer_token"])

    @task(60)
    def read_case(self) -> None:
        case_id = random.choice(FIXTURE["cases"])
        self.client.get(
            f"/api/v1/cases/{case_id}?purpose=load_test", headers=self.reader, name="read case"
        )

    @task(15)
    def dashboard(self) -> None:
        self.client.get(
            f"/api/v1/dashboard/summary?scope={FIXTURE['county']}",
            headers=self.reader,
            name="dashboard",
        )

    @task(15)
    def worklist(self) -> None:
        self.client.get(
            f"/api/v1/worklists/overdue-visits?scope={FIXTURE['county']}&per_page=50",
            headers=self.reader,
            name="worklist",
        )

    @task(8)
    def visit(self) -> None:
        case_id = random.choice(FIXTURE["village_cases"])
        key = {"Idempotency-Key": f"load-{uuid.uuid4().hex}"}
        body = FIXTURE["visit"]
        path = f"/api/v1/cases/{case_id}/visits"
        self.client.post(path, json=body, headers=self.writer | key, name="visit")
        if random.random() < 0.1:  # the answer was lost: the phone sends it again
            self.client.post(path, json=body, headers=self.writer | key, name="visit (retry)")

    @task(2)
    def identify(self) -> None:
        self.client.post(
            "/api/v1/cases", json=FIXTURE["identify"], headers=self.writer, name="identify"
        )
