"""Stories: which story a new article belongs to, and which alerts that writes.

Order of evidence: the same text (exact hash), a near-duplicate in any language's
wording (MinHash candidates confirmed exactly), then a report in another language that
shares the story's numbers, dates and names within a few days (`monitor.entities`).
A story is alerted once per topic; when it reaches a topic's `surge` number of outlets
within its window, one follow-up "surge" alert goes to the same channels.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from monitor.dedupe import best_copy, fingerprint
from monitor.domain import Article, Fingerprint, Join, Match
from monitor.entities import entity_keys
from monitor.linking import best_link, is_lookup_key
from monitor.store import Store, is_conflict
from monitor.store.protocol import FilingStore, FilingTransaction
from monitor.timing import Timings
from monitor.topics import Topic

log = logging.getLogger("monitor.stories")

CROSS_LANGUAGE_WINDOW = timedelta(days=3)


@dataclass(frozen=True, slots=True)
class Filed:
    story: str
    how: str  # new-story | same-text | near-duplicate | other-language
    alerts: tuple[tuple[str, str], ...]  # (topic, kind) written


def _other_language_story(
    tx: FilingTransaction, article: Article, keys: frozenset[str], now: datetime
) -> tuple[str, Join] | None:
    lookup = [k for k in keys if is_lookup_key(k)]
    if not lookup:
        return None  # nothing language-independent to link on: no query
    link = best_link(keys, article.language, tx.keyed_stories(lookup, now - CROSS_LANGUAGE_WINDOW))
    if link is None:
        return None
    return link.story, Join("other-language", keys=link.keys, score=link.score)


def _find(
    tx: FilingTransaction, article: Article, mark: Fingerprint, keys: frozenset[str], now: datetime
) -> tuple[str, Join] | None:
    """The story the article belongs to, and why; None for a story of its own."""
    exact = tx.find_exact(mark.exact)
    if exact is not None:
        return exact[0], Join("same-text", article_id=exact[1])
    copy = best_copy(mark, tx.candidates(mark.bands))
    if copy is not None:
        join = Join("near-duplicate", copy.article_id, jaccard=copy.jaccard, containment=copy.containment)
        return copy.story_id, join
    return _other_language_story(tx, article, keys, now)


def _story(
    tx: FilingTransaction,
    article: Article,
    mark: Fingerprint,
    keys: frozenset[str],
    *,
    now: datetime,
    timings: Timings,
) -> tuple[str, str, int]:
    """Put the article in its story (or a new one): (story id, how it was found, article id)."""
    with timings.measure("dedupe"):
        found = _find(tx, article, mark, keys, now)
    if found is None:
        story, join = tx.new_story(article.title, now, article.language), Join("new-story")
    else:
        story, join = found
        tx.join_story(story, now)
    article_id = tx.add_article(article, mark, story, joined_by=join.how, detail=join.to_json())
    tx.add_story_keys(story, keys | {f"l:{article.language}"}, now, new_story=join.how == "new-story")
    return story, join.how, article_id


def _surges(
    tx: FilingTransaction,
    story: str,
    topics: Iterable[Topic],
    channels_for: Callable[[str], list[str]],
    now: datetime,
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
    store: FilingStore,
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
                entity_keys(filing.article.title, filing.article.text, filing.article.published)
                if filing.keys is None
                else filing.keys,
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
    tx: FilingTransaction,
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


@dataclass(frozen=True, slots=True)
class Split:
    article_id: int
    old_story: str
    new_story: str
    alerted: tuple[str, ...]  # topics alerted for the new story now


def _story_keys(title: str, text: str, language: str, published: datetime | None) -> frozenset[str]:
    return entity_keys(title, text, published) | {f"l:{language}"}


def split_article(
    article_id: int,
    *,
    store: Store,
    match: Callable[[str, str], list[Match]],
    now: datetime,
    channels_for: Callable[[str], list[str]],
) -> Split:
    """Detach a wrongly joined article into a story of its own and match it again: it is alerted
    for every topic it matches that its new story has no alert for (raises `SplitError`)."""
    with store.transaction() as tx:
        detached = tx.splits.detach(article_id, now)
        article, story = detached.article, detached.new_story
        keys = _story_keys(article.title, article.text, article.language, article.published)
        tx.add_story_keys(story, keys, now, new_story=True)
        left = [_story_keys(*report) for report in tx.splits.reports(detached.old_story)]
        tx.splits.replace_keys(detached.old_story, frozenset().union(*left))
        stored = tx.splits.matches(article_id)
        alerted = []
        for found in match(article.title, article.text):
            match_id = stored.get(found.topic) or tx.add_match(article_id, found)
            channels = channels_for(found.topic)
            if tx.add_alert(
                story_id=story, topic=found.topic, article_id=article_id, match_id=match_id, channels=channels, now=now
            ):
                alerted.append(found.topic)
    return Split(article_id, detached.old_story, story, tuple(alerted))


def file_batch(
    batch: Sequence[Filing],
    *,
    store: FilingStore,
    topics: Sequence[Topic],
    channels_for: Callable[[str], list[str]],
    clock: Callable[[], datetime],
    timings: Timings,
) -> list[int | None]:
    """Store the articles in their stories with their matches and alerts, in one transaction.

    Per article: the alerts written, or None when it was not stored (already there).
    """
    for attempt in range(3):
        try:
            outcomes = file_articles(
                batch, store=store, topics=topics, now=clock(), channels_for=channels_for, timings=timings
            )
            break
        except Exception as exc:  # another instance's transaction won a race (a deadlock): run it again
            if not is_conflict(exc) or attempt == 2:
                raise
    else:  # pragma: no cover  (the loop breaks or raises)
        raise AssertionError
    for filing, outcome in zip(batch, outcomes, strict=True):
        if outcome is None:
            continue
        article = filing.article
        log.info(
            "stored",
            extra={
                "stage": "dedupe",
                "action": outcome.how,
                "source": article.source,
                "url": article.url,
                "story": outcome.story,
                "alerts": len(outcome.alerts),
            },
        )
        for topic, kind in outcome.alerts:
            log.info("alert written", extra={"stage": "match", "action": kind, "topic": topic, "url": article.url})
    return [None if outcome is None else len(outcome.alerts) for outcome in outcomes]
