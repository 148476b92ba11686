"""The delivery loops: pending outbox rows -> channels -> outcome recorded.

A delivery is marked sent right after its channel confirmed it, in its own transaction,
so a success is never repeated; a process killed between the send and that mark resends
the same alert id at most once. A failure is retried with exponential backoff and jitter
(or after the receiver's Retry-After, if longer) until `attempts` is reached or the alert
is older than `max_age`; then it is marked failed with its last error, never dropped.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from monitor.alerts.channels import Channel
from monitor.domain import AlertView, Delivery
from monitor.errors import DeliveryError
from monitor.metrics import Metrics
from monitor.store import Store

log = logging.getLogger("monitor.alerts")


@dataclass(frozen=True)
class DeliveryPolicy:
    attempts: int = 8
    backoff: float = 30.0  # seconds before the 2nd attempt; doubles each time
    max_backoff: float = 3600.0
    jitter: float = 0.2  # +- this share of the backoff, so retries of many alerts spread out
    max_age: float = 172800.0
    claim: float = 60.0  # seconds a delivery being sent is kept from other senders
    rng: random.Random = field(default_factory=random.Random, compare=False)

    def retry_at(
        self, now: datetime, attempts_made: int, *, created: datetime, retry_after: float | None = None
    ) -> datetime | None:
        """When to try again, or None when the delivery has had its chances."""
        if attempts_made >= self.attempts or (now - created).total_seconds() >= self.max_age:
            return None
        wait = min(self.max_backoff, self.backoff * 2 ** (attempts_made - 1))
        wait *= 1 + self.jitter * self.rng.uniform(-1, 1)
        return now + timedelta(seconds=max(wait, retry_after or 0))


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    sent: int = 0
    failed: int = 0


def _record_failure(
    store: Store,
    delivery: Delivery,
    alert: AlertView,
    error: DeliveryError,
    *,
    now: datetime,
    policy: DeliveryPolicy,
    metrics: Metrics | None,
) -> None:
    retry_at = policy.retry_at(now, delivery.attempts + 1, created=alert.created, retry_after=error.retry_after)
    store.outbox.finish(delivery.id, now=now, error=str(error), retry_at=retry_at)
    if metrics:
        metrics.delivery(delivery.channel, "retry" if retry_at else "failed")
    log.warning(
        "delivery failed",
        extra={
            "stage": "deliver",
            "action": "retry" if retry_at else "give-up",
            "channel": delivery.channel,
            "alert": alert.id,
            "attempts": delivery.attempts + 1,
            "error": str(error),
        },
    )


async def deliver_pending(
    store: Store,
    channels: Mapping[str, Channel],
    *,
    clock: Callable[[], datetime],
    policy: DeliveryPolicy,
    due_before: datetime | None = None,
    batch: int = 500,
    metrics: Metrics | None = None,
) -> DeliveryReport:
    """Send one batch of the pending deliveries of immediate channels due by `due_before` (default: now)."""
    immediate = {name: channel for name, channel in channels.items() if not channel.is_digest}
    sent = failed = 0
    for delivery_id in store.outbox.due(clock(), immediate, due_before=due_before, limit=batch):
        # One claim at a time: a crash leaves at most the delivery being sent claimed.
        claimed = store.outbox.claim(clock(), immediate, due_before=due_before, ids=[delivery_id], hold=policy.claim)
        if not claimed:
            continue  # another loop or instance took it meanwhile
        delivery = claimed[0]
        alert = store.outbox.view(delivery.alert_id)
        try:
            await immediate[delivery.channel].send(alert)
        except DeliveryError as exc:
            failed += 1
            _record_failure(store, delivery, alert, exc, now=clock(), policy=policy, metrics=metrics)
            continue
        sent += 1
        store.outbox.finish(delivery.id, now=clock(), error=None, retry_at=None)
        if metrics:
            metrics.delivery(delivery.channel, "sent")
        log.info(
            "alert sent",
            extra={
                "stage": "deliver",
                "action": "sent",
                "channel": delivery.channel,
                "alert": alert.id,
                "topic": alert.topic,
                "url": alert.article.url,
            },
        )
    return DeliveryReport(sent=sent, failed=failed)


async def send_digest(
    store: Store,
    channel: Channel,
    *,
    clock: Callable[[], datetime],
    policy: DeliveryPolicy,
    metrics: Metrics | None = None,
) -> DeliveryReport:
    """Everything pending for a digest channel, as one message grouped by topic and story."""
    deliveries = store.outbox.claim(clock(), [channel.name], limit=1000, hold=policy.claim)
    if not deliveries:
        return DeliveryReport()
    alerts = [store.outbox.view(d.alert_id) for d in deliveries]
    digest_id = f"digest-{channel.name}-{deliveries[0].alert_id}"
    try:
        await channel.send_digest(alerts, digest_id)
    except DeliveryError as exc:
        for delivery, alert in zip(deliveries, alerts, strict=True):
            _record_failure(store, delivery, alert, exc, now=clock(), policy=policy, metrics=metrics)
        return DeliveryReport(failed=len(deliveries))
    for delivery in deliveries:
        store.outbox.finish(delivery.id, now=clock(), error=None, retry_at=None)
        if metrics:
            metrics.delivery(channel.name, "sent")
    log.info(
        "digest sent", extra={"stage": "deliver", "action": "digest", "channel": channel.name, "alerts": len(alerts)}
    )
    return DeliveryReport(sent=len(deliveries))
