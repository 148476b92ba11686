"""The stages in order: source -> fetch -> extract (workers) -> match -> file: story, matches, alerts (outbox).

`poll_source` reads one source's listing; `process_link` takes one new link through
every stage. Everything else lives in the stage modules.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Protocol

from monitor.alerts import Channel
from monitor.dedupe import canonical_url
from monitor.domain import (
    Article,
    Candidate,
    Fetched,
    NotModified,
    Rejected,
    SourceHealthChange,
    SourceKind,
    SourceState,
)
from monitor.errors import FetchError, MonitorError, RefusedError, SourceError
from monitor.fetch import Fetcher, TransientFetchError
from monitor.filing import Filer
from monitor.guard import Reach
from monitor.links import new_links
from monitor.metrics import Metrics
from monitor.politeness import Reserve
from monitor.polling import Cadence, HealthPolicy, after_poll, conclude, publishing_gap
from monitor.settings import ServiceSettings, SourceSettings
from monitor.sources import Listing, read_listing
from monitor.sources.children import with_children
from monitor.store import PollRecord, Store
from monitor.stories import Filing
from monitor.timing import Timings
from monitor.topics import TopicMatcher
from monitor.websub import WebSub
from monitor.worker import Prepared

log = logging.getLogger("monitor.pipeline")


class Prepares(Protocol):
    def start(self) -> None: ...

    async def prepare(self, html: bytes, url: str) -> Prepared: ...


@dataclass(frozen=True, slots=True)
class Stages:
    store: Store
    fetcher: Fetcher
    workers: Prepares
    matcher: TopicMatcher
    channels: Mapping[str, Channel]
    clock: Callable[[], datetime]
    filer: Filer[Filing, int | None]  # articles ready together are written in one transaction
    service: ServiceSettings = field(default_factory=ServiceSettings)
    operators: tuple[str, ...] = ()  # channels that receive source health changes
    child_sitemaps: int = 3
    timings: Timings = field(default_factory=Timings)
    inflight: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(16))
    metrics: Metrics | None = None
    websub: WebSub | None = None  # subscribes to the hubs feeds name (service.public_url set)
    poll_records: list[PollRecord] | None = None  # set by a round of polls: one transaction for all


@dataclass(frozen=True, slots=True)
class PollReport:
    source: str
    new: int = 0
    stored: int = 0
    alerts: int = 0
    error: str | None = None


async def poll_source(
    source: SourceSettings, stages: Stages, *, state: SourceState | None = None, waiting: int | None = None
) -> PollReport:
    """Read the source's listing and process every link not seen before; never raises (but for a
    lost database). A poll round passes the source's `state` and its backlog's size (`waiting`),
    read for all its sources at once."""
    state = state or stages.store.sources.state(source.name)
    reach = stages.fetcher.reach(source.url)
    rules = stages.fetcher.options.refusal_rules()
    if state.refusal_rules != rules:  # what may be fetched changed: read the listing in full, refusals again
        state = replace(state, etag=None, last_modified=None, refusal_rules=rules)
    try:
        with stages.timings.measure("fetch"):
            answer = await stages.fetcher.get(
                source.url, etag=state.etag, last_modified=state.last_modified, reach=reach
            )
        stages.timings.count("requests: source" if isinstance(answer, Fetched) else "requests: source, 304")
        listing = None if isinstance(answer, NotModified) else await _listing(answer, source, stages, reach)
    except (FetchError, SourceError) as exc:
        log.warning(
            "source failed",
            extra={"stage": "source", "action": "error", "source": source.name, "error": str(exc)},
        )
        _finish_poll(
            source, stages, after_poll(state, now=stages.clock(), failed=True, error_status=_status(exc)), error=exc
        )
        return PollReport(source.name, error=str(exc))
    limit = stages.service.max_new_per_source
    if listing is None:  # nothing new listed; the backlog may still hold links
        backlog = stages.store.backlog.take(source.name, limit) if waiting is None or waiting else []
        outcomes = await _process(source, backlog, reach, stages)
        log.info(
            "not modified",
            extra={"stage": "fetch", "action": "skip", "source": source.name, "backlog": len(backlog)},
        )
        _finish_poll(source, stages, after_poll(state, now=stages.clock(), new=len(backlog)), not_modified=True)
        return PollReport(source.name, new=len(backlog), stored=_stored(outcomes), alerts=sum(a or 0 for a in outcomes))
    stale = stages.clock() - timedelta(seconds=stages.service.claim_lease)
    links, retried = new_links(listing, source.name, stages.store, limit, stale)
    outcomes = await _process(source, links, reach, stages)
    assert isinstance(answer, Fetched)
    stored = _stored(outcomes)
    now = stages.clock()
    # A sitemap index can stay the same while its child sitemaps change: no validators for it.
    index = bool(listing.children_read)
    polled = replace(
        after_poll(
            state, now=now, new=len(links) - retried, gap=publishing_gap((c.published for c in listing.articles), now)
        ),
        etag=None if index else answer.etag,
        last_modified=None if index else answer.last_modified,
    )
    _finish_poll(source, stages, polled, kind=listing.kind.value, hint=max(listing.ttl or 0, answer.max_age or 0))
    if stages.websub is not None and listing.hub:
        margin = 2 * Cadence.of(source, stages.service).maximum  # renewed at a poll well before the lease ends
        topic = listing.topic or source.url
        await stages.websub.ensure(source.name, hub=listing.hub, topic=topic, margin=margin, reach=reach)
    report = PollReport(source.name, new=len(links) - retried, stored=stored, alerts=sum(a or 0 for a in outcomes))
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


async def _process(
    source: SourceSettings, links: list[tuple[str, Candidate]], reach: Reach | None, stages: Stages
) -> list[int | None]:
    if links:  # the workers start up while the first pages are fetched
        stages.workers.start()
    return await asyncio.gather(*(process_link(source.name, link, reach, stages, url) for url, link in links))


async def process_pushed(source: SourceSettings, content: bytes, content_type: str, stages: Stages) -> PollReport:
    """A feed a WebSub hub pushed: its new links through every stage, as a poll would take them."""
    pushed = Fetched(url=source.url, status=200, content=content, content_type=content_type)
    try:
        listing = read_listing(pushed, SourceKind.FEED, max_links=stages.fetcher.options.max_links)
    except SourceError as exc:
        log.warning(
            "pushed feed unreadable",
            extra={"stage": "websub", "action": "error", "source": source.name, "error": str(exc)},
        )
        return PollReport(source.name, error=str(exc))
    stale = stages.clock() - timedelta(seconds=stages.service.claim_lease)
    links, _ = new_links(listing, source.name, stages.store, stages.service.max_new_per_source, stale)
    outcomes = await _process(source, links, stages.fetcher.reach(source.url), stages)
    report = PollReport(source.name, new=len(links), stored=_stored(outcomes), alerts=sum(a or 0 for a in outcomes))
    log.info(
        "pushed",
        extra={
            "stage": "websub",
            "action": "pushed",
            "source": source.name,
            "new": report.new,
            "alerts": report.alerts,
        },
    )
    return report


def _stored(outcomes: list[int | None]) -> int:
    return sum(1 for alerts in outcomes if alerts is not None)


def _status(exc: Exception) -> int | None:
    return exc.status if isinstance(exc, FetchError) else None


def _finish_poll(
    source: SourceSettings,
    stages: Stages,
    state: SourceState,
    *,
    error: MonitorError | None = None,
    kind: str | None = None,
    not_modified: bool = False,
    hint: float | None = None,
) -> None:
    """Next poll time, health, and the operator alert on a change (`monitor.polling.conclude`)."""
    now, cadence = stages.clock(), Cadence.of(source, stages.service)
    pushed = stages.websub is not None and stages.store.subscriptions.pushed(source.name, now)
    retry_after = error.retry_after if isinstance(error, FetchError) else None
    verdict = conclude(
        state, cadence, HealthPolicy.of(stages.service), now, hint=hint, retry_after=retry_after, pushed=pushed
    )
    state, became, change = verdict.state, verdict.health, None
    if verdict.changed:
        change = SourceHealthChange(source.name, source.url, state.health, became.value, str(error) if error else None)
        log.warning(
            "source health changed",
            extra={"stage": "source", "action": became.value, "source": source.name, "previous": state.health},
        )
    record = PollRecord(
        state,
        now=now,
        next_poll_at=now + timedelta(seconds=verdict.delay),
        kind=kind,
        not_modified=not_modified,
        error=str(error) if error else None,
        change=change,
        health=became.value,
        operators=stages.operators,
    )
    if stages.poll_records is not None:
        stages.poll_records.append(record)  # the round writes them together
    else:
        record_polls(stages.store, [record])


def record_polls(store: Store, records: Sequence[PollRecord]) -> None:
    """Poll records and, in the same transaction, an operator alert for each health change."""
    if not records:
        return
    with store.transaction() as tx:
        tx.record_polls(records)
        for record in records:
            if record.change is not None:
                tx.add_operator_alert(record.change, channels=record.operators, now=record.now)


async def process_link(
    source: str, link: Candidate, reach: Reach | None, stages: Stages, url: str | None = None
) -> int | None:
    """fetch -> extract -> dedupe -> match -> outbox. Returns alerts written, None if not stored.

    `url` is the link's canonical URL when the caller has it already.
    """
    url = url or canonical_url(link.url)
    lease = stages.service.claim_lease
    if not stages.store.claims.page(source=source, url=link.url, canonical_url=url, now=stages.clock(), lease=lease):
        return None  # another instance is fetching it, or has stored it
    # `inflight` bounds the pages held in memory (fetched, waiting for a worker); its slot is taken
    # when the site's turn comes, so links waiting for a slow site hold none of them.
    reserve = Reserve(stages.inflight)
    try:
        page = await _fetch_article(source, link, url, reach, stages, reserve=reserve)
        if page is None:
            return None
        with stages.filer.coming():
            started = time.perf_counter()
            prepared = await stages.workers.prepare(page.content, page.url)
            if stages.metrics is not None:
                stages.metrics.extraction(time.perf_counter() - started)
    finally:
        reserve.release()
    extracted = prepared.extracted
    if isinstance(extracted, Rejected):
        stages.store.pages.reject(
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
        # Where the article really is, without tracking parameters.
        url=url if page.url == link.url else canonical_url(page.url),
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
    # Keys date "on Saturday" by the page's own date; with only the feed's, they are made again with it.
    keys = prepared.keys if extracted.published or not link.published else None
    return await stages.filer.file(Filing(article, matches, prepared.fingerprint, keys))


async def _fetch_article(
    source: str, link: Candidate, url: str, reach: Reach | None, stages: Stages, *, reserve: Reserve
) -> Fetched | None:
    try:
        page = await stages.fetcher.get(link.url, reach=reach, reserve=reserve)
    except FetchError as exc:
        if isinstance(exc, TransientFetchError):  # asked again at a later poll, by whichever instance
            stages.store.claims.release_page(url)
            stages.store.backlog.update(source, keep=[(url, link)], taken=[])
        else:  # a 404 stays a 404: do not ask again
            stages.store.pages.reject(
                source=source,
                url=link.url,
                canonical_url=url,
                reason=str(exc),
                now=stages.clock(),
                retry=isinstance(exc, RefusedError),  # the guard or robots.txt may allow it later
            )
        log.warning(
            "article fetch failed",
            extra={"stage": "fetch", "action": "error", "source": source, "url": link.url, "error": exc.reason},
        )
        return None
    stages.timings.count("requests: article")
    assert isinstance(page, Fetched)  # no validators were sent, so no 304
    return page


async def _listing(answer: Fetched, source: SourceSettings, stages: Stages, reach: Reach) -> Listing:
    with stages.timings.measure("parse"):
        kind = source.kind
        listing = read_listing(answer, kind, max_links=stages.fetcher.options.max_links)
    return await with_children(listing, stages.fetcher, reach, stages.timings, children=stages.child_sitemaps)
