"""Stories that never swallow an alert: false merges on real pages, cross-language links on written sets.

    python -m bench.story_quality [--outlets 8]

1. The 261 real pages of ../shared/corpus (aeb, fundus-eval: each a distinct article,
   several languages), one copy each spread over `--outlets` outlets, through the real
   `monitor run --once` on a fresh SQLite database: every story holding more than one
   of them is a false merge (each one would have swallowed an alert).
2. The written cross-language sets of tests/fixtures (events reported in three or four of
   en/ru/uk/ko, and hard negatives: other events of the same days with the same actors),
   filed in publication order through `monitor.stories.file_articles`, each an hour
   after it was published: same-event pairs linked, different-event pairs joined.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sqlite3
import tempfile
import time
from pathlib import Path

from bench.harness import CORPUS, FakeWeb, Outlet, real_pages, run_once
from monitor.store import open_store
from tests.support.stories import file_in_order

ROOT = Path(__file__).resolve().parents[1]
SETS = ("crosslang_events.jsonl", "crosslang_heldout.jsonl")


def real_page_merges(outlets: int) -> None:
    pages = real_pages()
    web = FakeWeb()
    sites = [Outlet(web, f"127.0.0.{2 + k}", 0.0) for k in range(outlets)]
    for k, site in enumerate(sites):
        site.publish([(f"/page/{n}", page) for n, page in enumerate(pages) if n % outlets == k])
    with tempfile.TemporaryDirectory() as tmp:
        config, database = Path(tmp) / "monitor.toml", Path(tmp) / "bench.db"
        sources = "".join(
            f'[[sources]]\nname = "outlet-{k}"\nurl = "{o.base}/feed.xml"\n\n' for k, o in enumerate(sites)
        )
        allowed = ", ".join(f'"127.0.0.{2 + k}"' for k in range(outlets))
        config.write_text(
            f'topics_file = "{ROOT / "config" / "topics.toml"}"\n[service]\nmax_new_per_source = 100000\n'
            f"[fetch]\nper_host = 4\nhost_interval = 0\nallow_private = [{allowed}]\n\n{sources}"
        )
        wall, _ = run_once(config, f"sqlite:///{database}", Path(tmp) / "report.json")
        with sqlite3.connect(database) as db:
            stored = db.execute("SELECT count(*) FROM articles WHERE status = 'ok'").fetchone()[0]
            stories = db.execute("SELECT count(DISTINCT story_id) FROM articles WHERE status = 'ok'").fetchone()[0]
            joined = db.execute(
                "SELECT joined_by, count(*) FROM articles WHERE status = 'ok' AND joined_by != 'new-story' "
                "GROUP BY joined_by"
            ).fetchall()
    print(
        f"real pages: {len(pages)} served on {outlets} outlets, {stored} stored in {stories} stories: "
        f"{stored - stories} false merges ({', '.join(f'{n} {how}' for how, n in joined) or 'no joins'}); {wall:.1f} s"
    )


def _confusable(a: dict[str, str], b: dict[str, str]) -> bool:
    """A hard negative and its event, or two hard negatives of one event."""
    of_a, of_b = a.get("hard_negative_of"), b.get("hard_negative_of")
    return a["event"] != b["event"] and (of_a == b["event"] or of_b == a["event"] or bool(of_a and of_a == of_b))


def written_sets() -> None:
    for name in SETS:
        reports = [json.loads(line) for line in (ROOT / "tests" / "fixtures" / name).read_text().splitlines() if line]
        with tempfile.TemporaryDirectory() as tmp:
            started = time.perf_counter()
            store = open_store(f"sqlite:///{tmp}/bench.db")
            try:
                stories = file_in_order(store, reports)
            finally:
                store.close()
            took = (time.perf_counter() - started) / len(reports) * 1000
        pairs = list(itertools.combinations(reports, 2))
        same = [(a, b) for a, b in pairs if a["event"] == b["event"]]
        hard = [(a, b) for a, b in pairs if _confusable(a, b)]
        other = [(a, b) for a, b in pairs if a["event"] != b["event"]]
        together = [(a, b) for a, b in other if stories[a["id"]] == stories[b["id"]]]
        linked = sum(stories[a["id"]] == stories[b["id"]] for a, b in same)
        events = len({r["event"] for r in reports if not r.get("hard_negative_of")})
        negatives = len({r["event"] for r in reports if r.get("hard_negative_of")})
        print(
            f"{name}: {events} events, {negatives} hard negatives, {len(reports)} reports; same-event pairs linked "
            f"{linked}/{len(same)} ({linked / len(same):.0%}); hard-negative pairs joined "
            f"{sum(p in hard for p in together)}/{len(hard)}; all different-event pairs joined {len(together)}/"
            f"{len(other)}; {took:.1f} ms per report filed"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--outlets", type=int, default=8)
    args = parser.parse_args()
    written_sets()
    if (CORPUS / "aeb").is_dir():
        real_page_merges(args.outlets)
    else:
        print("../shared/corpus is not present: no real pages to serve")


if __name__ == "__main__":
    main()
