"""The stages in order: source -> fetch -> extract -> dedupe -> match -> alerts (outbox).

`poll_source` reads one source's listing; `process_link` takes one new link through
every stage. Everything else lives in the stage modules.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

from monitor.alerts import Channel
from monitor.dedupe import canonical_url
from monitor.domain import Article, Candidate, Fetched, Match, NotModified, Rejected, SourceKind
from monitor.errors import FetchError, SourceError
from monitor.fetch import Fetcher, TransientFetchError
from monitor.settings import SourceSettings
from monitor.sources import Listing, read_listing
from monitor.store import Store
from monitor.stories import file_article
from monitor.timing import Timings
from monitor.topics import TopicMatcher
from monitor.worker import Prepared

log = logging.getLogger("monitor.pipeline")


class Prepares(Protocol):
    async def prepare(self, html: bytes, url: str) -> Prepared: ...


@dataclass(frozen=True, slots=True)
class Stages:
    store: Store
    fetcher: Fetcher
    workers: Prepares
    matcher: TopicMatcher
    channels: Mapping[str, Channel]
    clock: Callable[[], datetime]
    interval: float = 600.0
    max_new: int = 200
    child_sitemaps: int = 3
    timings: Timings = field(default_factory=Timings)
    inflight: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(16))


@dataclass(frozen=True, slots=True)
class PollReport:
    source: str
    new: int = 0
    stored: int = 0
    alerts: int = 0
    error: str | None = None


async def poll_source(source: SourceSettings, stages: Stages) -> PollReport:
    """Read the source's listing and process every link not seen before; never raises."""
    store, now = stages.store, stages.clock()
    state = store.source_state(source.name)
    interval = source.interval or stages.interval
    try:
        with stages.timings.measure("fetch"):
            answer = await stages.fetcher.get(source.url, etag=state.etag, last_modified=state.last_modified)
        stages.timings.count("requests: source" if isinstance(answer, Fetched) else "requests: source, 304")
        listing = None if isinstance(answer, NotModified) else await _listing(answer, source, stages)
    except (FetchError, SourceError) as exc:
        delay = max(interval, exc.retry_after or 0) if isinstance(exc, FetchError) else interval
        store.record_poll(source.name, now=now, next_poll_at=now + timedelta(seconds=delay), error=str(exc))
        log.warning(
            "source failed",
            extra={"stage": "source", "action": "error", "source": source.name, "error": str(exc)},
        )
        return PollReport(source.name, error=str(exc))
    next_poll = now + timedelta(seconds=interval)
    if listing is None:
        store.record_poll(
            source.name, now=now, next_poll_at=next_poll, etag=state.etag, last_modified=state.last_modified
        )
        log.info("not modified", extra={"stage": "fetch", "action": "skip", "source": source.name})
        return PollReport(source.name)
    links = _new_links(listing, store, stages.max_new)
    outcomes = await asyncio.gather(*(process_link(source.name, link, stages) for link in links))
    assert isinstance(answer, Fetched)
    # A sitemap index can stay the same while its child sitemaps change: no validators for it.
    index = bool(listing.children_read)
    store.record_poll(
        source.name,
        now=now,
        next_poll_at=next_poll,
        kind=listing.kind.value,
        etag=None if index else answer.etag,
        last_modified=None if index else answer.last_modified,
    )
    stored = sum(1 for alerts in outcomes if alerts is not None)
    report = PollReport(source.name, new=len(links), stored=stored, alerts=sum(a or 0 for a in outcomes))
    log.info(
        "polled",
        extra={
            "stage": "source",
            "action": "polled",
            "source": source.name,
            "kind": listing.kind.value,
            "links": len(listing.articles),
            "new": report.new,
            "stored": stored,
            "alerts": report.alerts,
        },
    )
    return report


async def process_link(source: str, link: Candidate, stages: Stages) -> int | None:
    """fetch -> extract -> dedupe -> match -> outbox. Returns alerts written, None if not stored."""
    url = canonical_url(link.url)
    async with stages.inflight:  # bounds the pages held in memory: fetched, waiting for a worker
        page = await _fetch_article(source, link, url, stages)
        if page is None:
            return None
        prepared = await stages.workers.prepare(page.content, page.url)
    extracted = prepared.extracted
    if isinstance(extracted, Rejected):
        stages.store.record_rejected(
            source=source, url=link.url, canonical_url=url, reason=extracted.reason, now=stages.clock()
        )
        log.warning(
            "page rejected",
            extra={
                "stage": "extract",
                "action": "reject",
                "source": source,
                "url": link.url,
                "reason": extracted.reason,
            },
        )
        return None
    article = Article(
        source=source,
        url=canonical_url(page.url),  # where the article really is, without tracking parameters
        canonical_url=url,
        title=extracted.title or link.title or "",
        text=extracted.text,
        language=extracted.language,
        published=extracted.published or link.published,
        fetched_at=stages.clock(),
        author=extracted.author,
    )
    with stages.timings.measure("match"):
        matches = stages.matcher.matches(article.title, article.text)
    return record(article, matches, stages, prepared)


async def _fetch_article(source: str, link: Candidate, url: str, stages: Stages) -> Fetched | None:
    try:
        page = await stages.fetcher.get(link.url)
    except FetchError as exc:
        if not isinstance(exc, TransientFetchError):  # a 404 stays a 404: do not ask again
            stages.store.record_rejected(
                source=source, url=link.url, canonical_url=url, reason=str(exc), now=stages.clock()
            )
        log.warning(
            "article fetch failed",
            extra={"stage": "fetch", "action": "error", "source": source, "url": link.url, "error": exc.reason},
        )
        return None
    stages.timings.count("requests: article")
    assert isinstance(page, Fetched)  # no validators were sent, so no 304
    return page


def record(article: Article, matches: list[Match], stages: Stages, prepared: Prepared | None = None) -> int | None:
    """Store the article in its story with its matches and alerts, in one transaction."""
    outcome = file_article(
        article,
        matches,
        mark=prepared.fingerprint if prepared else None,
        keys=prepared.keys if prepared else None,
        store=stages.store,
        topics=stages.matcher.topics,
        now=stages.clock(),
        channels_for=lambda topic: [n for n, c in stages.channels.items() if c.wants(topic)],
        timings=stages.timings,
    )
    if outcome is None:
        return None
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
    return len(outcome.alerts)


async def _listing(answer: Fetched, source: SourceSettings, stages: Stages) -> Listing:
    with stages.timings.measure("parse"):
        listing = read_listing(answer, SourceKind(source.kind) if source.kind else None)
    if not listing.children:
        return listing
    articles = list(listing.articles)
    children = listing.children[: stages.child_sitemaps]
    for child in children:
        with stages.timings.measure("fetch"):
            page = await stages.fetcher.get(child.url)
        stages.timings.count("requests: child sitemap")
        if isinstance(page, Fetched):
            with stages.timings.measure("parse"):
                articles.extend(read_listing(page, SourceKind.SITEMAP).articles)
    return Listing(listing.kind, tuple(articles), children_read=children)


def _new_links(listing: Listing, store: Store, limit: int) -> list[Candidate]:
    """Links whose canonical URL is not stored yet, newest first, at most `limit`."""
    unique: dict[str, Candidate] = {}
    for link in listing.articles:
        unique.setdefault(canonical_url(link.url), link)
    known = store.known_urls(unique)
    fresh = [link for url, link in unique.items() if url not in known]
    oldest = datetime.min.replace(tzinfo=UTC)
    fresh.sort(key=lambda c: c.published or oldest, reverse=True)
    return fresh[:limit]
