"""Single-process trafilatura rates on given pages, the yardstick of `bench.harness`.

Each way of extracting is measured in a process of its own, started fresh: what one call
leaves behind (the monitor's extraction switches trafilatura's parser to a cheaper element
lookup, `monitor.extract._plain_element_classes`) cannot change another's figure. In that
process the pages are extracted twice and the faster pass counts, so a slow moment of the
machine cannot flatter the pipeline it is compared with.
"""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor

import trafilatura

from monitor.extract import extract_page

# What each rate calls, in the order printed.
WAYS = {
    "trafilatura.extract(page), its defaults: main text only": "extract",
    "trafilatura.bare_extraction(page, with_metadata=True): text, title, date, URL, author": "metadata",
    "the monitor's own call (monitor.extract.extract_page)": "monitor",
}


def _extractor(way: str) -> Callable[[bytes], object]:
    url = "http://127.0.0.1/a"
    if way == "extract":
        return lambda page: trafilatura.extract(page, url=url)
    if way == "metadata":
        return lambda page: trafilatura.bare_extraction(page, url=url, with_metadata=True)
    return lambda page: extract_page(page, url)


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
