"""Group commit for the store stage: articles that become ready together share one transaction.

A transaction per article costs a commit and a round of session set-up each time; when the
workers hand back articles faster than that, the ones ready meanwhile wait a little
(at most `window` seconds, at most `limit` of them) and are written together. When no
other article is on its way through the workers there is nothing to wait for, so a lone
article is written at once and a quiet service adds no delay.

If writing a batch fails, each of its articles is written alone, so one bad article
(say, a URL another instance stored a moment ago) does not take the others with it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Generic, TypeVar

Item = TypeVar("Item")
Outcome = TypeVar("Outcome")


class Filer(Generic[Item, Outcome]):
    def __init__(
        self, write: Callable[[Sequence[Item]], list[Outcome]], *, limit: int = 32, window: float = 0.25
    ) -> None:
        self._write = write
        self._limit = limit
        self._window = window
        self._waiting: list[tuple[Item, asyncio.Future[Outcome]]] = []
        self._coming = 0  # items still being prepared that will be filed soon
        self._timer: asyncio.TimerHandle | None = None
        self.batches = 0

    @contextmanager
    def coming(self) -> Iterator[None]:
        """Around the preparation of an item: while any is under way, a batch waits for it."""
        self._coming += 1
        try:
            yield
        finally:
            self._coming -= 1
            # Looked at once this step is over: an item handed to `file` right after this
            # block then joins the batch instead of following it alone.
            asyncio.get_running_loop().call_soon(self._consider)

    async def file(self, item: Item) -> Outcome:
        future: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()
        self._waiting.append((item, future))
        self._consider()
        return await future

    def _consider(self) -> None:
        if not self._waiting:
            return
        if len(self._waiting) >= self._limit or self._coming == 0:
            self._flush()
        elif self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(self._window, self._flush)

    def _flush(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        while self._waiting:
            batch, self._waiting = self._waiting[: self._limit], self._waiting[self._limit :]
            self.batches += 1
            try:
                outcomes = self._write([item for item, _ in batch])
            except Exception as exc:
                if len(batch) == 1:
                    batch[0][1].set_exception(exc)
                else:
                    self._one_by_one(batch)
                continue
            for (_, future), outcome in zip(batch, outcomes, strict=True):
                future.set_result(outcome)

    def _one_by_one(self, batch: list[tuple[Item, asyncio.Future[Outcome]]]) -> None:
        for item, future in batch:
            try:
                future.set_result(self._write([item])[0])
            except Exception as exc:  # only the bad one fails
                future.set_exception(exc)
