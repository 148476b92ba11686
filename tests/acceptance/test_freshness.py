"""Freshness: polls keep their interval whatever the channels do, and no link is left behind (issue 18)."""

from __future__ import annotations

import itertools
import os
import signal
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tests.acceptance.conftest import SECRET, run_monitor, write_config
from tests.support.hub import Hub
from tests.support.newsweb import OWN, NewsWeb
from tests.support.pages import Story, article_page, rss2
from tests.support.processes import free_port, service_running, start_service, wait_until
from tests.support.servers import FakeWeb, WebhookReceiver

ON_TOPIC = ("own-duma-vote", "own-senate-vote", "own-kursk-en", "own-more-troops-ru", "own-exchange")


def test_a_slow_webhook_does_not_delay_the_polls(tmp_path: Path, fake_web: FakeWeb, smtp: Any) -> None:
    web = NewsWeb(fake_web, [])
    web.outlets = web.outlets[:1]
    for index, example in enumerate(e for e in OWN if e["id"] in ON_TOPIC):
        web.add(web.outlets[0], example, index)
    web.publish()
    slow = WebhookReceiver(delay=2.0)  # five alerts: ten seconds of sending
    with slow.running():
        body = web.config(webhook_url=slow.url, secret=SECRET, smtp_port=smtp.port, interval="2s")
        config = write_config(tmp_path / "monitor.toml", body)
        with service_running(config, f"sqlite:///{tmp_path / 'db.sqlite'}", cwd=tmp_path) as service:
            wait_until(lambda: len(slow.posts) >= 1, 90, [service])
            sending_from = len(fake_web.requests)
            wait_until(lambda: len(slow.posts) >= 5, 60, [service])
            feed, seen = web.outlets[0].entry, list(zip(fake_web.requests, fake_web.arrivals, strict=True))
            during = [at for index, ((path, _), at) in enumerate(seen) if path == feed and index >= sending_from]
    gaps = [b - a for a, b in itertools.pairwise(during)]
    assert len(during) >= 3, during  # it kept polling while the alerts were being sent
    assert max(gaps) <= 2.0 + 1.0, gaps  # every 2 s, give or take a second


def test_links_beyond_one_poll_wait_in_the_backlog_and_are_all_taken(
    tmp_path: Path, fake_web: FakeWeb, webhook: WebhookReceiver
) -> None:
    published = datetime(2024, 11, 5, tzinfo=UTC)
    stories = [
        Story(f"n{k}", f"/news/item-{k}", f"Harvest report {k}", f"Farmers in district {k} reported the grain harvest. "
              f"The regional office counted {k} new silos this year.", "en", published - timedelta(minutes=k))
        for k in range(45)
    ]  # fmt: skip
    for story in stories:
        fake_web.add(story.path, article_page("outlet", story))
    fake_web.add("/feed.xml", rss2("outlet", fake_web.base, stories), content_type="application/rss+xml")
    body = (
        "[service]\nmax_new_per_source = 20\nextract_workers = 1\n[fetch]\nhost_interval = 0\n"
        f'[[sources]]\nname = "outlet"\nurl = "{fake_web.base}/feed.xml"\n'
        f'[[channels]]\nname = "hook"\ntype = "webhook"\nurl = "{webhook.url}"\n'
    )
    config = write_config(tmp_path / "monitor.toml", body)
    database = f"sqlite:///{tmp_path / 'db.sqlite'}"
    fetched = []
    for _ in range(3):  # the feed never changes: the second and third polls are answered 304
        assert run_monitor("run", "--once", config=config, database_url=database).code == 0
        fetched.append(sum(1 for p in fake_web.paths_requested() if p.startswith("/news/")))
        if len(fetched) == 1:
            listing = run_monitor("sources", config=config, database_url=database).stdout
            assert "backlog 25 links" in listing
    assert fetched == [20, 40, 45]
    feed_answers = [h for p, h in fake_web.requests if p == "/feed.xml"]
    assert len(feed_answers) == 3 and all("If-None-Match" in h for h in feed_answers[1:])
    newest_first = [p for p in fake_web.paths_requested() if p.startswith("/news/")]
    assert newest_first[:20] and set(newest_first[:20]) == {s.path for s in stories[:20]}


def test_links_waiting_for_a_polite_site_do_not_hold_back_another_site(tmp_path: Path, fake_web: FakeWeb) -> None:
    """24 links on one site at 1 s apart; one link on another site is fetched at once, not behind them."""
    when = datetime(2024, 11, 5, tzinfo=UTC)
    busy = [Story(f"b{k}", f"/busy/{k}", f"Report {k}", f"Text of report {k}. " * 20, "en", when) for k in range(24)]
    for story in busy:
        fake_web.add(story.path, article_page("busy", story))
    fake_web.add("/feed.xml", rss2("busy", fake_web.base, busy), content_type="application/rss+xml")
    with FakeWeb(host="127.0.0.2", port=fake_web.port).running() as quiet:
        lone = Story("q", "/quiet/1", "Quiet report", "Text of the quiet report. " * 20, "en", when)
        quiet.add(lone.path, article_page("quiet", lone))
        quiet.add("/feed.xml", rss2("quiet", quiet.base, [lone]), content_type="application/rss+xml")
        body = (
            '[fetch]\nhost_interval = "1s"\n'
            f'[[sources]]\nname = "busy"\nurl = "{fake_web.base}/feed.xml"\n'
            f'[[sources]]\nname = "quiet"\nurl = "{quiet.base}/feed.xml"\n'
        )
        config = write_config(tmp_path / "monitor.toml", body)
        service = start_service(config, f"sqlite:///{tmp_path / 'db.sqlite'}", cwd=tmp_path)
        try:
            wait_until(lambda: "/feed.xml" in quiet.paths_requested(), 60, [service])
            feed_read = time.monotonic()
            wait_until(lambda: lone.path in quiet.paths_requested(), 20, [service])
            waited = time.monotonic() - feed_read
            busy_fetched = sum(1 for p in fake_web.paths_requested() if p.startswith("/busy/"))
        finally:
            os.killpg(service.pid, signal.SIGKILL)  # the busy site's queue would take 24 s to drain
            service.communicate(timeout=10)
    assert waited < 3.0, waited  # its own site's turn, within a second or two
    assert busy_fetched < 10, busy_fetched  # ...while the busy site's links were still waiting


def test_a_feed_with_a_hub_is_pushed_signed_and_alerted_in_seconds(
    tmp_path: Path, fake_web: FakeWeb, webhook: WebhookReceiver
) -> None:
    when = datetime(2024, 11, 5, tzinfo=UTC)
    first = Story(
        "h1", "/news/harvest", "Farmers expect a record harvest", "The grain harvest is early. " * 10, "en", when
    )
    later = next(e for e in OWN if e["id"] == "own-kursk-en")
    pushed = Story("k1", "/news/kursk", str(later["title"]), str(later["text"]), "en", when + timedelta(hours=1))
    feed_url = f"{fake_web.base}/feed.xml"
    with Hub(lease_seconds=3600).running() as hub:
        links = {"Link": f'<{hub.url}>; rel="hub", <{feed_url}>; rel="self"'}
        fake_web.add(first.path, article_page("outlet", first))
        fake_web.add(
            "/feed.xml", rss2("outlet", fake_web.base, [first]), content_type="application/rss+xml", headers=links
        )
        port = free_port()
        body = (
            f'[web]\nlisten = "127.0.0.1:{port}"\n'
            f'[service]\npublic_url = "http://127.0.0.1:{port}"\nmin_interval = "1s"\nmax_interval = "1h"\n'
            'deliver_interval = "1s"\n[fetch]\nhost_interval = 0\nallow_private = ["127.0.0.1"]\n'
            f'[[sources]]\nname = "outlet"\nurl = "{feed_url}"\n'
            f'[[channels]]\nname = "hook"\ntype = "webhook"\nurl = "{webhook.url}"\n'
        )
        config = write_config(tmp_path / "monitor.toml", body)
        with service_running(config, f"sqlite:///{tmp_path / 'db.sqlite'}", cwd=tmp_path) as service:
            wait_until(hub.event.is_set, 60, [service])  # subscribed, and the intent verified
            (subscriber,) = hub.subscribers.values()
            assert subscriber.verified and subscriber.topic == feed_url and len(subscriber.secret) >= 32
            assert hub.requests[0]["hub.callback"].startswith(f"http://127.0.0.1:{port}/websub/")
            polls = sum(1 for p in fake_web.paths_requested() if p == "/feed.xml")

            fake_web.add(pushed.path, article_page("outlet", pushed))
            content = rss2("outlet", fake_web.base, [pushed, first])
            assert hub.publish(feed_url, content, sign=None) == [403]  # unsigned: refused
            assert hub.publish(feed_url, content, sign="wrong") == [403]  # wrongly signed: refused
            time.sleep(1.0)
            assert webhook.posts == [] and pushed.path not in fake_web.paths_requested()

            published = time.monotonic()
            assert hub.publish(feed_url, content) == [202]
            wait_until(lambda: len(webhook.posts) >= 1, 15, [service])
            took = time.monotonic() - published
            # Pushed, not polled: no new poll of the feed was needed (the next is an hour away).
            assert sum(1 for p in fake_web.paths_requested() if p == "/feed.xml") == polls
    assert took < 5.0, took
    assert [p["topic"] for p in webhook.payloads()] == ["dprk-troop-deployment"]
