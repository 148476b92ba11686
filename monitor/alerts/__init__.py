"""Alerts: rendering (payload, email, digests), channels (webhook, email, apprise), delivery."""

from monitor.alerts.channels import AppriseChannel, Channel, EmailChannel, WebhookChannel, build_channels
from monitor.alerts.deliver import DeliveryPolicy, deliver_pending, send_digest
from monitor.alerts.render import Renderer
from monitor.metrics import Metrics

__all__ = [
    "AppriseChannel",
    "Channel",
    "DeliveryPolicy",
    "EmailChannel",
    "Metrics",
    "Renderer",
    "WebhookChannel",
    "build_channels",
    "deliver_pending",
    "send_digest",
]
