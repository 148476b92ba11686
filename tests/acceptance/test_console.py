"""The web console and JSON API over a real service run, and in a real browser (Debian's Chromium)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.acceptance.conftest import SECRET, write_config
from tests.support.newsweb import OWN, NewsWeb
from tests.support.processes import free_port, service_running, wait_until
from tests.support.servers import FakeWeb, WebhookReceiver

CHROMIUM = "/usr/bin/chromium"
TOPICS = ("treaty-ratification", "dprk-troop-deployment")


@dataclass
class Running:
    base: str
    web: NewsWeb
    webhook: WebhookReceiver


@pytest.fixture
def running(tmp_path: Path, fake_web: FakeWeb, webhook: WebhookReceiver, smtp: Any) -> Iterator[Running]:
    """`monitor run` with [web] on a free port, after its first cycle alerted."""
    web = NewsWeb(fake_web, [e for e in OWN if e["id"] in ("own-duma-vote", "own-kursk-en", "own-harvest-en")])
    web.outlets = web.outlets[:3]  # one story each
    web.publish()
    port = free_port()
    body = web.config(webhook_url=webhook.url, secret=SECRET, smtp_port=smtp.port, interval="1h")
    config = write_config(tmp_path / "monitor.toml", f'[web]\nlisten = "127.0.0.1:{port}"\n{body}')
    with service_running(config, f"sqlite:///{tmp_path / 'db.sqlite'}", cwd=tmp_path) as service:
        wait_until(lambda: len({p["topic"] for p in webhook.payloads()}) >= 2, 90, [service])
        yield Running(f"http://127.0.0.1:{port}", web, webhook)


def test_every_endpoint_answers_as_the_contract_says(running: Running) -> None:
    with httpx.Client(base_url=running.base, timeout=30) as client:
        health = client.get("/healthz")
        assert health.status_code == 200
        body = health.json()
        assert body["status"] == "ok" and body["database"] == "ok" and body["last_poll"]
        assert isinstance(body["pending_deliveries"], int)

        metrics = client.get("/metrics").text
        for name in (
            'monitor_deliveries_total{channel="hook",outcome="sent"}',
            "monitor_deliveries_pending",
            'outcome="ok"',
            "monitor_polls_total{",
            "monitor_articles_stored 3.0",
            'monitor_alerts_total{kind="match",topic="treaty-ratification"} 1.0',
            'monitor_source_health{source="',
            "monitor_extraction_seconds_count 3.0",
        ):
            assert name in metrics, name

        sources = client.get("/api/sources").json()
        assert {s["name"] for s in sources} == {o.name for o in running.web.outlets}
        keys = {
            "name",
            "url",
            "kind",
            "health",
            "last_poll",
            "next_poll",
            "backlog",
            "polls",
            "not_modified",
            "last_error",
        }
        assert all(keys <= set(s) for s in sources) and all(s["health"] == "ok" and s["polls"] == 1 for s in sources)

        stories = client.get("/api/stories", params={"limit": 2}).json()
        assert len(stories) == 2
        story = stories[0]
        assert {"id", "headline", "first_seen", "last_seen", "copies", "alerts"} <= set(story)
        assert {"source", "url", "language", "joined_by"} <= set(story["copies"][0])
        assert story["copies"][0]["joined_by"] == "new-story"

        alerts = client.get("/api/alerts", params={"limit": 10}).json()
        assert {a["topic"] for a in alerts} == set(TOPICS)
        alert = alerts[0]
        assert {"id", "topic", "kind", "created", "article", "deliveries"} <= set(alert)
        assert {"title", "url", "source", "language", "published"} <= set(alert["article"])
        delivery = alert["deliveries"][0]
        assert {"channel", "status", "attempts", "next_attempt", "last_error"} <= set(delivery)
        assert delivery["status"] == "sent"

        sent = client.post(f"/api/alerts/{alert['id']}/retry")
        assert sent.status_code == 200 and sent.json()["due_again"] == 0  # sent deliveries are not repeated
        assert client.post("/api/alerts/no-such-alert/retry").status_code == 404

        text = "The State Duma voted on Thursday to ratify the partnership treaty with North Korea."
        tested = client.post("/api/topics/test", json={"title": "Duma vote", "text": text}).json()
        verdicts = {r["topic"]: r for r in tested}
        treaty = verdicts["treaty-ratification"]
        assert treaty["verdict"] == "match" and treaty["score"] >= 1 and treaty["rule"]
        assert any(
            e["term"] == "ratif*" and e["sentence"][e["start"] : e["end"]] == "ratify" for e in treaty["evidence"]
        )
        assert verdicts["dprk-troop-deployment"]["verdict"] == "no match"
        assert verdicts["dprk-troop-deployment"]["rule"].startswith("nearest rule") or verdicts[
            "dprk-troop-deployment"
        ]["rule"].startswith('rule "')  # a miss says which rule came nearest

        page = next(story for o in running.web.outlets for story in o.stories if "Duma" in story.text)
        by_url = client.post("/api/topics/test", json={"url": f"{running.web.web.base}{page.path}"})
        assert by_url.status_code == 200 and any(r["verdict"] == "match" for r in by_url.json())
        assert client.post("/api/topics/test", json={}).status_code == 400
        assert client.post("/api/topics/test", json={"url": f"{running.web.web.base}/missing"}).status_code == 422


def test_a_delivery_retried_from_the_api_is_sent_again(tmp_path: Path, fake_web: FakeWeb, smtp: Any) -> None:
    """A refusing webhook leaves the alert pending; retry makes it due now, and the service sends it."""
    refusing = WebhookReceiver(script=[500] * 3)
    with refusing.running():
        web = NewsWeb(fake_web, [e for e in OWN if e["id"] == "own-duma-vote"])
        web.outlets = web.outlets[:1]
        web.publish()
        port = free_port()
        body = web.config(webhook_url=refusing.url, secret=SECRET, smtp_port=smtp.port, interval="1h")
        body = body.replace('retry_backoff = "1s"', 'retry_backoff = "1h"')  # without retry: an hour away
        config = write_config(tmp_path / "monitor.toml", f'[web]\nlisten = "127.0.0.1:{port}"\n{body}')
        database = f"sqlite:///{tmp_path / 'db.sqlite'}"
        with service_running(config, database, cwd=tmp_path) as service, httpx.Client(timeout=30) as client:
            wait_until(lambda: len(refusing.posts) >= 1, 90, [service])
            alerts = client.get(f"http://127.0.0.1:{port}/api/alerts").json()
            (alert,) = [a for a in alerts if a["kind"] == "match"]
            hook = next(d for d in alert["deliveries"] if d["channel"] == "hook")
            assert hook["status"] == "pending" and hook["next_attempt"]
            retried = client.post(f"http://127.0.0.1:{port}/api/alerts/{alert['id']}/retry")
            assert retried.json()["due_again"] >= 1
            wait_until(lambda: len(refusing.posts) >= 2, 30, [service])  # the delivery job takes it now


async def test_healthz_is_503_with_the_reason_when_the_database_is_gone() -> None:
    from monitor.metrics import Metrics
    from monitor.store import Store
    from monitor.store.engine import make_engine
    from monitor.topics import TopicMatcher, load_rulebook
    from monitor.web import Console, WebServer, build_app
    from tests.conftest import ROOT

    store = Store(make_engine("postgresql+psycopg://nobody@127.0.0.1:9/gone"))  # nothing listens on port 9

    async def never(url: str) -> tuple[str, str]:
        raise AssertionError(url)

    matcher = TopicMatcher(load_rulebook(ROOT / "config" / "topics.toml"))
    console = Console(store=store, matcher=matcher, metrics=Metrics(), clock=lambda: None, read_url=never)  # type: ignore[arg-type,return-value]
    server = WebServer(build_app(console), "127.0.0.1", 0)
    await server.start()
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.port}") as client:
            answer = await client.get("/healthz")
            api = await client.get("/api/sources")
    finally:
        await server.stop()
    assert answer.status_code == 503
    assert answer.json()["status"] == "error" and "unreachable" in answer.json()["database"]
    assert api.status_code == 503 and "database unavailable" in api.json()["error"]


def _browser() -> Any:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: .ci/run installs Debian's chromium")
        pytest.skip(f"no {CHROMIUM}")
    playwright = pytest.importorskip("playwright.sync_api")
    return playwright.sync_playwright()


def test_the_console_in_a_browser(running: Running, tmp_path: Path) -> None:
    flags = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
             "--disable-sync", "--no-first-run", "--disable-quic"]  # fmt: skip
    with _browser() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=flags)
        try:
            page = browser.new_page()
            page.goto(f"{running.base}/")
            assert "Service ok" in page.inner_text("#health")
            assert page.locator("#recent-alerts li").count() >= 2

            page.click("text=Sources")
            assert page.locator("#sources tr").count() == 1 + len(running.web.outlets)
            page.click("text=Stories")
            assert page.locator("section.story").count() == 3

            page.click("text=Alerts")
            assert page.locator("#alerts tr").count() >= 3
            page.screenshot(path=str(tmp_path / "alerts.png"), full_page=True)

            page.click("text=Topic test")
            page.fill("textarea[name=text]", "North Korean troops were sent to Russia's Kursk region, Seoul said.")
            page.click("#test")
            result = page.locator("#result-dprk-troop-deployment")
            assert "match" in result.inner_text() and "no match" not in result.locator("h2").inner_text()
            assert result.locator("mark").count() >= 2  # the evidence, highlighted
            assert "no match" in page.locator("#result-treaty-ratification h2").inner_text()
        finally:
            browser.close()


def test_retry_from_the_alerts_page(tmp_path: Path, fake_web: FakeWeb, smtp: Any) -> None:
    refusing = WebhookReceiver(script=[500] * 5)
    with refusing.running(), _browser() as playwright:
        web = NewsWeb(fake_web, [e for e in OWN if e["id"] == "own-kursk-en"])
        web.outlets = web.outlets[:1]
        web.publish()
        port = free_port()
        body = web.config(webhook_url=refusing.url, secret=SECRET, smtp_port=smtp.port, interval="1h")
        body = body.replace('retry_backoff = "1s"', 'retry_backoff = "1h"')
        config = write_config(tmp_path / "monitor.toml", f'[web]\nlisten = "127.0.0.1:{port}"\n{body}')
        with service_running(config, f"sqlite:///{tmp_path / 'db.sqlite'}", cwd=tmp_path) as service:
            wait_until(lambda: len(refusing.posts) >= 1, 90, [service])
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
            try:
                page = browser.new_page()
                page.goto(f"http://127.0.0.1:{port}/alerts")
                assert "pending" in page.inner_text("#alerts")
                page.click("text=Retry")
                assert "are due again" in page.inner_text("#flash")
                wait_until(lambda: len(refusing.posts) >= 2, 30, [service])
            finally:
                browser.close()
