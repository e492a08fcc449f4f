"""What a write costs outside its use case: no request builds a marshmallow schema (the
argument schemas are made once, when the routes are registered; each nested field's on
the first request that uses it)."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from marshmallow import Schema

from tests.support import VISIT, identify_body, json_of, login


def test_identify_and_visit_build_no_schema_per_request(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a caller logged in who has identified a child once (marshmallow builds a
    # nested field's schema on its first use), and every Schema built from now on counted
    headers = login(client, "director")
    first = client.post("/api/v1/cases", json=identify_body(), headers=headers)
    client.post(
        f"/api/v1/cases/{json_of(first)['id']}/visits",
        json=VISIT,
        headers=headers | {"If-Match": first.headers["ETag"]},
    )
    built: list[str] = []
    original = Schema.__init__

    def counting(self: Schema, *args: object, **kwargs: object) -> None:
        built.append(type(self).__name__)
        original(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Schema, "__init__", counting)
    # when another child is identified and visited
    second = identify_body()
    second["child"]["name"] = "李小红"
    opened = client.post("/api/v1/cases", json=second, headers=headers)
    case = json_of(opened)
    visited = client.post(
        f"/api/v1/cases/{case['id']}/visits",
        json=VISIT,
        headers=headers | {"If-Match": opened.headers["ETag"]},
    )
    # then both were written, and no schema was built to read or answer them
    assert (opened.status_code, visited.status_code) == (201, 200)
    assert built == []
