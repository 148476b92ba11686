"""The extraction workers as real processes: each page's result comes back to its caller, whatever
the page's size or the order the workers finish in, and a dead worker costs one page."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys

from monitor._workers import Workers
from monitor.domain import Extracted, Rejected

PAGE = (
    "<html lang='en'><head><title>Harbour reopens</title></head><body><article><h1>Harbour reopens</h1>"
    + "<p>The harbour reopened on Tuesday after the storm, and the first ferry left at noon.</p>" * 4
    + "</article></body></html>"
).encode()
URL = "http://outlet.test/harbour"


async def test_pages_come_back_extracted_and_fingerprinted() -> None:
    workers = Workers(2)
    try:
        prepared = await workers.prepare(PAGE, URL)
    finally:
        workers.close()
    assert isinstance(prepared.extracted, Extracted)
    assert "first ferry" in prepared.extracted.text
    assert prepared.fingerprint is not None and len(prepared.fingerprint.bands) == 42
    assert workers.process_cpu_seconds >= prepared.cpu_seconds > 0


def page(title: str, paragraphs: int = 4) -> bytes:
    sentence = f"<p>The report on {title} says the work went on through the night and ended at dawn.</p>"
    return (
        f"<html lang='en'><head><title>{title}</title></head><body><article><h1>{title}</h1>"
        + sentence * paragraphs
        + "</article></body></html>"
    ).encode()


async def test_many_pages_at_once_each_come_back_to_their_own_caller() -> None:
    titles = [f"Bridge number {n}" for n in range(12)]
    workers = Workers(2)
    try:
        results = await asyncio.gather(*(workers.prepare(page(t, 4 + 40 * (n % 3)), URL) for n, t in enumerate(titles)))
    finally:
        workers.close()
    assert [r.extracted.title for r in results if isinstance(r.extracted, Extracted)] == titles
    assert len({r.worker for r in results}) == 2  # both workers took pages


async def test_a_page_larger_than_the_pipe_is_written_as_the_worker_reads_it() -> None:
    big = page("Harbour ledger", 30_000)  # about 3 MB: three times what the pipe holds
    workers = Workers(1)
    try:
        prepared = await workers.prepare(big, URL)
        after = await workers.prepare(PAGE, URL)
    finally:
        workers.close()
    assert len(big) > 2 * 1024 * 1024
    assert isinstance(prepared.extracted, Extracted) and prepared.extracted.title == "Harbour ledger"
    assert isinstance(after.extracted, Extracted) and after.extracted.title == "Harbour reopens"


async def test_a_caller_that_gives_up_does_not_shift_the_results_of_the_others() -> None:
    workers = Workers(1)
    try:
        await workers.warm()
        given_up = asyncio.ensure_future(workers.prepare(page("Abandoned"), URL))
        await asyncio.sleep(0)  # handed to the worker
        given_up.cancel()
        prepared = await workers.prepare(page("Kept"), URL)
    finally:
        workers.close()
    assert given_up.cancelled()
    assert isinstance(prepared.extracted, Extracted) and prepared.extracted.title == "Kept"


async def test_a_dead_worker_costs_at_most_one_page_not_the_service() -> None:
    workers = Workers(1)
    try:
        first = await workers.prepare(PAGE, URL)
        assert isinstance(first.extracted, Extracted)
        os.kill(first.worker, signal.SIGKILL)  # as the kernel's OOM killer would
        after = [await workers.prepare(PAGE, URL) for _ in range(3)]
    finally:
        workers.close()
    lost = [p.extracted.reason for p in after if isinstance(p.extracted, Rejected)]
    # The page sent while the pool finds out is lost (recorded as rejected); the rest go on.
    assert lost in ([], ["extraction failed: the worker process died"])
    assert all(isinstance(p.extracted, Extracted) for p in after[len(lost) :])
    assert after[-1].worker != first.worker


def test_the_fork_server_builds_the_tables_each_worker_would_build_on_its_first_pages() -> None:
    # What the fork server does before forking a worker: import `monitor.preload`.
    probe = (
        "import monitor.preload, trafilatura.external as t, htmldate.extractors as h; "
        "print(t.JT_STOPLIST is not None, h.month_words.cache_info().currsize)"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True)
    assert done.stdout.split() == ["True", "1"], done.stderr
