"""Single-process trafilatura rates on given pages, the yardstick of `bench.harness`.

Each way of extracting is measured in a process of its own, started fresh: what one call
leaves behind (the monitor's extraction switches trafilatura's parser to a cheaper element
lookup, `monitor.extract._plain_element_classes`) cannot change another's figure. In that
process the pages are extracted twice and the faster pass counts, so a slow moment of the
machine cannot flatter the pipeline it is compared with.

`ceiling` measures what the cores give at most for the workers' own job (extraction and
fingerprints, `monitor.worker.prepare`) when one process per core does it and nothing else:
the pipeline's rate can approach it, never pass it.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier

import trafilatura

from monitor.extract import extract_page
from monitor.worker import prepare, warm_up

# What each rate calls, in the order printed.
WAYS = {
    "trafilatura.extract(page), its defaults: main text only": "extract",
    "trafilatura.bare_extraction(page, with_metadata=True): text, title, date, URL, author": "metadata",
    "the monitor's own call (monitor.extract.extract_page)": "monitor",
}


URL = "http://127.0.0.1/a"


def _extractor(way: str) -> Callable[[bytes], object]:
    if way == "extract":
        return lambda page: trafilatura.extract(page, url=URL)
    if way == "metadata":
        return lambda page: trafilatura.bare_extraction(page, url=URL, with_metadata=True)
    return lambda page: extract_page(page, URL)


def _rate(way: str, pages: list[bytes]) -> float:
    """Pages per CPU second of this process: the better of two passes."""
    extract, best = _extractor(way), 0.0
    for _ in range(2):
        started = time.process_time()
        for page in pages:
            extract(page)
        best = max(best, len(pages) / (time.process_time() - started))
    return best


def rates(pages: list[bytes]) -> dict[str, float]:
    """Pages per second for each of `WAYS`, each measured in a fresh process."""
    found = {}
    for title, way in WAYS.items():
        with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
            found[title] = pool.submit(_rate, way, pages).result()
    return found


def _share(pages: list[bytes], ready: Barrier, spans: Queue[tuple[float, float]]) -> None:
    """One of `ceiling`'s processes: warmed up as a worker is, then all pages once the others are ready."""
    warm_up()
    for page in pages[:10]:
        prepare(page, URL, measure_memory=False)
    ready.wait()
    started = time.perf_counter()
    for page in pages:
        prepare(page, URL, measure_memory=False)
    spans.put((started, time.perf_counter()))


def ceiling(pages: list[bytes], processes: int = 0) -> float:
    """Pages per second when `processes` (one per core) fresh processes each prepare all the pages at
    once, as the workers do, with nothing else running: from the first start to the last finish."""
    processes = processes or os.cpu_count() or 1
    context = multiprocessing.get_context("spawn")
    ready = context.Barrier(processes)
    spans: Queue[tuple[float, float]] = context.Queue()
    shares = [context.Process(target=_share, args=(pages, ready, spans)) for _ in range(processes)]
    for share in shares:
        share.start()
    found = [spans.get() for _ in shares]
    for share in shares:
        share.join()
    return processes * len(pages) / (max(end for _, end in found) - min(start for start, _ in found))
