"""Setting a deployment up: `careledger secrets generate` makes the shared secrets as
files (for compose's `secrets:`), and `careledger init` is the one-shot step compose runs
before anything else: every migration, then the first admin (only when missing, so
running it again changes nothing)."""

from __future__ import annotations

import os
from pathlib import Path

import click

from shared.cli import load_settings
from shared.roles import Role
from shared.settings import SettingsError, generate_secrets, read_secret

# Where `init` takes the first admin's password from (never a command-line argument:
# those show in `ps`).
ADMIN_PASSWORD = "CARELEDGER_ADMIN_PASSWORD"


@click.group()
def secrets() -> None:
    """The secrets every CareLedger process shares."""


@secrets.command("generate")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
def secrets_generate(folder: Path) -> None:
    """Write cipher.key, token.secret and audit-signing.key into FOLDER (0600 each); any
    already there is kept, so the data it protects stays readable."""
    for path in generate_secrets(folder):
        click.echo(str(path))


@click.command("init")
@click.option("--admin", default="admin", show_default=True, help="The first admin's username.")
@click.option(
    "--scope", required=True, help="The first admin's jurisdiction prefix (e.g. the city)."
)
def init(admin: str, scope: str) -> None:
    """Apply every migration, then add the first admin unless she exists. Her password
    comes from CARELEDGER_ADMIN_PASSWORD or the file CARELEDGER_ADMIN_PASSWORD_FILE names."""
    from services.cases.accounts import UserExistsError
    from services.cases.bootstrap import build_case_service
    from services.db_commands import upgrade_all

    password = _admin_password()  # before anything is touched
    settings = load_settings()
    upgrade_all(settings)
    service = build_case_service(settings)
    try:
        service.accounts.register(
            None, username=admin, role=Role.ADMIN, scope=scope, password=password
        )
        click.echo(f"added {admin} (admin, scope {scope})")
    except UserExistsError:
        click.echo(f"{admin} exists: left as she is")
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    finally:
        service.close()


def _admin_password() -> str:
    try:
        password = read_secret(os.environ, ADMIN_PASSWORD)
    except SettingsError as error:
        raise click.UsageError(str(error)) from None
    if len(password) < 10:
        raise click.UsageError(
            f"set {ADMIN_PASSWORD} or {ADMIN_PASSWORD}_FILE: a password of at least 10 characters"
        )
    return password
