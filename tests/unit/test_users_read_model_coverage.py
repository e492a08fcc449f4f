"""The users read model decides on every User event: a new one fails here until it is
handled (services/cases/projections/users.py) or ignored on purpose."""

from __future__ import annotations

from services.cases.domain.user import User
from services.cases.projections.users import USERS
from tests.unit.test_history_presenters import event_classes


def test_every_user_event_is_handled_by_the_users_read_model_or_ignored_on_purpose() -> None:
    classes = event_classes(User)
    assert {cls.__name__ for cls in classes} >= {"Registered", "Disabled"}

    missing = USERS.missing(classes)

    assert not missing, sorted(cls.__qualname__ for cls in missing)
