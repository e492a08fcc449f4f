"""Helpers the tests share: a fixed clock, sample request bodies, logged-in clients."""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime, time
from typing import Any

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from services.cases.bootstrap import CaseService
from services.cases.projections.projector import catch_up
from shared.clock import Clock

TODAY = date(2026, 11, 29)
VILLAGE = "360124105203"  # 进贤县 (a rural county of 南昌市), one of its villages
OTHER_VILLAGE = "360124105204"
TOWNSHIP = VILLAGE[:9]
COUNTY = VILLAGE[:6]
OTHER_COUNTY_VILLAGE = "360121100201"  # 南昌县
PASSWORD = "correct horse battery"


class FixedClock(Clock):
    """Today is whatever the test says (TODAY to begin with), 04:00 UTC, so date rules do
    not depend on when the tests run."""

    def __init__(self, today: date = TODAY) -> None:
        self.day = today

    def now(self) -> datetime:
        return datetime.combine(self.day, time(4, 0), UTC)

    def today(self) -> date:
        return self.day


IDENTIFY: dict[str, Any] = {
    "child": {
        "name": "王小明",
        "sex": "female",
        "birth_date": "2015-03-02",
        "hukou_registered": True,
        "school": {"name": "前坊小学", "grade": "3", "status": "enrolled"},
    },
    "address": {"jurisdiction": VILLAGE, "detail": "前坊村三组12号"},
    "parents": [
        {
            "relation": "father",
            "status": "working_away",
            "work_location": "广东省东莞市",
            "phone": "13800138000",
        },
        {"relation": "mother", "status": "working_away"},
    ],
    "guardian": {
        "type": "grandparent",
        "name": "李秀英",
        "relation": "grandmother",
        "phone": "13900139000",
        "capacity": "able",
    },
    "source": "survey",
    "identified_on": "2026-03-01",
}

VISIT: dict[str, Any] = {
    "visited_on": "2026-04-01",
    "mode": "home",
    "guardian_present": True,
    "living_conditions": "fair",
    "school_attendance": "regular",
    "emotional_state": "lonely",
    "safety_concerns": [],
    "risk_level": "medium",
    "notes": "孩子想念父母",
}

GUARDIAN_CHANGE: dict[str, Any] = {
    "guardian": {
        "type": "other_relative",
        "name": "王建国",
        "relation": "uncle",
        "capacity": "able",
    },
    "reason": "祖母住院",
    "effective_on": "2026-05-01",
    "entrustment_signed_on": "2026-05-02",
}

INTERVENTION: dict[str, Any] = {
    "kind": "psychological_support",
    "department": "civil_affairs",
    "urgency": "routine",
    "description": "心理辅导",
    "opened_on": "2026-05-10",
    "due_by": "2026-12-31",
}


def identify_body(**changes: Any) -> dict[str, Any]:
    """A valid identify body, with top-level keys replaced."""
    body = copy.deepcopy(IDENTIFY)
    body.update(changes)
    return body


def login(client: FlaskClient, username: str, password: str = PASSWORD) -> dict[str, str]:
    """Logs in and returns the Authorization header."""
    response = client.post("/api/v1/auth/token", json={"username": username, "password": password})
    assert response.status_code == 201, response.json
    return {"Authorization": f"Bearer {json_of(response)['token']}"}


def json_of(response: TestResponse) -> Any:
    """The JSON body of a response; the test fails when there is none."""
    body = response.json
    assert body is not None, f"no JSON body in the {response.status} answer"
    return body


def caught_up(service: CaseService) -> int:
    """Runs the projector until the read models hold every event recorded so far (as a
    running `careledger cases project` would, shortly); returns how many it handled."""
    return catch_up(service.settings, service.cases, service.read_models.store)
