"""The repository on real SQLite and PostgreSQL: migrations, outbox, fetch state."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from monitor.dedupe import fingerprint
from monitor.domain import Article, Evidence, Match, SourceState
from monitor.store import PollRecord, Store, Transaction, open_store
from monitor.stories import Filing, file_articles

NOW = datetime(2024, 11, 5, 12, tzinfo=UTC)


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    opened = open_store(database_url)
    yield opened
    opened.close()


def article(n: int, text: str = "Some body text for the article, long enough.") -> Article:
    return Article(
        source="wire",
        url=f"https://w.test/{n}",
        canonical_url=f"https://w.test/{n}",
        title=f"T{n}",
        text=text,
        language="en",
        published=NOW,
        fetched_at=NOW,
    )


def file_with_alert(tx: Transaction, n: int, story: str, channels: list[str]) -> str | None:
    """Article n in `story`, its match and its alert on topic-a: the alert id, None if one exists."""
    article_id = tx.add_article(article(n), fingerprint(f"text {n}"), story)
    return tx.add_alert(
        story_id=story,
        topic="topic-a",
        article_id=article_id,
        match_id=tx.add_match(article_id, MATCH),
        channels=channels,
        now=NOW,
    )


MATCH = Match("topic-a", 1.0, (Evidence("x", "x y z.", 0, 1),))


def test_migrations_are_idempotent(database_url: str) -> None:
    open_store(database_url).close()
    again = open_store(database_url)
    assert again.count("articles") == 0
    again.close()


def test_one_alert_per_story_and_topic_with_a_delivery_per_channel(store: Store) -> None:
    with store.transaction() as tx:
        story = tx.new_story("T1", NOW)
        alert = file_with_alert(tx, 1, story, ["hook", "mail"])
    with store.transaction() as tx:
        tx.join_story(story, NOW)
        again = file_with_alert(tx, 2, story, ["hook", "mail"])
    assert alert is not None and again is None
    due = store.outbox.claim(NOW, ["hook", "mail"], limit=10)
    assert sorted(d.channel for d in due) == ["hook", "mail"]
    view = store.outbox.view(alert)
    assert view.story_copies == 2 and view.article.url == "https://w.test/1" and view.matches[0].term == "x"


def test_a_failed_transaction_leaves_no_article_and_no_alert(store: Store) -> None:
    with pytest.raises(RuntimeError), store.transaction() as tx:
        story = tx.new_story("T", NOW)
        tx.add_article(article(3), fingerprint("three"), story)
        raise RuntimeError("crash between article and alert")
    assert store.count("articles") == 0 and store.count("stories") == 0


def test_delivery_outcomes(store: Store) -> None:
    with store.transaction() as tx:
        file_with_alert(tx, 4, tx.new_story("T", NOW), ["hook"])
    (delivery,) = store.outbox.claim(NOW, ["hook"])
    assert store.outbox.claim(NOW, ["hook"]) == []  # claimed: no other sender takes it
    store.outbox.finish(delivery.id, now=NOW, error="HTTP 500", retry_at=NOW + timedelta(minutes=1))
    assert store.outbox.claim(NOW, ["hook"]) == []
    (retry,) = store.outbox.claim(NOW + timedelta(minutes=1), ["hook"])
    assert retry.attempts == 1
    store.outbox.finish(retry.id, now=NOW, error=None, retry_at=None)
    assert store.outbox.claim(NOW + timedelta(days=1), ["hook"]) == []
    assert [(r.status, r.attempts) for r in store.outbox.rows()] == [("sent", 2)]


def test_source_fetch_state_and_due_times(store: Store) -> None:
    store.sources.sync([("a", "http://a.test/feed"), ("b", "http://b.test/feed")])
    with store.transaction() as tx:
        tx.record_polls(
            [
                PollRecord(SourceState("a", etag='"e1"', last_modified="Tue"), NOW, NOW + timedelta(minutes=10)),
                PollRecord(SourceState("b", error_count=1), NOW, NOW + timedelta(minutes=1), error="HTTP 404"),
            ]
        )
    assert store.sources.state("a").etag == '"e1"' and store.sources.state("b").last_error == "HTTP 404"
    assert store.claims.sources(["a", "b"], holder="me", now=NOW + timedelta(minutes=2), lease=60) == ["b"]
    store.sources.sync([("a", "http://a.test/moved")])  # a new URL forgets the validators
    assert store.sources.state("a").etag is None


def test_known_urls_and_rejected_pages(store: Store) -> None:
    store.pages.reject(
        source="wire", url="https://w.test/x", canonical_url="https://w.test/x", reason="no main text found", now=NOW
    )
    with store.transaction() as tx:
        tx.add_article(article(5), fingerprint("five"), tx.new_story("T", NOW))
    assert store.pages.known(["https://w.test/x", "https://w.test/5", "https://w.test/6"]) == {
        "https://w.test/x",
        "https://w.test/5",
    }
    assert store.pages.status("https://w.test/x") == ("rejected", "no main text found")


def test_a_crashed_senders_claim_expires(store: Store) -> None:
    with store.transaction() as tx:
        file_with_alert(tx, 7, tx.new_story("T", NOW), ["hook"])
    (claimed,) = store.outbox.claim(NOW, ["hook"], hold=30)
    assert store.outbox.claim(NOW + timedelta(seconds=29), ["hook"]) == []
    (again,) = store.outbox.claim(NOW + timedelta(seconds=30), ["hook"])
    assert again.id == claimed.id


def _planner_rows(postgres_url: str, table: str) -> float:
    with psycopg.connect(postgres_url.replace("+psycopg", "")) as db:
        row = db.execute("SELECT reltuples FROM pg_class WHERE relname = %s", (table,)).fetchone()
    assert row is not None
    return float(row[0])


def test_postgresql_analyses_the_band_table_as_a_first_poll_grows_it(postgres_url: str) -> None:
    """Never analysed, `bands` is read whole for every new article (16 ms an article at 2,000)."""
    store = open_store(postgres_url)
    try:
        filings = [
            Filing(article(n, f"Report {n}. " + " ".join(f"w{n}x{k}" for k in range(200))), []) for n in range(40)
        ]
        file_articles(filings, store=store, topics=[], now=NOW, channels_for=lambda _: [])
        assert _planner_rows(postgres_url, "bands") == 40 * 42  # analysed: the planner knows every row
        assert store.keep_statistics() == []  # not again until it has doubled
    finally:
        store.close()


def test_sqlite_needs_no_analysis(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'monitor.db'}")
    assert store.keep_statistics() == []
    store.close()


def test_opening_a_postgresql_store_analyses_tables_filled_without_analysis(postgres_url: str) -> None:
    """As after a bulk load, or an earlier version on a server without autovacuum."""
    store = open_store(postgres_url)
    with store.transaction() as tx:
        story = tx.new_story("T", NOW)
        for n in range(40):
            tx.add_article(article(n), fingerprint(f"Report {n}. " + " ".join(f"w{n}x{k}" for k in range(200))), story)
    store.close()
    assert _planner_rows(postgres_url, "bands") == -1  # never analysed
    open_store(postgres_url).close()
    assert _planner_rows(postgres_url, "bands") == 40 * 42
