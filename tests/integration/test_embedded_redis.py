"""The embedded Redis `careledger demo` starts when no REDIS_URL is given."""

from __future__ import annotations

from pathlib import Path

import pytest
import redis

from shared.embedded_redis import embedded_redis


def test_the_embedded_redis_starts_under_a_relative_data_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given the default data folder, `var`, relative to where careledger runs
    monkeypatch.chdir(tmp_path)
    # when the embedded Redis starts there
    with embedded_redis(Path("var") / "redis") as url:
        client = redis.Redis.from_url(url)
        # then it answers, keeps nothing on disk and never evicts stream entries
        assert client.ping()
        assert client.config_get("maxmemory-policy") == {"maxmemory-policy": "noeviction"}
        assert client.config_get("save") == {"save": ""}
    assert not (tmp_path / "var" / "redis" / "redis.sock").exists()
