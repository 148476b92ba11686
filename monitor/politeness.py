"""Politeness: how often and how many at once we ask one website, and what robots.txt allows.

`HostGate` is shared by every source, so two sources on one website share its limits:
at most `per_host` open requests, request starts at least `interval` apart (longer if the
site's robots.txt asks for a Crawl-delay), nothing while the site's Retry-After runs, and
at most `concurrency` open requests in all.

`RobotsRules` is what one site's robots.txt says (RFC 9309, parsed by Protego).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from protego import Protego

from monitor.errors import FetchError

Sleep = Callable[[float], Awaitable[None]]


def host_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{(parts.netloc or '').lower()}"


@dataclass
class _Host:
    open: asyncio.Semaphore
    turn: asyncio.Lock = field(default_factory=asyncio.Lock)
    interval: float = 0.0
    last_start: float | None = None
    blocked_until: float = 0.0


class HostGate:
    def __init__(
        self,
        *,
        interval: float,
        per_host: int,
        concurrency: int,
        max_wait: float,
        sleep: Sleep = asyncio.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._interval = interval
        self._per_host = per_host
        self._all = asyncio.Semaphore(concurrency)
        self._max_wait = max_wait
        self._sleep = sleep
        self._monotonic = monotonic
        self._hosts: dict[str, _Host] = {}

    def _host(self, url: str) -> _Host:
        key = host_of(url)
        if key not in self._hosts:
            self._hosts[key] = _Host(asyncio.Semaphore(self._per_host), interval=self._interval)
        return self._hosts[key]

    def slow_down(self, url: str, seconds: float) -> None:
        """The site asked for at least `seconds` between requests (robots.txt Crawl-delay)."""
        host = self._host(url)
        host.interval = max(host.interval, seconds)

    def block(self, url: str, seconds: float) -> None:
        """The site answered 429/503 with Retry-After: no request to it before that time."""
        host = self._host(url)
        host.blocked_until = max(host.blocked_until, self._monotonic() + seconds)

    def answered(self, url: str) -> None:
        """The site's answer has begun: it received the request by now at the latest.

        Spacing the next start from here (when that is later than our own start) keeps the
        gaps the site sees at `interval` even when connecting took a while.
        """
        host = self._host(url)
        host.last_start = max(host.last_start or 0.0, self._monotonic())

    @asynccontextmanager
    async def slot(self, url: str, reserve: Reserve | None = None) -> AsyncIterator[None]:
        """Wait for this host's turn, then hold one of its slots and one global slot. A `reserve`
        is taken when the turn has come, not before: a request waiting for a slow site holds
        nothing that requests to other sites need."""
        host = self._host(url)
        async with host.open:
            # One request at a time takes its turn, so start times are spaced however many
            # requests are waiting; the global slot is taken inside the turn so that a busy
            # service cannot make two starts on one host bunch up.
            async with host.turn:
                await self._wait_turn(url, host)
                if reserve is not None:
                    await reserve.take()
                await self._all.acquire()
                host.last_start = self._monotonic()
            try:
                yield
            finally:
                self._all.release()

    async def _wait_turn(self, url: str, host: _Host) -> None:
        now = self._monotonic()
        ready = host.blocked_until
        if host.last_start is not None:
            ready = max(ready, host.last_start + host.interval)
        wait = ready - now
        if wait > self._max_wait:
            raise FetchError(url, f"the site asked us to wait {wait:.0f}s more", retry_after=wait)
        if wait > 0:
            await self._sleep(wait)


class Reserve:
    """A slot of a bounded pool (pages fetched and not yet processed), taken once, when the request
    that needs it gets its site's turn, and released by whoever processes the page."""

    def __init__(self, pool: asyncio.Semaphore) -> None:
        self._pool = pool
        self._held = False

    async def take(self) -> None:
        if not self._held:  # a retried request keeps the slot it has
            await self._pool.acquire()
            self._held = True

    def release(self) -> None:
        if self._held:
            self._pool.release()
            self._held = False


@dataclass(frozen=True, slots=True)
class RobotsRules:
    """A site's robots.txt; `None` text means "allow everything" (no file, or 4xx)."""

    text: str | None
    disallow_all_reason: str | None = None  # the file could not be had (5xx, network): RFC 9309 §2.3.1.3

    def parsed(self) -> Protego | None:
        return None if self.text is None else Protego.parse(self.text)


def robots_url(url: str) -> str:
    return f"{host_of(url)}/robots.txt"


class RobotsCheck:
    """Parsed robots.txt per site, for `allowed` and `crawl_delay`."""

    def __init__(self, agent: str) -> None:
        self._agent = agent
        self._parsed: dict[str, tuple[RobotsRules, Protego | None]] = {}

    def known(self, url: str) -> bool:
        return host_of(url) in self._parsed

    def add(self, url: str, rules: RobotsRules) -> None:
        self._parsed[host_of(url)] = (rules, rules.parsed())

    def unreachable(self, url: str) -> bool:
        return self._parsed[host_of(url)][0].disallow_all_reason is not None

    def refusal(self, url: str) -> str | None:
        rules, parsed = self._parsed[host_of(url)]
        if rules.disallow_all_reason:
            return f"robots.txt could not be read ({rules.disallow_all_reason}), so nothing may be fetched for now"
        if parsed is not None and not parsed.can_fetch(url, self._agent):
            return "disallowed by robots.txt"
        return None

    def crawl_delay(self, url: str) -> float | None:
        _, parsed = self._parsed[host_of(url)]
        if parsed is None:
            return None
        delay = parsed.crawl_delay(self._agent)
        rate = parsed.request_rate(self._agent)
        if rate is not None and rate.requests:
            delay = max(delay or 0.0, rate.seconds / rate.requests)
        return float(delay) if delay else None
