"""Where a run's time goes: seconds per stage and counts (requests by kind), for `--report`."""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field


@dataclass
class Timings:
    seconds: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    counts: Counter[str] = field(default_factory=Counter)

    @contextmanager
    def measure(self, stage: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[stage] += time.perf_counter() - started

    def add(self, stage: str, seconds: float) -> None:
        self.seconds[stage] += seconds

    def count(self, key: str, n: int = 1) -> None:
        self.counts[key] += n
