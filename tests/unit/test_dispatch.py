"""The follower registry refuses what it does not know, and says what is undecided."""

from __future__ import annotations

import pytest

from shared.dispatch import Registry, UnknownEventError


def test_a_handled_key_returns_its_handler_and_an_ignored_one_returns_none() -> None:
    registry: Registry[str, str] = Registry("test")
    registry.add("case.visited", "visit handler")
    registry.ignore("case.assigned", why="nothing to count")

    assert registry.handler("case.visited") == "visit handler"
    assert registry.handler("case.assigned") is None


def test_an_undecided_key_is_refused_loudly_and_listed_as_missing() -> None:
    registry: Registry[str, str] = Registry("test")
    registry.add("case.visited", "visit handler")

    with pytest.raises(UnknownEventError, match=r"case\.closed"):
        registry.handler("case.closed")
    assert registry.missing(["case.visited", "case.closed"]) == {"case.closed"}


def test_a_key_is_decided_once() -> None:
    registry: Registry[str, str] = Registry("test")
    registry.ignore("case.assigned", why="nothing to count")

    with pytest.raises(ValueError, match="already decided"):
        registry.add("case.assigned", "handler")
