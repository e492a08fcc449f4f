"""Children's records on disk are their owner's alone: every file and folder a CareLedger
process creates is 0600 / 0700, whatever the umask of the shell that started it."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path


def test_every_file_and_folder_careledger_creates_is_owner_only(tmp_path: Path) -> None:
    # given a permissive shell (umask 000) and an empty data folder
    data = tmp_path / "var"
    careledger = Path(sys.executable).parent / "careledger"
    env = {**os.environ, "CARELEDGER_DATA_DIR": str(data)}
    env.pop("CARELEDGER_DATABASE_URL", None)
    env.pop("CARELEDGER_NOTIFY_DATABASE_URL", None)
    # when a command creates the databases and the secrets
    done = subprocess.run(
        ["sh", "-c", f"umask 000 && exec {careledger} db upgrade"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    # then nothing under it can be read by the group or the world
    created = [data, *data.rglob("*")]
    assert any(p.name.endswith(".sqlite") for p in created), created
    loose = {
        str(p.relative_to(tmp_path)): oct(stat.S_IMODE(p.stat().st_mode))
        for p in created
        if stat.S_IMODE(p.stat().st_mode) & 0o077
    }
    assert loose == {}
