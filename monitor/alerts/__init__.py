"""Alerts: rendering (payload, email), channels (webhook, email) and the delivery loop."""

from monitor.alerts.channels import Channel, EmailChannel, WebhookChannel, build_channels
from monitor.alerts.deliver import DeliveryPolicy, deliver_pending

__all__ = ["Channel", "DeliveryPolicy", "EmailChannel", "WebhookChannel", "build_channels", "deliver_pending"]
