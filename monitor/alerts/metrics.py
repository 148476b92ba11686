"""Prometheus counters for delivery outcomes, in a registry of their own (no global state)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, start_http_server


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self._deliveries = Counter(
            "monitor_deliveries",
            "Delivery attempts by channel and outcome (sent, retry, failed)",
            ["channel", "outcome"],
            registry=self.registry,
        )
        self.pending = Gauge("monitor_deliveries_pending", "Deliveries waiting to be sent", registry=self.registry)

    def delivery(self, channel: str, outcome: str) -> None:
        self._deliveries.labels(channel=channel, outcome=outcome).inc()

    def serve(self, port: int) -> None:
        """/metrics on 127.0.0.1:port (a thread of prometheus_client's own)."""
        start_http_server(port, addr="127.0.0.1", registry=self.registry)
