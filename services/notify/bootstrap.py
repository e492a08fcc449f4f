"""The composition root of the notify service: its database and its clock (its Redis
client comes from `shared.redis_client`)."""

from __future__ import annotations

from dataclasses import dataclass, field

from services.notify.db import open_database
from services.notify.schema import create_tables
from shared.clock import Clock
from shared.settings import Settings
from shared.sql import Database


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
