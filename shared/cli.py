"""What every `careledger` sub-command shares: settings, logging, serving an app, exit
codes and a Redis client, so that each command is only its own work."""

from __future__ import annotations

import contextlib
import logging
import signal
import sys
from collections.abc import Callable
from typing import Any, NoReturn, TextIO

import click
import redis
from pythonjsonlogger.json import JsonFormatter

from shared.redis_client import RedisNotConfiguredError, redis_client
from shared.settings import Settings, SettingsError

# Exit statuses: click itself answers 1 for a ClickException and 2 for a usage error.
EXIT_OK = 0
EXIT_PROBLEMS_LEFT = 1  # the command ran, and something is still wrong (gaps, failures)


def load_settings(*, needs_redis: bool = False) -> Settings:
    """The settings from the environment, with generated secrets; a bad value (or a
    missing REDIS_URL when `needs_redis`) stops the command before anything is written."""
    try:
        settings = Settings.from_env()
    except SettingsError as error:
        raise click.ClickException(str(error)) from None
    if needs_redis and not settings.redis_url:
        raise click.UsageError(
            "REDIS_URL is not set: point it at Redis, or use "
            "`careledger run`, which starts an embedded one"
        )
    return settings.with_generated_secrets()


def configure_logging(settings: Settings) -> None:
    """Logs at the configured level to standard error through `log_handler`."""
    logging.basicConfig(level=settings.log_level, handlers=[log_handler(settings)])


def log_handler(settings: Settings, stream: TextIO | None = None) -> logging.Handler:
    """One line per event on `stream` (standard error): a JSON object (time, level,
    logger, message and the record's own fields: a request's id, user, route, status and
    duration) unless CARELEDGER_LOG_FORMAT=text."""
    handler = logging.StreamHandler(stream or sys.stderr)
    if settings.log_format == "json":
        handler.setFormatter(
            JsonFormatter(
                "%(asctime)s %(levelname)s %(name)s %(message)s",
                rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
                json_ensure_ascii=False,
            )
        )
    else:
        handler.setFormatter(
            logging.Formatter("%(asctime)s level=%(levelname)s logger=%(name)s %(message)s")
        )
    return handler


def connect_redis(settings: Settings) -> redis.Redis:
    """The Redis client for `settings`, or a clean command-line error without REDIS_URL."""
    try:
        return redis_client(settings)
    except RedisNotConfiguredError as error:
        raise click.ClickException(str(error)) from None


def serve_app(
    make_app: Callable[[], Any], *, host: str, port: int, threads: int, name: str, workers: int = 1
) -> None:
    """Serves the WSGI app `make_app()` builds until SIGTERM or Ctrl-C: in this process with
    waitress when `workers` is 1, else in that many gunicorn workers (0: one per CPU),
    each building its own app after the fork (shared/workers.py)."""
    click.echo(f"{name} on http://{host}:{port}/api/v1  (docs: /api/v1/docs)", err=True)
    if workers != 1:
        from shared.workers import default_workers, serve_workers

        serve_workers(
            make_app, host=host, port=port, workers=workers or default_workers(), threads=threads
        )
        click.echo(f"{name} stopped", err=True)
        return
    import waitress

    app = make_app()
    # A warm stop on SIGTERM (what process supervisors and `docker stop` send), as on
    # Ctrl-C: the serve loop unwinds and the caller closes what it opened.
    signal.signal(signal.SIGTERM, _stop)
    with contextlib.suppress(KeyboardInterrupt):
        waitress.serve(app, host=host, port=port, threads=threads, ident="careledger")
    click.echo(f"{name} stopped", err=True)


# `--workers` of the serving commands.
workers_option = click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(min=0, max=256),
    help="API processes: 1 serves in this process (waitress); more, or 0 for one per CPU, "
    "serves with gunicorn, each worker building its own app after the fork.",
)


# `--health-port` of the long-running processes (shared/process_health.py).
health_port_option = click.option(
    "--health-port",
    default=0,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="Serve /healthz, /readyz and /metrics on this port (0: not served).",
)


def exit_clean_or_not(clean: bool) -> NoReturn:
    """Ends the command: EXIT_OK when nothing is left wrong, else EXIT_PROBLEMS_LEFT."""
    sys.exit(EXIT_OK if clean else EXIT_PROBLEMS_LEFT)


def _stop(signum: int, frame: object) -> None:
    raise KeyboardInterrupt
