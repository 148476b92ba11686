"""Taking a wrongly joined article out of its story (`monitor stories split`)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from uuid import uuid4

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from monitor.domain import Article
from monitor.store.rows import article_of
from monitor.store.tables import AlertRow, ArticleRow, MatchRow, StoryKeyRow, StoryRow


@dataclass(frozen=True, slots=True)
class Detached:
    article_id: int
    article: Article
    old_story: str
    new_story: str


class SplitError(Exception):
    """The article cannot be split off: unknown, or alone in its story already."""


class Splits:
    """Story edits inside one transaction (`Transaction.splits`)."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def detach(self, article_id: int, now: datetime) -> Detached:
        """Move the article into a new story of its own, with the alerts it made; the old story keeps
        the rest (its headline from its next report if it was this one's)."""
        session = self._session
        row = session.get(ArticleRow, article_id)
        if row is None or row.status != "ok" or row.story_id is None:
            raise SplitError(f"no stored article {article_id} (`monitor stories` lists them)")
        old = session.get_one(StoryRow, row.story_id)
        others = session.scalars(
            select(ArticleRow.title)
            .where(ArticleRow.story_id == old.id, ArticleRow.id != article_id)
            .order_by(ArticleRow.id)
        ).all()
        if not others:
            raise SplitError(f"article {article_id} is alone in its story already")
        new = StoryRow(
            id=uuid4().hex, headline=row.title or "", first_seen=now, last_seen=now, copies=1, language=row.language
        )
        session.add(new)
        session.flush()
        old.copies = len(others)
        if old.headline == row.title:
            old.headline = others[0] or old.headline
        row.story_id, row.joined_by, row.join_detail = new.id, "split", None
        session.execute(
            update(AlertRow)
            .where(AlertRow.article_id == article_id, AlertRow.story_id == old.id)
            .values(story_id=new.id)
        )
        article = article_of(row)
        return Detached(article_id=article_id, article=article, old_story=old.id, new_story=new.id)

    def reports(self, story_id: str) -> list[tuple[str, str, str, datetime | None]]:
        """(title, text, language, published) of each report of the story."""
        rows = self._session.execute(
            select(ArticleRow.title, ArticleRow.text, ArticleRow.language, ArticleRow.published).where(
                ArticleRow.story_id == story_id
            )
        )
        return [(title or "", text or "", language or "", published) for title, text, language, published in rows]

    def replace_keys(self, story_id: str, keys: Iterable[str]) -> None:
        """The story's cross-language keys, made again from the reports it has left."""
        session = self._session
        seen = session.scalar(select(StoryRow.last_seen).where(StoryRow.id == story_id))
        session.execute(delete(StoryKeyRow).where(StoryKeyRow.story_id == story_id))
        rows = [{"key": key, "story_id": story_id, "seen": seen} for key in set(keys)]
        if rows:
            session.execute(insert(StoryKeyRow), rows)

    def matches(self, article_id: int) -> dict[str, int]:
        """The article's stored matches: topic to match id."""
        rows = self._session.execute(
            select(MatchRow.topic, func.min(MatchRow.id))
            .where(MatchRow.article_id == article_id)
            .group_by(MatchRow.topic)
        )
        return {topic: match_id for topic, match_id in rows}
