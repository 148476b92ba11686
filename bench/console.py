"""Console page time with many alerts stored: the server's own time for /alerts, /, /api/alerts.

    python -m bench.console [--alerts 10000] [--database URL]

Fills a fresh SQLite file (or the given database) with N alerts, each with its article, story and two
deliveries, serves the console on a free port, and reads the `Server-Timing` header of 30 requests per page.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import insert

from monitor.metrics import Metrics
from monitor.store import open_store
from monitor.store.tables import AlertRow, ArticleRow, DeliveryRow, MatchRow, SourceRow, StoryRow
from monitor.topics import TopicMatcher, load_rulebook
from monitor.web import Console, WebServer, build_app

ROOT = Path(__file__).resolve().parents[1]
TOPIC = "dprk-troop-deployment"


def _rows(first: int, count: int, start: datetime) -> dict[type, list[dict[str, object]]]:
    """One alert per story and article, with its match and two sent deliveries."""
    numbers = range(first, min(first + 1000, count))
    found: dict[type, list[dict[str, object]]] = {
        StoryRow: [],
        ArticleRow: [],
        MatchRow: [],
        AlertRow: [],
        DeliveryRow: [],
    }
    for n in numbers:
        when = start + timedelta(minutes=n)
        found[StoryRow].append({"id": f"s{n}", "headline": f"Story {n}", "first_seen": when, "last_seen": when})
        found[ArticleRow].append(
            {
                "id": n + 1,
                "source": f"outlet-{n % 20}",
                "url": f"https://o.example/{n}",
                "canonical_url": f"https://o.example/{n}",
                "status": "ok",
                "title": f"Article {n} about North Korean troops",
                "text": "text",
                "language": "en",
                "fetched_at": when,
                "story_id": f"s{n}",
                "joined_by": "new-story",
            }
        )
        found[MatchRow].append({"id": n + 1, "article_id": n + 1, "topic": TOPIC, "score": 1.0, "evidence": []})
        found[AlertRow].append(
            {
                "id": f"a{n:08d}",
                "story_id": f"s{n}",
                "topic": TOPIC,
                "article_id": n + 1,
                "match_id": n + 1,
                "created_at": when,
            }
        )
        for channel in ("hook", "desk"):
            found[DeliveryRow].append(
                {"alert_id": f"a{n:08d}", "channel": channel, "status": "sent", "attempts": 1, "next_attempt_at": when}
            )
    return found


def fill(url: str, count: int) -> None:
    store = open_store(url)
    start = datetime(2024, 11, 1, tzinfo=UTC)
    with store.engine.begin() as db:
        sources = [{"name": f"outlet-{k}", "url": f"https://o{k}.example/feed", "error_count": 0} for k in range(20)]
        db.execute(insert(SourceRow), sources)
        for first in range(0, count, 1000):
            for table, rows in _rows(first, count, start).items():
                db.execute(insert(table), rows)
    store.close()


async def measure(url: str, rounds: int) -> dict[str, list[float]]:
    store = open_store(url)

    async def nothing(_: str) -> tuple[str, str]:
        return "", ""

    matcher = TopicMatcher(load_rulebook(ROOT / "config" / "topics.toml"))
    metrics = Metrics()
    metrics.read_totals(store.views.totals)
    console = Console(store=store, matcher=matcher, metrics=metrics, clock=lambda: datetime.now(UTC), read_url=nothing)
    server = WebServer(build_app(console), "127.0.0.1", 0)
    await server.start()
    found: dict[str, list[float]] = {}
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.port}") as client:
            for path in ("/alerts", "/", "/api/alerts?limit=50", "/stories", "/metrics"):
                found[path] = []
                for _ in range(rounds):
                    answer = await client.get(path)
                    answer.raise_for_status()
                    found[path].append(float(answer.headers["server-timing"].split("dur=")[1]))
    finally:
        await server.stop()
        store.close()
    return found


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--alerts", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--database", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database or f"sqlite:///{Path(folder) / 'console.db'}"
        started = time.perf_counter()
        fill(url, args.alerts)
        print(f"{args.alerts} alerts stored in {time.perf_counter() - started:.1f}s ({url.split(':')[0]})")
        for path, times in asyncio.run(measure(url, args.rounds)).items():
            ordered = sorted(times)
            p95 = ordered[int(0.95 * (len(ordered) - 1))]
            median, slowest = statistics.median(times), max(times)
            print(f"  {path:<22} server time median {median:6.1f} ms, p95 {p95:6.1f} ms, max {slowest:6.1f} ms")


if __name__ == "__main__":
    main()
