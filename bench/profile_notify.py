"""Profile of notify's consumer batch path: the realistic mix and the replay, in-process.

    python bench/profile_notify.py [--entries N] [--batch N] [--postgres URL] [--out FILE]

Loads the stream `bench/notify.py` builds for its mixed round into a throwaway
redis-server, runs the notify consumer over it under cProfile on a fresh database (SQLite,
or a fresh PostgreSQL schema with --postgres), then again under a new group into the same
database (the replay: every entry a duplicate). Prints the rate without the profiler, the
top of each profile by cumulative and own time, and per-batch call counts of the
statements sent to the database. Writes the text to --out.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import random
import sys
import tempfile
import time
from pathlib import Path

import redis

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from notify import _service, consume, database, load, mixed  # noqa: E402

from shared.embedded_redis import embedded_redis  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entries", type=int, default=4_000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--postgres", metavar="URL")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    text = io.StringIO()
    with tempfile.TemporaryDirectory(prefix="notify-profile-") as folder:
        tmp = Path(folder)
        with embedded_redis(tmp / "redis") as url:
            client = redis.Redis.from_url(url)
            stream = "profile:mixed"
            load(client, stream, mixed(args.entries, random.Random(2026)))
            # Without the profiler first (its own database), for the rates.
            with database(tmp, args.postgres) as settings, _service(settings) as service:
                for name in ("mix", "replay"):
                    # This process's CPU time beside the wall clock: on a shared machine the
                    # rate follows the neighbours, the CPU per entry much less so.
                    cpu = time.process_time()
                    elapsed, _ = consume(service, client, stream, args.batch, args.entries)
                    cpu = time.process_time() - cpu
                    text.write(
                        f"{name} without the profiler: {args.entries / elapsed:,.0f} entries/s, "
                        f"{cpu / args.entries * 1e6:.0f} µs of this process's CPU per entry\n"
                    )
            with database(tmp, args.postgres) as settings, _service(settings) as service:
                for name in ("mix", "replay"):
                    profiler = cProfile.Profile()
                    started = time.perf_counter()
                    profiler.enable()
                    consume(service, client, stream, args.batch, args.entries)
                    profiler.disable()
                    elapsed = time.perf_counter() - started
                    _write(text, name, profiler, args, elapsed)
            client.close()
    out = text.getvalue()
    print(out)
    if args.out:
        args.out.write_text(out)
    return 0


def _write(
    text: io.StringIO, name: str, profiler: cProfile.Profile, args: argparse.Namespace, wall: float
) -> None:
    stats = pstats.Stats(profiler, stream=text)
    batches = -(-args.entries // args.batch)
    text.write(
        f"\n===== {name}: {args.entries} entries, batch {args.batch}, {wall:.3f} s wall "
        f"under the profiler ({args.entries / wall:,.0f} entries/s) =====\n"
    )
    watched = {
        "cursor.execute": ("psycopg/cursor.py", "execute"),
        "cursor.executemany": ("psycopg/cursor.py", "executemany"),
        "sqlite execute": ("~", "<method 'execute' of 'sqlite3.Cursor' objects>"),
        "Schema.__init__": ("marshmallow/schema.py", "__init__"),
        "Schema.load": ("marshmallow/schema.py", "load"),
        "deepcopy": ("copy.py", "deepcopy"),
        "commit": ("psycopg/connection.py", "commit"),
    }
    for label, (suffix, func) in watched.items():
        calls = sum(
            nc
            for (filename, _line, f), (_cc, nc, _tt, _ct, _callers) in stats.stats.items()  # type: ignore[attr-defined]
            if f == func and filename.endswith(suffix)
        )
        text.write(f"{label}: {calls / batches:.1f} calls per batch\n")
    stats.sort_stats("cumulative").print_stats(40)
    stats.sort_stats("tottime").print_stats(25)


if __name__ == "__main__":
    raise SystemExit(main())
