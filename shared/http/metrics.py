"""`/metrics` in Prometheus's text format (prometheus-client), on every HTTP process.

Each app keeps its own registry (tests and the demo build several apps in one process;
the library's global one would refuse the second). What an app measures:

- `careledger_http_request_duration_seconds{method,route,status}`: a histogram per route
  (the URL rule, never the URL itself: it would carry case ids);
- counters the app adds by name (`count`), e.g. logins refused;
- gauges read when scraped (`gauges`), e.g. the projector's lag: read at the moment of
  the scrape, so they are never stale and cost nothing between scrapes.

Nothing here names a child: routes, statuses, counts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

# Sized for an API whose answers take milliseconds and whose slow reads take seconds.
_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

# A gauge read at scrape time: its help text and how to read it (None: unknown now).
Gauges = Mapping[str, tuple[str, Callable[[], float | None]]]


class AppMetrics:
    """The metrics of one app."""

    def __init__(self, gauges: Gauges | None = None) -> None:
        self.registry = CollectorRegistry()
        self.requests = Histogram(
            "careledger_http_request_duration_seconds",
            "Time to answer a request, by route and status",
            ["method", "route", "status"],
            buckets=_BUCKETS,
            registry=self.registry,
        )
        self._counters: dict[str, Counter] = {}
        if gauges:
            self.registry.register(ScrapedGauges(gauges))

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        """Counts one answered request."""
        self.requests.labels(method, route, str(status)).observe(seconds)

    def count(self, name: str, help_text: str, amount: float = 1) -> None:
        """Adds to the counter `name` (created at its first use)."""
        counter = self._counters.get(name)
        if counter is None:
            counter = self._counters[name] = Counter(name, help_text, registry=self.registry)
        counter.inc(amount)

    def text(self) -> bytes:
        """The exposition text a Prometheus server scrapes."""
        return generate_latest(self.registry)


class ScrapedGauges(Collector):
    def __init__(self, gauges: Gauges) -> None:
        self.gauges = dict(gauges)

    def describe(self) -> list[Metric]:
        return []  # read lazily: nothing is asked of the database when registering

    def collect(self) -> Iterator[Metric]:
        for name, (help_text, read) in self.gauges.items():
            value = _read(read)
            if value is not None:
                yield GaugeMetricFamily(name, help_text, value=value)


def _read(read: Callable[[], float | None]) -> float | None:
    # A scrape must answer even while the database is down: /readyz is where that shows.
    try:
        return read()
    except Exception:
        return None


def metrics_of(extensions: Mapping[str, Any]) -> AppMetrics:
    """The app's metrics, from `app.extensions`."""
    metrics = extensions["careledger.metrics"]
    assert isinstance(metrics, AppMetrics)
    return metrics
