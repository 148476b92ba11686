"""Filing written reports in publication order, as the service would: each an hour after it was published."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from monitor.domain import Article
from monitor.store import Store
from monitor.stories import Filing, file_articles


def file_in_order(store: Store, reports: Sequence[dict[str, str]]) -> dict[str, str]:
    """The story of each report (`tests/fixtures/crosslang_*.jsonl` format), by report id."""
    stories = {}
    for n, report in enumerate(sorted(reports, key=lambda r: r["published"])):
        published = datetime.fromisoformat(report["published"].replace("Z", "+00:00"))
        article = Article(
            source=f"outlet-{report['lang']}",
            url=f"https://news.test/{n}",
            canonical_url=f"https://news.test/{n}",
            title=report["title"],
            text=report["text"],
            language=report["lang"],
            published=published,
            fetched_at=published + timedelta(hours=1),
        )
        [filed] = file_articles(
            [Filing(article, [])], store=store, topics=[], now=article.fetched_at, channels_for=lambda topic: []
        )
        assert filed is not None
        stories[report["id"]] = filed.story
    return stories
