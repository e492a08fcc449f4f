"""The HTTP plumbing both services take from shared/http: problem+json with field paths,
request ids, operational routes and response headers."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from shared.http.app import install_plumbing, new_api_app
from shared.http.openapi import ProblemResponses
from shared.http.problems import field_errors, install_problem_handlers
from tests.support import json_of


class _NotAllowedError(Exception):
    """Raised by the sample view."""


class _ChildSchema(Schema):
    name = fields.String(required=True)


class _BodySchema(Schema):
    child = fields.Nested(_ChildSchema, required=True)
    parents = fields.List(fields.Nested(_ChildSchema), required=True)


def _authenticate() -> None:
    raise _NotAllowedError("a bearer token is required")


@pytest.fixture
def app() -> Flask:
    app, api = new_api_app("plumbing-test", "Plumbing test", 1024, ProblemResponses())
    blp = Blueprint("things", __name__, url_prefix="/api/v1/things")

    @blp.route("", methods=["POST"])
    @blp.arguments(_BodySchema)
    def add_thing(body: dict[str, Any]) -> Any:
        return body

    @blp.route("/secret", methods=["GET"])
    def secret() -> Any:
        return {"secret": True}

    api.register_blueprint(blp)
    install_problem_handlers(app, {_NotAllowedError: 401})
    install_plumbing(
        app,
        log=logging.getLogger("test"),
        ready=lambda: None,
        authenticate=_authenticate,
        user=lambda: None,
        public_endpoints={"things.add_thing"},
    )
    return app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def test_an_invalid_nested_field_is_named_by_its_path(client: FlaskClient) -> None:
    response = client.post("/api/v1/things", json={"child": {}, "parents": [{"name": 3}]})

    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert set(json_of(response)["errors"]) == {"child.name", "parents.0.name"}


def test_a_body_that_is_not_json_is_a_problem_about_the_body(client: FlaskClient) -> None:
    response = client.post("/api/v1/things", data="{", content_type="application/json")

    assert response.status_code == 400
    assert json_of(response)["errors"] == {"body": ["Not valid JSON."]}


def test_a_well_formed_request_id_is_echoed_and_a_bad_one_replaced(client: FlaskClient) -> None:
    echoed = client.get("/healthz", headers={"X-Request-ID": "abc.123-x"})
    replaced = client.get("/healthz", headers={"X-Request-ID": "no spaces allowed"})

    assert echoed.headers["X-Request-ID"] == "abc.123-x"
    assert replaced.headers["X-Request-ID"] not in ("", "no spaces allowed")
    assert echoed.headers["Cache-Control"] == "no-store"


def test_operational_routes_answer_without_a_token_and_others_ask_for_one(
    client: FlaskClient,
) -> None:
    assert client.get("/healthz").json == {"status": "ok"}
    assert client.get("/readyz").json == {"status": "ready"}

    refused = client.get("/api/v1/things/secret")

    assert refused.status_code == 401
    assert refused.headers["WWW-Authenticate"] == "Bearer"


def test_field_errors_drop_the_location_and_keep_whole_object_errors_on_the_object() -> None:
    messages = {"json": {"address": {"_schema": ["give a village"]}}, "query": {"page": ["bad"]}}

    assert field_errors(messages) == {"address": ["give a village"], "page": ["bad"]}
