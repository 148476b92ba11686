"""What filing needs of a store, as protocols: `monitor.stories` is written against these, so its
unit tests run on an in-memory store (tests/support/memory_store.py) and the real one on SQL."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Protocol

from monitor.dedupe import Candidate
from monitor.domain import Article, Fingerprint, Match


class FilingTransaction(Protocol):
    def stored_urls(self, canonical_urls: Iterable[str]) -> set[str]: ...

    def find_exact(self, exact_hash: str) -> tuple[str, int] | None: ...

    def candidates(self, bands: Iterable[str]) -> list[Candidate]: ...

    def keyed_stories(
        self, keys: Iterable[str], since: datetime, *, limit: int = 10, per_key: int = 10
    ) -> dict[str, set[str]]: ...

    def new_story(self, headline: str, now: datetime, language: str | None = None) -> str: ...

    def join_story(self, story_id: str, now: datetime) -> None: ...

    def add_article(
        self, article: Article, fingerprint: Fingerprint, story_id: str, joined_by: str = "", detail: str = ""
    ) -> int: ...

    def add_story_keys(self, story_id: str, keys: Iterable[str], now: datetime, *, new_story: bool = False) -> None: ...

    def add_match(self, article_id: int, match: Match) -> int: ...

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
    ) -> str | None: ...

    def alerted_topics(self, story_id: str) -> set[str]: ...

    def has_alert(self, story_id: str, topic: str, kind: str = "match") -> bool: ...

    def match_alert(self, story_id: str, topic: str) -> tuple[int, int] | None: ...

    def story_outlets(self, story_id: str, since: datetime) -> int: ...


class FilingStore(Protocol):
    def transaction(self) -> AbstractContextManager[FilingTransaction]: ...

    def keep_statistics(self) -> list[str]: ...
