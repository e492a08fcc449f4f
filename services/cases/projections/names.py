"""Names of jurisdictions for the dashboard: the official divisions down to township
(shared/data), and the demo city's villages where the code is one of them; otherwise the
code itself stands in for the name."""

from __future__ import annotations

from functools import cache

from shared.jurisdictions import children_of, divisions


def jurisdiction_name(code: str) -> str:
    """The Chinese name of a code, or the code when none is known."""
    division = divisions().get(code)
    if division is not None:
        return division.name
    return _villages().get(code, code)


def known_children(code: str) -> list[str]:
    """The codes one level below `code` that are known to exist (shown even with no case)."""
    if len(code) < 9:
        return [d.code for d in children_of(code)]
    if len(code) == 9:
        return sorted(v for v in _villages() if v.startswith(code))
    return []


@cache
def _villages() -> dict[str, str]:
    # Imported here: the demo package imports the composition root, which imports us.
    from ..demo.places import villages

    return {v.code: v.name for v in villages()}
