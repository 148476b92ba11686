"""Filing on an in-memory store: which story an article joins, why, and which alerts that writes."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from monitor.domain import Article, Evidence, Match
from monitor.stories import Filing, file_articles
from monitor.topics import Topic
from monitor.topics.rules import Surge
from tests.support.memory_store import MemoryStore
from tests.support.newsweb import CROSS_LANGUAGE

NOW = datetime(2024, 11, 5, 9, 0, tzinfo=UTC)
REPORT = (
    "The port authority said on Monday that the northern pier would reopen after repairs. "
    "Engineers replaced the fenders and rebuilt two mooring posts over the past month. "
    "Ferries to the islands will return to the summer timetable next week, the operator said. "
    "Fishermen welcomed the news after weeks of unloading at the southern quay."
)


def article(n: int, text: str, *, language: str = "en", source: str = "wire", title: str = "") -> Article:
    return Article(source, f"https://n.test/{n}", f"https://n.test/{n}", title or f"Report {n}", text, language,
                   NOW, NOW + timedelta(minutes=n))  # fmt: skip


def match(topic: str) -> Match:
    return Match(topic, 1.0, (Evidence("pier", "the pier", 4, 8),))


def file(store: MemoryStore, item: Article, *matches: Match) -> tuple[str, str, tuple[tuple[str, str], ...]]:
    [filed] = file_articles([Filing(item, list(matches))], store=store, topics=[], now=item.fetched_at,
                            channels_for=lambda topic: ["hook"])  # fmt: skip
    assert filed is not None
    return filed.story, filed.how, filed.alerts


def test_the_same_text_and_a_near_duplicate_join_the_story_with_their_evidence() -> None:
    store = MemoryStore()
    story, how, _ = file(store, article(1, REPORT))
    assert how == "new-story"
    assert file(store, article(2, REPORT, source="other"))[:2] == (story, "same-text")
    edited = REPORT.replace("next week", "from next Monday") + " A spokesman declined further comment."
    assert file(store, article(3, edited, source="third"))[:2] == (story, "near-duplicate")
    detail = json.loads(store.articles[-1].detail)
    assert detail["article"] in (1, 2) and 0.3 <= detail["jaccard"] <= 1 and detail["containment"] >= 0.7
    assert file(store, article(4, "An unrelated report about a football match in the rain, and its score."))[1] == (
        "new-story"
    )


def test_a_story_is_alerted_once_per_topic() -> None:
    store = MemoryStore()
    assert file(store, article(1, REPORT), match("ports"))[2] == (("ports", "match"),)
    assert file(store, article(2, REPORT, source="other"), match("ports"))[2] == ()  # a copy: recorded, not re-sent
    assert file(store, article(3, REPORT, source="third"), match("ferries"))[2] == (("ferries", "match"),)
    assert [a["to"] for a in store.alerts] == [["hook"], ["hook"]]


def test_a_report_in_another_language_joins_on_its_keys_and_another_event_does_not() -> None:
    store = MemoryStore()
    english = CROSS_LANGUAGE["en"]
    story, _, _ = file(store, article(1, str(english["text"]), title=str(english["title"])))
    russian = CROSS_LANGUAGE["ru"]
    joined = file(store, article(2, str(russian["text"]), language="ru", title=str(russian["title"])))
    assert joined[:2] == (story, "other-language")
    assert "n:11000" in json.loads(store.articles[-1].detail)["keys"]
    other = CROSS_LANGUAGE["ru-other"]
    assert file(store, article(3, str(other["text"]), language="ru", title=str(other["title"])))[1] == "new-story"


def test_the_surge_alert_comes_once_when_enough_outlets_carry_the_story() -> None:
    store, topics = MemoryStore(), [Topic("ports", "", 1.0, (), Surge(outlets=3, within=86400))]

    def filed(n: int, source: str) -> tuple[tuple[str, str], ...]:
        item = article(n, REPORT, source=source)
        [done] = file_articles([Filing(item, [match("ports")])], store=store, topics=topics, now=item.fetched_at,
                               channels_for=lambda topic: ["hook"])  # fmt: skip
        assert done is not None
        return done.alerts

    assert filed(1, "wire") == (("ports", "match"),)
    assert filed(2, "gazette") == ()
    assert filed(3, "herald") == (("ports", "surge"),)
    assert filed(4, "courier") == ()  # one surge alert, not one per outlet
