"""When the case API is ready (`/readyz`): its store answers, and the read models and the
stream are not too far behind the log (`CARELEDGER_READY_MAX_LAG_EVENTS`). A load
balancer then sends no reads to an API whose lists would be stale by more than that, and
an operator sees which follower is behind."""

from __future__ import annotations

from collections.abc import Callable

import redis

from shared.redis_client import redis_client

from ..bootstrap import CaseService
from ..relay.stream import RelayStream


def case_readiness(service: CaseService) -> Callable[[], list[str]]:
    """The problems that make the API not ready now (none: ready); raises when the store
    does not answer."""
    settings = service.settings
    limit = settings.ready_max_lag_events
    clients: list[redis.Redis] = []  # one client, made at the first check

    def problems() -> list[str]:
        head = service.cases.recorder.max_notification_id() or 0
        found = []
        projector = head - service.read_models.position()
        if projector > limit:
            found.append(f"the read models are {projector} events behind (limit {limit})")
        if settings.redis_url:
            try:
                if not clients:
                    clients.append(redis_client(settings))
                relayed = RelayStream(clients[0], settings.stream).position()
            except redis.RedisError as error:
                found.append(f"Redis did not answer ({type(error).__name__})")
            else:
                if head - relayed > limit:
                    found.append(f"the stream is {head - relayed} events behind (limit {limit})")
        return found

    return problems
