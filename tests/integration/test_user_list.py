"""The admin's list of users reads the users read model, which the projector keeps from
the User events: a user added or disabled is listed so at once (the list catches the read
models up first), and a list that could not catch up says it is behind."""

from __future__ import annotations

from flask.testing import FlaskClient

from services.cases.bootstrap import CaseService
from shared.roles import Role
from tests.support import PASSWORD, caught_up, login

USERS = "/api/v1/admin/users"
NEW_USER = {
    "username": "wang.fang",
    "password": "a long enough password",
    # a role that reads no case data: an admin adds it without a second person
    "role": "admin",
    "scope": "360124105203",
    "display_name": "王芳",
    "email": "wang.fang@jxx.example.gov.cn",
}


def test_a_user_an_admin_adds_is_listed_at_once_and_so_is_their_disabling(
    client: FlaskClient,
) -> None:
    admin = login(client, "admin")
    added = client.post(USERS, json=NEW_USER, headers=admin)
    assert added.status_code == 201, added.json

    listed = client.get(USERS, headers=admin)

    assert listed.status_code == 200 and listed.headers["X-Read-Model-Behind"] == "false"
    assert listed.json[-1] == added.json  # type: ignore[index]
    disabled = client.post(f"{USERS}/wang.fang/disable", headers=admin)
    assert disabled.json["disabled"] is True  # type: ignore[index]
    again = client.get(USERS, headers=admin).json
    assert [u["disabled"] for u in again if u["username"] == "wang.fang"] == [True]  # type: ignore[union-attr]


def test_the_list_reads_the_read_model_and_says_when_it_is_behind_the_log(
    client: FlaskClient, service: CaseService
) -> None:
    # given a list that may not catch up itself, and a user registered behind its back
    admin = login(client, "admin")
    caught_up(service)
    service.accounts.catch_up = lambda: None
    service.read_models.wait_seconds = 0.1
    service.accounts.register(
        None, username="late", role=Role.POLICE, scope="360124", password=PASSWORD
    )

    # when the admin lists the users
    behind = client.get(USERS, headers=admin)

    # then the answer is the read model's, marked behind, until the projector catches up
    assert behind.headers["X-Read-Model-Behind"] == "true"
    assert "late" not in {u["username"] for u in behind.json}  # type: ignore[union-attr]
    caught_up(service)
    current = client.get(USERS, headers=admin)
    assert current.headers["X-Read-Model-Behind"] == "false"
    assert "late" in {u["username"] for u in current.json}  # type: ignore[union-attr]


def test_the_list_holds_only_the_users_inside_the_admins_scope_in_registration_order(
    client: FlaskClient, service: CaseService
) -> None:
    service.accounts.register(
        None, username="outsider", role=Role.POLICE, scope="360201", password=PASSWORD
    )
    admin = login(client, "admin")  # scope 3601

    names = [u["username"] for u in client.get(USERS, headers=admin).json]  # type: ignore[union-attr]

    assert "outsider" not in names  # another city's county
    assert names[:3] == ["director", "director_elsewhere", "supervisor"]
