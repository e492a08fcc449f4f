"""Who may call: no, bad, expired or revoked tokens and wrong passwords get 401; a role
that may not do a thing, or a write that would put a child's record outside the caller's
scope, gets 403. Each answer is problem+json and nothing is written or logged as read."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from services.cases.bootstrap import CaseService
from shared.tokens import issue_token
from tests.integration.bad_input import (
    ASSIGNMENT,
    CASES,
    CLOSURE,
    CORRECTION,
    INTERVENTION_CLOSURE,
    PROGRESS,
    REOPENING,
    TRANSFER,
    World,
    assert_problem,
)
from tests.support import (
    GUARDIAN_CHANGE,
    IDENTIFY,
    INTERVENTION,
    OTHER_COUNTY_VILLAGE,
    OTHER_VILLAGE,
    PASSWORD,
    VISIT,
    identify_body,
)

ANOTHER_TOWNSHIP_VILLAGE = "360124106201"


def reads_logged(world: World) -> int:
    return len(world.service.access_log.search(scope="", limit=100_000))


def in_village(village: str) -> dict[str, Any]:
    return identify_body(address={**IDENTIFY["address"], "jurisdiction": village})


def assert_unauthenticated(response: Any) -> dict[str, Any]:
    problem = assert_problem(response, 401)
    assert response.headers.get("WWW-Authenticate", "").startswith("Bearer"), response.headers
    return problem


def refused_everywhere(
    world: World, subtests: Any, url: str, authorizations: list[tuple[str, dict[str, str]]]
) -> None:
    """Each Authorization is refused 401 on a read, a list, an identification and a visit,
    and nothing is written or logged."""
    at_first = world.written(url)
    calls = [
        ("read", "GET", url, None),
        ("list", "GET", CASES, None),
        ("identify", "POST", CASES, identify_body()),
        ("visit", "POST", f"{url}/visits", VISIT),
    ]
    for name, headers in authorizations:
        for call, method, path, body in calls:
            with subtests.test(msg=f"{call} with {name}"):
                before = world.position(), reads_logged(world)
                response = world.client.open(path, method=method, json=body, headers=headers)
                assert_unauthenticated(response)
                assert (world.position(), reads_logged(world)) == before
    assert world.written(url) == at_first


def _unsigned(claims: dict[str, Any]) -> str:
    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."


# ---- 401 ------------------------------------------------------------------------------


def test_a_missing_malformed_forged_or_expired_token_is_refused_401_and_writes_nothing(
    world: World, service: CaseService, subtests: Any
) -> None:
    url = world.open_case()
    secret = service.accounts.token_secret
    valid = world.headers("civil")["Authorization"].removeprefix("Bearer ")
    header, payload, signature = valid.split(".")
    forged_payload = base64.urlsafe_b64encode(
        json.dumps(
            {**json.loads(base64.urlsafe_b64decode(payload + "==")), "sub": "admin"}
        ).encode()
    )
    long_ago = datetime(2020, 1, 1, tzinfo=UTC)
    bearer = [
        ("no token", ""),
        ("not a JWT", "Bearer not-a-token"),
        (
            "a token signed with another secret",
            "Bearer " + issue_token("another-secret-" * 3, "civil", 3600).token,
        ),
        (
            "a token whose payload was changed",
            f"Bearer {header}.{forged_payload.rstrip(b'=').decode()}.{signature}",
        ),
        (
            "an unsigned token",
            "Bearer "
            + _unsigned({"sub": "civil", "jti": "x", "aud": "careledger", "exp": 4102444800}),
        ),
        (
            "a token for a user who does not exist",
            "Bearer " + issue_token(secret, "ghost", 3600).token,
        ),
        ("an expired token", "Bearer " + issue_token(secret, "civil", 60, now=long_ago).token),
        ("the bare token without its scheme", valid),
        ("another scheme", f"Token {valid}"),
        ("Basic credentials", "Basic " + base64.b64encode(b"civil:" + PASSWORD.encode()).decode()),
        ("an empty bearer", "Bearer "),
    ]
    refused_everywhere(
        world,
        subtests,
        url,
        [(name, {"Authorization": value} if value else {}) for name, value in bearer],
    )


def test_a_revoked_token_is_refused_401_and_writes_nothing(world: World, subtests: Any) -> None:
    url = world.open_case()
    revoked = world.headers("civil")
    assert world.client.delete("/api/v1/auth/token", headers=revoked).status_code == 204
    refused_everywhere(world, subtests, url, [("a revoked token", revoked)])
    before = world.position()
    assert_unauthenticated(world.client.delete("/api/v1/auth/token", headers=revoked))
    assert world.position() == before


def test_a_disabled_users_token_and_password_are_refused_401_and_write_nothing(
    world: World, subtests: Any
) -> None:
    url = world.open_case()
    token = world.headers("director")
    disabled = world.client.post(
        "/api/v1/admin/users/director/disable", headers=world.headers("admin")
    )
    assert disabled.status_code == 200 and disabled.get_json()["disabled"] is True
    refused_everywhere(world, subtests, url, [("a disabled user's token", token)])
    before = world.position()
    refused = world.client.post(
        "/api/v1/auth/token", json={"username": "director", "password": PASSWORD}
    )
    wrong = world.client.post(
        "/api/v1/auth/token", json={"username": "civil", "password": "wrong password"}
    )
    assert assert_unauthenticated(refused) == assert_unauthenticated(wrong)
    assert world.position() == before


def test_a_wrong_password_and_an_unknown_user_get_the_same_401_and_no_token(world: World) -> None:
    before = world.position()
    answers = [
        world.client.post("/api/v1/auth/token", json=credentials)
        for credentials in (
            {"username": "civil", "password": "wrong password"},
            {"username": "civil", "password": PASSWORD.upper()},
            {"username": "nobody", "password": PASSWORD},
            {"username": "Civil", "password": PASSWORD},
        )
    ]
    problems = [assert_unauthenticated(answer) for answer in answers]
    assert all(problem == problems[0] for problem in problems), problems
    assert all("token" not in problem for problem in problems)
    assert world.position() == before


# ---- 403 ------------------------------------------------------------------------------

ROLE_REFUSALS: list[tuple[str, str, str, dict[str, Any]]] = [
    ("auditor", "records a visit", "/visits", VISIT),
    ("auditor", "changes the guardian", "/guardian-changes", GUARDIAN_CHANGE),
    ("auditor", "corrects a fact", "/corrections", CORRECTION),
    ("auditor", "identifies a child", CASES, identify_body()),
    ("admin", "identifies a child", CASES, identify_body()),
    ("education", "identifies a child", CASES, identify_body()),
    ("education", "closes the case", "/closure", CLOSURE),
    ("education", "transfers the case", "/transfer", TRANSFER),
    ("education", "corrects a fact", "/corrections", CORRECTION),
    ("education", "opens a civil affairs intervention", "/interventions", INTERVENTION),
    ("health", "records a visit", "/visits", VISIT),
    (
        "health",
        "progresses a civil affairs intervention",
        "/interventions/{iid}/progress",
        PROGRESS,
    ),
    (
        "womens",
        "closes a civil affairs intervention",
        "/interventions/{iid}/closure",
        INTERVENTION_CLOSURE,
    ),
    (
        "police",
        "opens an intervention",
        "/interventions",
        {**INTERVENTION, "kind": "mandatory_report", "department": "police"},
    ),
    ("police", "records a visit", "/visits", VISIT),
    (
        "police",
        "progresses a civil affairs intervention",
        "/interventions/{iid}/progress",
        PROGRESS,
    ),
    ("director", "closes the case", "/closure", CLOSURE),
    ("director", "assigns the case", "/assignment", ASSIGNMENT),
    ("director", "reopens the case", "/reopening", REOPENING),
    ("supervisor", "closes the case", "/closure", CLOSURE),
    ("supervisor", "reopens the case", "/reopening", REOPENING),
]

SCOPE_REFUSALS: list[tuple[str, str, str, dict[str, Any]]] = [
    (
        "civil",
        "transfers the case to another county",
        "/transfer",
        {**TRANSFER, "jurisdiction": OTHER_COUNTY_VILLAGE},
    ),
    (
        "supervisor",
        "transfers the case to another township",
        "/transfer",
        {**TRANSFER, "jurisdiction": ANOTHER_TOWNSHIP_VILLAGE},
    ),
    ("director", "identifies a child of another village", CASES, in_village(OTHER_VILLAGE)),
    (
        "supervisor",
        "identifies a child of another township",
        CASES,
        in_village(ANOTHER_TOWNSHIP_VILLAGE),
    ),
    ("civil", "identifies a child of another county", CASES, in_village(OTHER_COUNTY_VILLAGE)),
    ("civil_elsewhere", "identifies a child of a county not its own", CASES, identify_body()),
    (
        "admin",
        "adds a user outside its scope",
        "/api/v1/admin/users",
        {
            "username": "newcomer",
            "password": PASSWORD,
            "role": "child_director",
            "scope": "360201100201",
        },
    ),
]


@pytest.mark.parametrize(
    "refusals",
    [
        pytest.param(ROLE_REFUSALS, id="a-role-that-may-not-do-it"),
        pytest.param(SCOPE_REFUSALS, id="a-write-that-leaves-the-callers-scope"),
    ],
)
def test_a_forbidden_write_is_refused_403_and_writes_nothing(
    world: World, subtests: Any, refusals: list[tuple[str, str, str, dict[str, Any]]]
) -> None:
    url = world.open_case()
    iid = world.open_intervention(url)
    # A mandatory report: the police may now see the case, so theirs is a 403, not a 404.
    world.open_intervention(url, kind="mandatory_report", department="police")
    at_first = world.written(url)
    for username, what, path, body in refusals:
        target = path if path.startswith("/api/") else url + path.format(iid=iid)
        with subtests.test(msg=f"{username} {what}"):
            before = world.position()
            assert_problem(world.post(username, target, body), 403)
            assert world.position() == before
    assert world.written(url) == at_first
