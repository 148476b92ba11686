"""robots.txt against a real local server: rules per agent, Crawl-delay spacing, the store
as cache, and RFC 9309's answers to a missing or unreachable file."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from monitor.errors import FetchError
from monitor.fetch import Fetcher, FetchOptions, TransientFetchError, make_client, robots_agent
from tests.support.servers import FakeWeb

NOW = datetime(2024, 11, 5, 9, tzinfo=UTC)
ROBOTS = b"""User-agent: *
Disallow: /

User-agent: news-monitor
Disallow: /members/
Crawl-delay: 3
"""


class Clock:
    """Injected time: sleeping records the wait and moves monotonic time on at once."""

    def __init__(self) -> None:
        self.sleeps: list[float] = []
        self.mono = 50.0

    async def sleep(self, seconds: float) -> None:
        if seconds > 0:
            self.sleeps.append(round(seconds, 2))
            self.mono += seconds

    def monotonic(self) -> float:
        return self.mono


class MemoryCache:
    def __init__(self) -> None:
        self.files: dict[str, tuple[str | None, datetime]] = {}

    def load_robots(self, site: str) -> tuple[str | None, datetime] | None:
        return self.files.get(site)

    def save_robots(self, site: str, text: str | None, fetched_at: datetime) -> None:
        self.files[site] = (text, fetched_at)


@pytest.fixture
def web() -> Iterator[FakeWeb]:
    with FakeWeb().running() as server:
        for path in ("/news/a", "/news/b", "/members/c"):
            server.add(path, b"<html>page</html>")
        yield server


def fetcher_for(client: object, clock: Clock, cache: MemoryCache, now: datetime = NOW) -> Fetcher:
    options = FetchOptions(host_interval=0.5, retries=0)
    return Fetcher(
        client,  # type: ignore[arg-type]
        options,
        robots_cache=cache,
        sleep=clock.sleep,
        monotonic=clock.monotonic,
        clock=lambda: now,
    )


def test_agent_token() -> None:
    assert robots_agent("news-monitor/0.1 (+https://example.org)") == "news-monitor"


async def test_our_group_applies_and_crawl_delay_spaces_requests(web: FakeWeb) -> None:
    web.add("/robots.txt", ROBOTS, content_type="text/plain")
    clock, cache = Clock(), MemoryCache()
    async with make_client(FetchOptions()) as client:
        fetcher = fetcher_for(client, clock, cache)
        await fetcher.get(f"{web.base}/news/a")
        await fetcher.get(f"{web.base}/news/b")
        with pytest.raises(FetchError, match=r"disallowed by robots\.txt") as refused:
            await fetcher.get(f"{web.base}/members/c")
    assert not isinstance(refused.value, TransientFetchError)
    assert web.paths_requested() == ["/robots.txt", "/news/a", "/news/b"]
    assert clock.sleeps == [3.0, 3.0]  # Crawl-delay 3 beats the configured 0.5 s
    assert cache.files[web.base][0] == ROBOTS.decode()


async def test_cached_file_is_used_until_it_expires(web: FakeWeb) -> None:
    web.add("/robots.txt", ROBOTS, content_type="text/plain")
    cache = MemoryCache()
    cache.save_robots(web.base, "User-agent: *\nDisallow: /news/b\n", NOW - timedelta(hours=1))
    async with make_client(FetchOptions()) as client:
        fetcher = fetcher_for(client, Clock(), cache)
        await fetcher.get(f"{web.base}/news/a")
        with pytest.raises(FetchError, match="disallowed"):
            await fetcher.get(f"{web.base}/news/b")
        later = fetcher_for(client, Clock(), cache, now=NOW + timedelta(days=1))
        await later.get(f"{web.base}/news/b")  # the stored copy expired: the new file allows it
    assert web.paths_requested() == ["/news/a", "/robots.txt", "/news/b"]


async def test_missing_file_allows_and_unreachable_file_forbids_for_now(web: FakeWeb) -> None:
    clock, cache = Clock(), MemoryCache()
    async with make_client(FetchOptions()) as client:
        await fetcher_for(client, clock, cache).get(f"{web.base}/members/c")  # 404: no rules
        assert cache.files[web.base][0] is None
        web.add("/robots.txt", b"down", status=503)
        other = MemoryCache()
        with pytest.raises(TransientFetchError, match=r"robots.txt could not be read \(HTTP 503\)"):
            await fetcher_for(client, clock, other).get(f"{web.base}/news/a")
    assert other.files == {}  # not cached: the next poll asks again
    assert "/news/a" not in web.paths_requested()
