"""The delivery loop: pending outbox rows -> channels -> outcome recorded.

A delivery is marked sent right after its channel accepted it, so a success is never
repeated; a failure is retried with exponential backoff until `attempts` is reached,
then marked failed with its last error (never dropped silently).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from monitor.alerts.channels import Channel
from monitor.errors import DeliveryError
from monitor.store import Store

log = logging.getLogger("monitor.alerts")


@dataclass(frozen=True, slots=True)
class DeliveryPolicy:
    attempts: int = 8
    backoff: float = 30.0  # seconds before the 2nd attempt; doubles each time

    def retry_at(self, now: datetime, attempts_made: int) -> datetime | None:
        if attempts_made >= self.attempts:
            return None
        return now + timedelta(seconds=self.backoff * 2 ** (attempts_made - 1))


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    sent: int = 0
    failed: int = 0


async def deliver_pending(
    store: Store,
    channels: Mapping[str, Channel],
    *,
    clock: Callable[[], datetime],
    policy: DeliveryPolicy,
    due_before: datetime | None = None,
    batch: int = 500,
) -> DeliveryReport:
    """Send one batch of the pending deliveries due by `due_before` (default: now)."""
    sent = failed = 0
    for delivery in store.due_deliveries(due_before or clock(), channels, limit=batch):
        alert = store.alert_view(delivery.alert_id)
        channel = channels[delivery.channel]
        try:
            await channel.send(alert)
        except DeliveryError as exc:
            failed += 1
            now = clock()
            retry_at = policy.retry_at(now, delivery.attempts + 1)
            store.finish_delivery(delivery.id, now=now, error=str(exc), retry_at=retry_at)
            log.warning(
                "delivery failed",
                extra={
                    "stage": "deliver",
                    "action": "retry" if retry_at else "give-up",
                    "channel": channel.name,
                    "alert": alert.id,
                    "error": str(exc),
                },
            )
            continue
        sent += 1
        store.finish_delivery(delivery.id, now=clock(), error=None, retry_at=None)
        log.info(
            "alert sent",
            extra={
                "stage": "deliver",
                "action": "sent",
                "channel": channel.name,
                "alert": alert.id,
                "topic": alert.topic,
                "url": alert.article.url,
            },
        )
    return DeliveryReport(sent=sent, failed=failed)
