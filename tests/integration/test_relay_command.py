"""`careledger cases relay` as an operator starts it, and as `careledger run` does."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import redis
from click.testing import CliRunner

from services.cli import main
from services.processes import demo_processes
from services.supervisor import child_env
from shared.embedded_redis import embedded_redis
from shared.settings import Settings
from tests.conftest import make_service
from tests.integration.relay_support import (
    assert_exactly,
    log_positions,
    read_stream,
    wait_for,
    write_cases,
)


def test_the_relay_without_a_redis_url_says_what_to_do_and_creates_nothing(tmp_path: Path) -> None:
    data = tmp_path / "var"
    result = CliRunner().invoke(
        main, ["cases", "relay"], env={"REDIS_URL": "", "CARELEDGER_DATA_DIR": str(data)}
    )
    assert result.exit_code == 2
    assert "REDIS_URL is not set" in result.output
    assert not data.exists()


def test_the_relay_refuses_options_out_of_range(tmp_path: Path) -> None:
    for option, value in (
        ("--batch-size", "0"),
        ("--lease-seconds", "0.1"),
        ("--max-backlog", "10"),
    ):
        result = CliRunner().invoke(
            main, ["cases", "relay", option, value], env={"REDIS_URL": "redis://127.0.0.1:1/0"}
        )
        assert result.exit_code == 2, option
        assert option in result.output


def test_careledger_run_supervises_a_relay_publishing_to_the_embedded_redis(
    sqlite_settings: Settings, tmp_path: Path
) -> None:
    # given a log, and the relay as `careledger run` lists it
    service = make_service(sqlite_settings)
    write_cases(service, 5)
    (spec,) = [p for p in demo_processes("127.0.0.1", 8000) if p.name == "relay"]
    with embedded_redis(tmp_path / "redis") as url:
        env = child_env({"REDIS_URL": url, "CARELEDGER_DATA_DIR": str(sqlite_settings.data_dir)})
        # when the supervisor's command line starts it
        process = subprocess.Popen(
            [sys.executable, "-m", "services.cli", *spec.args],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            cwd=Path(__file__).parents[2],
        )
        client = redis.Redis.from_url(url)
        try:
            # then the log reaches the stream, and SIGTERM ends it with a summary
            wait_for(
                lambda: client.xlen("careledger:events") == len(log_positions(service)),
                what="the supervised relay to publish",
            )
            process.send_signal(signal.SIGTERM)
            out, _ = process.communicate(timeout=15)
        finally:
            if process.poll() is None:
                process.kill()
        assert process.returncode == 0
        assert b"published 22 entries" in out
        assert_exactly(read_stream(client, "careledger:events"), log_positions(service))
        client.close()
    service.close()
