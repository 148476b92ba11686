"""URL safety: what a fetched link may reach on our own network.

A configured source URL is trusted. Everything the service finds in fetched content (feed
items, sitemap entries, section-page links, redirects) may reach a private, loopback,
link-local or multicast address only when it stays on the configured source's host, or
when `fetch.allow_private` names that network or host.

The check sits at two places, so that neither a redirect nor DNS can get round it:
  * `GuardedTransport` sees every request, including every redirect hop httpx follows;
  * `GuardedBackend` resolves the name itself, checks each address, and connects to the
    address it checked (so a second, different DNS answer cannot be slipped in).
What may be reached is carried in a context variable set by the Fetcher around a request.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable
from contextvars import ContextVar
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpcore
import httpx

from monitor._sockets import AsyncioBackend
from monitor.errors import RefusedError

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
_STANDARD_PORTS = (80, 443)


class BlockedError(RefusedError):
    """A URL that would reach an address it may not: refused before any byte is sent."""


def address_kind(address: Address) -> str | None:
    """None for a public unicast address, else what it is ("loopback", "private", ...)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address.is_loopback:
        return "loopback"
    if address.is_link_local:
        return "link-local"
    if address.is_multicast:
        return "multicast"
    if address.is_unspecified:
        return "unspecified"
    if not address.is_global:
        return "private"
    return None


def parse_allowed(entries: Iterable[str]) -> tuple[tuple[Network, ...], frozenset[str]]:
    """`fetch.allow_private` entries: CIDR networks or host names."""
    networks: list[Network] = []
    hosts: set[str] = set()
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            hosts.add(entry.lower().rstrip("."))
    return tuple(networks), frozenset(hosts)


@dataclass(frozen=True, slots=True)
class Reach:
    """Where one source's requests may go: its own host always, other private hosts only if allowed."""

    home_host: str
    home_port: int
    networks: tuple[Network, ...] = ()
    hosts: frozenset[str] = frozenset()

    @classmethod
    def of(cls, source_url: str, allow: Iterable[str] = ()) -> Reach:
        parts = urlsplit(source_url)
        networks, hosts = parse_allowed(allow)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        return cls((parts.hostname or "").lower(), port, networks, hosts)

    def at_home(self, host: str, port: int) -> bool:
        # Same host name; another port only if it is the standard http/https one (an
        # https upgrade), not some other service that happens to listen there.
        return host.lower().rstrip(".") == self.home_host and port in (self.home_port, *_STANDARD_PORTS)

    def refusal(self, host: str, port: int, address: Address) -> str | None:
        """Why `host` at `address` may not be reached, or None when it may."""
        kind = address_kind(address)
        if kind is None or self.at_home(host, port) or host.lower() in self.hosts:
            return None
        if any(address in network for network in self.networks):
            return None
        return (
            f"{host} is a {kind} address ({address}) and not the source's own host; "
            f'to allow it, add "{host}" or its network to fetch.allow_private'
        )


# The Reach of the request being made; None (the default) means a trusted, configured URL.
current_reach: ContextVar[Reach | None] = ContextVar("current_reach", default=None)


def _literal(host: str) -> Address | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """Resolves, checks every address against the current Reach, connects to a checked one."""

    def __init__(self, inner: httpcore.AsyncNetworkBackend | None = None) -> None:
        self._inner = inner or AsyncioBackend()
        # Hosts we connected to at a non-public address: a pooled connection to one of them
        # must not be reused by a request whose Reach does not allow it (GuardedTransport).
        self.private_hosts: dict[tuple[str, int], Address] = {}
        self.connections = 0  # opened so far

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = await self._resolve(host, port)
        reach = current_reach.get()
        allowed = [a for a in addresses if reach is None or reach.refusal(host, port, a) is None]
        if not allowed:
            assert reach is not None
            raise BlockedError(f"{host}:{port}", f"refused: {reach.refusal(host, port, addresses[0])}")
        last: Exception | None = None
        for address in allowed:
            try:
                stream = await self._inner.connect_tcp(
                    str(address), port, timeout=timeout, local_address=local_address, socket_options=socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last = exc
                continue
            if address_kind(address) is not None:
                self.private_hosts[(host.lower(), port)] = address
            self.connections += 1
            return stream
        assert last is not None
        raise last

    async def _resolve(self, host: str, port: int) -> list[Address]:
        literal = _literal(host)
        if literal is not None:
            return [literal]
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError as exc:
            raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from None
        found: list[Address] = []
        for *_, sockaddr in infos:
            address = ipaddress.ip_address(sockaddr[0])
            if address not in found:
                found.append(address)
        return found

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("unix sockets are not used by the monitor")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class GuardedTransport(httpx.AsyncBaseTransport):
    """httpx's own transport over a GuardedBackend, with a check on every request (every hop)."""

    def __init__(self, **options: object) -> None:
        self.backend = GuardedBackend()
        self._inner = httpx.AsyncHTTPTransport(**options)  # type: ignore[arg-type]
        # httpx has no public way to pass a network backend: swap in a pool built with ours,
        # with the settings httpx gave its own (tests/unit/test_guard.py checks this holds).
        pool = self._inner._pool
        assert isinstance(pool, httpcore.AsyncConnectionPool)
        self._inner._pool = httpcore.AsyncConnectionPool(
            ssl_context=pool._ssl_context,
            max_connections=pool._max_connections,
            max_keepalive_connections=pool._max_keepalive_connections,
            keepalive_expiry=pool._keepalive_expiry,
            http1=pool._http1,
            http2=pool._http2,
            network_backend=self.backend,
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        reach = current_reach.get()
        if reach is not None:
            self.check(reach, request.url)
        return await self._inner.handle_async_request(request)

    def check(self, reach: Reach, url: httpx.URL) -> None:
        if url.scheme not in ("http", "https"):
            raise BlockedError(str(url), f"refused: {url.scheme}:// is not http or https")
        host, port = url.host.lower(), url.port or (443 if url.scheme == "https" else 80)
        address = _literal(host) or self.backend.private_hosts.get((host, port))
        reason = None if address is None else reach.refusal(host, port, address)
        if reason:
            raise BlockedError(str(url), f"refused: {reason}")

    async def aclose(self) -> None:
        await self._inner.aclose()
