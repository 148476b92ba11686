"""Fetcher against a real local HTTP server (scripted answers for the retry cases), with
sleeps recorded instead of slept."""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler

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


def scripted(answers: list[tuple[int, dict[str, str], bytes]]) -> Callable[[BaseHTTPRequestHandler], None]:
    """Answers one request after another with the next (status, headers, body)."""

    def answer(handler: BaseHTTPRequestHandler) -> None:
        status, headers, body = answers.pop(0) if len(answers) > 1 else answers[0]
        handler.send_response(status)
        for key, value in {**headers, "Content-Length": str(len(body))}.items():
            handler.send_header(key, value)
        handler.end_headers()
        handler.wfile.write(body)

    return answer


async def test_transient_errors_are_retried_honouring_retry_after(web: FakeWeb) -> None:
    web.handle("/feed", scripted([(503, {"Retry-After": "7"}, b""), (502, {}, b""), (200, {}, b"ok")]))
    sleeps = Sleeps()
    options = FetchOptions(retries=2, backoff=0.25, robots=False, host_interval=0)
    async with make_client(options) as client:
        fetcher = Fetcher(client, options, sleep=sleeps, clock=lambda: NOW, monotonic=sleeps.monotonic)
        page = await fetcher.get(f"{web.base}/feed")
    assert isinstance(page, Fetched) and page.content == b"ok"
    assert sleeps.calls == [7.0, 0.5]  # Retry-After first (the host gate waits it out), then exponential backoff


async def test_a_long_retry_after_is_not_waited_for(web: FakeWeb) -> None:
    web.handle("/feed", scripted([(429, {"Retry-After": "3600"}, b"")]))
    sleeps = Sleeps()
    options = FetchOptions(retries=3, max_retry_after=120, robots=False)
    async with make_client(options) as client:
        fetcher = Fetcher(client, options, sleep=sleeps, clock=lambda: NOW, monotonic=sleeps.monotonic)
        with pytest.raises(FetchError) as caught:
            await fetcher.get(f"{web.base}/feed")
        # The whole site is now held: the next request fails at once, without asking.
        with pytest.raises(FetchError, match="asked us to wait"):
            await fetcher.get(f"{web.base}/other")
    assert caught.value.retry_after == 3600 and sleeps.calls == []
    assert web.paths_requested() == ["/feed"]


async def test_gzip_and_deflate_bodies_are_inflated(web: FakeWeb) -> None:
    text = b"<rss>" + b"news " * 2000 + b"</rss>"
    web.add("/gz", gzip.compress(text), headers={"Content-Encoding": "gzip"})
    web.add("/zlib", zlib.compress(text), headers={"Content-Encoding": "deflate"})
    raw = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    web.add("/raw", raw.compress(text) + raw.flush(), headers={"Content-Encoding": "deflate"})
    web.add("/broken", b"not gzip at all", headers={"Content-Encoding": "gzip"})
    options = FetchOptions(host_interval=0, robots=False, retries=0)
    async with make_client(options) as client:
        fetcher = Fetcher(client, options)
        for path in ("/gz", "/zlib", "/raw"):
            page = await fetcher.get(f"{web.base}{path}")
            assert isinstance(page, Fetched) and page.content == text
        with pytest.raises(FetchError, match="broken compressed body"):
            await fetcher.get(f"{web.base}/broken")


def test_retry_after_http_date() -> None:
    assert parse_retry_after("Fri, 01 Nov 2024 12:00:30 GMT", NOW) == 30
    assert parse_retry_after("garbage", NOW) is None
