"""Per-article filing time as the store grows: 1 k, 100 k and 1 M stored articles (SQLite).

    python -m bench.dedup_scale [--sizes 1000,100000,1000000] [--database sqlite:///bench/out/scale.db]

The background articles are loaded in bulk (negative ids, clear of the timed path's)
with random MinHash signatures (unrelated articles: what fills a real store), their
42 band rows each, and 8 cross-language keys per story (numbers, days, names of the
alias table, name skeletons) last seen at random over the past year. At each size, 200
new articles, each with a few figures, a day and names, go through `file_articles` one
transaction each: exact-hash lookup, band lookup and exact check of the candidates,
the window-bounded key lookup and the cross-language decision, the inserts. Half of
them are copies of articles inserted earlier at that size.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
from sqlalchemy import insert, text

from monitor.aliases import ALIASES
from monitor.dedupe import band_keys
from monitor.domain import Article
from monitor.store import open_store
from monitor.store.rows import pack
from monitor.store.tables import ArticleRow, BandRow, StoryKeyRow, StoryRow
from monitor.stories import Filing, file_articles

NOW = datetime(2024, 11, 5, tzinfo=UTC)
WORDS = [f"w{n}" for n in range(20000)]
RUN = uuid.uuid4().hex[:8]  # a run of its own: --keep times new articles on an old database


ENTITIES = sorted(ALIASES)
MONTHS = [date(2024, month, 1).strftime("%B") for month in range(1, 13)]


def article_text(rng: random.Random) -> str:
    facts = (
        f"On {MONTHS[rng.randrange(12)]} {rng.randint(1, 28)} officials in {ALIASES[rng.choice(ENTITIES)][0].title()} "
        f"said {rng.randint(100, 99999):,} people and {rng.randint(10, 999)} vehicles had moved."
    )
    return (
        facts
        + " "
        + " ".join(
            " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 20))) + "." for _ in range(rng.randint(8, 14))
        )
    )


def background_keys(rng: np.random.Generator, count: int) -> list[str]:
    kinds = rng.integers(0, 4, size=count)
    keys = []
    for kind in kinds:
        if kind == 0:
            keys.append(f"n:{int(rng.integers(10, 10**6))}")
        elif kind == 1:
            keys.append(f"d:{int(rng.integers(1, 13))}-{int(rng.integers(1, 29))}")
        elif kind == 2:
            keys.append(f"e:{ENTITIES[int(rng.integers(0, len(ENTITIES)))]}")
        else:
            keys.append(f"p:{int(rng.integers(0, 20000)):x}")
    return keys


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
                        "minhash": pack(sig.tolist()),
                        "story_id": f"bg{i}",
                    }
                    for i, sig in zip(ids, signatures, strict=True)
                ],
            )
            seen = [NOW - timedelta(days=float(d)) for d in rng.uniform(0, 365, size=len(ids))]
            db.execute(
                insert(StoryKeyRow),
                [
                    {"key": key, "story_id": f"bg{i}", "seen": when}
                    for i, when in zip(ids, seen, strict=True)
                    for key in set(background_keys(rng, 8))
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
            url=f"https://new.test/{RUN}/{size}/{n}",
            canonical_url=f"https://new.test/{RUN}/{size}/{n}",
            title="t",
            text=body,
            language="en",
            published=NOW,
            fetched_at=NOW,
        )
        started = time.perf_counter()
        file_articles([Filing(article, [])], store=store, topics=[], now=NOW, channels_for=lambda topic: [])
        times.append((time.perf_counter() - started) * 1000)
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1000,100000,1000000")
    parser.add_argument("--database", default="sqlite:///bench/out/scale.db")
    parser.add_argument("--keep", action="store_true", help="time again on the database a run left (no loading)")
    args = parser.parse_args()
    if args.database.startswith("sqlite:///") and not args.keep:
        path = Path(args.database.removeprefix("sqlite:///"))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.unlink(missing_ok=True)
    store = open_store(args.database)
    numbers, words = np.random.default_rng(1), random.Random(2)
    loaded = store.count("articles") if args.keep else 0
    first = None
    for size in (int(s) for s in args.sizes.split(",")):
        started = time.perf_counter()
        if size > loaded:
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
