"""The composition root of the notify service: its database, its clock, its Redis."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone

import redis

from services.notify.db import Database, open_database
from services.notify.schema import create_tables
from shared.settings import Settings

# China has one time zone and no daylight saving: "today" is the date in UTC+8.
CHINA = timezone(timedelta(hours=8), "CST")


class Clock:
    """The time; tests hand in a fixed one."""

    def now(self) -> datetime:
        """Now, in UTC."""
        return datetime.now(UTC)

    def today(self) -> date:
        """Today's date in China."""
        return self.now().astimezone(CHINA).date()


@dataclass
class NotifyService:
    """What notify's processes work with."""

    settings: Settings
    db: Database
    clock: Clock = field(default_factory=Clock)

    @property
    def email_enabled(self) -> bool:
        """E-mail deliveries are queued only when an SMTP server is configured."""
        return bool(self.settings.smtp_host)

    def close(self) -> None:
        """Releases the database connections."""
        self.db.close()


def build_notify(settings: Settings, *, clock: Clock | None = None) -> NotifyService:
    """Opens notify's database (creating its tables) with `settings`."""
    db = open_database(settings)
    create_tables(db)
    return NotifyService(settings, db, clock or Clock())


class RedisNotConfiguredError(RuntimeError):
    """Raised when a process needs Redis and REDIS_URL is not set."""


def redis_client(settings: Settings, *, block_seconds: float = 1.0) -> redis.Redis:
    """A Redis client for `settings.redis_url`, with a read timeout above the blocking
    read's, so a blocked XREADGROUP is not mistaken for a dead connection."""
    if not settings.redis_url:
        raise RedisNotConfiguredError(
            "REDIS_URL is not set (careledger demo and careledger run start an embedded "
            "Redis and set it for their processes)"
        )
    return redis.Redis.from_url(
        settings.redis_url,
        socket_timeout=block_seconds + 10,
        socket_connect_timeout=5,
        health_check_interval=30,
    )
