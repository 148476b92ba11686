"""Delivery faults with real servers: an SMTP server that is down, a SIGKILL mid-batch,
the alerts commands, and an Apprise channel."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, cast

from tests.acceptance.conftest import SECRET, run_monitor, write_config
from tests.support.newsweb import OWN, NewsWeb
from tests.support.servers import FakeWeb, WebhookReceiver, smtp_sink

ON_TOPIC = [e for e in OWN if any(v == 1 for v in cast("dict[str, int]", e["labels"]).values())]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_mail_for_a_down_smtp_server_is_delivered_by_the_next_run(
    tmp_path: Path, fake_web: FakeWeb, webhook: WebhookReceiver
) -> None:
    web = NewsWeb(fake_web, ON_TOPIC[:2])
    web.outlets = web.outlets[:2]
    web.publish()
    port = free_port()  # nothing listens here during the first run
    config = write_config(tmp_path / "monitor.toml", web.config(webhook_url=webhook.url, secret=SECRET, smtp_port=port))
    database = f"sqlite:///{tmp_path / 'db.sqlite'}"
    assert run_monitor("run", "--once", config=config, database_url=database).code == 0
    listing = run_monitor("alerts", config=config, database_url=database)
    assert (
        listing.stdout.count("desk: pending, 3 attempts so far, next attempt ") == 2
        and "ConnectionRefusedError" in listing.stdout
    )
    assert listing.stdout.count("(1 attempt)") == 2

    with smtp_sink(port=port) as sink:
        assert run_monitor("run", "--once", config=config, database_url=database).code == 0
    assert len(sink.messages) == 2 and len(webhook.posts) == 2  # mail arrives; the webhook is not repeated
    assert run_monitor("alerts", config=config, database_url=database).stdout.count("(4 attempts)") == 2


def test_failed_deliveries_can_be_retried_by_command(tmp_path: Path, fake_web: FakeWeb, smtp: Any) -> None:
    web = NewsWeb(fake_web, ON_TOPIC[:1])
    web.outlets = web.outlets[:1]
    web.publish()
    refusing = WebhookReceiver(status=404)
    with refusing.running():
        body = web.config(webhook_url=refusing.url, secret=SECRET, smtp_port=smtp.port)
        config = write_config(
            tmp_path / "monitor.toml",
            body.replace('retry_backoff = "1s"', 'retry_backoff = "1s"\ndelivery_attempts = 3'),
        )
        database = f"sqlite:///{tmp_path / 'db.sqlite'}"
        assert run_monitor("run", "--once", config=config, database_url=database).code == 0
        assert (
            "hook: failed after 3 attempts; last error: webhook hook: HTTP 404"
            in run_monitor("alerts", config=config, database_url=database).stdout
        )
        refusing.status = 200
        retried = run_monitor("alerts", "retry", "--failed", config=config, database_url=database)
        assert retried.stdout.strip() == "1 deliveries due again"
        assert run_monitor("run", "--once", config=config, database_url=database).code == 0
    assert "(1 attempt)" in run_monitor("alerts", config=config, database_url=database).stdout
    assert len(refusing.posts) == 4 and len(smtp.messages) == 1


def test_channels_test_and_an_apprise_channel(tmp_path: Path, fake_web: FakeWeb, webhook: WebhookReceiver) -> None:
    web = NewsWeb(fake_web, ON_TOPIC[:1])
    web.outlets = web.outlets[:1]
    web.publish()
    apprise_url = webhook.url.replace("http://", "json://")
    body = web.config(webhook_url=webhook.url, secret=SECRET, smtp_port=free_port())
    body += f'\n[[channels]]\nname = "chat"\ntype = "apprise"\nurls = ["{apprise_url}"]\n'
    config = write_config(tmp_path / "monitor.toml", body)
    database = f"sqlite:///{tmp_path / 'db.sqlite'}"
    ok = run_monitor("channels", "test", "chat", config=config, database_url=database)
    assert ok.code == 0 and "sent test alert" in ok.stdout
    down = run_monitor("channels", "test", "desk", config=config, database_url=database)
    assert down.code == 1 and "refused: email desk: ConnectionRefusedError" in down.stdout
    assert run_monitor("run", "--once", config=config, database_url=database).code == 0
    apprise_posts = [json.loads(b) for h, b in webhook.posts if "webhook-id" not in {k.lower() for k in h}]
    assert len(apprise_posts) == 2  # the test message and the alert
    assert apprise_posts[1]["title"].startswith("[") and "Evidence:" in apprise_posts[1]["message"]


def test_sigkill_mid_batch_loses_nothing_and_repeats_at_most_the_send_in_flight(
    tmp_path: Path, fake_web: FakeWeb, smtp: Any
) -> None:
    web = NewsWeb(fake_web, ON_TOPIC)  # spread over the six outlets
    web.publish()
    slow = WebhookReceiver(delay=0.4)
    with slow.running():
        config = write_config(
            tmp_path / "monitor.toml", web.config(webhook_url=slow.url, secret=SECRET, smtp_port=smtp.port)
        )
        env = {**os.environ, "MONITOR_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}"}
        command = [sys.executable, "-m", "monitor", "run", "--config", str(config)]

        # Its own process group: the kill takes the service and its extraction workers, like a crash of
        # the container, and leaves no orphan holding the test's output open.
        first = subprocess.Popen(command, cwd=tmp_path, env=env, stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + 60
        while len(slow.posts) < 3:
            assert time.monotonic() < deadline and first.poll() is None, "no deliveries started"
            time.sleep(0.02)
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(timeout=10)
        killed_at = len(slow.posts)

        second = subprocess.Popen(command, cwd=tmp_path, env=env, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 60
            while len({h["webhook-id"] for h, _ in slow.posts}) < len(ON_TOPIC):
                assert time.monotonic() < deadline, f"only {len(slow.posts)} posts after restart"
                time.sleep(0.05)
            time.sleep(1.0)  # anything that would still be sent twice arrives now
        finally:
            second.send_signal(signal.SIGTERM)
            second.wait(timeout=30)
    ids = [h["webhook-id"] for h, _ in slow.posts]
    repeated = {i for i in ids if ids.count(i) > 1}
    print(f"killed after {killed_at} posts; {len(ids)} posts for {len(set(ids))} alerts; repeated: {len(repeated)}")
    assert len(set(ids)) == len(ON_TOPIC)
    assert len(repeated) <= 1 and all(ids.count(i) == 2 for i in repeated)
