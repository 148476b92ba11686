"""The delivery loop against a real webhook endpoint and a real SMTP server, with an injected clock."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from monitor.alerts import DeliveryPolicy, build_channels, deliver_pending, send_digest
from monitor.scheduler import next_digest
from monitor.settings import EmailSettings, WebhookSettings
from monitor.store import Store, open_store
from tests.support.servers import WebhookReceiver, body_of, smtp_sink
from tests.support.store import add_alert


def mail_settings(port: int, **extra: Any) -> EmailSettings:
    return EmailSettings(
        name="mail", type="email", to=("d@x.test",), sender="m@x.test", smtp_host="127.0.0.1", smtp_port=port, **extra
    )


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2024, 11, 5, 12, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    opened = open_store(database_url)
    yield opened
    opened.close()


async def test_sent_once_retried_with_backoff_then_failed_for_good(store: Store) -> None:
    clock = Clock()
    policy = DeliveryPolicy(attempts=3, backoff=60, jitter=0)
    receiver = WebhookReceiver(status=503)
    with receiver.running(), smtp_sink() as sink:
        settings: list[Any] = [WebhookSettings(name="hook", type="webhook", url=receiver.url), mail_settings(sink.port)]
        async with httpx.AsyncClient() as client:
            channels = build_channels(settings, client, clock)
            alert_id = add_alert(store, clock(), ["hook", "mail"])
            first = await deliver_pending(store, channels, clock=clock, policy=policy)
            assert (first.sent, first.failed) == (1, 1)
            assert len(sink.messages) == 1 and len(receiver.posts) == 1
            # Not due yet: nothing is sent, and the email is never sent twice.
            assert (await deliver_pending(store, channels, clock=clock, policy=policy)).failed == 0
            clock.now += timedelta(seconds=60)
            assert (await deliver_pending(store, channels, clock=clock, policy=policy)).failed == 1
            clock.now += timedelta(seconds=119)
            assert (await deliver_pending(store, channels, clock=clock, policy=policy)).failed == 0  # backoff doubled
            clock.now += timedelta(seconds=1)
            assert (await deliver_pending(store, channels, clock=clock, policy=policy)).failed == 1
            clock.now += timedelta(days=1)
            assert (await deliver_pending(store, channels, clock=clock, policy=policy)).failed == 0
    rows = {r.channel: r for r in store.outbox.rows()}
    assert rows["mail"].status == "sent" and rows["mail"].attempts == 1
    assert rows["hook"].status == "failed" and rows["hook"].attempts == 3 and "HTTP 503" in str(rows["hook"].last_error)
    assert len(sink.messages) == 1 and len(receiver.posts) == 3
    assert {headers["webhook-id"] for headers, _ in receiver.posts} == {alert_id}


async def test_webhook_without_secret_is_unsigned_and_refused_connection_is_recorded(store: Store) -> None:
    clock = Clock()
    receiver = WebhookReceiver()
    with receiver.running():
        settings: list[Any] = [
            WebhookSettings(name="ok", type="webhook", url=receiver.url),
            WebhookSettings(name="dead", type="webhook", url="http://127.0.0.1:9/hook"),
        ]
        async with httpx.AsyncClient() as client:
            channels = build_channels(settings, client, clock)
            add_alert(store, clock(), ["ok", "dead"])
            report = await deliver_pending(store, channels, clock=clock, policy=DeliveryPolicy())
    assert (report.sent, report.failed) == (1, 1)
    headers, _ = receiver.posts[0]
    assert "webhook-signature" not in {k.lower() for k in headers}
    dead = next(r for r in store.outbox.rows() if r.channel == "dead")
    assert dead.status == "pending" and "ConnectError" in str(dead.last_error)


async def test_email_logs_in_when_the_server_requires_it(store: Store) -> None:
    clock = Clock()
    with smtp_sink(login=("desk", "s3cret")) as sink:
        port = sink.port
        good = EmailSettings(
            name="mail",
            type="email",
            to=("d@x.test",),
            sender="m@x.test",
            smtp_host="127.0.0.1",
            smtp_port=port,
            username="desk",
            password="s3cret",
        )
        bad = EmailSettings(
            name="anon", type="email", to=("d@x.test",), sender="m@x.test", smtp_host="127.0.0.1", smtp_port=port
        )
        async with httpx.AsyncClient() as client:
            channels = build_channels([good, bad], client, clock)
            add_alert(store, clock(), ["mail", "anon"])
            report = await deliver_pending(store, channels, clock=clock, policy=DeliveryPolicy())
    assert (report.sent, report.failed) == (1, 1)
    assert sink.logged_in == "desk" and len(sink.messages) == 1
    anon = next(r for r in store.outbox.rows() if r.channel == "anon")
    assert anon.status == "pending" and "530" in str(anon.last_error)


async def deliver_until_done(
    store: Store, channels: dict[str, Any], clock: Clock, policy: DeliveryPolicy, metrics: Any = None
) -> None:
    """Run the loop as the service would, jumping the clock to each next attempt."""
    for _ in range(20):
        await deliver_pending(store, channels, clock=clock, policy=policy, metrics=metrics)
        pending = [r for r in store.outbox.rows() if r.status == "pending"]
        if not pending:
            return
        clock.now += timedelta(hours=2)


async def test_503_three_times_then_200_is_delivered_once_after_four_attempts(store: Store) -> None:
    clock = Clock()
    receiver = WebhookReceiver(script=[503, 503, 503])
    with receiver.running():
        async with httpx.AsyncClient() as client:
            channels = build_channels([WebhookSettings(name="hook", type="webhook", url=receiver.url)], client, clock)
            alert_id = add_alert(store, clock(), ["hook"])
            await deliver_until_done(store, channels, clock, DeliveryPolicy(attempts=8, jitter=0))
    (row,) = store.outbox.rows()
    assert (row.status, row.attempts, row.last_error) == ("sent", 4, None)
    assert [h["webhook-id"] for h, _ in receiver.posts] == [alert_id] * 4


async def test_404_is_retried_then_failed_with_its_status_never_sent(store: Store) -> None:
    clock = Clock()
    receiver = WebhookReceiver(status=404)
    with receiver.running():
        async with httpx.AsyncClient() as client:
            channels = build_channels([WebhookSettings(name="hook", type="webhook", url=receiver.url)], client, clock)
            add_alert(store, clock(), ["hook"])
            await deliver_until_done(store, channels, clock, DeliveryPolicy(attempts=4, jitter=0))
    (row,) = store.outbox.rows()
    assert (row.status, row.attempts) == ("failed", 4) and "HTTP 404" in str(row.last_error)
    assert len(receiver.posts) == 4


async def test_retry_after_and_max_age_are_honoured(store: Store) -> None:
    clock = Clock()
    receiver = WebhookReceiver(status=429, headers={"Retry-After": "600"})
    policy = DeliveryPolicy(attempts=10, backoff=1, jitter=0, max_age=1800)
    with receiver.running():
        async with httpx.AsyncClient() as client:
            channels = build_channels([WebhookSettings(name="hook", type="webhook", url=receiver.url)], client, clock)
            add_alert(store, clock(), ["hook"])
            await deliver_pending(store, channels, clock=clock, policy=policy)
            clock.now += timedelta(seconds=599)
            await deliver_pending(store, channels, clock=clock, policy=policy)
            assert len(receiver.posts) == 1  # the receiver asked for ten minutes, not our one second
            clock.now += timedelta(seconds=1)
            await deliver_pending(store, channels, clock=clock, policy=policy)
            clock.now += timedelta(seconds=1200)  # the alert is now older than max_age
            await deliver_pending(store, channels, clock=clock, policy=policy)
    (row,) = store.outbox.rows()
    assert (row.status, row.attempts) == ("failed", 3) and "HTTP 429" in str(row.last_error)


async def test_a_digest_groups_an_hours_alerts_into_one_message_per_channel(store: Store) -> None:
    clock = Clock()  # 12:00 UTC
    receiver = WebhookReceiver()
    with receiver.running(), smtp_sink() as sink:
        settings: list[Any] = [
            WebhookSettings(name="hook", type="webhook", url=receiver.url, mode="hourly"),
            mail_settings(sink.port, mode="daily at 13:00", timezone="Europe/Kyiv"),
        ]
        async with httpx.AsyncClient() as client:
            channels = build_channels(settings, client, clock)
            for n, (minutes, topic) in enumerate(((5, "t"), (20, "u"), (50, "t"))):  # two topics, three stories
                clock.now = datetime(2024, 11, 5, 12, minutes, tzinfo=UTC)
                add_alert(store, clock(), ["hook", "mail"], n, topic)
                assert (await deliver_pending(store, channels, clock=clock, policy=DeliveryPolicy())).sent == 0
            assert receiver.posts == [] and sink.messages == []
            hourly = next_digest("hourly", "UTC", clock())
            daily = next_digest("daily at 13:00", "Europe/Kyiv", clock())
            assert hourly == datetime(2024, 11, 5, 13, 0, tzinfo=UTC)
            assert daily.astimezone(UTC) == datetime(2024, 11, 6, 11, 0, tzinfo=UTC)  # 13:00 in Kyiv (UTC+2)
            clock.now = hourly
            assert (await send_digest(store, channels["hook"], clock=clock, policy=DeliveryPolicy())).sent == 3
            clock.now = daily
            assert (await send_digest(store, channels["mail"], clock=clock, policy=DeliveryPolicy())).sent == 3
            assert (await send_digest(store, channels["mail"], clock=clock, policy=DeliveryPolicy())).sent == 0
    assert len(receiver.posts) == 1 and len(sink.messages) == 1
    digest = receiver.payloads()[0]
    assert digest["kind"] == "digest" and len(digest["alerts"]) == 3
    text = body_of(sink.messages[0], "plain")
    assert "3 alerts for mail" in text and "== t (2 stories)" in text and "== u (1 stories)" in text
    assert all(r.status == "sent" for r in store.outbox.rows())


async def test_delivery_outcomes_are_counted_for_prometheus(store: Store) -> None:
    from monitor.alerts import Metrics

    clock = Clock()
    metrics = Metrics()
    receiver = WebhookReceiver(script=[500])
    with receiver.running():
        async with httpx.AsyncClient() as client:
            channels = build_channels([WebhookSettings(name="hook", type="webhook", url=receiver.url)], client, clock)
            add_alert(store, clock(), ["hook"])
            await deliver_until_done(store, channels, clock, DeliveryPolicy(jitter=0), metrics)
            with socket.socket() as probe:
                probe.bind(("127.0.0.1", 0))
                port = probe.getsockname()[1]
            metrics.serve(port)
            scraped = (await client.get(f"http://127.0.0.1:{port}/metrics")).text
    assert 'monitor_deliveries_total{channel="hook",outcome="retry"} 1.0' in scraped
    assert 'monitor_deliveries_total{channel="hook",outcome="sent"} 1.0' in scraped
