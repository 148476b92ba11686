"""Politeness seen from the outlet's side: one site's limit holds across sources, robots.txt
is obeyed, the User-Agent names a contact, and unchanged outlets cost a 304 each."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.acceptance.conftest import SECRET, run_monitor, write_config
from tests.support.newsweb import OWN, NewsWeb
from tests.support.servers import FakeWeb, WebhookReceiver
from tests.support.store import rows

CONTACT = "https://desk.example.org/about-our-monitor"


def test_two_sources_on_one_site_share_its_rate_limit_and_robots_txt(
    tmp_path: Path, database_url: str, fake_web: FakeWeb, webhook: WebhookReceiver, smtp: Any
) -> None:
    web = NewsWeb(fake_web, [])
    wire, courier = web.outlet("wire-rss"), web.outlet("courier-atom")
    web.outlets = [wire, courier]
    chosen = [e for e in OWN if e["id"] in ("own-kursk-en", "own-duma-vote", "own-signature")]
    forbidden = web.add(wire, chosen[0], 0)
    web.add(wire, chosen[1], 1)
    web.add(courier, chosen[2], 2)
    web.publish()
    fake_web.add(
        "/robots.txt",
        f"User-agent: *\nDisallow: {forbidden.path}\n\nUser-agent: otherbot\nDisallow: /\n".encode(),
        content_type="text/plain",
    )
    body = web.config(webhook_url=webhook.url, secret=SECRET, smtp_port=smtp.port)
    body = body.replace("host_interval = 0", f'host_interval = "1s"\ncontact = "{CONTACT}"')
    config = write_config(tmp_path / "monitor.toml", body)

    assert run_monitor("run", "--once", config=config, database_url=database_url).code == 0

    paths = fake_web.paths_requested()
    assert paths[0] == "/robots.txt" and paths.count("/robots.txt") == 1
    assert forbidden.path not in paths  # disallowed: never asked for
    assert len(paths) == 5  # robots.txt, two feeds, two articles
    gaps = [b - a for a, b in zip(fake_web.arrivals, fake_web.arrivals[1:], strict=False)]
    # Starts are spaced by 1 s in the monitor; arrival adds loopback jitter of a millisecond or so.
    assert min(gaps) >= 0.99, gaps
    assert all(CONTACT in headers["User-Agent"] for _, headers in fake_web.requests)
    refused = rows(database_url, "SELECT canonical_url, reason FROM articles WHERE status = 'refused'")
    assert len(refused) == 1 and refused[0][0] == f"{fake_web.base}{forbidden.path}"
    assert refused[0][1].endswith("disallowed by robots.txt")

    # Again with nothing new: robots.txt comes from the store, each feed is asked conditionally
    # and answers 304, and no article page is fetched.
    before = len(fake_web.requests)
    assert run_monitor("run", "--once", config=config, database_url=database_url).code == 0
    again = fake_web.requests[before:]
    assert sorted(path for path, _ in again) == sorted([wire.entry, courier.entry])
    assert all("If-None-Match" in headers for _, headers in again)
    counts = dict(rows(database_url, "SELECT name, not_modified FROM sources"))
    assert counts == {"wire-rss": 1, "courier-atom": 1}

    listing = run_monitor("sources", config=config, database_url=database_url)
    assert listing.code == 0, listing.stderr
    assert "wire-rss  OK" in listing.stdout and "courier-atom  OK" in listing.stdout
    assert listing.stdout.count("polls 2 (1 not modified)") == 2
