"""`careledger keys status` and `careledger keys rotate` (docs/personal-data.md#erasure):
a new master key put first, the case keys re-wrapped, and the old key can then go."""

from __future__ import annotations

from uuid import UUID

from click.testing import CliRunner
from flask.testing import FlaskClient

from services.cases.bootstrap import CaseService
from services.cases.keys.master import MasterKeys, key_id
from services.cases.keys.store import CaseKeys
from services.cli import main
from shared.settings import Settings
from tests.support import identify_body, json_of, login


def _env(settings: Settings, master_keys: tuple[str, ...]) -> dict[str, str]:
    env = {
        "CARELEDGER_DATA_DIR": str(settings.data_dir),
        "CARELEDGER_CASE_MASTER_KEYS": ",".join(master_keys),
        "CARELEDGER_LOG_FORMAT": "text",
    }
    if settings.database_url:
        env |= {
            "CARELEDGER_DATABASE_URL": settings.database_url,
            "CARELEDGER_POSTGRES_SCHEMA": settings.postgres_schema,
        }
    return env


def test_rotate_moves_every_case_key_to_the_new_master_key(
    client: FlaskClient, service: CaseService, settings: Settings
) -> None:
    headers = login(client, "civil")
    case_id = json_of(client.post("/api/v1/cases", json=identify_body(), headers=headers))["id"]
    old = settings.case_master_keys
    new = MasterKeys.new_key()
    runner = CliRunner()

    rotated = runner.invoke(main, ["keys", "rotate"], env=_env(settings, (new, *old)))
    status = runner.invoke(main, ["keys", "status"], env=_env(settings, (new,)))

    assert rotated.exit_code == 0, rotated.output
    assert "rotated 1 case keys" in rotated.output
    new_id = key_id(MasterKeys.parse((new,)).keys[0])
    assert status.exit_code == 0, status.output
    assert f"{new_id} (current): 1 case keys" in status.output
    # The old master key is no longer needed to open the case.
    keys = CaseKeys.open(Settings(**{**vars(settings), "case_master_keys": (new,)}))
    assert keys is not None and keys.key_of(UUID(case_id)) is not None


def test_without_the_master_key_that_wrapped_them_the_keys_do_not_open(
    client: FlaskClient, service: CaseService, settings: Settings
) -> None:
    headers = login(client, "civil")
    client.post("/api/v1/cases", json=identify_body(), headers=headers)

    result = CliRunner().invoke(
        main, ["keys", "rotate"], env=_env(settings, (MasterKeys.new_key(),))
    )

    assert result.exit_code != 0
    assert "need that key in CARELEDGER_CASE_MASTER_KEYS" in str(result.exception)
