"""Who may call what: every endpoint of the case API × every role, in and out of scope.

The expected statuses are written out by hand below, from product.md ("Who uses it") and
shared/roles.py, and never computed from the code under test, so that they can disagree
with it. The rules they follow:

- 2xx: the role may do this, and the case (or user) lies inside the caller's scope;
- 403: the role may not do this, on a case it may see (or on a user, a token, the log);
- 404: the case lies outside the caller's scope, or the caller is the police and the case
  has no mandatory report: its existence is private;
- 401: no valid bearer token.

Each scenario starts from a fresh case identified through the API by `civil` (county
civil affairs); department roles act on interventions of their own department, the police
on a mandatory report. A refused call must write nothing (no event, no access-log entry);
an allowed read of a case must show up in the access log an auditor reads.

The full matrix runs on SQLite only (a fresh database per scenario); a sample of it, and
the police's story, run on SQLite and PostgreSQL through the shared `client` fixture.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from flask.testing import FlaskClient

from services.cases.api import create_app
from services.cases.bootstrap import CaseService
from shared.roles import Role
from shared.settings import Settings
from tests.conftest import USERS, make_service
from tests.support import (
    GUARDIAN_CHANGE,
    INTERVENTION,
    OTHER_COUNTY_VILLAGE,
    OTHER_VILLAGE,
    PASSWORD,
    VILLAGE,
    VISIT,
    caught_up,
    identify_body,
    login,
)

IN, OUT, UNREPORTED = "in_scope", "out_of_scope", "unreported"

# The column order of the tables below (dir: child_director, sup: child_supervisor, civ:
# civil_affairs, edu: education, pol: police, hea: health, wom: womens_federation, aud:
# auditor, adm: admin).
ROLES: tuple[Role, ...] = (
    Role.CHILD_DIRECTOR,
    Role.CHILD_SUPERVISOR,
    Role.CIVIL_AFFAIRS,
    Role.EDUCATION,
    Role.POLICE,
    Role.HEALTH,
    Role.WOMENS_FEDERATION,
    Role.AUDITOR,
    Role.ADMIN,
)

# ---- the expected statuses ----------------------------------------------------------------
# Every case below lies in VILLAGE (进贤县). "In scope": a user whose scope holds it (for the
# police, the case also carries a mandatory report). "Out of scope": the same role over
# another village, township or county (南昌县).

# fmt: off
#                             dir  sup  civ  edu  pol  hea  wom  aud  adm
IN_SCOPE: dict[str, tuple[int, ...]] = {
    "identify":              (201, 201, 201, 403, 403, 403, 403, 403, 403),
    "list":                  (200, 200, 200, 200, 200, 200, 200, 200, 403),
    "read":                  (200, 200, 200, 200, 200, 200, 200, 200, 403),
    "history":               (200, 200, 200, 200, 200, 200, 200, 200, 403),
    "visit":                 (200, 200, 200, 200, 403, 403, 403, 403, 403),
    "guardian_change":       (200, 200, 200, 403, 403, 403, 403, 403, 403),
    "school_change":         (200, 200, 200, 200, 403, 403, 403, 403, 403),
    "open_intervention":     (201, 201, 201, 201, 403, 201, 201, 403, 403),
    "progress_intervention": (403, 200, 200, 200, 200, 200, 200, 403, 403),
    "close_intervention":    (403, 200, 200, 200, 200, 200, 200, 403, 403),
    "assign":                (403, 200, 200, 403, 403, 403, 403, 403, 403),
    "transfer":              (403, 200, 200, 403, 403, 403, 403, 403, 403),
    "close_case":            (403, 403, 200, 403, 403, 403, 403, 403, 403),
    "reopen_case":           (403, 403, 200, 403, 403, 403, 403, 403, 403),
    "correct":               (200, 200, 200, 403, 403, 403, 403, 403, 403),
    # Review (复核) of a case a child director identified: the township and civil affairs
    # confirm or return it; whoever corrects resubmits what was returned.
    "confirm_review":        (403, 200, 200, 403, 403, 403, 403, 403, 403),
    "return_review":         (403, 200, 200, 403, 403, 403, 403, 403, 403),
    "resubmit_review":       (200, 200, 200, 403, 403, 403, 403, 403, 403),
    # Erasure (issue 10) of a closed case: civil affairs of a county or above asks;
    # another such officer approves (test_erasure.py).
    "request_erasure":       (403, 403, 201, 403, 403, 403, 403, 403, 403),
    "access_log":            (403, 403, 403, 403, 403, 403, 403, 200, 403),
    # An auditor's one masked field in clear, with a reason (docs/personal-data.md).
    "reveal_field":          (403, 403, 403, 403, 403, 403, 403, 200, 403),
    # Break-the-glass is for a case outside one's view: inside it, 422 (nothing to open).
    "emergency_access":      (422, 422, 422, 422, 422, 422, 422, 422, 403),
    # A child director reads case data: the admin's addition is a request (202) that a
    # civil-affairs user over its scope decides on; never an admin.
    "add_user":              (403, 403, 403, 403, 403, 403, 403, 403, 202),
    "list_users":            (403, 403, 403, 403, 403, 403, 403, 403, 200),
    "disable_user":          (403, 403, 403, 403, 403, 403, 403, 403, 200),
    "user_request":          (403, 403, 200, 403, 403, 403, 403, 403, 200),
    "approve_user_request":  (403, 403, 200, 403, 403, 403, 403, 403, 403),
    "reject_user_request":   (403, 403, 200, 403, 403, 403, 403, 403, 403),
    "logout":                (204, 204, 204, 204, 204, 204, 204, 204, 204),
    # Care sites (docs/care-sites.md): civil affairs manage them; whoever reads cases
    # reads the sites in scope; those who visit record the site a child attends.
    "register_site":         (403, 403, 201, 403, 403, 403, 403, 403, 403),
    "read_site":             (200, 200, 200, 200, 200, 200, 200, 200, 403),
    "move_site":             (403, 403, 200, 403, 403, 403, 403, 403, 403),
    "set_site_plan":         (403, 403, 201, 403, 403, 403, 403, 403, 403),
    "site_attendance":       (200, 200, 200, 200, 403, 403, 403, 403, 403),
}
#                             dir  sup  civ  edu  pol  hea  wom  aud  adm
OUT_OF_SCOPE: dict[str, tuple[int, ...]] = {
    # A role that may never do a thing is refused (403) whatever the case: the answer
    # does not depend on the case, so it reveals nothing. A role that could, on a case
    # outside its scope, is told there is no such case (404): its existence is private.
    "identify":              (403, 403, 403, 403, 403, 403, 403, 403, 403),
    "list":                  (200, 200, 200, 200, 200, 200, 200, 200, 403),
    "read":                  (404, 404, 404, 404, 404, 404, 404, 404, 403),
    "history":               (404, 404, 404, 404, 404, 404, 404, 404, 403),
    "visit":                 (404, 404, 404, 404, 403, 403, 403, 403, 403),
    "guardian_change":       (404, 404, 404, 403, 403, 403, 403, 403, 403),
    "school_change":         (404, 404, 404, 404, 403, 403, 403, 403, 403),
    "open_intervention":     (404, 404, 404, 404, 403, 404, 404, 403, 403),
    "progress_intervention": (403, 404, 404, 404, 404, 404, 404, 403, 403),
    "close_intervention":    (403, 404, 404, 404, 404, 404, 404, 403, 403),
    "assign":                (403, 404, 404, 403, 403, 403, 403, 403, 403),
    "transfer":              (403, 404, 404, 403, 403, 403, 403, 403, 403),
    "close_case":            (403, 403, 404, 403, 403, 403, 403, 403, 403),
    "reopen_case":           (403, 403, 404, 403, 403, 403, 403, 403, 403),
    "correct":               (404, 404, 404, 403, 403, 403, 403, 403, 403),
    "confirm_review":        (403, 404, 404, 403, 403, 403, 403, 403, 403),
    "return_review":         (403, 404, 404, 403, 403, 403, 403, 403, 403),
    "resubmit_review":       (404, 404, 404, 403, 403, 403, 403, 403, 403),
    "request_erasure":       (403, 403, 404, 403, 403, 403, 403, 403, 403),
    "access_log":            (403, 403, 403, 403, 403, 403, 403, 200, 403),
    "reveal_field":          (403, 403, 403, 403, 403, 403, 403, 404, 403),
    # Outside one's scope, every role that reads cases may open one in an emergency.
    "emergency_access":      (201, 201, 201, 201, 201, 201, 201, 201, 403),
    "add_user":              (403, 403, 403, 403, 403, 403, 403, 403, 403),
    "list_users":            (403, 403, 403, 403, 403, 403, 403, 403, 200),
    "disable_user":          (403, 403, 403, 403, 403, 403, 403, 403, 404),
    "user_request":          (403, 403, 404, 403, 403, 403, 403, 403, 404),
    "approve_user_request":  (403, 403, 404, 403, 403, 403, 403, 403, 403),
    "reject_user_request":   (403, 403, 404, 403, 403, 403, 403, 403, 403),
    "logout":                (204, 204, 204, 204, 204, 204, 204, 204, 204),
    # A site or a plan outside one's scope: registering or planning there is refused
    # (403, the place is named by the caller), a site there is not found (404).
    "register_site":         (403, 403, 403, 403, 403, 403, 403, 403, 403),
    "read_site":             (404, 404, 404, 404, 404, 404, 404, 404, 403),
    "move_site":             (403, 403, 404, 403, 403, 403, 403, 403, 403),
    "set_site_plan":         (403, 403, 403, 403, 403, 403, 403, 403, 403),
    "site_attendance":       (404, 404, 404, 404, 403, 403, 403, 403, 403),
}
# fmt: on

# The police over the case's county, on a case with no mandatory report: it is not theirs
# to know of. The list answers, but empty.
POLICE_WITHOUT_REPORT: dict[str, int] = {
    # What the police could do on a reported case is 404 on an unreported one; what
    # they may never do is 403 either way.
    "list": 200,
    "read": 404,
    "history": 404,
    "visit": 403,
    "guardian_change": 403,
    "school_change": 403,
    "open_intervention": 403,
    "progress_intervention": 404,
    "close_intervention": 404,
    "assign": 403,
    "transfer": 403,
    "close_case": 403,
    "reopen_case": 403,
    "correct": 403,
    "confirm_review": 403,
    "return_review": 403,
    "resubmit_review": 403,
    "request_erasure": 403,
    "reveal_field": 403,
    # Not theirs to know of, so theirs to open only in an emergency.
    "emergency_access": 201,
    "site_attendance": 403,
}

EXPECTED: dict[str, dict[tuple[Role, str], int]] = {
    endpoint: {
        **{(role, IN): status for role, status in zip(ROLES, IN_SCOPE[endpoint], strict=True)},
        **{(role, OUT): status for role, status in zip(ROLES, OUT_OF_SCOPE[endpoint], strict=True)},
        **(
            {(Role.POLICE, UNREPORTED): POLICE_WITHOUT_REPORT[endpoint]}
            if endpoint in POLICE_WITHOUT_REPORT
            else {}
        ),
    }
    for endpoint in IN_SCOPE
}

# ---- who plays each role ------------------------------------------------------------------

ELSEWHERE = OTHER_COUNTY_VILLAGE[:6]  # 南昌县: none of the cases here lie in it

# Out-of-scope users the shared fixtures do not have, and a user for admins to disable.
EXTRA_USERS: dict[str, tuple[Role, str]] = {
    "supervisor_elsewhere": (Role.CHILD_SUPERVISOR, OTHER_COUNTY_VILLAGE[:9]),
    "education_elsewhere": (Role.EDUCATION, ELSEWHERE),
    "police_elsewhere": (Role.POLICE, ELSEWHERE),
    "health_elsewhere": (Role.HEALTH, ELSEWHERE),
    "womens_elsewhere": (Role.WOMENS_FEDERATION, ELSEWHERE),
    "auditor_elsewhere": (Role.AUDITOR, ELSEWHERE),
    "admin_elsewhere": (Role.ADMIN, ELSEWHERE),
    "leaver": (Role.CHILD_DIRECTOR, VILLAGE),
}
ALL_USERS = USERS | EXTRA_USERS

USER_OF: dict[tuple[Role, str], str] = {
    (Role.CHILD_DIRECTOR, IN): "director",
    (Role.CHILD_DIRECTOR, OUT): "director_elsewhere",
    (Role.CHILD_SUPERVISOR, IN): "supervisor",
    (Role.CHILD_SUPERVISOR, OUT): "supervisor_elsewhere",
    (Role.CIVIL_AFFAIRS, IN): "civil",
    (Role.CIVIL_AFFAIRS, OUT): "civil_elsewhere",
    (Role.EDUCATION, IN): "education",
    (Role.EDUCATION, OUT): "education_elsewhere",
    (Role.POLICE, IN): "police",
    (Role.POLICE, OUT): "police_elsewhere",
    (Role.POLICE, UNREPORTED): "police",
    (Role.HEALTH, IN): "health",
    (Role.HEALTH, OUT): "health_elsewhere",
    (Role.WOMENS_FEDERATION, IN): "womens",
    (Role.WOMENS_FEDERATION, OUT): "womens_elsewhere",
    (Role.AUDITOR, IN): "auditor",
    (Role.AUDITOR, OUT): "auditor_elsewhere",
    (Role.ADMIN, IN): "admin",
    (Role.ADMIN, OUT): "admin_elsewhere",
}

# ---- request bodies -----------------------------------------------------------------------

MANDATORY_REPORT: dict[str, Any] = {
    "kind": "mandatory_report",
    "department": "police",
    "urgency": "immediate",
    "description": "疑似遭受侵害，强制报告",
    "opened_on": "2026-05-10",
    "due_by": "2026-12-31",
}
# Police work that is not a mandatory report: it does not make the case visible to them.
POLICE_TALK: dict[str, Any] = {
    **MANDATORY_REPORT,
    "kind": "admonition_talk",
    "urgency": "routine",
    "description": "训诫谈话",
}
# Each department's own kind of work; everyone else works on civil affairs' (INTERVENTION).
OWN_WORK: dict[Role, dict[str, Any]] = {
    Role.EDUCATION: {
        **INTERVENTION,
        "kind": "dropout_prevention",
        "department": "education",
        "description": "控辍保学",
    },
    Role.POLICE: MANDATORY_REPORT,
    Role.HEALTH: {
        **INTERVENTION,
        "kind": "health_protection",
        "department": "health",
        "description": "健康体检",
    },
    Role.WOMENS_FEDERATION: {
        **INTERVENTION,
        "kind": "family_education",
        "department": "womens_federation",
        "description": "家庭教育指导",
    },
}
PROGRESS = {"note": "已与监护人面谈", "progressed_on": "2026-06-01"}
INTERVENTION_CLOSURE = {"outcome": "情况好转", "closed_on": "2026-07-01"}
CASE_CLOSURE = {"reason": "parents_returned", "closed_on": "2026-09-01"}
REOPENING = {"reason": "父母再次外出务工", "reopened_on": "2026-10-01"}
CORRECTION = {"field": "child.name", "value": "王小红", "reason": "登记时写错"}
SITE: dict[str, Any] = {
    "name": "前坊村儿童之家",
    "kind": "children_home",
    "jurisdiction": VILLAGE,
    "capacity": 30,
    "staff": {"name": "刘芳", "phone": "13900139000"},
    "opening_hours": "16:00-18:30",
}
SITE_ENDPOINTS = {"read_site", "move_site", "site_attendance"}
NEW_USER = {
    "username": "newcomer",
    "password": "a long enough secret",
    "role": "child_director",
    "scope": VILLAGE,
}


def own_work(role: Role) -> dict[str, Any]:
    """The intervention a role works on: its department's own, or civil affairs'."""
    return OWN_WORK.get(role, INTERVENTION)


def transfer_target(username: str) -> str:
    """Another village inside the caller's scope where there is one (OTHER_VILLAGE else)."""
    scope = ALL_USERS[username][1]
    return next(
        (v for v in (OTHER_VILLAGE, OTHER_COUNTY_VILLAGE) if v.startswith(scope)), OTHER_VILLAGE
    )


# ---- scenarios ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Scene:
    """A fresh case, set up through the API, and the intervention the caller works on."""

    case_id: str
    intervention_id: str
    user_request_id: str = ""
    site_id: str = ""

    @property
    def url(self) -> str:
        return f"/api/v1/cases/{self.case_id}"


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    body: dict[str, Any] | None = None


def call_for(endpoint: str, scene: Scene, role: Role, username: str) -> Call:
    """The request that exercises `endpoint` for `username` on `scene`."""
    url, iid = scene.url, scene.intervention_id
    calls: dict[str, Call] = {
        "identify": Call("POST", "/api/v1/cases", identify_body()),
        "list": Call("GET", "/api/v1/cases"),
        "read": Call("GET", url),
        "history": Call("GET", f"{url}/history"),
        "visit": Call("POST", f"{url}/visits", VISIT),
        "guardian_change": Call("POST", f"{url}/guardian-changes", GUARDIAN_CHANGE),
        "school_change": Call(
            "POST", f"{url}/school-changes", {"change": "dropped_out", "changed_on": "2026-05-10"}
        ),
        "open_intervention": Call("POST", f"{url}/interventions", own_work(role)),
        "progress_intervention": Call("POST", f"{url}/interventions/{iid}/progress", PROGRESS),
        "close_intervention": Call(
            "POST", f"{url}/interventions/{iid}/closure", INTERVENTION_CLOSURE
        ),
        "assign": Call("POST", f"{url}/assignment", {"assignee": "director"}),
        "transfer": Call(
            "POST",
            f"{url}/transfer",
            {
                "jurisdiction": transfer_target(username),
                "reason": "举家搬迁",
                "transferred_on": "2026-08-01",
            },
        ),
        "close_case": Call("POST", f"{url}/closure", CASE_CLOSURE),
        "reopen_case": Call("POST", f"{url}/reopening", REOPENING),
        "correct": Call("POST", f"{url}/corrections", CORRECTION),
        "confirm_review": Call("POST", f"{url}/review/confirmation"),
        "return_review": Call("POST", f"{url}/review/return", {"comment": "请核对出生日期"}),
        "resubmit_review": Call("POST", f"{url}/review/resubmission"),
        "request_erasure": Call(
            "POST", f"{url}/erasure", {"basis": "registered_in_error", "reason": "登记有误"}
        ),
        "access_log": Call("GET", "/api/v1/audit/access-log"),
        "reveal_field": Call("GET", f"{url}/fields/guardian.phone?reason=核查监护人"),
        "emergency_access": Call("POST", f"{url}/emergency-access", {"reason": "儿童走失"}),
        "add_user": Call("POST", "/api/v1/admin/users", NEW_USER),
        "list_users": Call("GET", "/api/v1/admin/users"),
        "disable_user": Call("POST", "/api/v1/admin/users/leaver/disable"),
        "user_request": Call("GET", f"/api/v1/admin/user-requests/{scene.user_request_id}"),
        "approve_user_request": Call(
            "POST", f"/api/v1/admin/user-requests/{scene.user_request_id}/approve"
        ),
        "reject_user_request": Call(
            "POST", f"/api/v1/admin/user-requests/{scene.user_request_id}/reject"
        ),
        "logout": Call("DELETE", "/api/v1/auth/token"),
        "register_site": Call("POST", "/api/v1/sites", SITE),
        "read_site": Call("GET", f"/api/v1/sites/{scene.site_id}"),
        "move_site": Call(
            "POST",
            f"/api/v1/sites/{scene.site_id}/transitions",
            {"status": "closed", "changed_on": "2026-10-01"},
        ),
        "set_site_plan": Call("PUT", f"/api/v1/site-plans/{VILLAGE[:6]}/2026", {"target": 5}),
        "site_attendance": Call(
            "POST",
            f"{url}/site-attendance",
            {"site_id": scene.site_id, "attended_on": "2026-05-01"},
        ),
    }
    return calls[endpoint]


CASE_READS = {"list", "read", "history"}


def _open(
    client: FlaskClient, url: str, headers: dict[str, str], intervention: dict[str, Any]
) -> str:
    response = client.post(f"{url}/interventions", json=intervention, headers=headers)
    assert response.status_code == 201, response.json
    return str(response.json["intervention_id"])  # type: ignore[index]


def new_case(client: FlaskClient, headers: dict[str, str]) -> str:
    """Identifies a child in VILLAGE; the new case's id."""
    created = client.post("/api/v1/cases", json=identify_body(), headers=headers)
    assert created.status_code == 201, created.json
    return str(created.json["id"])  # type: ignore[index]


def set_scene(client: FlaskClient, endpoint: str, role: Role, scope: str) -> Scene:
    """A fresh case in VILLAGE, prepared as `civil` for `endpoint` (identified by the
    village's child director when the endpoint is about its review)."""
    civil = login(client, "civil")
    reviewed = endpoint in ("confirm_review", "return_review", "resubmit_review")
    case_id = new_case(client, login(client, "director") if reviewed else civil)
    url = f"/api/v1/cases/{case_id}"
    if endpoint == "resubmit_review":
        back = {"comment": "请核对出生日期"}
        returned = client.post(f"{url}/review/return", json=back, headers=civil)
        assert returned.status_code == 200, returned.json
    intervention_id = "0" * 32
    if role is Role.POLICE and scope != UNREPORTED:
        intervention_id = _open(client, url, civil, MANDATORY_REPORT)
    if endpoint in ("progress_intervention", "close_intervention"):
        if role is Role.POLICE and scope == UNREPORTED:
            intervention_id = _open(client, url, civil, POLICE_TALK)
        elif role is not Role.POLICE:
            intervention_id = _open(client, url, civil, own_work(role))
    if endpoint in ("reopen_case", "request_erasure"):
        closed = client.post(f"{url}/closure", json=CASE_CLOSURE, headers=civil)
        assert closed.status_code == 200, closed.json
    if endpoint == "access_log":
        assert client.get(url, headers=civil).status_code == 200
    user_request_id = ""
    if endpoint in ("user_request", "approve_user_request", "reject_user_request"):
        asked = client.post("/api/v1/admin/users", json=NEW_USER, headers=login(client, "admin"))
        assert asked.status_code == 202, asked.json
        user_request_id = str(asked.json["id"])  # type: ignore[index]
    site_id = ""
    if endpoint in SITE_ENDPOINTS:
        site_id = _open_site(client, civil)
    return Scene(case_id, intervention_id, user_request_id, site_id)


def _open_site(client: FlaskClient, civil: dict[str, str]) -> str:
    """An open care site in VILLAGE, registered and opened by `civil`."""
    created = client.post("/api/v1/sites", json=SITE, headers=civil)
    assert created.status_code == 201, created.json
    site_id = str(created.json["id"])  # type: ignore[index]
    for status, on in (("built", "2026-03-01"), ("open", "2026-04-01")):
        body = {"status": status, "changed_on": on}
        moved = client.post(f"/api/v1/sites/{site_id}/transitions", json=body, headers=civil)
        assert moved.status_code == 200, moved.json
    return site_id


@dataclass(frozen=True)
class Footprint:
    """What a call may leave behind: events in the log, reads in the access log."""

    events: int
    reads: int


def footprint(service: CaseService) -> Footprint:
    return Footprint(
        service.cases.recorder.max_notification_id() or 0,
        len(service.access_log.search(scope="", limit=1_000_000)),
    )


def access_entries(client: FlaskClient, case_id: str, username: str) -> list[dict[str, Any]]:
    """What an auditor over the whole city sees of `username`'s reads of the case."""
    response = client.get(
        "/api/v1/audit/access-log",
        query_string={"case_id": case_id, "username": username},
        headers=login(client, "auditor"),
    )
    assert response.status_code == 200, response.json
    return list(response.json)  # type: ignore[arg-type]


def check_scenario(
    client: FlaskClient, service: CaseService, endpoint: str, role: Role, scope: str
) -> None:
    """Runs one cell of the matrix and checks its status and what it left behind."""
    expected = EXPECTED[endpoint][role, scope]
    scene = set_scene(client, endpoint, role, scope)
    username = USER_OF[role, scope]
    headers = login(client, username)
    call = call_for(endpoint, scene, role, username)
    if endpoint == "list":
        caught_up(service)  # the list reads the read models, as the projector keeps them
    before = footprint(service)

    response = client.open(call.path, method=call.method, json=call.body, headers=headers)

    assert response.status_code == expected, (
        f"{call.method} {call.path} as {username}: expected {expected}, "
        f"got {response.status_code} {response.get_json(silent=True)}"
    )
    after = footprint(service)
    if expected >= 400:
        assert after == before, "a refused call must write nothing"
        return
    if call.method != "GET":
        assert after.events > before.events, "an allowed write must append an event"
    body: Any = response.get_json(silent=True)
    if endpoint == "list":
        ids = [item["id"] for item in body["items"]]
        if scope == IN:
            assert scene.case_id in ids
        else:
            assert body["total"] == 0 and ids == []
    if endpoint in CASE_READS and scope == IN:
        assert after.reads > before.reads, "an allowed read must be logged"
        entries = access_entries(client, scene.case_id, username)
        assert entries and all(
            e["username"] == username and e["case_id"] == scene.case_id for e in entries
        )
    if endpoint == "access_log":
        seen = {e["case_id"] for e in body}
        assert (scene.case_id in seen) == (scope == IN)
    if endpoint == "list_users":
        names = {u["username"] for u in body}
        assert ("director" in names) == (scope == IN)


def _matrix() -> Iterator[Any]:
    for endpoint, cells in EXPECTED.items():
        for role, scope in cells:
            yield pytest.param(endpoint, role, scope, id=f"{endpoint}-{role}-{scope}")


def _sample() -> Iterator[Any]:
    """Per endpoint: a role allowed in scope, a refused one, and the allowed one elsewhere."""
    for endpoint, row in IN_SCOPE.items():
        # Break-the-glass is allowed only out of scope: sample the role allowed there.
        pick = row if any(status < 400 for status in row) else OUT_OF_SCOPE[endpoint]
        allowed = next(r for r, status in zip(ROLES, pick, strict=True) if status < 400)
        refused = next((r for r, status in zip(ROLES, row, strict=True) if status == 403), None)
        for role, scope in ((allowed, IN), (refused, IN), (allowed, OUT)):
            if role is not None:
                yield pytest.param(endpoint, role, scope, id=f"{endpoint}-{role}-{scope}")


# ---- fixtures -----------------------------------------------------------------------------


def register_extra_users(service: CaseService) -> None:
    for username, (role, scope) in EXTRA_USERS.items():
        service.accounts.register(
            None, username=username, role=role, scope=scope, password=PASSWORD
        )


@pytest.fixture
def sqlite_service(sqlite_settings: Settings) -> Iterator[CaseService]:
    """A fresh case service on SQLite, with every user the matrix needs."""
    svc = make_service(sqlite_settings)
    register_extra_users(svc)
    yield svc
    svc.close()


@pytest.fixture
def sqlite_client(sqlite_settings: Settings, sqlite_service: CaseService) -> FlaskClient:
    return create_app(sqlite_settings, case_service=sqlite_service).test_client()


@pytest.fixture
def everyone(service: CaseService) -> CaseService:
    """The shared (SQLite and PostgreSQL) service, with the matrix's extra users."""
    register_extra_users(service)
    return service


# ---- the tests ----------------------------------------------------------------------------


@pytest.mark.parametrize(("endpoint", "role", "scope"), list(_matrix()))
def test_every_endpoint_answers_every_role_in_and_out_of_scope_as_the_product_says(
    sqlite_client: FlaskClient, sqlite_service: CaseService, endpoint: str, role: Role, scope: str
) -> None:
    check_scenario(sqlite_client, sqlite_service, endpoint, role, scope)


@pytest.mark.parametrize(("endpoint", "role", "scope"), list(_sample()))
def test_a_sample_of_the_matrix_holds_on_both_databases(
    client: FlaskClient, everyone: CaseService, endpoint: str, role: Role, scope: str
) -> None:
    check_scenario(client, everyone, endpoint, role, scope)


@pytest.mark.parametrize("token", ["no_token", "revoked_token"])
@pytest.mark.parametrize("endpoint", list(IN_SCOPE))
def test_every_endpoint_refuses_a_caller_without_a_valid_token(
    sqlite_client: FlaskClient, sqlite_service: CaseService, endpoint: str, token: str
) -> None:
    client = sqlite_client
    scene = set_scene(client, endpoint, Role.CIVIL_AFFAIRS, IN)
    headers: dict[str, str] = {}
    if token == "revoked_token":
        headers = login(client, "civil")
        assert client.delete("/api/v1/auth/token", headers=headers).status_code == 204
    call = call_for(endpoint, scene, Role.CIVIL_AFFAIRS, "civil")
    before = footprint(sqlite_service)

    response = client.open(call.path, method=call.method, json=call.body, headers=headers)

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert footprint(sqlite_service) == before


@pytest.mark.parametrize(
    "action", ["open_intervention", "progress_intervention", "close_intervention"]
)
@pytest.mark.parametrize("role", list(OWN_WORK))
def test_a_department_may_not_touch_another_departments_intervention(
    sqlite_client: FlaskClient, sqlite_service: CaseService, role: Role, action: str
) -> None:
    client = sqlite_client
    civil = login(client, "civil")
    case_id = new_case(client, civil)
    url = f"/api/v1/cases/{case_id}"
    if role is Role.POLICE:
        _open(client, url, civil, MANDATORY_REPORT)  # so that the police may see the case
    civil_work = _open(client, url, civil, INTERVENTION)  # civil affairs' psychological support
    call = {
        "open_intervention": Call("POST", f"{url}/interventions", INTERVENTION),
        "progress_intervention": Call(
            "POST", f"{url}/interventions/{civil_work}/progress", PROGRESS
        ),
        "close_intervention": Call(
            "POST", f"{url}/interventions/{civil_work}/closure", INTERVENTION_CLOSURE
        ),
    }[action]
    headers = login(client, USER_OF[role, IN])
    before = footprint(sqlite_service)

    response = client.open(call.path, method=call.method, json=call.body, headers=headers)

    assert response.status_code == 403, response.json
    assert footprint(sqlite_service) == before


def test_the_police_see_a_case_only_once_it_carries_a_mandatory_report_and_then_work_on_it(
    client: FlaskClient, service: CaseService
) -> None:
    civil, police = login(client, "civil"), login(client, "police")
    case_id = new_case(client, civil)
    url = f"/api/v1/cases/{case_id}"
    talk = _open(client, url, civil, POLICE_TALK)

    assert client.get(url, headers=police).status_code == 404
    caught_up(service)
    listed: Any = client.get("/api/v1/cases", headers=police).json
    assert listed["total"] == 0
    assert (
        client.post(
            f"{url}/interventions/{talk}/progress", json=PROGRESS, headers=police
        ).status_code
        == 404
    )

    report = _open(client, url, civil, MANDATORY_REPORT)
    civil_work = _open(client, url, civil, INTERVENTION)

    assert client.get(url, headers=police).status_code == 200
    caught_up(service)
    listed = client.get("/api/v1/cases", headers=police).json
    assert [item["id"] for item in listed["items"]] == [case_id]
    assert (
        client.post(
            f"{url}/interventions/{report}/progress", json=PROGRESS, headers=police
        ).status_code
        == 200
    )
    assert (
        client.post(
            f"{url}/interventions/{report}/closure", json=INTERVENTION_CLOSURE, headers=police
        ).status_code
        == 200
    )
    assert (
        client.post(
            f"{url}/interventions/{civil_work}/progress", json=PROGRESS, headers=police
        ).status_code
        == 403
    )
    assert (
        client.post(f"{url}/interventions", json=MANDATORY_REPORT, headers=police).status_code
        == 403
    )
    assert access_entries(client, case_id, "police")
