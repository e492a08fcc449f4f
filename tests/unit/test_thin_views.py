"""Views parse, call one use case and present: no resource module of the case API saves
an aggregate, opens a repository or reads the log itself (that is the application's job,
in services/cases/application.py, accounts.py and access_log.py)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

API = Path(__file__).resolve().parents[2] / "services/cases/api"
# What only the use-case layer touches: writes, aggregates by id, the log and its decoding.
USE_CASE_ONLY = {
    "save",
    "repository",
    "recorder",
    "mapper",
    "select_notifications",
    "get_user",
}
# The app factory's own plumbing (readiness and /metrics probe the store), not resources.
NOT_RESOURCES = {"__init__.py", "metrics.py", "readiness.py"}


@pytest.mark.parametrize(
    "path",
    sorted(p for p in API.glob("*.py") if p.name not in NOT_RESOURCES),
    ids=lambda p: p.name,
)
def test_a_view_module_reaches_no_repository_log_or_save(path: Path) -> None:
    tree = ast.parse(path.read_text("utf-8"))
    touched = sorted(
        f"line {node.lineno}: .{node.attr}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and (node.attr in USE_CASE_ONLY or ast.unparse(node).endswith(".events.get"))
    )
    assert not touched, f"{path.name} does the application's work: {touched}"
