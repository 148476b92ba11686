"""The main process's share of a new article: dedupe, match, store and alert writing.

    python -m bench.filing [--copies 4] [--database sqlite:///bench/out/filing.db] [--batch 32]

The real pages of ../shared/corpus are extracted and fingerprinted once (the workers' job,
not timed); then every copy (each with a paragraph of its own, as in `bench.harness`) is
matched against the shipped topics and filed through the real path into a fresh
database, `--batch` articles per transaction. Prints the time per article.
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import text

from bench.harness import CORPUS, TOPICS, real_pages, with_paragraph
from monitor.domain import Article, Extracted
from monitor.store import open_store
from monitor.stories import Filing, file_articles
from monitor.topics import TopicMatcher, load_rulebook
from monitor.worker import prepare

NOW = datetime(2024, 11, 20, tzinfo=UTC)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--copies", type=int, default=4)
    parser.add_argument("--database", default="sqlite:///bench/out/filing.db")
    parser.add_argument("--batch", type=int, default=32)
    args = parser.parse_args()
    if not (CORPUS / "aeb").is_dir():
        print("../shared/corpus is not present: nothing to measure")
        return
    matcher = TopicMatcher(load_rulebook(TOPICS))
    work: list[Filing] = []
    for copy in range(args.copies):
        for n, page in enumerate(real_pages()):
            prepared = prepare(with_paragraph(page, f"Edition {copy} of report {n}"), f"http://127.0.0.1/{n}")
            extracted = prepared.extracted
            if not isinstance(extracted, Extracted) or prepared.fingerprint is None:
                continue
            url = f"http://outlet-{copy}.test/news/{n}"
            article = Article("outlet", url, url, extracted.title or "", extracted.text, extracted.language, None, NOW)
            matches = matcher.matches(article.title, article.text)
            work.append(Filing(article, matches, prepared.fingerprint, prepared.keys))
    if args.database.startswith("sqlite:///"):
        Path(args.database.removeprefix("sqlite:///")).unlink(missing_ok=True)
    store = open_store(args.database)
    if store.dialect == "postgresql":
        with store.engine.begin() as db:
            db.execute(text("TRUNCATE stories, articles, story_keys, bands, matches, alerts, deliveries CASCADE"))
    started = time.perf_counter()
    cpu = time.process_time()
    filed = 0
    for first in range(0, len(work), args.batch):
        outcomes = file_articles(
            work[first : first + args.batch],
            store=store,
            topics=matcher.topics,
            now=NOW,
            channels_for=lambda _: ["mail"],
        )
        filed += sum(1 for o in outcomes if o is not None)
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    store.close()
    print(
        f"{filed} articles filed ({args.copies} copies of {len(work) // args.copies} pages), {args.batch} per "
        f"transaction: {wall / filed * 1000:.2f} ms wall, {cpu / filed * 1000:.2f} ms CPU per article"
    )


if __name__ == "__main__":
    main()
