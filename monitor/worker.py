"""The CPU work on a new page: extraction and the text fingerprints (shingles, MinHash,
cross-language keys), pure functions of the page; `monitor._workers.Workers` runs `prepare`
in worker processes and sends back the small result.
"""

from __future__ import annotations

import gc
import os
import time
from dataclasses import dataclass

from monitor.dedupe import fingerprint
from monitor.domain import Extracted, Fingerprint, Rejected
from monitor.entities import entity_keys
from monitor.extract import WARM_UP_PAGE, extract_page, warm_up_extraction
from monitor.timing import peak_rss_mb


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
        keys = entity_keys(extracted.title, extracted.text, extracted.published)
    now = time.process_time()
    memory = peak_rss_mb() if measure_memory else 0.0
    return Prepared(extracted, mark, keys, now - started, memory, os.getpid(), now)


def warm_up() -> None:
    """Load once, in the fork server (`monitor.preload`), what every worker would load on its first
    pages; then freeze it out of the garbage collector's sight, so full collections skip it."""
    warm_up_extraction()
    prepare(WARM_UP_PAGE, "http://warm-up.invalid/", measure_memory=False)  # fingerprint, keys
    gc.freeze()
