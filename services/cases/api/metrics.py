"""What the case service adds to `/metrics` (shared/http/metrics.py): the log's length,
how far the read models are behind it, and refused logins."""

from __future__ import annotations

from typing import Any

from flask import Flask, request

from shared.http.metrics import AppMetrics, Gauges

from ..bootstrap import CaseService

# A login refused: wrong password or unknown user (401), throttled (429), no free
# password-hashing slot (503).
_REFUSED = {401, 429, 503}


def case_gauges(service: CaseService) -> Gauges:
    """Gauges read at each scrape."""

    def head() -> float:
        return float(service.cases.recorder.max_notification_id() or 0)

    def projector_lag() -> float:
        return max(0.0, head() - service.read_models.position())

    return {
        "careledger_events": ("Events in the log (its last position)", head),
        "careledger_projector_lag_events": (
            "Events the read models have not applied yet",
            projector_lag,
        ),
    }


def count_refused_logins(app: Flask, metrics: AppMetrics) -> None:
    """Counts every refused login (a flood shows here before anywhere else)."""

    @app.after_request
    def _count(response: Any) -> Any:
        if request.endpoint == "auth.login" and response.status_code in _REFUSED:
            metrics.count("careledger_logins_refused", "Logins refused (401, 429 or 503)", amount=1)
        return response
