"""Fetcher against a real local HTTP server; retry timing through httpx's MockTransport
(a scripted 503 -> 200 sequence with Retry-After needs no network), with sleeps recorded
instead of slept."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest

from monitor.domain import Fetched, NotModified
from monitor.errors import FetchError
from monitor.fetch import Fetcher, FetchOptions, TransientFetchError, make_client, parse_retry_after
from tests.support.servers import FakeWeb

NOW = datetime(2024, 11, 1, 12, tzinfo=UTC)


@pytest.fixture
def web() -> Iterator[FakeWeb]:
    with FakeWeb().running() as server:
        yield server


class Sleeps:
    """An injected clock: sleeping records the wait and moves time on, at once."""

    def __init__(self) -> None:
        self.calls: list[float] = []
        self.now = 1000.0

    async def __call__(self, seconds: float) -> None:
        if seconds:
            self.calls.append(round(seconds, 3))
        self.now += seconds

    def monotonic(self) -> float:
        return self.now


async def test_conditional_get_and_user_agent(web: FakeWeb) -> None:
    web.add("/feed.xml", b"<rss version='2.0'><channel></channel></rss>", content_type="application/rss+xml")
    options = FetchOptions(host_interval=0)
    async with make_client(options) as client:
        fetcher = Fetcher(client, options)
        first = await fetcher.get(f"{web.base}/feed.xml")
        assert isinstance(first, Fetched) and first.etag
        again = await fetcher.get(f"{web.base}/feed.xml", etag=first.etag)
    assert isinstance(again, NotModified)
    assert web.paths_requested() == ["/robots.txt", "/feed.xml", "/feed.xml"]  # robots.txt once, first
    assert "news-monitor" in web.requests[1][1]["User-Agent"]
    assert web.requests[2][1]["If-None-Match"] == first.etag


async def test_size_cap_and_permanent_errors(web: FakeWeb) -> None:
    web.add("/big", b"x" * 5000)
    options = FetchOptions(max_bytes=1000, retries=0, host_interval=0)
    async with make_client(options) as client:
        fetcher = Fetcher(client, options)
        with pytest.raises(FetchError, match="exceeds the 1000-byte cap"):
            await fetcher.get(f"{web.base}/big")
        with pytest.raises(FetchError, match="HTTP 404") as missing:
            await fetcher.get(f"{web.base}/missing")
    assert not isinstance(missing.value, TransientFetchError)


async def test_redirect_limit(web: FakeWeb) -> None:
    for i in range(4):
        web.add(f"/r{i}", b"", status=301, headers={"Location": f"/r{i + 1}"})
    options = FetchOptions(max_redirects=2)
    async with make_client(options) as client:
        with pytest.raises(FetchError, match="more than 2 redirects"):
            await Fetcher(client, options).get(f"{web.base}/r0")


async def test_transient_errors_are_retried_honouring_retry_after() -> None:
    answers = iter(
        [httpx.Response(503, headers={"Retry-After": "7"}), httpx.Response(502), httpx.Response(200, content=b"ok")]
    )
    transport = httpx.MockTransport(lambda request: next(answers))
    sleeps = Sleeps()
    options = FetchOptions(retries=2, backoff=0.25, robots=False, host_interval=0)
    async with make_client(options, transport) as client:
        fetcher = Fetcher(client, options, sleep=sleeps, clock=lambda: NOW, monotonic=sleeps.monotonic)
        page = await fetcher.get("http://outlet.test/feed")
    assert isinstance(page, Fetched) and page.content == b"ok"
    assert sleeps.calls == [7.0, 0.5]  # Retry-After first (the host gate waits it out), then exponential backoff


async def test_a_long_retry_after_is_not_waited_for() -> None:
    transport = httpx.MockTransport(lambda request: httpx.Response(429, headers={"Retry-After": "3600"}))
    sleeps = Sleeps()
    options = FetchOptions(retries=3, max_retry_after=120, robots=False)
    async with make_client(options, transport) as client:
        with pytest.raises(FetchError) as caught:
            await Fetcher(client, options, sleep=sleeps, clock=lambda: NOW, monotonic=sleeps.monotonic).get(
                "http://outlet.test/feed"
            )
    assert caught.value.retry_after == 3600 and sleeps.calls == []


def test_retry_after_http_date() -> None:
    assert parse_retry_after("Fri, 01 Nov 2024 12:00:30 GMT", NOW) == 30
    assert parse_retry_after("garbage", NOW) is None
