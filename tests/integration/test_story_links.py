"""Cross-language story links on the project's own reports, through a real store.

`tests/fixtures/crosslang_events.jsonl`: 14 events, each written in three or four of
English, Russian, Ukrainian and Korean, and 25 hard negatives (other events of the same
days with the same actors). `crosslang_heldout.jsonl`: another 14 and 22, written apart
and not used to set the thresholds. Filed in publication order, as the service would.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from monitor.domain import Article
from monitor.store import Store, open_store
from monitor.stories import Filing, file_articles

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    opened = open_store(database_url)
    yield opened
    opened.close()


def _file_all(store: Store, reports: list[dict[str, str]]) -> dict[str, str]:
    """Each report filed an hour after its publication: the story of each, by report id."""
    stories = {}
    for n, report in enumerate(sorted(reports, key=lambda r: r["published"])):
        published = datetime.fromisoformat(report["published"].replace("Z", "+00:00"))
        article = Article(
            source=f"outlet-{report['lang']}",
            url=f"https://news.test/{n}",
            canonical_url=f"https://news.test/{n}",
            title=report["title"],
            text=report["text"],
            language=report["lang"],
            published=published,
            fetched_at=published + timedelta(hours=1),
        )
        [filed] = file_articles(
            [Filing(article, [])], store=store, topics=[], now=article.fetched_at, channels_for=lambda topic: []
        )
        assert filed is not None
        stories[report["id"]] = filed.story
    return stories


@pytest.mark.parametrize("name", ["crosslang_events.jsonl", "crosslang_heldout.jsonl"])
def test_translations_join_one_story_and_other_events_of_the_week_do_not(store: Store, name: str) -> None:
    reports = [json.loads(line) for line in (FIXTURES / name).read_text(encoding="utf-8").splitlines() if line]
    stories = _file_all(store, reports)
    same = [(a, b) for a, b in itertools.combinations(reports, 2) if a["event"] == b["event"]]
    different = [(a, b) for a, b in itertools.combinations(reports, 2) if a["event"] != b["event"]]
    linked = sum(stories[a["id"]] == stories[b["id"]] for a, b in same)
    joined = [(a["id"], b["id"]) for a, b in different if stories[a["id"]] == stories[b["id"]]]
    assert linked >= 0.8 * len(same), f"{linked} of {len(same)} same-event pairs linked"
    assert joined == []
