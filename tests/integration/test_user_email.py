"""A user's e-mail address, from where an admin types it to notify's directory: the admin
API and `careledger users add --email` accept a valid one and refuse anything else
(changing nothing), the relay publishes it as user.registered v2, notify stores it, and
registrations from before (v1 entries, events stored without an address) still work."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask.testing import FlaskClient

from services.cases.bootstrap import CaseService, build_case_service
from services.cases.domain.user import User
from services.cases.relay.entries import EntryMapper
from services.cli import main
from services.notify.bootstrap import NotifyService
from services.notify.consume.handling import handle
from services.notify.route.directory import find_user
from shared.contracts import ContractError, parse_entry
from shared.settings import Settings
from tests.support import login

NEW_USER = {
    "username": "wang.fang",
    "password": "a long enough password",
    "role": "police",
    "scope": "360124",
}


def _entry(service: CaseService, username: str) -> dict[str, str]:
    """The stream entry the relay makes of `username`'s registration."""
    recorder: Any = service.cases.recorder
    for stored in recorder.select_notifications(None, 1000):
        event = service.cases.mapper.to_domain_event(stored)
        if getattr(event, "username", None) == username:
            entry = EntryMapper(lambda _: username).to_entry(stored.id, event)
            return {**entry, "previous_id": "0-0"}
    raise AssertionError(f"no registration of {username}")


def test_an_admin_adds_a_user_with_an_email_address(client: FlaskClient) -> None:
    # a child director reads case data: the admin's addition waits for civil affairs
    headers = login(client, "admin")
    response = client.post(
        "/api/v1/admin/users",
        headers=headers,
        json={**NEW_USER, "email": "wang.fang@jxx.example.gov.cn"},
    )
    assert response.status_code == 202, response.json
    assert response.json["email"] == "wang.fang@jxx.example.gov.cn"  # type: ignore[index]
    approved = client.post(
        f"{response.headers['Location']}/approve", headers=login(client, "civil")
    )
    assert approved.status_code == 200, approved.json
    users = client.get("/api/v1/admin/users", headers=headers).json
    added = [u for u in users if u["username"] == "wang.fang"]  # type: ignore[union-attr]
    assert added and added[0]["email"] == "wang.fang@jxx.example.gov.cn"
    without = client.post(
        "/api/v1/admin/users",
        headers=headers,
        json={**NEW_USER, "username": "li.ming", "role": "admin"},
    )
    assert without.status_code == 201 and without.json["email"] is None  # type: ignore[index]


@pytest.mark.parametrize(
    "email", ["not-an-address", "two@@example.org", "", "a@" + "b" * 260 + ".org", 42]
)
def test_a_bad_email_address_is_a_422_naming_it_and_adds_no_user(
    client: FlaskClient, service: CaseService, email: object
) -> None:
    headers = login(client, "admin")
    response = client.post(
        "/api/v1/admin/users", headers=headers, json={**NEW_USER, "email": email}
    )
    assert response.status_code == 422
    assert "email" in response.json["errors"]  # type: ignore[index]
    names = [u["username"] for u in client.get("/api/v1/admin/users", headers=headers).json]  # type: ignore[union-attr]
    assert "wang.fang" not in names


def test_users_add_takes_an_email_address_and_refuses_a_bad_one(tmp_path: Path) -> None:
    runner = CliRunner(env={"CARELEDGER_DATA_DIR": str(tmp_path)})
    command = [
        "users",
        "add",
        "wang.fang",
        "--role",
        "police",
        "--scope",
        "360124",
        "--password-stdin",
    ]
    bad = runner.invoke(main, [*command, "--email", "wang.fang"], input="a long enough password\n")
    assert bad.exit_code != 0 and "--email" in bad.output
    good = runner.invoke(
        main,
        [*command, "--email", "wang.fang@jxx.example.gov.cn"],
        input="a long enough password\n",
    )
    assert good.exit_code == 0, good.output
    service = build_case_service(Settings(data_dir=tmp_path).with_generated_secrets())
    try:
        assert service.accounts.get("wang.fang").email == "wang.fang@jxx.example.gov.cn"
    finally:
        service.close()


def test_the_relay_publishes_the_address_as_user_registered_v2_and_notify_stores_it(
    service: CaseService, notify: NotifyService
) -> None:
    # given
    service.accounts.register(
        None,
        username="wang.fang",
        role=NEW_USER["role"],  # type: ignore[arg-type]
        scope="360124",
        password="a long enough password",
        email="wang.fang@jxx.example.gov.cn",
    )
    # when
    entry = _entry(service, "wang.fang")
    env = parse_entry(entry)
    with notify.db.transaction() as tx:
        handle(tx, env, notify.clock.now(), email=False)
        user = find_user(tx, "wang.fang")
    # then
    assert (entry["type"], entry["schema_version"]) == ("user.registered", "2")
    assert env.payload["email"] == "wang.fang@jxx.example.gov.cn"
    assert user is not None and user.email == "wang.fang@jxx.example.gov.cn"
    # a user without an address is published with none
    assert parse_entry(_entry(service, "police")).payload["email"] is None


def test_a_v1_registration_is_still_read_and_a_v1_entry_with_an_address_is_refused(
    service: CaseService, notify: NotifyService
) -> None:
    entry = _entry(service, "police")
    v1 = {**entry, "schema_version": "1", "payload": entry["payload"].replace(',"email":null', "")}
    env = parse_entry(v1)
    assert "email" not in env.payload
    with notify.db.transaction() as tx:
        handle(tx, env, notify.clock.now(), email=False)
        user = find_user(tx, "police")
    assert user is not None and user.email is None and user.role == "police"
    with pytest.raises(ContractError, match="email"):
        parse_entry({**entry, "schema_version": "1"})


def test_a_registration_stored_before_users_had_addresses_replays_without_one() -> None:
    user = User(
        username="old.timer",
        role="police",
        scope="360124",
        display_name="老同志",
        password_hash="x",
        actor={"username": "system", "role": "admin", "request_id": "cli"},
    )
    registered: Any = user.collect_events()[0]
    stored_long_ago = object.__new__(type(registered))
    stored_long_ago.__dict__.update({k: v for k, v in registered.__dict__.items() if k != "email"})
    replayed = stored_long_ago.mutate(None)
    assert replayed.email is None and replayed.username == "old.timer"
    entry = EntryMapper(lambda _: "old.timer").to_entry(1, stored_long_ago)
    assert parse_entry({**entry, "previous_id": "0-0"}).payload["email"] is None
