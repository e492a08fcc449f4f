"""Children's records on disk are their owner's alone: every file and folder a CareLedger
process creates is 0600 / 0700, whatever the umask of the shell that started it."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

CARELEDGER = Path(sys.executable).parent / "careledger"

# Builds the case service (event store, read models, secrets) and notify's database the way
# a server started without the `careledger` command does (gunicorn, a test): nothing here
# sets a umask of its own.
WITHOUT_THE_COMMAND = """
from pathlib import Path
from services.cases.bootstrap import build_case_service
from services.notify.db import open_database
from shared.settings import Settings
settings = Settings.from_env().with_generated_secrets()
service = build_case_service(settings)
service.close()
with open_database(settings).transaction() as tx:
    tx.execute("SELECT 1")
"""


def _run_under_umask_000(command: str, data: Path) -> None:
    env = {**os.environ, "CARELEDGER_DATA_DIR": str(data)}
    env.pop("CARELEDGER_DATABASE_URL", None)
    env.pop("CARELEDGER_NOTIFY_DATABASE_URL", None)
    done = subprocess.run(
        ["sh", "-c", f"umask 000 && exec {command}"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr


def _loose(data: Path) -> dict[str, str]:
    everything = [data, *data.rglob("*")]
    assert any(p.name.endswith(".sqlite") for p in everything), everything
    return {
        str(p.relative_to(data.parent)): oct(stat.S_IMODE(p.stat().st_mode))
        for p in everything
        if stat.S_IMODE(p.stat().st_mode) & 0o077
    }


def test_every_file_and_folder_careledger_creates_is_owner_only(tmp_path: Path) -> None:
    # given a permissive shell (umask 000) and an empty data folder
    data = tmp_path / "var"
    # when a command creates the databases and the secrets
    _run_under_umask_000(f"{CARELEDGER} db upgrade", data)
    # then nothing under it can be read by the group or the world
    assert _loose(data) == {}


def test_a_process_started_without_the_command_keeps_them_owner_only(tmp_path: Path) -> None:
    # given a permissive shell and a process that is not `careledger` (no umask of its own)
    data = tmp_path / "var"
    # when it builds the services on an empty data folder
    _run_under_umask_000(f"{sys.executable} -c '{WITHOUT_THE_COMMAND}'", data)
    # then every file it made, the SQLite journals included, is owner-only
    assert _loose(data) == {}


def test_a_data_folder_kept_under_a_looser_rule_is_tightened(tmp_path: Path) -> None:
    # given a data folder written before the rule: world-readable folders and files
    data = tmp_path / "var"
    _run_under_umask_000(f"{CARELEDGER} db upgrade", data)
    for path in [data, *data.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    assert _loose(data) != {}
    # when a process opens it again
    _run_under_umask_000(f"{sys.executable} -c '{WITHOUT_THE_COMMAND}'", data)
    # then the folder, the databases and the secrets are owner-only again
    assert _loose(data) == {}
