"""What the bad-input tests share: sample bodies for every write, a check that an answer
is a problem+json error naming the right field, and a record of what the store holds, so
a test can prove that a refused request wrote nothing."""

from __future__ import annotations

import copy
from typing import Any

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from services.cases.bootstrap import CaseService
from tests.support import GUARDIAN_CHANGE, INTERVENTION, OTHER_VILLAGE, VISIT, identify_body, login

CASES = "/api/v1/cases"

# A valid body for each write, in an order that works on one case (identified 2026-03-01,
# its first intervention opened 2026-05-10).
PROGRESS: dict[str, Any] = {"note": "第一次辅导", "progressed_on": "2026-06-01"}
INTERVENTION_CLOSURE: dict[str, Any] = {"outcome": "情绪好转", "closed_on": "2026-07-01"}
ASSIGNMENT: dict[str, Any] = {"assignee": "director"}
TRANSFER: dict[str, Any] = {
    "jurisdiction": OTHER_VILLAGE,
    "address_detail": "后坊村一组3号",
    "reason": "随祖母搬家",
    "transferred_on": "2026-06-01",
}
CLOSURE: dict[str, Any] = {"reason": "parents_returned", "closed_on": "2026-08-01"}
REOPENING: dict[str, Any] = {"reason": "父母再次外出务工", "reopened_on": "2026-09-01"}
CORRECTION: dict[str, Any] = {"field": "child.name", "value": "王小红", "reason": "登记时写错"}

# Each write on an existing case: its path under the case's URL ({iid}: an intervention
# of the case) and a valid body.
WRITES: dict[str, tuple[str, dict[str, Any]]] = {
    "visit": ("/visits", VISIT),
    "guardian change": ("/guardian-changes", GUARDIAN_CHANGE),
    "intervention": ("/interventions", INTERVENTION),
    "progress note": ("/interventions/{iid}/progress", PROGRESS),
    "intervention closure": ("/interventions/{iid}/closure", INTERVENTION_CLOSURE),
    "assignment": ("/assignment", ASSIGNMENT),
    "transfer": ("/transfer", TRANSFER),
    "closure": ("/closure", CLOSURE),
    "reopening": ("/reopening", REOPENING),
    "correction": ("/corrections", CORRECTION),
}

# Dates that are not strictly YYYY-MM-DD (or not a date at all).
LOOSE_DATES: tuple[Any, ...] = (
    "2026-3-1",
    "2026-02-30",
    "01/03/2026",
    "2026/03/01",
    "20260301",
    "2026-03-01T00:00:00",
    "2026-03-01T08:00:00+08:00",
    "",
    20260301,
)

DROP = object()  # in `edit`: remove the key


def edit(body: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """A copy of `body` with values at dotted paths (`child.school.name`, `parents.0.status`)
    replaced, added, or removed (DROP)."""
    body = copy.deepcopy(body)
    for path, value in changes.items():
        *branch, leaf = path.split(".")
        node: Any = body
        for part in branch:
            node = node[int(part)] if isinstance(node, list) else node[part]
        key: Any = int(leaf) if isinstance(node, list) else leaf
        if value is DROP:
            del node[key]
        else:
            node[key] = value
    return body


def assert_problem(response: TestResponse, status: int) -> dict[str, Any]:
    """Checks the answer is a problem+json error with this status; returns its body."""
    text = response.get_data(as_text=True)
    assert response.status_code == status, (
        f"expected {status}, got {response.status_code}: {text[:300]}"
    )
    assert response.mimetype == "application/problem+json", response.mimetype
    body = response.get_json()
    assert isinstance(body, dict), text
    assert body.get("status") == status, body
    for key in ("title", "detail"):
        assert isinstance(body.get(key), str) and body[key].strip(), f"no {key}: {body}"
    return body


def assert_invalid(response: TestResponse, field: str, *words: str) -> dict[str, Any]:
    """Checks the answer is a 422 whose `errors` name `field` alone, with a reason (that
    mentions each of `words`)."""
    body = assert_problem(response, 422)
    errors = body.get("errors")
    assert isinstance(errors, dict) and list(errors) == [field], (
        f"expected errors on {field!r} alone, got {errors!r}"
    )
    reasons = errors[field]
    assert isinstance(reasons, list) and reasons, errors
    assert all(isinstance(r, str) and r.strip() for r in reasons), errors
    said = " ".join(reasons).lower()
    for word in words:
        assert word.lower() in said, f"the reason {reasons!r} does not say {word!r}"
    return body


class World:
    """One test's client and service, its logged-in users and the cases it opened."""

    def __init__(self, client: FlaskClient, service: CaseService) -> None:
        self.client = client
        self.service = service
        self._headers: dict[str, dict[str, str]] = {}

    def headers(self, username: str, **extra: str) -> dict[str, str]:
        """The Authorization header of `username` (logged in once), plus `extra`."""
        if username not in self._headers:
            self._headers[username] = login(self.client, username)
        return {**self._headers[username], **extra}

    def post(self, username: str, path: str, body: Any, **headers: str) -> TestResponse:
        """POSTs `body` as JSON as `username`; `headers` are added (`If_Match` → If-Match)."""
        extra = {name.replace("_", "-"): value for name, value in headers.items()}
        return self.client.post(path, json=body, headers=self.headers(username, **extra))

    def get(self, username: str, path: str, query: dict[str, Any] | None = None) -> TestResponse:
        """GETs `path` as `username`."""
        return self.client.get(path, query_string=query, headers=self.headers(username))

    def open_case(self, by: str = "civil", **changes: Any) -> str:
        """Identifies a child (the sample, with top-level keys replaced); the case's URL."""
        response = self.post(by, CASES, identify_body(**changes))
        assert response.status_code == 201, response.get_json()
        return str(response.headers["Location"])

    def open_intervention(self, url: str, by: str = "civil", **changes: Any) -> str:
        """Opens an intervention (the sample, with keys replaced) on the case; its id."""
        response = self.post(by, f"{url}/interventions", {**INTERVENTION, **changes})
        assert response.status_code == 201, response.get_json()
        return str(response.get_json()["intervention_id"])

    def close_case(self, url: str, by: str = "civil") -> None:
        """Closes the case."""
        response = self.post(by, f"{url}/closure", CLOSURE)
        assert response.status_code == 200, response.get_json()

    def position(self) -> int | None:
        """Where the event log stands: every event of every case and user moves it on."""
        return self.service.cases.recorder.max_notification_id()

    def written(self, *urls: str) -> tuple[Any, ...]:
        """Where the event log stands, and each case (state, ETag and history) as an
        auditor reads it: equal before and after requests that wrote nothing."""
        seen: list[Any] = [self.position()]
        for url in urls:
            case = self.get("auditor", url)
            history = self.get("auditor", f"{url}/history")
            assert case.status_code == 200 and history.status_code == 200
            seen += [case.headers["ETag"], case.get_json(), history.get_json()]
        return tuple(seen)
