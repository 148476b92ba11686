"""No false merges on real pages: 261 distinct articles (../shared/corpus: Zyte's and Fundus's
evaluation pages, several languages) on eight outlets through `monitor run --once` make 261
stories. Joining a page to another's story would swallow its alert."""

from __future__ import annotations

import gzip
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.acceptance.conftest import TOPICS, run_monitor
from tests.support.pages import Story, rss2
from tests.support.servers import FakeWeb

OUTLETS = 8


def test_distinct_real_pages_never_share_a_story(tmp_path: Path, fake_web: FakeWeb, corpus: Path) -> None:
    pages = sorted((corpus / "aeb" / "html").glob("*.html.gz")) + sorted(
        (corpus / "fundus-eval" / "html").glob("*.html.gz")
    )
    assert len(pages) > 200
    when = datetime(2024, 11, 20, tzinfo=UTC)
    feeds: list[list[Story]] = [[] for _ in range(OUTLETS)]
    for n, page in enumerate(pages):
        path = f"/outlet-{n % OUTLETS}/{page.name.removesuffix('.html.gz')}"
        fake_web.add(path, gzip.decompress(page.read_bytes()))
        feeds[n % OUTLETS].append(Story(f"page-{n}", path, f"Report {n}", "", "en", when - timedelta(minutes=n)))
    sources = ""
    for k, stories in enumerate(feeds):
        fake_web.add(
            f"/outlet-{k}/feed.xml", rss2(f"outlet {k}", fake_web.base, stories), content_type="application/rss+xml"
        )
        sources += f'[[sources]]\nname = "outlet-{k}"\nurl = "{fake_web.base}/outlet-{k}/feed.xml"\n\n'
    config = tmp_path / "monitor.toml"
    config.write_text(
        f'topics_file = "{TOPICS}"\n[service]\nmax_new_per_source = 1000\nextract_workers = 2\n'
        f"[fetch]\nhost_interval = 0\nper_host = 8\n\n{sources}"
    )
    database = tmp_path / "db.sqlite"
    done = run_monitor("run", "--once", config=config, database_url=f"sqlite:///{database}", timeout=600)
    assert done.code == 0, done.stderr
    with sqlite3.connect(database) as db:
        stored = db.execute("SELECT count(*) FROM articles WHERE status = 'ok'").fetchone()[0]
        shared = db.execute(
            "SELECT story_id, group_concat(url, ' ') FROM articles WHERE status = 'ok' "
            "GROUP BY story_id HAVING count(*) > 1"
        ).fetchall()
    assert stored >= 250, f"only {stored} of {len(pages)} pages stored"
    assert shared == []
