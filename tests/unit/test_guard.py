"""The URL guard against a real local server: names are resolved and checked, pooled
connections are not a way round it, and the source's own host stays reachable."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator

import httpcore
import pytest

from monitor.errors import FetchError
from monitor.fetch import Fetcher, FetchOptions, make_client
from monitor.guard import BlockedError, GuardedTransport, Reach, address_kind
from tests.support.servers import FakeWeb

OPTIONS = FetchOptions(host_interval=0, retries=0, robots=False)


@pytest.fixture
def web() -> Iterator[FakeWeb]:
    with FakeWeb().running() as server:
        server.add("/feed.xml", b"<rss/>")
        yield server


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("127.0.0.5", "loopback"),
        ("10.1.2.3", "private"),
        ("192.168.1.1", "private"),
        ("172.16.0.1", "private"),
        ("100.64.0.1", "private"),  # carrier-grade NAT
        ("169.254.169.254", "link-local"),
        ("224.0.0.1", "multicast"),
        ("0.0.0.0", "unspecified"),
        ("::1", "loopback"),
        ("fe80::1", "link-local"),
        ("fc00::1", "private"),
        ("::ffff:127.0.0.1", "loopback"),  # IPv4-mapped
        ("93.184.216.34", None),
        ("2606:4700::1111", None),
    ],
)
def test_address_kinds(address: str, kind: str | None) -> None:
    assert address_kind(ipaddress.ip_address(address)) == kind


def test_reach_allows_the_home_host_and_configured_networks() -> None:
    reach = Reach.of("http://127.0.0.1:8080/feed.xml", ["10.20.0.0/16", "intranet.example"])
    loopback, private = ipaddress.ip_address("127.0.0.1"), ipaddress.ip_address("10.20.3.4")
    assert reach.refusal("127.0.0.1", 8080, loopback) is None
    assert reach.refusal("127.0.0.1", 443, loopback) is None  # an https upgrade of the same host
    assert reach.refusal("127.0.0.1", 6379, loopback)  # another service on the same machine
    assert reach.refusal("localhost", 8080, loopback)  # another name is another host
    assert reach.refusal("wiki", 80, private) is None  # inside an allowed network
    assert reach.refusal("intranet.example", 80, ipaddress.ip_address("192.168.0.9")) is None
    assert reach.refusal("other", 80, ipaddress.ip_address("192.168.0.9"))
    assert reach.refusal("news.example", 443, ipaddress.ip_address("93.184.216.34")) is None


async def test_a_name_resolving_to_loopback_is_refused_before_connecting(web: FakeWeb) -> None:
    reach = Reach.of("http://news.example/feed.xml")
    async with make_client(OPTIONS) as client:
        fetcher = Fetcher(client, OPTIONS)
        with pytest.raises(BlockedError, match="refused: localhost is a loopback address"):
            await fetcher.get(f"http://localhost:{web.port}/feed.xml", reach=reach)
        # The same URL as the configured source's own host is fine.
        home = Reach.of(f"http://localhost:{web.port}/")
        assert (await fetcher.get(f"http://localhost:{web.port}/feed.xml", reach=home)).url.endswith("/feed.xml")
        # A pooled connection to localhost now exists: another source still may not use it.
        with pytest.raises(BlockedError, match=r"private address and not the source's own host|loopback"):
            await fetcher.get(f"http://localhost:{web.port}/feed.xml", reach=reach)
    assert web.paths_requested() == ["/feed.xml"]


async def test_only_http_and_https(web: FakeWeb) -> None:
    async with make_client(OPTIONS) as client:
        fetcher = Fetcher(client, OPTIONS)
        for url in ("file:///etc/passwd", "ftp://example.org/x", "gopher://127.0.0.1:6379/_INFO"):
            with pytest.raises(FetchError, match="only http and https"):
                await fetcher.get(url, reach=Reach.of(web.base))


def test_transport_keeps_httpx_pool_settings() -> None:
    """The guard swaps httpx's connection pool for one with its backend (a private attribute)."""
    transport = GuardedTransport()
    pool = transport._inner._pool
    assert isinstance(pool, httpcore.AsyncConnectionPool)
    assert pool._network_backend is transport.backend
