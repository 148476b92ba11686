"""Rows the tests need in a real store: an alert with its article, story and match; raw queries."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import create_engine, text

from monitor.dedupe import fingerprint
from monitor.domain import Article, Evidence, Match
from monitor.store import Store


def add_alert(store: Store, now: datetime, channels: list[str], n: int = 1, topic: str = "t") -> str:
    with store.transaction() as tx:
        story = tx.new_story(f"Title {n}", now)
        article = Article(
            source="wire",
            url=f"https://w.test/{n}",
            canonical_url=f"https://w.test/{n}",
            title=f"Title {n}",
            text=f"Body {n}",
            language="en",
            published=now,
            fetched_at=now,
        )
        article_id = tx.add_article(article, fingerprint(f"Body {n}"), story)
        match_id = tx.add_match(article_id, Match(topic, 1.0, (Evidence("body", "Body.", 0, 4),)))
        alert = tx.add_alert(
            story_id=story, topic=topic, article_id=article_id, match_id=match_id, channels=channels, now=now
        )
    assert alert is not None
    return alert


def rows(database_url: str, query: str) -> list[Any]:
    """The rows of a raw SQL query, on a connection of its own."""
    engine = create_engine(database_url)
    with engine.connect() as db:
        found = list(db.execute(text(query)))
    engine.dispose()
    return found
