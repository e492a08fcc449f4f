"""The user use cases, driven without HTTP on an in-memory store: who may be assigned a
case, and who may disable whom."""

from __future__ import annotations

import pytest

from services.cases.access import Actor, ForbiddenError
from services.cases.accounts import Accounts, UnknownUserError
from services.cases.application import Cases, InvalidAssigneeError
from shared.roles import Role
from tests.conftest import FAST_HASHER
from tests.support import IDENTIFY, OTHER_VILLAGE, PASSWORD, VILLAGE, FixedClock

CIVIL = Actor("civil", Role.CIVIL_AFFAIRS, VILLAGE[:6], "r1")
ADMIN = Actor("admin", Role.ADMIN, VILLAGE[:4], "r2")


@pytest.fixture
def accounts() -> Accounts:
    accounts = Accounts(Cases(clock=FixedClock()), "secret" * 8, 600, FAST_HASHER)
    for username, role, scope in (
        ("director", Role.CHILD_DIRECTOR, VILLAGE),
        ("director_next_door", Role.CHILD_DIRECTOR, OTHER_VILLAGE),
        ("supervisor", Role.CHILD_SUPERVISOR, VILLAGE[:9]),
        ("leaver", Role.CHILD_DIRECTOR, VILLAGE),
        ("outsider", Role.CHILD_DIRECTOR, "360201100201"),
    ):
        accounts.register(None, username=username, role=role, scope=scope, password=PASSWORD)
    return accounts


def test_a_case_is_assigned_to_an_active_child_director_of_its_village(
    accounts: Accounts,
) -> None:
    cases = accounts.cases
    case_id = cases.identify(CIVIL, IDENTIFY).case.id

    assert cases.assign(CIVIL, case_id, "director").case.assigned_to == "director"


@pytest.mark.parametrize(
    "assignee", ["nobody", "director_next_door", "supervisor", "leaver"], ids=str
)
def test_the_assignment_use_case_refuses_anyone_else_and_writes_nothing(
    accounts: Accounts, assignee: str
) -> None:
    cases = accounts.cases
    case_id = cases.identify(CIVIL, IDENTIFY).case.id
    accounts.disable(ADMIN, "leaver")

    with pytest.raises(InvalidAssigneeError):
        cases.assign(CIVIL, case_id, assignee)
    assert cases.get_case(CIVIL, case_id).version == 1


def test_only_an_admin_disables_and_a_refusal_does_not_say_who_exists(
    accounts: Accounts,
) -> None:
    with pytest.raises(ForbiddenError):
        accounts.disable(CIVIL, "nobody")
    with pytest.raises(UnknownUserError):
        accounts.disable(ADMIN, "outsider")  # outside the admin's scope: not theirs to know
    assert not accounts.get("outsider").disabled

    assert accounts.disable(ADMIN, "leaver").disabled
    assert accounts.get("leaver").disabled
