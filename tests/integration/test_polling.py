"""poll_source against a real local outlet and a real store, with an injected clock:
adaptive intervals, error backoff and its reset, <ttl>, health states and operator alerts."""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from functools import partial

import pytest

from monitor.fetch import Fetcher, FetchOptions, make_client
from monitor.filing import Filer
from monitor.pipeline import Stages, poll_source
from monitor.settings import ServiceSettings, SourceSettings
from monitor.store import Store, open_store
from monitor.stories import file_batch
from monitor.timing import Timings
from monitor.topics import TopicMatcher, parse_rulebook
from monitor.worker import Prepared, prepare
from tests.support.servers import FakeWeb

START = datetime(2024, 11, 5, 8, tzinfo=UTC)
SERVICE = ServiceSettings(interval=600, min_interval=300, max_interval=7200, stale_after=4, failing_after=3)


RULES = """
[lists.nothing]
en = ["zzzz"]
[[topics]]
name = "t"
[[topics.rules]]
any = ["nothing"]
"""


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


class InlineWorkers:
    """Extraction in this process: the worker pool is not what these tests are about."""

    def start(self) -> None:
        pass

    async def prepare(self, html: bytes, url: str) -> Prepared:
        return prepare(html, url)


def feed(items: list[datetime], ttl: int | None = None, prefix: str = "item") -> bytes:
    entries = "".join(
        f"<item><title>Item {i}</title><link>http://127.0.0.1:9/{prefix}-{i}</link>"
        f"<pubDate>{format_datetime(when)}</pubDate></item>"
        for i, when in enumerate(items)
    )
    extra = f"<ttl>{ttl}</ttl>" if ttl else ""
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>{extra}{entries}</channel></rss>'.encode()


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    opened = open_store(database_url)
    yield opened
    opened.close()


@pytest.fixture
def web() -> Iterator[FakeWeb]:
    with FakeWeb().running() as server:
        yield server


async def poll(source: SourceSettings, store: Store, clock: Clock, operators: tuple[str, ...] = ()) -> None:
    """One poll at the clock's time; the clock then moves on a second (alerts get distinct times)."""
    options = FetchOptions(host_interval=0, retries=0, robots=False)
    book = parse_rulebook(tomllib.loads(RULES), "t.toml")
    async with make_client(options) as client:
        matcher = TopicMatcher(book)
        write = partial(
            file_batch, store=store, topics=matcher.topics, channels_for=lambda _: [], clock=clock, timings=Timings()
        )
        stages = Stages(
            store=store,
            fetcher=Fetcher(client, options, clock=clock),
            workers=InlineWorkers(),
            matcher=matcher,
            channels={},
            clock=clock,
            filer=Filer(write),
            service=SERVICE,
            operators=operators,
        )
        await poll_source(source, stages)
    clock.now += timedelta(seconds=1)


def next_in(store: Store, name: str, clock: Clock) -> float:
    """Seconds from the source's last poll to its next one."""
    (view,) = store.views.sources([name])
    assert view.next_poll is not None and view.last_poll is not None
    return (view.next_poll - view.last_poll).total_seconds()


async def test_adaptive_interval_follows_publishing_rate_within_bounds(store: Store, web: FakeWeb) -> None:
    clock = Clock()
    busy = SourceSettings(name="busy", url=f"{web.base}/busy.xml")
    quiet = SourceSettings(name="quiet", url=f"{web.base}/quiet.xml")
    fixed = SourceSettings(name="fixed", url=f"{web.base}/busy.xml", interval=45)
    store.sources.sync([(s.name, s.url) for s in (busy, quiet, fixed)])
    # 24 items over the last 12 hours (one every 30 min); 3 items over the last week.
    web.add(
        "/busy.xml", feed([START - timedelta(minutes=30 * k) for k in range(24)]), content_type="application/rss+xml"
    )
    web.add("/quiet.xml", feed([START - timedelta(days=2 * k) for k in range(3)]), content_type="application/rss+xml")
    for source in (busy, quiet, fixed):
        await poll(source, store, clock)
    assert next_in(store, "busy", clock) == pytest.approx(1800, rel=0.05)  # its own pace
    assert next_in(store, "quiet", clock) == 7200  # the max bound
    assert next_in(store, "fixed", clock) == 45  # a configured interval is kept


async def test_errors_back_off_and_success_resets(store: Store, web: FakeWeb) -> None:
    clock = Clock()
    source = SourceSettings(name="flaky", url=f"{web.base}/flaky.xml")
    store.sources.sync([(source.name, source.url)])
    waits = []
    for _ in range(4):  # not found: 404 each time
        await poll(source, store, clock)
        waits.append(next_in(store, "flaky", clock))
    assert waits == [600, 1200, 2400, 4800]  # min_interval x 2^errors, up to max_interval
    web.add("/flaky.xml", feed([START - timedelta(hours=k) for k in range(10)]), content_type="application/rss+xml")
    await poll(source, store, clock)
    # 10 items in the 9 hours (and the 4 s of polls) since the oldest
    assert next_in(store, "flaky", clock) == pytest.approx(9 * 3600 / 10, abs=1)
    assert store.sources.state("flaky").error_count == 0


async def test_a_long_rss_ttl_is_respected(store: Store, web: FakeWeb) -> None:
    clock = Clock()
    source = SourceSettings(name="ttl", url=f"{web.base}/ttl.xml")
    store.sources.sync([(source.name, source.url)])
    items = [START - timedelta(minutes=10 * k) for k in range(20)]
    web.add("/ttl.xml", feed(items, ttl=90), content_type="application/rss+xml")  # 90 minutes
    await poll(source, store, clock)
    assert next_in(store, "ttl", clock) == 5400  # not the 5-minute minimum its pace would give


async def test_health_changes_are_operator_alerts(store: Store, web: FakeWeb) -> None:
    clock = Clock()
    source = SourceSettings(name="outlet", url=f"{web.base}/outlet.xml")
    store.sources.sync([(source.name, source.url)])
    web.add("/outlet.xml", feed([START - timedelta(hours=k) for k in range(12)]), content_type="application/rss+xml")
    await poll(source, store, clock, ("ops",))
    assert store.sources.state("outlet").health == "ok"
    # Nothing new for more than 4 x its usual hour: stale.
    clock.now += timedelta(hours=5)
    await poll(source, store, clock, ("ops",))
    assert store.sources.state("outlet").health == "stale"
    # Three failed polls in a row: failing; then 403s: blocked; then fine again: ok.
    web.add("/outlet.xml", b"gone", status=500)
    for _ in range(3):
        await poll(source, store, clock, ("ops",))
    assert store.sources.state("outlet").health == "failing"
    web.add("/outlet.xml", b"no", status=403)
    for _ in range(2):
        await poll(source, store, clock, ("ops",))
    assert store.sources.state("outlet").health == "blocked"
    web.add("/outlet.xml", feed([clock.now], prefix="fresh"), content_type="application/rss+xml")
    await poll(source, store, clock, ("ops",))
    assert store.sources.state("outlet").health == "ok"

    alerts = store.views.alerts(limit=10)
    changes = [(a.detail["previous"], a.detail["state"]) for a in reversed(alerts) if a.detail is not None]
    assert changes == [("ok", "stale"), ("stale", "failing"), ("failing", "blocked"), ("blocked", "ok")]
    assert all([d.channel for d in alert.deliveries] == ["ops"] for alert in alerts)
    view = store.outbox.view(alerts[1].id)  # failing -> blocked, with the last error
    assert view.kind == "source" and view.health is not None and "HTTP 403" in (view.health.reason or "")
