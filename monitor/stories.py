"""Stories: which story a new article belongs to, and which alerts that writes.

Order of evidence: the same text (exact hash), a near-duplicate in any language's
wording (MinHash candidates confirmed exactly), then a report in another language that
shares the story's numbers, dates and names within a few days (`monitor.entities`).
A story is alerted once per topic; when it reaches a topic's `surge` number of outlets
within its window, one follow-up "surge" alert goes to the same channels.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from monitor.dedupe import best_copy, fingerprint
from monitor.domain import Article, Fingerprint, Match
from monitor.entities import entity_keys, is_same_story, is_strong
from monitor.store import Store, Transaction
from monitor.timing import Timings
from monitor.topics import Topic

CROSS_LANGUAGE_WINDOW = timedelta(days=3)


@dataclass(frozen=True, slots=True)
class Filed:
    story: str
    how: str  # new-story | same-text | near-duplicate | other-language
    alerts: tuple[tuple[str, str], ...]  # (topic, kind) written


def _other_language_story(tx: Transaction, article: Article, keys: frozenset[str], now: datetime) -> str | None:
    strong = [k for k in keys if is_strong(k)]
    if not strong:
        return None  # nothing language-independent to link on: no query
    candidates = tx.cross_language_candidates(strong, article.language, now - CROSS_LANGUAGE_WINDOW)
    linked = [(len(keys & theirs), story) for story, theirs in candidates.items() if is_same_story(keys, theirs)]
    return max(linked)[1] if linked else None


def _story(
    tx: Transaction, article: Article, mark: Fingerprint, keys: frozenset[str], *, now: datetime, timings: Timings
) -> tuple[str, str, int]:
    """Put the article in its story (or a new one): (story id, how it was found, article id)."""
    with timings.measure("dedupe"):
        found = tx.find_exact(mark.exact)
        how = "same-text"
        if found is None:
            found, how = best_copy(mark, tx.candidates(mark.bands)), "near-duplicate"
        if found is None:
            found, how = _other_language_story(tx, article, keys, now), "other-language"
    if found is None:
        found, how = tx.new_story(article.title, now, article.language), "new-story"
    else:
        tx.join_story(found, now)
    return found, how, tx.add_article(article, mark, found, joined_by=how)


def _surges(
    tx: Transaction, story: str, topics: Iterable[Topic], channels_for: Callable[[str], list[str]], now: datetime
) -> list[tuple[str, str]]:
    written: list[tuple[str, str]] = []
    watched = [t for t in topics if t.surge is not None]
    alerted = tx.alerted_topics(story) if watched else set()
    for topic in watched:
        if topic.name not in alerted or topic.surge is None or tx.has_alert(story, topic.name, "surge"):
            continue
        first = tx.match_alert(story, topic.name)
        if first is None or tx.story_outlets(story, now - timedelta(seconds=topic.surge.within)) < topic.surge.outlets:
            continue
        article_id, match_id = first
        alert = tx.add_alert(
            story_id=story,
            topic=topic.name,
            article_id=article_id,
            match_id=match_id,
            channels=channels_for(topic.name),
            now=now,
            kind="surge",
        )
        if alert:
            written.append((topic.name, "surge"))
    return written


@dataclass(frozen=True, slots=True)
class Filing:
    """A new article ready to file: its matches and the worker's fingerprint and keys."""

    article: Article
    matches: list[Match]
    mark: Fingerprint | None = None
    keys: frozenset[str] | None = None


def file_articles(
    batch: Sequence[Filing],
    *,
    store: Store,
    topics: Iterable[Topic],
    now: datetime,
    channels_for: Callable[[str], list[str]],
    timings: Timings | None = None,
) -> list[Filed | None]:
    """One transaction for the batch: each article, its story, its matches and their alerts (the outbox).

    None for an article already stored (another source or instance got there first). Articles
    later in the batch see the stories of earlier ones, as if filed one after another.
    """
    timings = timings or Timings()
    with timings.measure("dedupe"):  # normally done by a worker already
        ready = [
            (
                filing,
                filing.mark or fingerprint(filing.article.text),
                entity_keys(filing.article.title, filing.article.text) if filing.keys is None else filing.keys,
            )
            for filing in batch
        ]
    inner = Timings()  # dedupe and alert work inside the transaction; the rest of it is storage
    started = time.perf_counter()
    topics = list(topics)
    outcomes: list[Filed | None] = []
    with store.transaction() as tx:
        stored = tx.stored_urls(f.article.canonical_url for f, _, _ in ready)
        for filing, mark, keys in ready:
            article = filing.article
            if article.canonical_url in stored:
                outcomes.append(None)
                continue
            stored.add(article.canonical_url)
            story, how, article_id = _story(tx, article, mark, keys, now=now, timings=inner)
            tx.add_story_keys(story, keys, new_story=how == "new-story")
            with inner.measure("alert"):
                alerts = _alerts(tx, story, article_id, filing.matches, now=now, channels_for=channels_for)
                if how != "new-story":
                    alerts += _surges(tx, story, topics, channels_for, now)
            outcomes.append(Filed(story=story, how=how, alerts=tuple(alerts)))
    store.keep_statistics()  # PostgreSQL: plans for the lookups above, as the tables grow
    total = time.perf_counter() - started
    timings.add("dedupe", inner.seconds["dedupe"])
    timings.add("alert", inner.seconds["alert"])
    timings.add("store", total - inner.seconds["dedupe"] - inner.seconds["alert"])
    return outcomes


def _alerts(
    tx: Transaction,
    story: str,
    article_id: int,
    matches: list[Match],
    *,
    now: datetime,
    channels_for: Callable[[str], list[str]],
) -> list[tuple[str, str]]:
    alerts: list[tuple[str, str]] = []
    for match in matches:
        match_id = tx.add_match(article_id, match)
        alert = tx.add_alert(
            story_id=story,
            topic=match.topic,
            article_id=article_id,
            match_id=match_id,
            channels=channels_for(match.topic),
            now=now,
        )
        if alert:
            alerts.append((match.topic, "match"))
    return alerts
