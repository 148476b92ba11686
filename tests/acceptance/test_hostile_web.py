"""Hostile or broken outlets: each ends in a recorded error within the configured limits,
and every other source of the same run completes."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tests.acceptance.conftest import SECRET, run_monitor, write_config
from tests.support import hostile
from tests.support.newsweb import OWN, NewsWeb
from tests.support.pages import Story, article_page, rss2
from tests.support.servers import FakeWeb, WebhookReceiver
from tests.support.store import rows

LIMITS = """
total_timeout = "2s"
read_timeout = "5s"
max_bytes = 2000000
max_redirects = 4
"""


def test_hostile_outlets_end_in_recorded_errors_and_the_rest_goes_on(
    tmp_path: Path, database_url: str, fake_web: FakeWeb, webhook: WebhookReceiver, smtp: Any
) -> None:
    good = [e for e in OWN if e["id"] == "own-kursk-en"]
    web = NewsWeb(fake_web, good)
    web.outlets = [o for o in web.outlets if o.stories]
    web.publish()
    base = fake_web.base
    fake_web.add("/laughs/feed.xml", hostile.BILLION_LAUGHS, content_type="application/rss+xml")
    fake_web.add("/xxe/sitemap.xml", hostile.EXTERNAL_ENTITY, content_type="application/xml")
    fake_web.handle("/endless/feed.xml", hostile.endless)
    fake_web.handle("/bomb/feed.xml", hostile.gzip_bomb)
    fake_web.handle("/bomb/sitemap.xml.gz", hostile.sitemap_bomb)
    fake_web.handle("/trickle/feed.xml", hostile.trickle)
    fake_web.handle("/loop/a", hostile.redirect_to("/loop/b"))
    fake_web.handle("/loop/b", hostile.redirect_to("/loop/a"))
    # 10.255.255.1 is private and routes nowhere here: only a refusal before connecting is quick.
    fake_web.handle("/private/feed.xml", hostile.redirect_to("http://10.255.255.1/feed.xml"))
    fake_web.handle("/metadata/feed.xml", hostile.redirect_to("http://169.254.169.254/latest/meta-data/"))
    # A feed whose item points at another loopback host, where a service (recording) listens.
    with FakeWeb(host="127.0.0.2", port=fake_web.port).running() as inside:
        inside.add("/admin/delete-everything-now", b"<html><body>secret</body></html>")
        story = Story(
            "linker",
            "/linker/news/2024/11/harmless-looking-story",
            "Harmless",
            "text",
            "en",
            datetime(2024, 11, 5, tzinfo=UTC),
        )
        inner = Story("inner", "/admin/delete-everything-now", "Inner", "text", "en", story.published)
        feed = rss2("linker", base, [story]).replace(b"</channel>", _item(f"{inside.base}{inner.path}") + b"</channel>")
        fake_web.add("/linker/feed.xml", feed, content_type="application/rss+xml")
        fake_web.add(story.path, article_page("linker", story))

        hostile_sources = {
            "laughs": "/laughs/feed.xml",
            "xxe": "/xxe/sitemap.xml",
            "endless": "/endless/feed.xml",
            "bomb": "/bomb/feed.xml",
            "sitemap-bomb": "/bomb/sitemap.xml.gz",
            "trickle": "/trickle/feed.xml",
            "loop": "/loop/a",
            "private": "/private/feed.xml",
            "metadata": "/metadata/feed.xml",
            "linker": "/linker/feed.xml",
        }
        body = web.config(webhook_url=webhook.url, secret=SECRET, smtp_port=smtp.port)
        body = body.replace("[fetch]\n", f"[fetch]\n{LIMITS}", 1)
        body += "".join(f'[[sources]]\nname = "{n}"\nurl = "{base}{p}"\n\n' for n, p in hostile_sources.items())
        config = write_config(tmp_path / "monitor.toml", body)
        started = time.monotonic()
        result = run_monitor(
            "run",
            "--once",
            "--report",
            str(tmp_path / "report.json"),
            config=config,
            database_url=database_url,
            timeout=120,
        )
        wall = time.monotonic() - started
        assert inside.requests == []  # not one request reached the other loopback host

    assert result.code == 0, result.stderr
    errors = dict(rows(database_url, "SELECT name, last_error FROM sources"))
    assert "declares entities" in errors["laughs"]
    assert "declares entities" in errors["xxe"]
    assert "exceeds the 2000000-byte cap" in errors["endless"]
    assert "expands more than 100×" in errors["bomb"]
    assert "gzip body expands beyond" in errors["sitemap-bomb"]
    assert "no complete answer within 2s" in errors["trickle"]
    assert "more than 4 redirects" in errors["loop"]
    assert "refused: 10.255.255.1 is a private address" in errors["private"]
    assert "refused: 169.254.169.254 is a link-local address" in errors["metadata"]
    assert errors["linker"] is None  # the feed itself was fine...
    refused = dict(rows(database_url, "SELECT url, reason FROM articles WHERE status = 'refused'"))
    assert "refused: 127.0.0.2 is a loopback address" in refused[f"{inside.base}{inner.path}"]  # ...its link not
    # The good outlet was read, stored and alerted in the same run.
    assert errors[web.outlets[0].name] is None
    assert len(webhook.payloads()) == 1 and len(smtp.messages) == 1
    # Bounded in time and memory: the trickle's 2 s deadline dominates; peak RSS stays small.
    report = json.loads((tmp_path / "report.json").read_text())
    assert wall < 30, wall
    assert report["peak_rss_mb"]["main"] < 250, report["peak_rss_mb"]


def _item(url: str) -> bytes:
    return f"<item><title>Inner</title><link>{url}</link></item>".encode()
