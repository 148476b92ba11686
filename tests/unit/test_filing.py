"""Group commit: which articles share a transaction, and what one bad article does to a batch."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from monitor.filing import Filer


class Writes:
    """Records every batch written; a batch holding "bad" fails as a whole."""

    def __init__(self) -> None:
        self.batches: list[list[str]] = []

    def __call__(self, batch: Sequence[str]) -> list[str]:
        self.batches.append(list(batch))
        if "bad" in batch:
            raise ValueError("cannot store bad")
        return [f"stored {item}" for item in batch]


async def prepared(filer: Filer[str, str], item: str, ready: asyncio.Event) -> str:
    with filer.coming():
        await ready.wait()
    return await filer.file(item)


async def test_a_lone_article_is_written_at_once() -> None:
    writes = Writes()
    filer = Filer(writes, window=3600)  # were it to wait for the window, wait_for would time out
    assert await asyncio.wait_for(filer.file("a"), timeout=5) == "stored a"
    assert writes.batches == [["a"]]


async def test_articles_ready_together_share_one_transaction() -> None:
    writes = Writes()
    filer = Filer(writes, window=3600)
    ready = asyncio.Event()
    tasks = [asyncio.create_task(prepared(filer, item, ready)) for item in "abcde"]
    await asyncio.sleep(0)  # every task is now inside coming()
    ready.set()
    results = await asyncio.wait_for(asyncio.gather(*tasks), timeout=5)
    assert results == [f"stored {item}" for item in "abcde"]
    assert writes.batches == [list("abcde")]


async def test_a_batch_waits_for_articles_still_coming_only_up_to_the_window() -> None:
    writes = Writes()
    filer = Filer(writes, window=0.01)
    never = asyncio.Event()
    late = asyncio.create_task(prepared(filer, "late", never))
    await asyncio.sleep(0)
    assert await asyncio.wait_for(filer.file("early"), timeout=5) == "stored early"
    assert writes.batches == [["early"]]
    late.cancel()


async def test_batches_hold_at_most_the_limit() -> None:
    writes = Writes()
    filer = Filer(writes, limit=2, window=3600)
    ready = asyncio.Event()
    tasks = [asyncio.create_task(prepared(filer, item, ready)) for item in "abcde"]
    await asyncio.sleep(0)
    ready.set()
    await asyncio.wait_for(asyncio.gather(*tasks), timeout=5)
    assert [len(batch) for batch in writes.batches] == [2, 2, 1]


async def test_one_bad_article_does_not_take_the_batch_with_it() -> None:
    writes = Writes()
    filer = Filer(writes, window=3600)
    ready = asyncio.Event()
    tasks = [asyncio.create_task(prepared(filer, item, ready)) for item in ("a", "bad", "c")]
    await asyncio.sleep(0)
    ready.set()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    assert results[0] == "stored a" and results[2] == "stored c"
    assert isinstance(results[1], ValueError)
    assert writes.batches == [["a", "bad", "c"], ["a"], ["bad"], ["c"]]


async def test_a_failing_lone_article_raises_to_its_caller() -> None:
    filer = Filer(Writes())
    with pytest.raises(ValueError, match="cannot store bad"):
        await filer.file("bad")
