"""Settings: one typed object built from the environment at the entrypoint.

Defaults run on one machine with nothing else installed: a SQLite file under the data
folder. Secrets that are not given are generated once into the data folder (mode 0600),
so the embedded default still encrypts children's data at rest.
"""

from __future__ import annotations

import ipaddress
import os
import re
import secrets
from base64 import b64encode
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import unquote, urlparse

from shared.private_files import private_file, private_folder


class SettingsError(ValueError):
    """Raised when an environment variable holds a value CareLedger cannot use."""


@dataclass(frozen=True)
class Settings:
    """Everything a CareLedger process is configured with."""

    data_dir: Path = Path("var")
    database_url: str = ""  # empty: SQLite file under data_dir
    postgres_schema: str = ""
    cipher_key: str = ""  # base64 AES key; empty: no encryption (tests only)
    token_secret: str = field(default="", repr=False)
    # The Ed25519 key that signs the audit checkpoints (base64 of its 32-byte seed): apart
    # from the database and the cipher key, so neither alone can forge a checkpoint.
    audit_signing_key: str = field(default="", repr=False)
    # The master keys that wrap each case's own key (issue 10, crypto-shredding), base64,
    # the current one first; empty: no per-case keys (the store's cipher alone).
    case_master_keys: tuple[str, ...] = field(default=(), repr=False)
    # Where the case keys are kept, apart from the events: empty means a SQLite file of
    # their own beside the store, or a table beside the events on PostgreSQL.
    case_keys_database_url: str = ""
    token_ttl_seconds: int = 8 * 3600  # a login (its refresh token) lasts this long
    access_token_ttl_seconds: int = 5 * 60  # each access token, renewed with the refresh token
    cases_url: str = "http://127.0.0.1:8000"  # where notify asks if a token still holds
    # The notify inbox API as browsers reach it (the web app's bell); empty: no bell.
    notify_url: str = ""
    # Origins of the web app that may call notify's inbox from the browser (CORS); empty:
    # the origin of cases_url.
    web_origins: tuple[str, ...] = ()
    token_check_seconds: int = 5  # how long notify trusts the case service's answer
    # How long a reasoned emergency access (break-the-glass) to one case lasts.
    emergency_access_hours: int = 4
    max_body_bytes: int = 64 * 1024
    # /readyz answers 503 while the projector or the relay is further behind the log.
    ready_max_lag_events: int = 10_000
    redis_url: str = ""  # empty: the embedded Redis `careledger demo` starts
    stream: str = "careledger:events"  # the Redis Stream the relay publishes to
    notify_database_url: str = ""  # empty: SQLite file under data_dir
    notify_postgres_schema: str = ""
    read_model_postgres_schema: str = ""  # read models sit beside the events on PostgreSQL
    smtp_host: str = ""  # empty: no e-mail deliveries
    smtp_port: int = 25
    smtp_sender: str = "careledger@localhost"
    log_level: str = "INFO"
    # "json": one JSON object per line, for a log collector; "text": for a person.
    log_format: str = "json"
    # Days between visits by risk level, per city (domain/visit_due.py): ("", high, medium,
    # low) is the default, ("3601", …) a city's own; empty: 7, 30 and 90 days everywhere.
    visit_intervals: tuple[tuple[str, int, int, int], ...] = ()
    # Networks (10.0.0.0/8, 127.0.0.1/32) and host names webhooks may reach although
    # they are not public; empty: public addresses only.
    webhook_allow: tuple[str, ...] = ()
    # Reverse proxies in front of the case API whose X-Forwarded-For is believed (the login
    # throttle counts failures per client address); 0: the TCP peer is the client.
    trusted_proxies: int = 0

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Reads the `CARELEDGER_*` variables (and `REDIS_URL`) of `environ`."""
        env = os.environ if environ is None else environ
        data_dir = Path(env.get("CARELEDGER_DATA_DIR", "var"))
        settings = cls(
            data_dir=data_dir,
            database_url=env.get("CARELEDGER_DATABASE_URL", ""),
            postgres_schema=env.get("CARELEDGER_POSTGRES_SCHEMA", ""),
            cipher_key=read_secret(env, "CARELEDGER_CIPHER_KEY"),
            token_secret=read_secret(env, "CARELEDGER_TOKEN_SECRET"),
            audit_signing_key=read_secret(env, "CARELEDGER_AUDIT_SIGNING_KEY"),
            case_master_keys=tuple(
                k.strip()
                for k in read_secret(env, "CARELEDGER_CASE_MASTER_KEYS").split(",")
                if k.strip()
            ),
            case_keys_database_url=env.get("CARELEDGER_CASE_KEYS_DATABASE_URL", ""),
            token_ttl_seconds=_int(env, "CARELEDGER_TOKEN_TTL_SECONDS", 8 * 3600),
            access_token_ttl_seconds=_int(env, "CARELEDGER_ACCESS_TOKEN_TTL_SECONDS", 5 * 60),
            cases_url=env.get("CARELEDGER_CASES_URL", "http://127.0.0.1:8000").rstrip("/"),
            token_check_seconds=_int(env, "CARELEDGER_TOKEN_CHECK_SECONDS", 5),
            emergency_access_hours=_int(env, "CARELEDGER_EMERGENCY_ACCESS_HOURS", 4),
            notify_url=env.get("CARELEDGER_NOTIFY_URL", "").rstrip("/"),
            web_origins=tuple(
                o.strip().rstrip("/")
                for o in env.get("CARELEDGER_WEB_ORIGINS", "").split(",")
                if o.strip()
            ),
            max_body_bytes=_int(env, "CARELEDGER_MAX_BODY_BYTES", 64 * 1024),
            ready_max_lag_events=_int(env, "CARELEDGER_READY_MAX_LAG_EVENTS", 10_000),
            redis_url=env.get("REDIS_URL", ""),
            stream=env.get("CARELEDGER_STREAM", "careledger:events"),
            notify_database_url=env.get("CARELEDGER_NOTIFY_DATABASE_URL", ""),
            notify_postgres_schema=env.get("CARELEDGER_NOTIFY_POSTGRES_SCHEMA", ""),
            read_model_postgres_schema=env.get("CARELEDGER_READ_MODEL_POSTGRES_SCHEMA", ""),
            smtp_host=env.get("CARELEDGER_SMTP_HOST", ""),
            smtp_port=_int(env, "CARELEDGER_SMTP_PORT", 25),
            smtp_sender=env.get("CARELEDGER_SMTP_SENDER", "careledger@localhost"),
            log_level=env.get("CARELEDGER_LOG_LEVEL", "INFO").upper(),
            log_format=env.get("CARELEDGER_LOG_FORMAT", "json").strip().lower(),
            webhook_allow=_webhook_allow(env.get("CARELEDGER_WEBHOOK_ALLOW", "")),
            visit_intervals=_visit_intervals(env.get("CARELEDGER_VISIT_INTERVALS", "")),
            trusted_proxies=_proxies(env.get("CARELEDGER_TRUSTED_PROXIES", "")),
        )
        if settings.log_format not in ("json", "text"):
            raise SettingsError("CARELEDGER_LOG_FORMAT must be json or text")
        if urlparse(settings.cases_url).scheme not in ("http", "https"):
            raise SettingsError("CARELEDGER_CASES_URL must be an http:// or https:// URL")
        for name, url in (
            ("CARELEDGER_NOTIFY_URL", settings.notify_url),
            *(("CARELEDGER_WEB_ORIGINS", o) for o in settings.web_origins),
        ):
            if url and urlparse(url).scheme not in ("http", "https"):
                raise SettingsError(f"{name} must be http:// or https:// URLs")
        for name, url in (
            ("CARELEDGER_DATABASE_URL", settings.database_url),
            ("CARELEDGER_NOTIFY_DATABASE_URL", settings.notify_database_url),
            ("CARELEDGER_CASE_KEYS_DATABASE_URL", settings.case_keys_database_url),
        ):
            if url and urlparse(url).scheme not in ("postgresql", "postgres"):
                raise SettingsError(f"{name} must be a postgresql:// URL")
        return settings

    def with_generated_secrets(self) -> Settings:
        """Fills a missing cipher key, token secret and audit signing key from files in the
        data folder (each its own, 0600), creating them on first use."""

        def kept_or_made(setting: str) -> str:
            name, make = _SECRET_FILES[setting]
            given: str = getattr(self, setting)
            return given or _secret_file(self.data_dir / "secrets" / name, make)

        return replace(
            self,
            cipher_key=kept_or_made("cipher_key"),
            token_secret=kept_or_made("token_secret"),
            audit_signing_key=kept_or_made("audit_signing_key"),
            case_master_keys=self.case_master_keys
            or (_secret_file(self.data_dir / "secrets" / _CASE_MASTER_KEY_FILE, _new_key),),
        )

    @property
    def uses_postgres(self) -> bool:
        """True when the event store is PostgreSQL rather than the embedded SQLite file."""
        return bool(self.database_url)

    def eventsourcing_env(self) -> dict[str, str]:
        """The environment the `eventsourcing` library is configured with."""
        env: dict[str, str] = {}
        if self.uses_postgres:
            url = urlparse(self.database_url)
            env |= {
                "PERSISTENCE_MODULE": "eventsourcing.postgres",
                "POSTGRES_DBNAME": url.path.lstrip("/") or "careledger",
                "POSTGRES_HOST": url.hostname or "127.0.0.1",
                "POSTGRES_PORT": str(url.port or 5432),
                "POSTGRES_USER": unquote(url.username or "postgres"),
                "POSTGRES_PASSWORD": unquote(url.password or ""),
                "POSTGRES_POOL_SIZE": "10",
                "POSTGRES_MAX_OVERFLOW": "10",
            }
            if self.postgres_schema:
                env["POSTGRES_SCHEMA"] = self.postgres_schema
        else:
            private_file(self.data_dir / "cases.sqlite")
            env |= {
                "PERSISTENCE_MODULE": "eventsourcing.sqlite",
                "SQLITE_DBNAME": str(self.data_dir / "cases.sqlite"),
                "SQLITE_LOCK_TIMEOUT": "10",
            }
        if self.cipher_key:
            # AES-GCM through OpenSSL (the cryptography package): the same stored bytes as
            # eventsourcing.cipher's pycryptodome one, several times faster to decrypt.
            env |= {
                "CIPHER_TOPIC": "eventsourcing.cryptography:AESCipher",
                "CIPHER_KEY": self.cipher_key,
            }
        return env


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, not {raw!r}") from None
    if value <= 0:
        raise SettingsError(f"{name} must be positive")
    return value


_ALLOWED_HOST = re.compile(r"^(?=.*[a-z])[a-z0-9_]([a-z0-9_.-]{0,251}[a-z0-9_])?$")


def parse_webhook_allow(entries: Iterable[str]) -> tuple[str, ...]:
    """The webhook allow-list's entries normalised (a network as address/prefix, a host
    name in lower case); raises ValueError on one that is neither."""
    parsed: list[str] = []
    for raw in entries:
        entry = raw.strip().lower().rstrip(".")
        if not entry:
            continue
        try:
            parsed.append(str(ipaddress.ip_network(entry, strict=False)))
        except ValueError:
            if not _ALLOWED_HOST.match(entry) or entry.rsplit(".", 1)[-1].isdigit():
                raise ValueError(f"{raw.strip()!r} is neither a network nor a host name") from None
            parsed.append(entry)
    return tuple(parsed)


def _webhook_allow(raw: str) -> tuple[str, ...]:
    try:
        return parse_webhook_allow(raw.split(","))
    except ValueError as error:
        raise SettingsError(f"CARELEDGER_WEBHOOK_ALLOW: {error}") from None


_INTERVALS = re.compile(r"^(?:(\d{4}):)?high=(\d+),medium=(\d+),low=(\d+)$")


def _visit_intervals(raw: str) -> tuple[tuple[str, int, int, int], ...]:
    """`high=7,medium=30,low=90;3601:high=5,medium=21,low=60`: the default, then a city's
    own (its four-digit code); each interval 1 to 366 days."""
    parsed = []
    for entry in (e.strip().replace(" ", "") for e in raw.split(";")):
        if not entry:
            continue
        match = _INTERVALS.match(entry)
        days = [int(d) for d in match.groups()[1:]] if match else []
        if not match or not all(0 < d <= 366 for d in days):
            raise SettingsError(
                "CARELEDGER_VISIT_INTERVALS: each entry is [CITY:]high=D,medium=D,low=D "
                f"(days, 1 to 366), not {entry!r}"
            )
        parsed.append((match[1] or "", days[0], days[1], days[2]))
    return tuple(parsed)


def _proxies(raw: str) -> int:
    if raw.strip() in ("", "0"):
        return 0
    if not raw.strip().isdigit() or not 0 < int(raw) <= 5:
        raise SettingsError(f"CARELEDGER_TRUSTED_PROXIES must be 0 to 5, not {raw!r}")
    return int(raw)


def read_secret(env: Mapping[str, str], name: str) -> str:
    """A secret from the variable `name`, or from the file `name_FILE` names (what compose
    and Kubernetes mount secrets as: the value never sits in the environment)."""
    path = env.get(f"{name}_FILE", "")
    if not path:
        return env.get(name, "")
    if env.get(name):
        raise SettingsError(f"set {name} or {name}_FILE, not both")
    try:
        value = Path(path).read_text(encoding="utf-8").strip()
    except OSError as error:
        raise SettingsError(f"{name}_FILE: cannot read {path}: {error.strerror}") from None
    if not value:
        raise SettingsError(f"{name}_FILE: {path} is empty")
    return value


def _new_key() -> bytes:
    return b64encode(secrets.token_bytes(32))


def _new_token_secret() -> bytes:
    return secrets.token_hex(32).encode()


# The secrets every process shares: the setting, its file's name, how a new one is made.
_SECRET_FILES: dict[str, tuple[str, Callable[[], bytes]]] = {
    "cipher_key": ("cipher.key", _new_key),
    "token_secret": ("token.secret", _new_token_secret),
    "audit_signing_key": ("audit-signing.key", _new_key),
}


# The case master key (a list of one; rotation adds a new one in front): its own file.
_CASE_MASTER_KEY_FILE = "case-master.key"


def generate_secrets(folder: Path) -> list[Path]:
    """Writes the secrets every CareLedger process shares into `folder` (0600 each),
    keeping any already there: what `careledger secrets generate` makes for compose."""
    files = [*(name for name, _ in _SECRET_FILES.values()), _CASE_MASTER_KEY_FILE]
    for name, make in [*_SECRET_FILES.values(), (_CASE_MASTER_KEY_FILE, _new_key)]:
        _secret_file(folder / name, make)
    return [folder / name for name in files]


def _secret_file(path: Path, make: Callable[[], bytes]) -> str:
    private_folder(path.parent)
    if not path.exists():
        value = make()
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(value)
    private_file(path)  # one written under a looser rule before is tightened
    return path.read_text().strip()
