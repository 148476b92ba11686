"""Bad input never stops a run: errors are recorded where they happened, the rest goes on."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.acceptance.conftest import SECRET, run_monitor, write_config
from tests.support.newsweb import OWN, NewsWeb
from tests.support.pages import empty_page
from tests.support.servers import FakeWeb, WebhookReceiver
from tests.support.store import rows


def test_broken_feed_dead_source_empty_page_and_refused_webhook(
    tmp_path: Path, database_url: str, fake_web: FakeWeb, smtp: Any
) -> None:
    good = [e for e in OWN if e["id"] in ("own-kursk-en", "own-in-force-uk")]
    web = NewsWeb(fake_web, good)
    web.outlets = [o for o in web.outlets if o.stories]
    web.publish()
    fake_web.add(
        "/broken/feed.xml", b"<html><body>Service temporarily unavailable <p>", content_type="application/rss+xml"
    )
    fake_web.add("/empty/news/2024/11/page-without-any-text-at-all", empty_page("Empty"))
    fake_web.add(
        "/empty/feed.xml",
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>E</title><item><title>Nothing</title>'
        f"<link>{fake_web.base}/empty/news/2024/11/page-without-any-text-at-all</link></item></channel></rss>".encode(),
        content_type="application/rss+xml",
    )
    refusing = WebhookReceiver(status=500)
    with refusing.running():
        body = web.config(webhook_url=refusing.url, secret=SECRET, smtp_port=smtp.port)
        body += f"""
[[sources]]
name = "broken-feed"
url = "{fake_web.base}/broken/feed.xml"
kind = "feed"

[[sources]]
name = "dead-outlet"
url = "{fake_web.base}/gone/rss.xml"

[[sources]]
name = "empty-pages"
url = "{fake_web.base}/empty/feed.xml"
"""
        config = write_config(tmp_path / "monitor.toml", body)
        result = run_monitor("run", "--once", config=config, database_url=database_url)

    assert result.code == 0, result.stderr
    errors = dict(rows(database_url, "SELECT name, last_error FROM sources"))
    assert "not a readable feed" in errors["broken-feed"]
    assert "HTTP 404" in errors["dead-outlet"]
    assert errors["empty-pages"] is None
    rejected = rows(database_url, "SELECT reason FROM articles WHERE status = 'rejected'")
    assert [r[0] for r in rejected] == ["no main text found"]
    # Every good source was processed and alerted by email...
    assert len(smtp.messages) == 2
    # ...while every webhook delivery stays pending with its error, to be retried later.
    hooks = rows(database_url, "SELECT status, attempts, last_error FROM deliveries WHERE channel = 'hook'")
    assert len(hooks) == 2 and all(r[0] == "pending" and r[1] == 3 and "HTTP 500" in r[2] for r in hooks)
    assert len(refusing.posts) == 6  # 2 alerts x 3 in-run attempts


@pytest.mark.parametrize(
    ("body", "key", "reason"),
    [
        (
            '[[sources]]\nname = "x"\nurl = "ftp://example.org/feed"\n',
            'sources."x".url',
            "must be an http:// or https:// URL",
        ),
        (
            '[[sources]]\nname = "x"\nurl = "http://example.org/"\ninterval = "soon"\n',
            'sources."x".interval',
            "not a duration",
        ),
        ('[service]\nintervall = "5m"\n', "service.intervall", "unknown key"),
        (
            '[[channels]]\nname = "c"\ntype = "webhook"\nurl = "http://h/"\nsecret = "${NO_SUCH_SECRET_VAR}"\n',
            "channels[0].secret",
            "NO_SUCH_SECRET_VAR is not set",
        ),
    ],
)
def test_invalid_config_exits_2_naming_file_key_and_reason(tmp_path: Path, body: str, key: str, reason: str) -> None:
    config = write_config(tmp_path / "bad.toml", body)
    result = run_monitor("run", "--once", config=config, database_url=f"sqlite:///{tmp_path / 'db.sqlite'}")
    assert result.code == 2
    line = result.stderr.strip().splitlines()[-1]
    assert str(config) in line and key in line and reason in line, line


def test_invalid_topic_rule_names_topics_file_and_key(tmp_path: Path) -> None:
    topics = tmp_path / "topics.toml"
    topics.write_text('[[topics]]\nname = "t"\n[[topics.rules]]\nall = ["nowhere"]\n', encoding="utf-8")
    config = tmp_path / "monitor.toml"
    config.write_text('topics_file = "topics.toml"\n', encoding="utf-8")
    result = run_monitor("run", "--once", config=config, database_url=f"sqlite:///{tmp_path / 'db.sqlite'}")
    assert result.code == 2
    assert f"{topics}: topics.\"t\".rules[0].all[0]: unknown list or group 'nowhere'" in result.stderr


def test_unreachable_database_exits_3_with_one_line(tmp_path: Path) -> None:
    config = write_config(tmp_path / "monitor.toml", "")
    result = run_monitor("run", "--once", config=config, database_url="postgresql+psycopg://nobody@127.0.0.1:9/none")
    assert result.code == 3
    assert result.stderr.strip().count("\n") == 0 and result.stderr.startswith("database error:")


def test_service_alerts_a_new_article_within_one_poll_interval(
    tmp_path: Path, fake_web: FakeWeb, webhook: WebhookReceiver, smtp: Any
) -> None:
    interval = 3.0
    first, later = (next(e for e in OWN if e["id"] == key) for key in ("own-harvest-en", "own-kursk-en"))
    web = NewsWeb(fake_web, [first])
    web.outlets = [web.outlets[0]]
    web.publish()
    config = write_config(
        tmp_path / "monitor.toml",
        web.config(webhook_url=webhook.url, secret=SECRET, smtp_port=smtp.port, interval=f"{interval}s"),
    )
    env = {**os.environ, "MONITOR_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}"}
    service = subprocess.Popen(
        [sys.executable, "-m", "monitor", "run", "--config", str(config)],
        cwd=tmp_path,
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60  # start-up: migrations, worker processes, first poll
        while not any(p.startswith("/news/") for p in fake_web.paths_requested()):
            assert time.monotonic() < deadline and service.poll() is None, "service did not start polling"
            time.sleep(0.05)
        time.sleep(0.5)  # let the first cycle finish; nothing in it is on topic
        assert webhook.posts == []

        web.add(web.outlets[0], later, 1)
        web.publish()
        added = time.monotonic()
        assert webhook.event.wait(timeout=interval + 10), "no alert"
        elapsed = time.monotonic() - added
        print(f"alerted {elapsed:.2f}s after publication (interval {interval}s)")
        assert elapsed <= interval + 1.0  # one interval plus the cycle's own work
        assert json.loads(webhook.posts[0][1])["topic"] == "dprk-troop-deployment"
    finally:
        service.send_signal(signal.SIGTERM)
        _, errors = service.communicate(timeout=30)
    assert service.returncode == 0, errors
    assert "service stopped" in errors
