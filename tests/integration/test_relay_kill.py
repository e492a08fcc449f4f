"""The relay survives kill -9 at any instant: real relay processes are killed at random
moments while thousands of events are written, and restarted, and Redis loses everything
once; at the end the stream holds every log position exactly once, in order, each entry
naming the one before it."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import redis

from services.cases.bootstrap import CaseService
from shared.settings import Settings
from tests.integration.relay_support import (
    RedisServer,
    RelayProcess,
    assert_exactly,
    log_positions,
    read_stream,
    wait_for,
    write_cases,
)

STREAM = "careledger:events"
CURSOR = f"{STREAM}:relay:cursor"
CASES = 1000  # each identified and visited once: 2,000 events, beside 12 users
MIN_KILLS = 10  # at least one per chunk of 100 cases


def _cursor(client: redis.Redis) -> int:
    try:
        value = client.get(CURSOR)
    except redis.ConnectionError:  # Redis is being restarted
        return -1
    return int(value) if value else 0


class Killer(threading.Thread):
    """Starts a relay process, kills it with -9 at a random moment, starts another…"""

    def __init__(
        self,
        settings: Settings,
        server: RedisServer,
        client: redis.Redis,
        folder: Path,
        seed: int,
    ) -> None:
        super().__init__(daemon=True)
        self.settings, self.server, self.client, self.folder = settings, server, client, folder
        self.random = random.Random(seed)
        self.done = threading.Event()
        self.kills: list[tuple[str, int, int]] = []  # (when, cursor at start, at the kill)
        self.relay: RelayProcess | None = None
        self.error: BaseException | None = None

    def killed_since(self, kills: int) -> Callable[[], bool]:
        """A condition: a kill happened after the first `kills` (or the thread failed)."""
        return lambda: len(self.kills) > kills or self.error is not None

    def start_relay(self) -> RelayProcess:
        # Small batches and a short lease: many scripts to land between, a short wait
        # for the lease a killed relay leaves behind.
        return RelayProcess(
            self.settings,
            self.server.url,
            self.folder,
            "--batch-size",
            str(self.random.choice((7, 25, 100))),
            "--lease-seconds",
            "0.5",
            "--poll-seconds",
            "0.02",
        )

    def run(self) -> None:
        try:
            while not (self.done.is_set() and len(self.kills) >= MIN_KILLS):
                self.relay = self.start_relay()
                at_start = _cursor(self.client)
                if self.random.random() < 0.6:
                    # mid-publishing: once it has appended, within the next few scripts
                    when = "publishing"
                    deadline = time.monotonic() + 5
                    while _cursor(self.client) == at_start and time.monotonic() < deadline:
                        time.sleep(0.005)
                    time.sleep(self.random.uniform(0, 0.05))
                else:
                    when = "any"  # starting, waiting for the lease, idle or publishing
                    time.sleep(self.random.uniform(0, 1.0))
                self.relay.kill()
                self.kills.append((when, at_start, _cursor(self.client)))
        except BaseException as error:  # reported by the test, not lost in the thread
            self.error = error


@pytest.mark.slow
@pytest.mark.parametrize("seed", [20261129])
def test_a_relay_killed_with_minus_9_at_random_moments_publishes_every_event_exactly_once(
    service: CaseService,
    settings: Settings,
    relay_redis: RedisServer,
    relay_client: redis.Redis,
    tmp_path: Path,
    seed: int,
) -> None:
    # given relay processes killed at random moments while 2,000 events are written,
    # and Redis restarted with nothing saved half way
    killer = Killer(settings, relay_redis, relay_client, tmp_path / "relays", seed)
    killer.start()
    try:
        for chunk in range(CASES // 100):
            kills = len(killer.kills)
            write_cases(service, 100)
            if chunk == CASES // 200:
                relay_redis.restart_empty()
            # a kill for every chunk written, so that kills land while the log grows
            wait_for(killer.killed_since(kills), what="a kill")
        killer.done.set()
        killer.join(timeout=120)
        assert killer.error is None, killer.error
        assert not killer.is_alive()
        # when a last relay runs to the end of the log and is stopped warmly
        positions = log_positions(service)
        assert len(positions) >= 2000
        last = killer.start_relay()
        wait_for(
            lambda: (
                "event=lease_acquired" in last.text() and _cursor(relay_client) == positions[-1]
            ),
            timeout=60,
            what="the last relay to take over and catch up",
        )
        assert last.stop() == 0
    finally:
        if killer.relay is not None and killer.relay.process.poll() is None:
            killer.relay.kill()
    # then the stream holds exactly the log, once each, in order, chained
    assert_exactly(read_stream(relay_client, STREAM), positions)
    # and the kills did land mid-stream: after a relay had appended, before the end
    mid_stream = [k for k in killer.kills if k[1] < k[2] < positions[-1]]
    assert len(killer.kills) >= MIN_KILLS
    assert len(mid_stream) >= 5, killer.kills
