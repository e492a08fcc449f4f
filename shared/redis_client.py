"""The one way a process gets its Redis client: from settings, with timeouts."""

from __future__ import annotations

import redis

from shared.settings import Settings


class RedisNotConfiguredError(ValueError):
    """Raised when a process needs Redis and REDIS_URL is not set."""


def redis_client(
    settings: Settings, *, block_seconds: float = 0.0, decode: bool = False
) -> redis.Redis:
    """A Redis client for `settings.redis_url`, with timeouts so a hung Redis is noticed.

    The read timeout stays above the longest blocking read the caller makes
    (`block_seconds`), so a blocked XREADGROUP is not mistaken for a dead connection.
    redis-py re-sends a command after a lost connection or a timeout: what callers run
    through it (the relay's scripts, notify's acknowledgements) is safe to run twice.

    With `decode`, replies come back as text, decoded by hiredis in C (notify's consumer:
    decoding each field in Python was a fifth of a replayed entry's cost). Bytes that are
    not UTF-8 become lone surrogates, as `surrogateescape` makes them, so the consumer can
    still tell a garbled entry from a good one, and writing such text back gives the same
    bytes."""
    if not settings.redis_url:
        raise RedisNotConfiguredError(
            "REDIS_URL is not set: point it at Redis, or use `careledger run` (or "
            "`careledger demo`), which starts an embedded one for its processes"
        )
    return redis.Redis.from_url(
        settings.redis_url,
        socket_timeout=block_seconds + 10,
        socket_connect_timeout=5,
        health_check_interval=30,
        **DECODED if decode else {},
    )


# What `decode` adds to a client's options.
DECODED: dict[str, object] = {"decode_responses": True, "encoding_errors": "surrogateescape"}


def decoding_twin(client: redis.Redis) -> redis.Redis:
    """A client of the same Redis as `client` whose replies come decoded, as
    `redis_client(decode=True)` makes them (for benchmarks and tests, which make their
    clients from a URL of their own)."""
    pool = client.connection_pool
    return redis.Redis(
        connection_pool=redis.ConnectionPool(
            connection_class=pool.connection_class, **(pool.connection_kwargs | DECODED)
        )
    )
