"""An in-memory store with what filing needs (`monitor.store.protocol`), for fast unit tests of
`monitor.stories`; the real store is tested against SQLite and PostgreSQL in tests/integration."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

from monitor.dedupe import Candidate
from monitor.domain import Article, Fingerprint, Match


@dataclass
class Stored:
    id: int
    article: Article
    mark: Fingerprint
    story: str
    joined_by: str
    detail: str


@dataclass
class MemoryStore:
    articles: list[Stored] = field(default_factory=list)
    stories: dict[str, list[int]] = field(default_factory=dict)
    keys: dict[str, dict[str, datetime]] = field(default_factory=dict)  # story: key: seen
    matches: list[tuple[int, Match]] = field(default_factory=list)
    alerts: list[dict[str, object]] = field(default_factory=list)

    @contextmanager
    def transaction(self) -> Iterator[MemoryStore]:
        yield self  # every write is kept: these tests do not roll back

    def keep_statistics(self) -> list[str]:
        return []

    def stored_urls(self, canonical_urls: Iterable[str]) -> set[str]:
        return set(canonical_urls) & {a.article.canonical_url for a in self.articles}

    def find_exact(self, exact_hash: str) -> tuple[str, int] | None:
        return next(((a.story, a.id) for a in self.articles if a.mark.exact == exact_hash), None)

    def candidates(self, bands: Iterable[str]) -> list[Candidate]:
        wanted = set(bands)
        return [
            Candidate(a.story, a.mark.minhash, a.mark.shingles, a.id)
            for a in self.articles
            if wanted & set(a.mark.bands)
        ]

    def keyed_stories(
        self, keys: Iterable[str], since: datetime, *, limit: int = 10, per_key: int = 10
    ) -> dict[str, set[str]]:
        wanted = set(keys)
        return {
            story: set(seen)
            for story, seen in self.keys.items()
            if any(key in wanted and when >= since for key, when in seen.items())
        }

    def new_story(self, headline: str, now: datetime, language: str | None = None) -> str:
        story = f"story-{len(self.stories) + 1}"
        self.stories[story] = []
        return story

    def join_story(self, story_id: str, now: datetime) -> None:
        assert story_id in self.stories

    def add_article(
        self, article: Article, fingerprint: Fingerprint, story_id: str, joined_by: str = "", detail: str = ""
    ) -> int:
        stored = Stored(len(self.articles) + 1, article, fingerprint, story_id, joined_by, detail)
        self.articles.append(stored)
        self.stories[story_id].append(stored.id)
        return stored.id

    def add_story_keys(self, story_id: str, keys: Iterable[str], now: datetime, *, new_story: bool = False) -> None:
        self.keys.setdefault(story_id, {}).update(dict.fromkeys(keys, now))

    def add_match(self, article_id: int, match: Match) -> int:
        self.matches.append((article_id, match))
        return len(self.matches)

    def add_alert(
        self,
        *,
        story_id: str,
        topic: str,
        article_id: int,
        match_id: int,
        channels: Sequence[str],
        now: datetime,
        kind: str = "match",
    ) -> str | None:
        if self.has_alert(story_id, topic, kind):
            return None
        self.alerts.append(
            {"story": story_id, "topic": topic, "article": article_id, "match": match_id, "kind": kind, "to": channels}
        )
        return f"alert-{len(self.alerts)}"

    def alerted_topics(self, story_id: str) -> set[str]:
        return {str(a["topic"]) for a in self.alerts if a["story"] == story_id and a["kind"] == "match"}

    def has_alert(self, story_id: str, topic: str, kind: str = "match") -> bool:
        return any(a["story"] == story_id and a["topic"] == topic and a["kind"] == kind for a in self.alerts)

    def match_alert(self, story_id: str, topic: str) -> tuple[int, int] | None:
        found = next((a for a in self.alerts if a["story"] == story_id and a["topic"] == topic), None)
        return None if found is None else (int(str(found["article"])), int(str(found["match"])))

    def story_outlets(self, story_id: str, since: datetime) -> int:
        return len({a.article.source for a in self.articles if a.story == story_id and a.article.fetched_at >= since})
