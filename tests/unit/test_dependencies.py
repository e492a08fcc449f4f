"""Every package the code imports by name is declared in pyproject.toml (dependencies or
the dev extra), so none of them is there only because another package brought it along
and could leave with it."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FOLDERS = ("services", "shared", "tests", "bench")
# bench/ runs its scripts from their own folder, so they import each other by bare name.
OUR_OWN = {*FOLDERS, *(path.stem for path in (ROOT / "bench").glob("*.py"))}


def normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_name(line: str) -> str:
    found = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", line.strip())
    assert found, line
    return normalized(found.group())


def declared() -> set[str]:
    """The declared distributions, with those their declared extras bring in
    (psycopg[pool] declares psycopg-pool)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    lines = [*project["dependencies"], *project["optional-dependencies"]["dev"]]
    names = set()
    for line in lines:
        name = requirement_name(line)
        names.add(name)
        extras = re.search(r"\[([^\]]+)\]", line)
        wanted = {e.strip() for e in extras.group(1).split(",")} if extras else set()
        for requirement in metadata.requires(name) or []:
            extra = re.search(r"extra == ['\"]([^'\"]+)['\"]", requirement)
            if extra and extra.group(1) in wanted:
                names.add(requirement_name(requirement))
    return names


def imported_modules() -> dict[str, str]:
    """Each third-party top-level module imported, and one file that imports it."""
    found: dict[str, str] = {}
    for folder in FOLDERS:
        for path in sorted((ROOT / folder).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text("utf-8"))):
                if isinstance(node, ast.Import):
                    modules = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    modules = [node.module]
                else:
                    continue
                for module in modules:
                    top = module.split(".")[0]
                    # _typeshed: the type checker's stubs, imported under TYPE_CHECKING.
                    known = sys.stdlib_module_names | OUR_OWN | {"_typeshed"}
                    if top not in known:
                        found.setdefault(top, str(path.relative_to(ROOT)))
    return found


def test_every_imported_package_is_declared_in_pyproject() -> None:
    providers = metadata.packages_distributions()
    names = declared()
    undeclared = {
        module: where
        for module, where in imported_modules().items()
        if not {normalized(d) for d in providers.get(module, [])} & names
    }
    assert undeclared == {}, f"imported but not declared in pyproject.toml: {undeclared}"
