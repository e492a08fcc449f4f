"""The user use cases, driven without HTTP on an in-memory store: who may be assigned a
case, and who may disable whom."""

from __future__ import annotations

import pytest

from services.cases.access import Actor, ForbiddenError
from services.cases.accounts import Accounts, ApprovalRequiredError, UnknownUserError
from services.cases.application import Cases, InvalidAssigneeError
from services.cases.domain.user_request import RequestDecidedError, SelfApprovalError, UserRequest
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


@pytest.mark.parametrize("role", [r for r in Role if r is not Role.ADMIN], ids=str)
def test_an_admin_cannot_register_a_role_that_reads_case_data_without_approval(
    accounts: Accounts, role: Role
) -> None:
    # the direct path refuses; only a request (approved by someone else) makes such a user
    head = accounts.cases.recorder.max_notification_id()
    with pytest.raises(ApprovalRequiredError):
        accounts.register(ADMIN, username="self", role=role, scope=VILLAGE, password=PASSWORD)
    assert accounts.cases.recorder.max_notification_id() == head


def test_the_one_who_asked_never_decides_on_her_request(accounts: Accounts) -> None:
    request = UserRequest(
        username="new",
        role="police",
        scope=VILLAGE,
        display_name="new",
        password_hash="x",
        email=None,
        actor=CIVIL.as_event_data(),
    )
    with pytest.raises(SelfApprovalError):
        request.approve(CIVIL.as_event_data())
    with pytest.raises(SelfApprovalError):
        request.reject({**CIVIL.as_event_data(), "username": "new"})
    request.reject({**CIVIL.as_event_data(), "username": "lead"})
    with pytest.raises(RequestDecidedError):
        request.approve({**CIVIL.as_event_data(), "username": "lead"})
