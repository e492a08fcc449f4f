"""The domain imports only the standard library modules listed here, eventsourcing.domain
and the vocabularies.

The import-linter contracts in pyproject.toml (run by ./dev test) keep the other layering
rules, and forbid the domain any framework, driver and other package of the project. This
test stays for what they cannot say: import-linter sees a third-party package as one
node, so it cannot tell `eventsourcing.domain` from `eventsourcing.persistence`, and it
does not check standard-library imports (`sqlite3`, `socket`) at all."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOMAIN_MAY_IMPORT = {
    "__future__",
    "copy",
    "dataclasses",
    "datetime",
    "enum",
    "re",
    "typing",
    "uuid",
    "unicodedata",
    "collections",
    "eventsourcing.domain",
    # The vocabularies: plain tuples, no imports, shared with the HTTP schemas and the
    # stream contract so that a term is added in one place.
    "shared.vocabulary",
}


def imports_of(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize(
    "path", sorted((ROOT / "services/cases/domain").glob("*.py")), ids=lambda p: p.name
)
def test_the_domain_imports_only_the_standard_library_and_eventsourcing_domain(path: Path) -> None:
    foreign = {
        name
        for name in imports_of(path)
        if not any(name == ok or name.startswith(ok + ".") for ok in DOMAIN_MAY_IMPORT)
    }
    assert foreign == set(), f"{path.name} imports {foreign}"
