"""Per-article dedup time as the store grows: 1 k, 100 k and 1 M stored articles (SQLite).

    python -m bench.dedup_scale [--sizes 1000,100000,1000000] [--database sqlite:///bench/out/scale.db]

The background articles are loaded in bulk (negative ids, clear of the timed path's)
with random MinHash signatures (unrelated articles: what fills a real store) and their
42 band rows each. At each size, 200 new
articles go through the real path, in one transaction each: fingerprint, exact-hash
lookup, band lookup, MinHash estimate and exact check of the candidates, insert of the
article and its bands. Half of them are copies of articles inserted earlier at that size.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from sqlalchemy import insert, text

from monitor.dedupe import band_keys, best_copy, fingerprint
from monitor.domain import Article
from monitor.store import open_store
from monitor.store.repository import _pack
from monitor.store.tables import ArticleRow, BandRow, StoryRow

NOW = datetime(2024, 11, 5, tzinfo=UTC)
WORDS = [f"w{n}" for n in range(20000)]


def article_text(rng: random.Random) -> str:
    return " ".join(
        " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 20))) + "." for _ in range(rng.randint(8, 14))
    )


def load(store, start: int, stop: int, rng: np.random.Generator) -> None:  # type: ignore[no-untyped-def]
    batch = 20000
    with store.engine.begin() as db:
        if store.dialect == "sqlite":
            db.execute(text("PRAGMA synchronous=OFF"))
        for first in range(start, stop, batch):
            ids = range(-first - 1, -min(stop, first + batch) - 1, -1)
            signatures = rng.integers(0, 2**32, size=(len(ids), 128), dtype=np.uint64)
            db.execute(
                insert(StoryRow),
                [{"id": f"bg{i}", "headline": "", "first_seen": NOW, "last_seen": NOW, "copies": 1} for i in ids],
            )
            db.execute(
                insert(ArticleRow),
                [
                    {
                        "id": i,
                        "source": "bg",
                        "url": f"https://bg.test/{i}",
                        "canonical_url": f"https://bg.test/{i}",
                        "status": "ok",
                        "title": "",
                        "text": "",
                        "language": "en",
                        "fetched_at": NOW,
                        "exact_hash": f"{i:064x}",
                        "minhash": _pack(sig.tolist()),
                        "story_id": f"bg{i}",
                    }
                    for i, sig in zip(ids, signatures, strict=True)
                ],
            )
            db.execute(
                insert(BandRow),
                [
                    {"band": band, "article_id": i}
                    for i, sig in zip(ids, signatures, strict=True)
                    for band in band_keys(sig.tolist())
                ],
            )


def timed_round(store, rng: random.Random, size: int, count: int = 200) -> list[float]:  # type: ignore[no-untyped-def]
    originals: list[str] = []
    times = []
    for n in range(count):
        body = originals[n // 2 - 1] + " Updated." if n % 2 and originals else article_text(rng)
        if not n % 2:
            originals.append(body)
        article = Article(
            source="new",
            url=f"https://new.test/{size}/{n}",
            canonical_url=f"https://new.test/{size}/{n}",
            title="t",
            text=body,
            language="en",
            published=NOW,
            fetched_at=NOW,
        )
        started = time.perf_counter()
        mark = fingerprint(article.text)  # in the service a worker process does this
        with store.transaction() as tx:
            exact, copy = tx.find_exact(mark.exact), None
            if exact is None:
                copy = best_copy(mark, tx.candidates(mark.bands))
            story = exact[0] if exact else copy.story_id if copy else None
            if story is None:
                story = tx.new_story(article.title, NOW)
            else:
                tx.join_story(story, NOW)
            tx.add_article(article, mark, story)
        times.append((time.perf_counter() - started) * 1000)
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1000,100000,1000000")
    parser.add_argument("--database", default="sqlite:///bench/out/scale.db")
    args = parser.parse_args()
    if args.database.startswith("sqlite:///"):
        path = Path(args.database.removeprefix("sqlite:///"))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.unlink(missing_ok=True)
    store = open_store(args.database)
    numbers, words = np.random.default_rng(1), random.Random(2)
    loaded = 0
    first = None
    for size in (int(s) for s in args.sizes.split(",")):
        started = time.perf_counter()
        load(store, loaded, size, numbers)
        loaded = size
        times = timed_round(store, words, size)
        median = statistics.median(times)
        first = first or median
        print(
            f"{size:>9,} stored (loaded in {time.perf_counter() - started:5.1f} s): per-article dedup "
            f"median {median:.2f} ms, p95 {sorted(times)[int(len(times) * 0.95)]:.2f} ms "
            f"({median / first:.2f}x the first size)"
        )
    store.close()


if __name__ == "__main__":
    main()
