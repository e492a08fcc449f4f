"""Bad requests on the case endpoints, beyond their bodies: query parameters, headers,
malformed or oversized bodies (422, 400, 413), unknown or private cases (404), work on
closed things (409) and stale versions (412). Each gets a problem+json answer and writes
nothing (architecture.md, promise 7)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from services.cases.bootstrap import CaseService
from shared.roles import Capability, Role, can
from tests.integration.bad_input import (
    CASES,
    CLOSURE,
    INTERVENTION_CLOSURE,
    PROGRESS,
    TRANSFER,
    WRITES,
    World,
    assert_invalid,
    assert_problem,
)
from tests.support import GUARDIAN_CHANGE, INTERVENTION, VISIT, identify_body


def reads_logged(world: World) -> int:
    """How many reads of children's records the access log holds."""
    return len(world.service.access_log.search(scope="", limit=100_000))


# ---- 422: query parameters ----------------------------------------------------------

QUERY_REFUSALS = [
    pytest.param(
        "{url}",
        [
            ({"version": "0"}, "version"),
            ({"version": "-1"}, "version"),
            ({"version": "abc"}, "version"),
            ({"version": "1.5"}, "version"),
            ({"as_of": "not-a-date"}, "as_of"),
            ({"as_of": "2026-03-01T00:00:00"}, "as_of"),
            ({"version": "1", "as_of": "2026-03-01T12:00:00+08:00"}, "as_of"),
            ({"purpose": "x" * 101}, "purpose"),
            ({"verison": "1"}, "verison"),
        ],
        id="reading-a-case",
    ),
    pytest.param(
        "{url}/history",
        [
            ({"version": "1"}, "version"),
            ({"page": "2"}, "page"),
        ],
        id="reading-its-history",
    ),
    pytest.param(
        CASES,
        [
            ({"per_page": "1000"}, "per_page"),
            ({"per_page": "0"}, "per_page"),
            ({"page": "0"}, "page"),
            ({"page": "abc"}, "page"),
            ({"status": "open"}, "status"),
            ({"risk_level": "extreme"}, "risk_level"),
            ({"guardian_type": "neighbour"}, "guardian_type"),
            ({"jurisdiction": "3601241"}, "jurisdiction"),
            ({"jurisdiction": "36012A"}, "jurisdiction"),
            ({"overdue": "maybe"}, "overdue"),
            ({"q": "王" * 51}, "q"),
            ({"sort": "name"}, "sort"),
        ],
        id="listing-cases",
    ),
]


@pytest.mark.parametrize(("path", "variants"), QUERY_REFUSALS)
def test_a_bad_query_parameter_is_refused_naming_it_and_nothing_is_read_or_written(
    world: World, subtests: Any, path: str, variants: list[tuple[dict[str, str], str]]
) -> None:
    url = world.open_case()
    for query, field in variants:
        with subtests.test(msg=f"{path} ?{query}"):
            before = world.position(), reads_logged(world)
            response = world.get("civil", path.format(url=url), query)
            assert_invalid(response, field)
            assert (world.position(), reads_logged(world)) == before


# ---- 422: Idempotency-Key -----------------------------------------------------------


def test_a_malformed_idempotency_key_is_refused_naming_the_header_and_writes_nothing(
    world: World, subtests: Any
) -> None:
    url = world.open_case()
    at_first = world.written(url)
    for key in ("", "two words", "k" * 101, "clé"):
        for path, body in ((CASES, identify_body()), (f"{url}/visits", VISIT)):
            with subtests.test(msg=f"{path} Idempotency-Key={key[:20]!r}"):
                before = world.position()
                response = world.post("civil", path, body, Idempotency_Key=key)
                assert_invalid(response, "Idempotency-Key")
                assert world.position() == before
    assert world.written(url) == at_first


def test_an_idempotency_key_reused_for_a_different_request_is_refused_and_writes_nothing(
    world: World, subtests: Any
) -> None:
    url, other = world.open_case(), world.open_case()
    assert world.post("civil", f"{url}/visits", VISIT, Idempotency_Key="v-1").status_code == 200
    assert world.post("civil", CASES, identify_body(), Idempotency_Key="c-1").status_code == 201
    at_first = world.written(url, other)
    reuses = [
        ("a visit with other notes", f"{url}/visits", {**VISIT, "notes": "另一次"}, "v-1"),
        ("a guardian change", f"{url}/guardian-changes", GUARDIAN_CHANGE, "v-1"),
        ("the same visit on another case", f"{other}/visits", VISIT, "v-1"),
        ("another child", CASES, identify_body(source="school"), "c-1"),
        ("a visit", f"{url}/visits", VISIT, "c-1"),
    ]
    for name, path, body, key in reuses:
        with subtests.test(msg=f"key {key} reused for {name}"):
            before = world.position()
            response = world.post("civil", path, body, Idempotency_Key=key)
            assert_invalid(response, "Idempotency-Key")
            assert world.position() == before
    assert world.written(url, other) == at_first
    # The key itself is fine: the same request again is answered as the first time.
    replay = world.post("civil", f"{url}/visits", VISIT, Idempotency_Key="v-1")
    assert replay.status_code == 200 and replay.headers.get("Idempotent-Replayed") == "true"
    assert world.written(url, other) == at_first


# ---- 400 and 413: unreadable bodies and headers ---------------------------------------

MALFORMED_JSON = (
    '{"visited_on": ',
    "{'visited_on': '2026-04-01'}",
    '{"visited_on": "2026-04-01",}',
    "visited_on=2026-04-01",
    b"\xff\xfe{\x00}",
)


def test_malformed_json_is_refused_400_and_writes_nothing(world: World, subtests: Any) -> None:
    url = world.open_case()
    at_first = world.written(url)
    for data in MALFORMED_JSON:
        for path in (CASES, f"{url}/visits", f"{url}/corrections"):
            with subtests.test(msg=f"{path} {data!r}"):
                before = world.position()
                response = world.client.post(
                    path, data=data, content_type="application/json", headers=world.headers("civil")
                )
                assert_problem(response, 400)
                assert world.position() == before
    assert world.written(url) == at_first


def test_deeply_nested_json_is_refused_as_bad_input_not_a_server_error(
    world: World, subtests: Any
) -> None:
    url = world.open_case()
    at_first = world.written(url)
    for name, data in (
        ("arrays", "[" * 20_000 + "]" * 20_000),
        ("objects", '{"a":' * 5_000 + "1" + "}" * 5_000),
    ):
        with subtests.test(msg=f"{name} nested 20,000 deep"):
            before = world.position()
            response = world.client.post(
                f"{url}/visits",
                data=data,
                content_type="application/json",
                headers=world.headers("civil"),
            )
            assert response.status_code in (400, 422), response.get_data(as_text=True)[:200]
            assert_problem(response, response.status_code)
            assert world.position() == before
    assert world.written(url) == at_first


def test_an_unknown_route_or_method_answers_problem_json(world: World, subtests: Any) -> None:
    url = world.open_case()
    before = world.written(url)
    for method, path, status in (
        ("POST", f"{url}/adoption", 404),
        ("GET", f"{url}/visits", 405),
        ("PUT", url, 405),
        ("DELETE", url, 405),
        ("PATCH", f"{url}/closure", 405),
    ):
        with subtests.test(msg=f"{method} {path}"):
            response = world.client.open(
                path, method=method, json={}, headers=world.headers("civil")
            )
            assert_problem(response, status)
    assert world.written(url) == before


def test_a_json_body_that_is_not_an_object_is_refused_422_and_writes_nothing(
    world: World, subtests: Any
) -> None:
    url = world.open_case()
    at_first = world.written(url)
    for body in ([], [VISIT], "visit", 42, None):
        for path in (CASES, f"{url}/visits"):
            with subtests.test(msg=f"{path} {body!r:.30}"):
                before = world.position()
                problem = assert_problem(world.post("civil", path, body), 422)
                assert problem.get("errors"), problem
                assert world.position() == before
    assert world.written(url) == at_first


def test_a_malformed_if_match_is_refused_400_naming_the_header_and_writes_nothing(
    world: World, subtests: Any
) -> None:
    url = world.open_case()
    at_first = world.written(url)
    for etag in ("abc", "v1", '"1.0"', '"-1"', '"1234567890"', '"1", "2"', '""', "W/"):
        for path, body in ((f"{url}/visits", VISIT), (f"{url}/closure", CLOSURE)):
            with subtests.test(msg=f"{path} If-Match: {etag}"):
                before = world.position()
                problem = assert_problem(world.post("civil", path, body, If_Match=etag), 400)
                assert "If-Match" in problem.get("errors", {}), problem
                assert world.position() == before
    assert world.written(url) == at_first


def test_a_body_over_the_size_limit_is_refused_413_and_writes_nothing(
    world: World, service: CaseService, subtests: Any
) -> None:
    url = world.open_case()
    limit = service.settings.max_body_bytes
    at_first = world.written(url)
    for path, body, field in (
        (CASES, identify_body(), "source"),
        (f"{url}/visits", VISIT, "notes"),
    ):
        with subtests.test(msg=f"{path} over {limit} bytes"):
            before = world.position()
            response = world.post("civil", path, {**body, field: "x" * limit})
            assert_problem(response, 413)
            assert world.position() == before
        with subtests.test(msg=f"{path} just under {limit} bytes is read (and refused 422)"):
            response = world.post("civil", path, {**body, field: "x" * (limit - 1000)})
            assert_invalid(response, field)
    assert world.written(url) == at_first


# ---- 404: no such case, a case the caller may not know of, no such intervention -------

# Each read and write, and the capability it takes.
CAPABILITY_OF = {
    "read": Capability.READ_CASE,
    "history": Capability.READ_CASE,
    "read version 1": Capability.READ_CASE,
    "visit": Capability.VISIT,
    "guardian change": Capability.CHANGE_GUARDIAN,
    "intervention": Capability.OPEN_INTERVENTION,
    "progress note": Capability.WORK_INTERVENTION,
    "intervention closure": Capability.WORK_INTERVENTION,
    "assignment": Capability.ASSIGN,
    "transfer": Capability.TRANSFER,
    "closure": Capability.CLOSE_CASE,
    "reopening": Capability.REOPEN_CASE,
    "correction": Capability.CORRECT,
}


def paths_and_bodies(
    url: str, iid: str, *, village: str, department: str
) -> list[tuple[str, str, Any]]:
    """Every read and write of the case at `url`, with bodies the caller could send
    (a transfer into their own scope, an intervention of their own department)."""
    bodies = {
        "transfer": {**TRANSFER, "jurisdiction": village},
        "intervention": {**INTERVENTION, "department": department},
    }
    return [
        ("read", url, None),
        ("history", f"{url}/history", None),
        ("read version 1", f"{url}?version=1", None),
    ] + [
        (name, url + path.format(iid=iid), bodies.get(name, body))
        for name, (path, body) in WRITES.items()
    ]


def request(world: World, username: str, path: str, body: Any) -> Any:
    return world.get(username, path) if body is None else world.post(username, path, body)


def test_an_unknown_case_is_404_on_every_endpoint_and_writes_nothing(
    world: World, subtests: Any
) -> None:
    unknown = f"{CASES}/{uuid.uuid4()}"
    targets = paths_and_bodies(
        unknown, uuid.uuid4().hex, village="360124105204", department="civil_affairs"
    )
    targets += [
        ("a case id that is not a UUID", f"{CASES}/123", None),
        ("a visit on a case id that is not a UUID", f"{CASES}/123/visits", VISIT),
    ]
    for name, path, body in targets:
        with subtests.test(msg=name):
            before = world.position(), reads_logged(world)
            assert_problem(request(world, "civil", path, body), 404)
            assert (world.position(), reads_logged(world)) == before


@pytest.mark.parametrize(
    ("username", "village", "department"),
    [
        pytest.param(
            "director_elsewhere",
            "360124105204",
            "civil_affairs",
            id="a-director-of-another-village",
        ),
        pytest.param(
            "civil_elsewhere", "360121100202", "civil_affairs", id="civil-affairs-of-another-county"
        ),
        pytest.param("police", "360124105204", "police", id="police-without-a-mandatory-report"),
    ],
)
def test_a_case_outside_the_callers_scope_is_answered_exactly_like_an_unknown_one(
    world: World, service: CaseService, subtests: Any, username: str, village: str, department: str
) -> None:
    # 404: its existence is private. A role that may never do the thing may be told so
    # (403), but then for an unknown id too: no answer may tell the two apart.
    role = service.accounts.get(username).role
    url = world.open_case()
    iid = world.open_intervention(url)
    unknown = f"{CASES}/{uuid.uuid4()}"
    at_first = world.written(url)
    for (name, path, body), (_, unknown_path, _) in zip(
        paths_and_bodies(url, iid, village=village, department=department),
        paths_and_bodies(unknown, iid, village=village, department=department),
        strict=True,
    ):
        with subtests.test(msg=f"{username}: {name}"):
            before = world.position(), reads_logged(world)
            absent = request(world, username, unknown_path, body)
            private = request(world, username, path, body)
            assert (private.status_code, private.get_json()) == (
                absent.status_code,
                absent.get_json(),
            ), (
                f"existence shows through: {private.status_code} for the case, "
                f"{absent.status_code} for an unknown id"
            )
            allowed = can(Role(role), CAPABILITY_OF[name])
            assert_problem(private, 404 if allowed else private.status_code)
            assert private.status_code in (403, 404)
            assert (world.position(), reads_logged(world)) == before
    assert world.written(url) == at_first


def test_an_unknown_intervention_is_404_and_writes_nothing(world: World, subtests: Any) -> None:
    url, other = world.open_case(), world.open_case()
    world.open_intervention(url)
    elsewhere = world.open_intervention(other)
    at_first = world.written(url)
    for iid in (uuid.uuid4().hex, "nope", elsewhere):
        for action, body in (("progress", PROGRESS), ("closure", INTERVENTION_CLOSURE)):
            with subtests.test(msg=f"{action} of intervention {iid}"):
                before = world.position()
                response = world.post("civil", f"{url}/interventions/{iid}/{action}", body)
                assert_problem(response, 404)
                assert world.position() == before
    assert world.written(url) == at_first


def test_a_version_the_case_has_not_reached_is_404(world: World) -> None:
    url = world.open_case()
    before = world.position()
    assert_problem(world.get("civil", url, {"version": "2"}), 404)
    assert world.position() == before


# ---- 409: closed cases and interventions --------------------------------------------


def test_work_on_a_closed_case_is_refused_409_and_writes_nothing(
    world: World, subtests: Any
) -> None:
    url = world.open_case()
    iid = world.open_intervention(url)
    world.close_case(url)
    at_first = world.written(url)
    for name, (path, body) in WRITES.items():
        if name == "reopening":
            continue
        with subtests.test(msg=f"a {name} on a closed case"):
            before = world.position()
            assert_problem(world.post("civil", url + path.format(iid=iid), body), 409)
            assert world.position() == before
    assert world.written(url) == at_first


def test_reopening_an_open_case_is_refused_409_and_writes_nothing(world: World) -> None:
    url = world.open_case()
    before = world.written(url)
    response = world.post("civil", f"{url}/reopening", WRITES["reopening"][1])
    assert_problem(response, 409)
    assert world.written(url) == before


@pytest.mark.parametrize(
    ("action", "body"),
    [
        pytest.param("progress", PROGRESS, id="progressing"),
        pytest.param("closure", INTERVENTION_CLOSURE, id="closing"),
    ],
)
def test_progressing_or_closing_a_closed_intervention_is_refused_409_and_writes_nothing(
    world: World, action: str, body: dict[str, Any]
) -> None:
    url = world.open_case()
    iid = world.open_intervention(url)
    closed = world.post("civil", f"{url}/interventions/{iid}/closure", INTERVENTION_CLOSURE)
    assert closed.status_code == 200
    before = world.written(url)
    response = world.post("civil", f"{url}/interventions/{iid}/{action}", body)
    assert_problem(response, 409)
    assert world.written(url) == before


# ---- 412: a stale If-Match ------------------------------------------------------------


def test_a_write_with_a_stale_if_match_is_refused_412_with_the_current_version(
    world: World, subtests: Any
) -> None:
    url = world.open_case()
    iid = world.open_intervention(url)
    assert world.post("civil", f"{url}/visits", VISIT).status_code == 200  # now version 3
    at_first = world.written(url)
    for etag in ('"2"', 'W/"2"', '"1"', '"4"'):
        for name, (path, body) in WRITES.items():
            with subtests.test(msg=f"a {name} with If-Match: {etag}"):
                before = world.position()
                response = world.post("civil", url + path.format(iid=iid), body, If_Match=etag)
                problem = assert_problem(response, 412)
                assert problem.get("current_version") == 3, problem
                assert response.headers.get("ETag") == '"3"'
                assert world.position() == before
    assert world.written(url) == at_first
    # The current version is accepted.
    response = world.post("civil", f"{url}/visits", VISIT, If_Match='"3"')
    assert response.status_code == 200 and response.headers["ETag"] == '"4"'
