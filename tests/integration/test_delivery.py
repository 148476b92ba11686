"""The delivery loop against a real webhook endpoint and a real SMTP server, with an injected clock."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from monitor.alerts import DeliveryPolicy, build_channels, deliver_pending
from monitor.dedupe import fingerprint
from monitor.domain import Article, Evidence, Match
from monitor.settings import EmailSettings, WebhookSettings
from monitor.store import Store, open_store
from tests.support.servers import WebhookReceiver, smtp_sink


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


def add_alert(store: Store, now: datetime, channels: list[str]) -> str:
    with store.transaction() as tx:
        story = tx.new_story("Title", now)
        article = Article(
            source="wire",
            url="https://w.test/1",
            canonical_url="https://w.test/1",
            title="Title",
            text="Body",
            language="en",
            published=now,
            fetched_at=now,
        )
        article_id = tx.add_article(article, fingerprint("Body"), story)
        match_id = tx.add_match(article_id, Match("t", 1.0, (Evidence("body", "Body.", 0, 4),)))
        alert = tx.add_alert(
            story_id=story, topic="t", article_id=article_id, match_id=match_id, channels=channels, now=now
        )
    assert alert is not None
    return alert


async def test_sent_once_retried_with_backoff_then_failed_for_good(store: Store) -> None:
    clock = Clock()
    policy = DeliveryPolicy(attempts=3, backoff=60, jitter=0)
    receiver = WebhookReceiver(status=503)
    with receiver.running(), smtp_sink() as sink:
        settings = [
            WebhookSettings(name="hook", type="webhook", url=receiver.url),
            EmailSettings(
                name="mail",
                type="email",
                to=("d@x.test",),
                sender="m@x.test",
                smtp_host="127.0.0.1",
                smtp_port=sink.port,
            ),  # type: ignore[attr-defined]
        ]
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
    rows = {r["channel"]: r for r in store.delivery_rows()}
    assert rows["mail"]["status"] == "sent" and rows["mail"]["attempts"] == 1
    assert (
        rows["hook"]["status"] == "failed"
        and rows["hook"]["attempts"] == 3
        and "HTTP 503" in str(rows["hook"]["last_error"])
    )
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
    dead = next(r for r in store.delivery_rows() if r["channel"] == "dead")
    assert dead["status"] == "pending" and "ConnectError" in str(dead["last_error"])


async def test_email_logs_in_when_the_server_requires_it(store: Store) -> None:
    clock = Clock()
    with smtp_sink(login=("desk", "s3cret")) as sink:
        port = sink.port  # type: ignore[attr-defined]
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
    assert sink.logged_in == "desk" and len(sink.messages) == 1  # type: ignore[attr-defined]
    anon = next(r for r in store.delivery_rows() if r["channel"] == "anon")
    assert anon["status"] == "pending" and "530" in str(anon["last_error"])
