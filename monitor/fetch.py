"""The HTTP side: one shared httpx client, per-host limits, caching headers, retries.

Conditional GET per RFC 9110 §13: we send If-None-Match (ETag) and If-Modified-Since
(Last-Modified) as the server gave them; a 304 means the stored copy is current.
"""

from __future__ import annotations

import asyncio
import email.utils
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

import httpx
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, stop_after_attempt

from monitor import USER_AGENT
from monitor.domain import Fetched, NotModified
from monitor.errors import FetchError

TRANSIENT_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})
Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class FetchOptions:
    connect_timeout: float = 10.0
    read_timeout: float = 20.0
    total_timeout: float = 60.0
    max_bytes: int = 5_000_000
    max_redirects: int = 5
    per_host: int = 2
    retries: int = 2
    backoff: float = 0.5
    max_retry_after: float = 120.0
    user_agent: str = USER_AGENT


class TransientFetchError(FetchError):
    """Worth another try within this poll (connection trouble, 429, 5xx)."""


def make_client(options: FetchOptions, transport: httpx.AsyncBaseTransport | None = None) -> httpx.AsyncClient:
    timeout = httpx.Timeout(
        connect=options.connect_timeout, read=options.read_timeout, write=options.read_timeout, pool=None
    )
    return httpx.AsyncClient(
        timeout=timeout,
        follow_redirects=True,
        max_redirects=options.max_redirects,
        headers={"User-Agent": options.user_agent, "Accept-Encoding": "gzip, deflate"},
        transport=transport,
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


class Fetcher:
    """GETs with politeness and safety limits; raises FetchError when a URL cannot be had."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        options: FetchOptions,
        *,
        sleep: Sleep = asyncio.sleep,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._client = client
        self._options = options
        self._sleep = sleep
        self._clock = clock
        self._hosts: dict[str, asyncio.Semaphore] = {}
        self.requests = 0

    def _host_slot(self, url: str) -> asyncio.Semaphore:
        host = urlsplit(url).netloc.lower()
        if host not in self._hosts:
            self._hosts[host] = asyncio.Semaphore(self._options.per_host)
        return self._hosts[host]

    def _wait(self, state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        if isinstance(error, FetchError) and error.retry_after is not None:
            return error.retry_after
        return float(self._options.backoff * 2 ** (state.attempt_number - 1))

    async def get(
        self, url: str, *, etag: str | None = None, last_modified: str | None = None
    ) -> Fetched | NotModified:
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self._options.retries + 1),
            wait=self._wait,
            retry=retry_if_exception_type(TransientFetchError),
            sleep=self._sleep,
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                async with self._host_slot(url):
                    return await self._get_once(url, headers)
        raise AssertionError("unreachable: tenacity re-raises the last error")  # pragma: no cover

    async def _get_once(self, url: str, headers: dict[str, str]) -> Fetched | NotModified:
        self.requests += 1
        try:
            async with asyncio.timeout(self._options.total_timeout):
                async with self._client.stream("GET", url, headers=headers) as response:
                    return await self._read(url, response)
        except TimeoutError:
            raise TransientFetchError(url, f"no complete answer within {self._options.total_timeout:g}s") from None
        except httpx.TooManyRedirects:
            raise FetchError(url, f"more than {self._options.max_redirects} redirects") from None
        except httpx.TimeoutException as exc:
            raise TransientFetchError(url, f"timeout ({type(exc).__name__})") from None
        except httpx.TransportError as exc:
            raise TransientFetchError(url, f"connection failed: {exc or type(exc).__name__}") from None
        except httpx.InvalidURL as exc:
            raise FetchError(url, f"invalid URL: {exc}") from None

    async def _read(self, url: str, response: httpx.Response) -> Fetched | NotModified:
        if response.status_code == 304:
            return NotModified(url=url)
        if response.status_code >= 400:
            reason = f"HTTP {response.status_code}"
            if response.status_code not in TRANSIENT_STATUS:
                raise FetchError(url, reason)
            delay = parse_retry_after(response.headers.get("Retry-After"), self._clock())
            if delay is not None and delay > self._options.max_retry_after:
                # Too long to wait inside one poll: give up now, the next poll will try again.
                raise FetchError(url, f"{reason}, Retry-After {delay:.0f}s", retry_after=delay)
            raise TransientFetchError(url, reason, retry_after=delay)
        limit = self._options.max_bytes
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > limit:
            raise FetchError(url, f"response of {declared} bytes exceeds the {limit}-byte cap")
        body = bytearray()
        async for chunk in response.aiter_bytes():
            body.extend(chunk)
            if len(body) > limit:
                raise FetchError(url, f"response exceeds the {limit}-byte cap")
        return Fetched(
            url=str(response.url),
            status=response.status_code,
            content=bytes(body),
            content_type=response.headers.get("Content-Type", ""),
            etag=response.headers.get("ETag"),
            last_modified=response.headers.get("Last-Modified"),
        )
