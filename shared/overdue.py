"""What "overdue" means, written once for the case service's read models and notify.

It sits in shared/ because notify may not import the case service; it imports nothing
but the standard library, so the domain could import it too.
"""

from __future__ import annotations

from datetime import date


def overdue_before(today: date) -> str:
    """Due dates before this one (ISO) are overdue on `today`: a visit due today is not
    late yet. Read models and notify's scheduler compare stored ISO dates against it."""
    return today.isoformat()


def is_overdue(due_on: str, today: date) -> bool:
    """True when something due on `due_on` is overdue on `today`."""
    return str(due_on) < overdue_before(today)
