"""`run --once --report`: what one run did and where its time went (for bench/)."""

from __future__ import annotations

import resource
import time
from typing import TYPE_CHECKING

from monitor.timing import peak_rss_mb

if TYPE_CHECKING:
    from monitor.service import Service


def run_report(service: Service, *, wall: float, stored_before: int, cpu_before: float = 0.0) -> dict[str, object]:
    """What one `run --once` did and where its time went (for `--report` and bench/)."""
    timings = service.stages.timings
    stages = {name: round(seconds, 3) for name, seconds in sorted(timings.seconds.items())}
    stages["extract+fingerprint (worker CPU)"] = round(service.workers.cpu_seconds, 3)
    own = peak_rss_mb()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    stored = service.store.count("articles") - stored_before
    return {
        "wall_seconds": round(wall, 3),
        "articles_stored": stored,
        "articles_per_second": round(stored / wall, 2) if wall else 0.0,
        "stage_seconds": stages,
        "store_transactions": service.stages.filer.batches,
        "connections_opened": service.transport.backend.connections,
        "requests": dict(
            sorted({**timings.counts, "requests: robots.txt": service.stages.fetcher.robots_requests}.items())
        ),
        "peak_rss_mb": {"main": round(own, 1), "largest_worker": round(service.workers.peak_rss_mb, 1)},
        "cpu_seconds": {
            "main": round(usage.ru_utime + usage.ru_stime, 2),
            "main_in_the_run": round(time.process_time() - cpu_before, 3),  # start-up left out
            "workers": round(service.workers.process_cpu_seconds, 2),
        },
    }
