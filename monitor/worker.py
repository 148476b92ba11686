"""The CPU work on a new page, done in worker processes off the event loop.

Extraction (trafilatura's lxml tree work) and the text fingerprints (shingles, MinHash,
cross-language keys) are pure functions of the page, so a worker does them all and sends
back small results; the page itself is copied once, into the worker. The event loop only
awaits the futures, and `Workers` bounds how many pages wait in memory.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

from monitor.dedupe import fingerprint
from monitor.domain import Extracted, Fingerprint, Rejected
from monitor.entities import entity_keys
from monitor.extract import extract_page
from monitor.timing import peak_rss_mb

_WARM_UP = (
    b"<html lang='en'><body><article><h1>Warm-up</h1><p>"
    + b"A paragraph that makes trafilatura load its models and settings. " * 3
    + b"</p></article></body></html>"
)


@dataclass(frozen=True, slots=True)
class Prepared:
    extracted: Extracted | Rejected
    fingerprint: Fingerprint | None = None
    keys: frozenset[str] = frozenset()
    cpu_seconds: float = 0.0
    peak_rss_mb: float = 0.0


def prepare(html: bytes, url: str) -> Prepared:
    """Extract the article and fingerprint its text (runs in a worker process)."""
    started = time.process_time()
    extracted = extract_page(html, url)
    mark, keys = None, frozenset[str]()
    if isinstance(extracted, Extracted):
        mark = fingerprint(extracted.text)
        keys = entity_keys(extracted.title, extracted.text)
    return Prepared(extracted, mark, keys, time.process_time() - started, peak_rss_mb())


class Workers:
    """Owns the worker processes (started on first use); `close()` waits for them to finish."""

    def __init__(self, workers: int = 0) -> None:
        self.workers = workers or os.cpu_count() or 1
        self.cpu_seconds = 0.0  # CPU time spent in the workers
        self.peak_rss_mb = 0.0  # the largest worker's peak memory
        # forkserver: workers do not inherit the event loop, sockets or database handles.
        self._pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=multiprocessing.get_context("forkserver"))

    async def prepare(self, html: bytes, url: str) -> Prepared:
        loop = asyncio.get_running_loop()
        result = await loop.run_in_executor(self._pool, prepare, html, url)
        self.cpu_seconds += result.cpu_seconds
        self.peak_rss_mb = max(self.peak_rss_mb, result.peak_rss_mb)
        return result

    async def warm(self) -> None:
        """Start every worker and import trafilatura there, so the first article waits for neither."""
        await asyncio.gather(*(self.prepare(_WARM_UP, "http://warm-up.invalid/") for _ in range(self.workers)))

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)  # idempotent
