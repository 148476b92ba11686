"""Freshness: polls keep their interval whatever the channels do, and no link is left behind (issue 18)."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

from tests.acceptance.conftest import SECRET, write_config
from tests.support.newsweb import OWN, NewsWeb
from tests.support.processes import service_running, wait_until
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
