"""One registry per follower of the event log: what it does for each kind of event.

Every follower (the relay's mapping, the read models, notify's facts and rules,
reconciliation, the history's presenters) keeps one `Registry`, keyed by the event class
(in the case service) or by the stream `type` (in notify, which reads the stream). A key
is either handled or ignored on purpose, with the reason; `missing()` lists the keys a
follower has not decided on, and a test per follower asserts that it is empty for every
event of every aggregate, so a new event can never be half-added in silence.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
H = TypeVar("H")


class UnknownEventError(LookupError):
    """Raised when a follower is handed an event it neither handles nor ignores."""


class Registry(Generic[K, H]):
    """The handlers of one follower, by event key, and the keys it ignores on purpose."""

    def __init__(self, follower: str) -> None:
        self.follower = follower
        self._handlers: dict[K, H] = {}
        self._ignored: dict[K, str] = {}

    def on(self, *keys: K) -> Callable[[H], H]:
        """Decorator: `handler` handles every one of `keys`."""

        def register(handler: H) -> H:
            for key in keys:
                self.add(key, handler)
            return handler

        return register

    def add(self, key: K, handler: H) -> None:
        """Registers `handler` for `key`; a key is decided once."""
        self._refuse_twice(key)
        self._handlers[key] = handler

    def ignore(self, *keys: K, why: str) -> None:
        """Records that the follower has nothing to do for `keys`, and why."""
        for key in keys:
            self._refuse_twice(key)
            self._ignored[key] = why

    def handler(self, key: K) -> H | None:
        """The handler of `key`; None when it is ignored on purpose.

        Raises UnknownEventError for a key the follower has not decided on.
        """
        if key in self._handlers:
            return self._handlers[key]
        if key in self._ignored:
            return None
        raise UnknownEventError(f"{self.follower} does not know {key!r}")

    def handles(self, key: K) -> bool:
        """True when the follower has a handler for `key`."""
        return key in self._handlers

    def ignores(self, key: K) -> bool:
        """True when the follower ignores `key` on purpose."""
        return key in self._ignored

    @property
    def handled(self) -> frozenset[K]:
        """The keys with a handler."""
        return frozenset(self._handlers)

    def missing(self, keys: Iterable[K]) -> set[K]:
        """Those of `keys` the follower neither handles nor ignores."""
        return {key for key in keys if key not in self._handlers and key not in self._ignored}

    def _refuse_twice(self, key: K) -> None:
        if key in self._handlers or key in self._ignored:
            raise ValueError(f"{self.follower} already decided on {key!r}")
