"""The CPU work on a new page, done in worker processes off the event loop.

Extraction (trafilatura's lxml tree work) and the text fingerprints (shingles, MinHash,
cross-language keys) are pure functions of the page, so a worker does them all and sends
back small results; the page itself is copied once, into the worker. The event loop only
awaits the futures, and `Workers` bounds how many pages wait in memory.
"""

from __future__ import annotations

import asyncio
import gc
import multiprocessing
import os
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
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
# A made-up page whose dateline only a full date parser reads, in English: dateparser then loads
# and checks the English locale first. (A Russian dateline has it compile the patterns of all
# 400 locales, 1.3 s: a worker pays that only when such a page comes.)
_WARM_UP_DATED = (
    "<html lang='en'><head><title>Ministers meet in Geneva</title></head><body>"
    "<div class='meta'>Updated Thursday 31 Oct. 2024 at 2:05pm</div><div><h1>Ministers meet in Geneva</h1>"
    + "<p>Foreign ministers Anna Keller and Oleg Brandt met in Geneva about 11,000 tonnes of grain.</p>" * 6
    + "</div></body></html>"
).encode()


@dataclass(frozen=True, slots=True)
class Prepared:
    extracted: Extracted | Rejected
    fingerprint: Fingerprint | None = None
    keys: frozenset[str] = frozenset()
    cpu_seconds: float = 0.0  # for this page
    peak_rss_mb: float = 0.0
    worker: int = 0  # the worker's process id
    worker_cpu_seconds: float = 0.0  # the worker's CPU so far, start-up included


def prepare(html: bytes, url: str, measure_memory: bool = True) -> Prepared:
    """Extract the article and fingerprint its text (runs in a worker process).

    Reading the peak memory costs a tenth of a millisecond: the caller asks for it now and then.
    """
    started = time.process_time()
    extracted = extract_page(html, url)
    mark, keys = None, frozenset[str]()
    if isinstance(extracted, Extracted):
        mark = fingerprint(extracted.text)
        keys = entity_keys(extracted.title, extracted.text)
    now = time.process_time()
    memory = peak_rss_mb() if measure_memory else 0.0
    return Prepared(extracted, mark, keys, now - started, memory, os.getpid(), now)


def warm_up() -> None:
    """Load what every worker would otherwise load on its first pages (half a second of CPU each,
    measured): run once in the fork server (`monitor.preload`), it is shared by all the workers.

    Then take what is loaded out of the garbage collector's sight: full collections no longer walk
    the long-lived objects (0.15 ms a page, measured).
    """
    prepare(_WARM_UP_DATED, "http://warm-up.invalid/", measure_memory=False)
    # Two tables the made-up page does not reach: the stop words of every language (trafilatura's
    # fallback for a page in no known language) and the month names of every dateparser locale.
    from htmldate.extractors import month_words  # noqa: PLC0415  (workers only)
    from trafilatura import external  # noqa: PLC0415

    if external.JT_STOPLIST is None:
        external.jt_stoplist_init()
    month_words()
    gc.freeze()


def _start_worker() -> None:
    # What the fork server loaded is frozen already; this covers the worker's own start-up objects.
    gc.freeze()


class Workers:
    """Owns the worker processes (started on first use); `close()` waits for them to finish."""

    def __init__(self, workers: int = 0) -> None:
        self.workers = workers or os.cpu_count() or 1
        self.cpu_seconds = 0.0  # CPU time spent on pages in the workers
        self.peak_rss_mb = 0.0  # the largest worker's peak memory
        self._process_cpu: dict[int, float] = {}
        self._pages = 0
        # forkserver: workers do not inherit the event loop, sockets or database handles. The
        # fork server loads and warms trafilatura and datasketch (SciPy) once (`monitor.preload`),
        # and every worker starts with them loaded.
        self._context = multiprocessing.get_context("forkserver")
        self._context.set_forkserver_preload(["monitor.preload"])
        self._pool = self._new_pool()
        self._starting: list[asyncio.Future[Prepared]] = []

    def _new_pool(self) -> ProcessPoolExecutor:
        pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=self._context, initializer=_start_worker)
        return pool

    @property
    def process_cpu_seconds(self) -> float:
        """All the workers' CPU time, start-up and hand-over included."""
        return sum(self._process_cpu.values())

    async def prepare(self, html: bytes, url: str) -> Prepared:
        loop = asyncio.get_running_loop()
        self._pages += 1
        pool = self._pool
        try:
            result = await loop.run_in_executor(pool, prepare, html, url, self._pages % 16 == 1)
        except BrokenProcessPool:
            # A worker died (killed for memory, or a page crashed the parser): the pages the pool
            # held are lost to it, and a new pool takes the next ones.
            if pool is self._pool:
                pool.shutdown(wait=False, cancel_futures=True)
                self._pool, self._starting = self._new_pool(), []
            return Prepared(Rejected(url=url, reason="extraction failed: the worker process died"))
        self.cpu_seconds += result.cpu_seconds
        self.peak_rss_mb = max(self.peak_rss_mb, result.peak_rss_mb)
        self._process_cpu[result.worker] = max(self._process_cpu.get(result.worker, 0.0), result.worker_cpu_seconds)
        return result

    def start(self) -> None:
        """Have the workers start now, while the caller gets on with fetching; idempotent."""
        if not self._starting:
            loop = asyncio.get_running_loop()
            self._starting = [
                loop.run_in_executor(self._pool, prepare, _WARM_UP, "http://warm-up.invalid/", False)
                for _ in range(self.workers)
            ]

    async def warm(self) -> None:
        """Start every worker and import trafilatura there, so the first article waits for neither."""
        self.start()
        await asyncio.gather(*self._starting)

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)  # idempotent
