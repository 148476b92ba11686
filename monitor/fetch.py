"""The HTTP side: one shared httpx client, politeness, safety limits, caching headers, retries.

Every GET goes: scheme check -> robots.txt (cached) -> the host's turn (HostGate) -> one
request whose every hop and connected address the guard checks -> a body read under a size
cap, a decompression-ratio cap and a total deadline (a server trickling bytes hits it).

Conditional GET per RFC 9110 §13: we send If-None-Match (ETag) and If-Modified-Since
(Last-Modified) as the server gave them; a 304 means the stored copy is current.
"""

from __future__ import annotations

import asyncio
import email.utils
import hashlib
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

import httpx
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt

from monitor import USER_AGENT
from monitor.domain import Fetched, NotModified
from monitor.errors import FetchError, RefusedError
from monitor.guard import BlockedError, GuardedTransport, Reach, current_reach
from monitor.inflate import Inflater
from monitor.politeness import HostGate, Reserve, RobotsCheck, RobotsRules, Sleep, host_of, robots_url

TRANSIENT_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})
ROBOTS_MAX_BYTES = 500_000  # RFC 9309 §2.5: at least 500 KiB must be parsed; we read no more
_MAX_AGE = re.compile(r"(?:^|,)\s*(?:s-)?max-age\s*=\s*\"?(\d+)", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class FetchOptions:
    connect_timeout: float = 10.0
    read_timeout: float = 20.0
    total_timeout: float = 60.0
    max_bytes: int = 5_000_000
    max_ratio: int = 100
    max_redirects: int = 5
    per_host: int = 2
    host_interval: float = 1.0
    concurrency: int = 16
    retries: int = 2
    backoff: float = 0.5
    max_retry_after: float = 120.0
    robots: bool = True
    robots_ttl: float = 86400.0
    max_crawl_delay: float = 60.0
    max_links: int = 1000
    allow_private: tuple[str, ...] = ()
    user_agent: str = USER_AGENT

    def refusal_rules(self) -> str:
        """A short key of the settings that decide refusals: when it changes, refused links are asked again."""
        rules = json.dumps([sorted(self.allow_private), self.robots, self.user_agent.split(" (")[0]])
        return hashlib.sha256(rules.encode()).hexdigest()[:16]


class TransientFetchError(FetchError):
    """Worth another try within this poll (connection trouble, 429, 5xx)."""


class SlowFetchError(TransientFetchError):
    """No complete answer within the total deadline: try at the next poll, not at once."""


class RobotsCache(Protocol):
    """Where robots.txt files are kept between runs (the store)."""

    def load_robots(self, site: str) -> tuple[str | None, datetime] | None: ...

    def save_robots(self, site: str, text: str | None, fetched_at: datetime) -> None: ...


def make_client(options: FetchOptions, transport: GuardedTransport | None = None) -> httpx.AsyncClient:
    """The one client of the service, over the guarded transport."""
    timeout = httpx.Timeout(
        connect=options.connect_timeout, read=options.read_timeout, write=options.read_timeout, pool=None
    )
    return httpx.AsyncClient(
        timeout=timeout,
        follow_redirects=True,
        max_redirects=options.max_redirects,
        headers={"User-Agent": options.user_agent, "Accept-Encoding": "gzip, deflate"},
        transport=transport or GuardedTransport(),
    )


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Retry-After is either delay-seconds or an HTTP-date (RFC 9110 §10.2.3)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def parse_max_age(value: str | None) -> float | None:
    found = _MAX_AGE.search(value or "")
    return float(found.group(1)) if found else None


def robots_agent(user_agent: str) -> str:
    """The product token robots.txt groups are matched against: 'news-monitor/0.1 (...)' -> 'news-monitor'."""
    return user_agent.split("/", 1)[0].split(maxsplit=1)[0] if user_agent.strip() else "*"


class _RetryPolicy:
    def __init__(self, backoff: float) -> None:
        self._backoff = backoff

    def wait(self, state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        if isinstance(error, FetchError) and error.retry_after is not None:
            return 0.0  # the HostGate holds every request to the site until its Retry-After has passed
        return float(self._backoff * 2 ** (state.attempt_number - 1))

    @staticmethod
    def worth_retrying(error: BaseException) -> bool:
        return isinstance(error, TransientFetchError) and not isinstance(error, SlowFetchError)


class Fetcher:
    """GETs with politeness and safety limits; raises FetchError when a URL cannot be had."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        options: FetchOptions,
        *,
        robots_cache: RobotsCache | None = None,
        sleep: Sleep = asyncio.sleep,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._options = options
        self._sleep = sleep
        self._clock = clock
        self._retry = _RetryPolicy(options.backoff)
        self.gate = HostGate(
            interval=options.host_interval,
            per_host=options.per_host,
            concurrency=options.concurrency,
            max_wait=options.max_retry_after,
            sleep=sleep,
            monotonic=monotonic,
        )
        self._robots = RobotsCheck(robots_agent(options.user_agent))
        self._robots_cache = robots_cache
        self._robots_loading: dict[str, asyncio.Lock] = {}
        self.robots_requests = 0

    @property
    def options(self) -> FetchOptions:
        return self._options

    def reach(self, source_url: str) -> Reach:
        return Reach.of(source_url, self._options.allow_private)

    async def get(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        reach: Reach | None = None,
        reserve: Reserve | None = None,
    ) -> Fetched | NotModified:
        """GET with politeness, robots.txt, retries and caps. A `reserve` is taken when the site's
        turn has come (see HostGate.slot)."""
        if not url.startswith(("http://", "https://")):
            raise FetchError(url, "refused: only http and https URLs are fetched")
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        await self._obey_robots(url, reach)
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self._options.retries + 1),
            wait=self._retry.wait,
            retry=retry_if_exception(self._retry.worth_retrying),
            sleep=self._sleep,
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                async with self.gate.slot(url, reserve):
                    return await self._get_once(url, headers, reach)
        raise AssertionError("unreachable: tenacity re-raises the last error")  # pragma: no cover

    # -- robots.txt ----------------------------------------------------------------------

    async def _obey_robots(self, url: str, reach: Reach | None) -> None:
        if not self._options.robots:
            return
        site = host_of(url)
        if not self._robots.known(url):
            async with self._robots_loading.setdefault(site, asyncio.Lock()):
                if not self._robots.known(url):
                    self._robots.add(url, await self._load_robots(url, reach))
                    delay = self._robots.crawl_delay(url)
                    if delay:
                        self.gate.slow_down(url, min(delay, self._options.max_crawl_delay))
        refusal = self._robots.refusal(url)
        if refusal:
            # An unreadable robots.txt forbids for now, not for good: the next poll asks again.
            raise (TransientFetchError if self._robots.unreachable(url) else RefusedError)(url, refusal)

    async def _load_robots(self, url: str, reach: Reach | None) -> RobotsRules:
        site, now = host_of(url), self._clock()
        cached = self._robots_cache.load_robots(site) if self._robots_cache else None
        if cached is not None and cached[1] + timedelta(seconds=self._options.robots_ttl) > now:
            return RobotsRules(cached[0])
        self.robots_requests += 1
        try:
            async with self.gate.slot(url):
                answer = await self._get_once(robots_url(url), {}, reach, max_bytes=ROBOTS_MAX_BYTES)
        except FetchError as exc:
            if exc.status is not None and 400 <= exc.status < 500 and exc.status != 429:
                rules = RobotsRules(None)  # RFC 9309 §2.3.1.3: "unavailable" means no rules
            elif exc.status is not None:
                return RobotsRules(None, disallow_all_reason=exc.reason)  # unreachable: not cached
            elif isinstance(exc, BlockedError):  # the site itself may not be reached: say so, not "robots.txt"
                raise BlockedError(url, exc.reason) from None
            else:
                raise FetchError(url, f"robots.txt: {exc.reason}", retry_after=exc.retry_after) from None
        else:
            assert isinstance(answer, Fetched)
            rules = RobotsRules(answer.content.decode("utf-8", "replace"))
        if self._robots_cache is not None:
            self._robots_cache.save_robots(site, rules.text, now)
        return rules

    # -- one request ---------------------------------------------------------------------

    async def _get_once(
        self, url: str, headers: dict[str, str], reach: Reach | None, *, max_bytes: int | None = None
    ) -> Fetched | NotModified:
        token = current_reach.set(reach)
        try:
            async with asyncio.timeout(self._options.total_timeout):
                async with self._client.stream("GET", url, headers=headers) as response:
                    return await self._read(url, response, max_bytes or self._options.max_bytes)
        except TimeoutError:
            raise SlowFetchError(url, f"no complete answer within {self._options.total_timeout:g}s") from None
        except httpx.TooManyRedirects:
            raise FetchError(url, f"more than {self._options.max_redirects} redirects") from None
        except httpx.TimeoutException as exc:
            raise TransientFetchError(url, f"timeout ({type(exc).__name__})") from None
        except httpx.TransportError as exc:
            raise TransientFetchError(url, f"connection failed: {exc or type(exc).__name__}") from None
        except httpx.InvalidURL as exc:
            raise FetchError(url, f"invalid URL: {exc}") from None
        finally:
            current_reach.reset(token)

    async def _read(self, url: str, response: httpx.Response, limit: int) -> Fetched | NotModified:
        self.gate.answered(url)
        if response.status_code == 304:
            await response.aread()  # the (empty) body read to its end: the connection goes back to the pool
            return NotModified(url=url)
        if response.status_code >= 400:
            self._refused(url, response)
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > limit:
            raise FetchError(url, f"response of {declared} bytes exceeds the {limit}-byte cap")
        decoder = Inflater(response.headers.get("Content-Encoding", ""), url, limit, self._options.max_ratio)
        async for raw in response.aiter_raw():
            decoder.feed(raw)
        body = decoder.finish()
        return Fetched(
            url=str(response.url),
            status=response.status_code,
            content=body,
            content_type=response.headers.get("Content-Type", ""),
            etag=response.headers.get("ETag"),
            last_modified=response.headers.get("Last-Modified"),
            max_age=parse_max_age(response.headers.get("Cache-Control")),
            links=response.headers.get("Link"),
        )

    def _refused(self, url: str, response: httpx.Response) -> None:
        status = response.status_code
        reason = f"HTTP {status}"
        if status not in TRANSIENT_STATUS:
            raise FetchError(url, reason, status=status)
        delay = parse_retry_after(response.headers.get("Retry-After"), self._clock())
        if delay is not None:
            self.gate.block(url, delay)  # every source on this site waits, not just this request
            if delay > self._options.max_retry_after:
                # Too long to wait inside one poll: give up now, the next poll will try again.
                raise FetchError(url, f"{reason}, Retry-After {delay:.0f}s", retry_after=delay, status=status)
        raise TransientFetchError(url, reason, retry_after=delay, status=status)
