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
from pathlib import Path

import pytest

from monitor.store import Store, open_store
from tests.support.stories import file_in_order

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    opened = open_store(database_url)
    yield opened
    opened.close()


@pytest.mark.parametrize("name", ["crosslang_events.jsonl", "crosslang_heldout.jsonl"])
def test_translations_join_one_story_and_other_events_of_the_week_do_not(store: Store, name: str) -> None:
    reports = [json.loads(line) for line in (FIXTURES / name).read_text(encoding="utf-8").splitlines() if line]
    stories = file_in_order(store, reports)
    same = [(a, b) for a, b in itertools.combinations(reports, 2) if a["event"] == b["event"]]
    different = [(a, b) for a, b in itertools.combinations(reports, 2) if a["event"] != b["event"]]
    linked = sum(stories[a["id"]] == stories[b["id"]] for a, b in same)
    joined = [(a["id"], b["id"]) for a, b in different if stories[a["id"]] == stories[b["id"]]]
    assert linked >= 0.8 * len(same), f"{linked} of {len(same)} same-event pairs linked"
    assert joined == []
