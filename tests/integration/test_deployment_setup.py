"""Setting a deployment up as compose.yaml does (issue 13, the stack): secrets from files,
`careledger secrets generate`, and the one-shot `careledger init` (migrations, then the
first admin only when missing)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from services.cases.bootstrap import build_case_service
from services.cli import main
from shared.settings import Settings, SettingsError

PASSWORD = "a long admin password"


def test_a_secret_is_read_from_the_file_its_file_variable_names(tmp_path: Path) -> None:
    (tmp_path / "cipher").write_text("c2VjcmV0LWtleS1ieXRlcy0xMjM0NTY3ODkwYWJjZGVm\n")
    (tmp_path / "token").write_text("the token secret")

    settings = Settings.from_env(
        {
            "CARELEDGER_CIPHER_KEY_FILE": str(tmp_path / "cipher"),
            "CARELEDGER_TOKEN_SECRET_FILE": str(tmp_path / "token"),
            "CARELEDGER_AUDIT_SIGNING_KEY": "from the environment",
        }
    )

    assert settings.cipher_key == "c2VjcmV0LWtleS1ieXRlcy0xMjM0NTY3ODkwYWJjZGVm"
    assert settings.token_secret == "the token secret"
    assert settings.audit_signing_key == "from the environment"


@pytest.mark.parametrize(
    ("environ", "says"),
    [
        (
            {"CARELEDGER_TOKEN_SECRET": "x", "CARELEDGER_TOKEN_SECRET_FILE": "{dir}/token"},
            "not both",
        ),
        ({"CARELEDGER_TOKEN_SECRET_FILE": "{dir}/missing"}, "cannot read"),
        ({"CARELEDGER_TOKEN_SECRET_FILE": "{dir}/empty"}, "is empty"),
    ],
)
def test_a_secret_file_that_cannot_be_used_is_refused_by_name(
    tmp_path: Path, environ: dict[str, str], says: str
) -> None:
    (tmp_path / "token").write_text("x")
    (tmp_path / "empty").write_text("\n")
    environ = {k: v.format(dir=tmp_path) for k, v in environ.items()}

    with pytest.raises(SettingsError, match="CARELEDGER_TOKEN_SECRET") as refused:
        Settings.from_env(environ)
    assert says in str(refused.value)


def test_secrets_generate_writes_four_owner_only_files_and_keeps_them(tmp_path: Path) -> None:
    folder = tmp_path / "secrets"
    runner = CliRunner()

    first = runner.invoke(main, ["secrets", "generate", str(folder)])
    kept = {p.name: p.read_text() for p in folder.iterdir()}
    again = runner.invoke(main, ["secrets", "generate", str(folder)])

    assert first.exit_code == 0 and again.exit_code == 0, first.output + again.output
    assert set(kept) == {"cipher.key", "token.secret", "audit-signing.key", "case-master.key"}
    assert {p.name: p.read_text() for p in folder.iterdir()} == kept  # not replaced
    assert {stat.S_IMODE(p.stat().st_mode) for p in folder.iterdir()} == {0o600}
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    # and a process reads them through the _FILE variables
    settings = Settings.from_env(
        {
            "CARELEDGER_CIPHER_KEY_FILE": str(folder / "cipher.key"),
            "CARELEDGER_TOKEN_SECRET_FILE": str(folder / "token.secret"),
            "CARELEDGER_AUDIT_SIGNING_KEY_FILE": str(folder / "audit-signing.key"),
            "CARELEDGER_CASE_MASTER_KEYS_FILE": str(folder / "case-master.key"),
        }
    )
    assert settings.token_secret == kept["token.secret"].strip()
    assert settings.case_master_keys == (kept["case-master.key"].strip(),)


@pytest.fixture
def deployment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty data folder, secrets made as the README says, the admin's password a file."""
    runner = CliRunner()
    assert runner.invoke(main, ["secrets", "generate", str(tmp_path / "secrets")]).exit_code == 0
    (tmp_path / "admin.password").write_text(PASSWORD + "\n")
    for name in list(os.environ):
        if name.startswith("CARELEDGER_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("CARELEDGER_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("CARELEDGER_CIPHER_KEY_FILE", str(tmp_path / "secrets" / "cipher.key"))
    monkeypatch.setenv("CARELEDGER_TOKEN_SECRET_FILE", str(tmp_path / "secrets" / "token.secret"))
    monkeypatch.setenv(
        "CARELEDGER_AUDIT_SIGNING_KEY_FILE", str(tmp_path / "secrets" / "audit-signing.key")
    )
    monkeypatch.setenv("CARELEDGER_ADMIN_PASSWORD_FILE", str(tmp_path / "admin.password"))
    return tmp_path


def _log_head() -> int:
    service = build_case_service(Settings.from_env())
    try:
        return service.cases.recorder.max_notification_id() or 0
    finally:
        service.close()


def test_init_migrates_and_adds_the_first_admin_once(deployment: Path) -> None:
    runner = CliRunner()

    first = runner.invoke(main, ["init", "--admin", "chief", "--scope", "3601"])
    head = _log_head()
    again = runner.invoke(main, ["init", "--admin", "chief", "--scope", "3601"])

    assert first.exit_code == 0, first.output
    assert "added chief (admin, scope 3601)" in first.output
    assert again.exit_code == 0, again.output
    assert "chief exists" in again.output
    assert _log_head() == head  # the second run wrote nothing
    service = build_case_service(Settings.from_env())
    try:
        session = service.accounts.login("chief", PASSWORD, "127.0.0.1")
        assert session.user.role == "admin"
    finally:
        service.close()


def test_init_refuses_a_missing_or_short_admin_password_and_adds_no_one(
    deployment: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (deployment / "admin.password").write_text("short\n")
    monkeypatch.setenv("CARELEDGER_ADMIN_PASSWORD_FILE", str(deployment / "admin.password"))

    refused = CliRunner().invoke(main, ["init", "--scope", "3601"])

    assert refused.exit_code == 2, refused.output
    assert "CARELEDGER_ADMIN_PASSWORD" in refused.output
    assert _log_head() == 0
