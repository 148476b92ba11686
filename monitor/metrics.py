"""Prometheus metrics in a registry of their own (no global state): what this process counted
(delivery attempts, extraction time) and what the database holds (polls, articles, alerts, health)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest, start_http_server
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from monitor.store.views import Totals

HEALTH_STATES = ("new", "ok", "stale", "failing", "blocked")


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self._deliveries = Counter(
            "monitor_deliveries",
            "Delivery attempts by channel and outcome (sent, retry, failed)",
            ["channel", "outcome"],
            registry=self.registry,
        )
        self._extraction = Histogram(
            "monitor_extraction_seconds",
            "Time from a fetched page to its extracted text and fingerprints (worker queue included)",
            buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
            registry=self.registry,
        )

    def delivery(self, channel: str, outcome: str) -> None:
        self._deliveries.labels(channel=channel, outcome=outcome).inc()

    def extraction(self, seconds: float) -> None:
        self._extraction.observe(seconds)

    def read_totals(self, totals: Callable[[], Totals]) -> None:
        """Add what the database holds to every scrape."""
        self.registry.register(_StoreCollector(totals))

    def text(self) -> bytes:
        return generate_latest(self.registry)

    def serve(self, port: int) -> None:
        """/metrics on 127.0.0.1:port (a thread of prometheus_client's own)."""
        start_http_server(port, addr="127.0.0.1", registry=self.registry)


class _StoreCollector(Collector):
    def __init__(self, totals: Callable[[], Totals]) -> None:
        self._totals = totals

    def collect(self) -> Iterator[CounterMetricFamily | GaugeMetricFamily]:
        now = self._totals()
        polls = CounterMetricFamily("monitor_polls", "Polls by source and outcome", labels=["source", "outcome"])
        for (source, outcome), count in sorted(now.polls.items()):
            polls.add_metric([source, outcome], count)
        alerts = CounterMetricFamily("monitor_alerts", "Alerts written by topic and kind", labels=["topic", "kind"])
        for (topic, kind), count in sorted(now.alerts.items()):
            alerts.add_metric([topic, kind], count)
        health = GaugeMetricFamily("monitor_source_health", "1 for a source's state", labels=["source", "state"])
        for source, state in sorted(now.health.items()):
            for each in HEALTH_STATES:
                health.add_metric([source, each], 1.0 if each == state else 0.0)
        deliveries = GaugeMetricFamily(
            "monitor_delivery_states", "Deliveries by channel and state", labels=["channel", "status"]
        )
        for (channel, status), count in sorted(now.deliveries.items()):
            deliveries.add_metric([channel, status], count)
        yield polls
        yield alerts
        yield health
        yield deliveries
        yield GaugeMetricFamily("monitor_articles_stored", "Articles stored", value=now.articles)
        yield GaugeMetricFamily("monitor_deliveries_pending", "Deliveries waiting to be sent", value=now.pending)
