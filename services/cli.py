"""The `careledger` command: one console script, one sub-command per process or task."""

from __future__ import annotations

import os
import sys
from dataclasses import replace

import click

from shared.cli import configure_logging, load_settings, serve_app, workers_option
from shared.roles import Role
from shared.settings import Settings


@click.group()
def main() -> None:
    """CareLedger: case management for rural left-behind children."""
    # Children's records: every file and folder any CareLedger process creates (the
    # SQLite files and their journals, secrets, the embedded Redis) is its owner's alone,
    # 0600 / 0700, whatever the shell's umask. Supervised processes inherit it.
    os.umask(0o077)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--threads", default=8, show_default=True, type=int)
@workers_option
@click.option(
    "--notify-url",
    default="",
    help="notify's inbox API as browsers reach it, for the web app's bell "
    "(default CARELEDGER_NOTIFY_URL; none: no bell).",
)
def serve(host: str, port: int, threads: int, workers: int, notify_url: str) -> None:
    """Serve the case API on the configured store."""
    settings = load_settings()
    if notify_url:
        settings = replace(settings, notify_url=notify_url.rstrip("/"))
    configure_logging(settings)
    _serve(settings, host, port, threads, workers)


def _serve(settings: Settings, host: str, port: int, threads: int, workers: int = 1) -> None:
    from services.cases.api import create_app

    serve_app(
        lambda: create_app(settings),
        host=host,
        port=port,
        threads=threads,
        name="CareLedger API",
        workers=workers,
    )


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option(
    "--children",
    default=10_000,
    show_default=True,
    type=int,
    help="How many children the demo city holds.",
)
@click.option("--seed-only", is_flag=True, help="Seed, print the users, and exit.")
def demo(host: str, port: int, children: int, seed_only: bool) -> None:
    """Seed the demo city (when empty), print the demo users, then run every process."""
    from services.cases.bootstrap import build_case_service
    from services.cases.demo import print_demo_users, seed_demo
    from services.cases.demo.places import division_rows
    from services.divisions_command import names_for_notify

    # The demo is watched on a terminal: plain lines, unless told otherwise.
    os.environ.setdefault("CARELEDGER_LOG_FORMAT", "text")
    settings = load_settings()
    configure_logging(settings)
    service = build_case_service(settings)
    try:
        seed_demo(service, children=children)
    finally:
        service.close()
    names_for_notify(settings, division_rows())
    print_demo_users()
    if not seed_only:
        _run_all(settings, host, port)


@main.command("run")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
def run_all(host: str, port: int) -> None:
    """Run every process (API, and the followers of the log) under one supervisor."""
    settings = load_settings()
    configure_logging(settings)
    _run_all(settings, host, port)


def _run_all(settings: Settings, host: str, port: int) -> None:
    from contextlib import ExitStack

    from services.processes import demo_processes
    from services.supervisor import Supervisor, child_env
    from shared.embedded_redis import embedded_redis

    with ExitStack() as stack:
        extra = {"CARELEDGER_DATA_DIR": str(settings.data_dir)}
        if not settings.redis_url:
            extra["REDIS_URL"] = stack.enter_context(embedded_redis(settings.data_dir / "redis"))
        Supervisor(demo_processes(host, port), child_env(extra)).run()
    click.echo("CareLedger stopped", err=True)


@main.group()
def users() -> None:
    """Manage users."""


@users.command("add")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option("--scope", required=True, help="Jurisdiction prefix: 2, 4, 6, 9 or 12 digits.")
@click.option("--display-name", default="")
@click.option("--email", default=None, help="Where the notify service e-mails this user.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def users_add(
    username: str, role: str, scope: str, display_name: str, email: str | None, password_stdin: bool
) -> None:
    """Create a user with a role over a jurisdiction prefix.

    Acts as the system, without the approval an admin needs over HTTP for a role that
    reads case data: whoever runs it already holds the database (docs/security.md)."""
    from services.cases.accounts import UserExistsError, is_email
    from services.cases.bootstrap import build_case_service

    if email is not None and not is_email(email):  # before the password prompt
        raise click.BadParameter("not an e-mail address", param_hint="--email")
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    if len(password) < 10:
        raise click.UsageError("the password must have at least 10 characters")
    service = build_case_service(load_settings())
    try:
        service.accounts.register(
            None,
            username=username,
            role=Role(role),
            scope=scope,
            password=password,
            display_name=display_name,
            email=email,
        )
    except (UserExistsError, ValueError) as error:
        raise click.ClickException(str(error)) from None
    finally:
        service.close()
    click.echo(f"added {username} ({role}, scope {scope})")


def _register_groups() -> None:
    from services.cases.audit_command import audit
    from services.cases.audit_export_command import EXPORT_COMMANDS
    from services.cases.commands import cases
    from services.cases.register_command import export_group, import_group
    from services.cases.report_command import report
    from services.db_commands import db
    from services.divisions_command import divisions
    from services.keys_command import keys
    from services.notify.operate.commands import notify
    from services.setup_commands import init, secrets

    main.add_command(init)
    main.add_command(secrets)
    main.add_command(cases)
    main.add_command(import_group)
    main.add_command(export_group)
    main.add_command(divisions)
    main.add_command(notify)
    main.add_command(db)
    main.add_command(keys)
    main.add_command(audit)
    main.add_command(report)
    for command in EXPORT_COMMANDS:  # careledger audit export / verify-export / replay
        audit.add_command(command)


_register_groups()

if __name__ == "__main__":
    main()
