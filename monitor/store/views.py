"""Read models for the commands and the console: typed, frozen, each list in a fixed number of queries."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, func, select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from monitor.domain import Article, Join
from monitor.errors import StoreError
from monitor.store.rows import article_of
from monitor.store.tables import AlertRow, ArticleRow, BacklogRow, DeliveryRow, MatchRow, SourceRow, StoryRow


@dataclass(frozen=True, slots=True)
class StoredArticle:
    id: int
    article: Article
    story_id: str | None
    topics: frozenset[str]


@dataclass(frozen=True, slots=True)
class SourceView:
    name: str
    url: str
    kind: str | None
    health: str
    last_poll: datetime | None
    next_poll: datetime | None
    polls: int
    not_modified: int
    failed_polls: int
    failures_in_a_row: int
    poll_interval: float | None
    last_new: datetime | None
    last_error: str | None
    backlog: int = 0


@dataclass(frozen=True, slots=True)
class CopyView:
    source: str
    url: str
    language: str | None
    seen: datetime
    joined_by: str | None
    article_id: int = 0
    why: str = ""  # `Join.describe()`: the evidence that put it in the story


@dataclass(frozen=True, slots=True)
class AlertRef:
    id: str
    topic: str
    kind: str


@dataclass(frozen=True, slots=True)
class StoryView:
    id: str
    headline: str
    first_seen: datetime
    last_seen: datetime
    copies: tuple[CopyView, ...]
    alerts: tuple[AlertRef, ...]


@dataclass(frozen=True, slots=True)
class DeliveryView:
    channel: str
    status: str
    attempts: int
    next_attempt: datetime | None
    sent: datetime | None
    last_error: str | None


@dataclass(frozen=True, slots=True)
class ArticleRef:
    title: str
    url: str
    source: str
    language: str | None
    published: datetime | None


@dataclass(frozen=True, slots=True)
class AlertSummary:
    id: str
    topic: str
    kind: str
    created: datetime
    story_id: str | None
    article: ArticleRef | None  # None for an operator alert (a source changed health)
    detail: dict[str, object] | None
    deliveries: tuple[DeliveryView, ...]


@dataclass(frozen=True, slots=True)
class Totals:
    """What /metrics reads from the database: the same for the service and `monitor web`."""

    articles: int
    pending: int
    polls: dict[tuple[str, str], int]  # (source, outcome: ok | not_modified | error) -> polls
    health: dict[str, str]  # source -> state
    alerts: dict[tuple[str, str], int]  # (topic, kind) -> alerts written
    deliveries: dict[tuple[str, str], int]  # (channel, status) -> deliveries


class Views:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @contextmanager
    def _read(self) -> Iterator[Session]:
        """A session whose database errors are StoreErrors with the reason (the console answers 503)."""
        try:
            with Session(self.engine) as session:
                yield session
        except SQLAlchemyError as exc:
            cause = getattr(exc, "orig", None) or exc
            raise StoreError((str(cause).strip().splitlines() or [type(exc).__name__])[0]) from None

    def ping(self) -> None:
        """StoreError with the reason when the database does not answer."""
        try:
            with self.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except SQLAlchemyError as exc:
            cause = getattr(exc, "orig", None) or exc
            raise StoreError((str(cause).strip().splitlines() or [type(exc).__name__])[0]) from None

    def sources(self, names: Sequence[str] | None = None) -> list[SourceView]:
        query = select(SourceRow).order_by(SourceRow.name)
        if names is not None:
            query = query.where(SourceRow.name.in_(list(names)))
        with self._read() as session:
            waiting = dict(session.execute(select(BacklogRow.source, func.count()).group_by(BacklogRow.source)).all())
            return [
                SourceView(
                    name=row.name,
                    url=row.url,
                    kind=row.kind,
                    health=row.health or "new",
                    last_poll=row.last_polled_at,
                    next_poll=row.next_poll_at,
                    polls=row.polls or 0,
                    not_modified=row.not_modified or 0,
                    failed_polls=row.failed_polls or 0,
                    failures_in_a_row=row.error_count or 0,
                    poll_interval=row.poll_interval,
                    last_new=row.last_new_at,
                    last_error=row.last_error,
                    backlog=int(waiting.get(row.name, 0)),
                )
                for row in session.scalars(query)
            ]

    def stories(self, limit: int = 20) -> list[StoryView]:
        with self._read() as session:
            rows = list(session.scalars(select(StoryRow).order_by(StoryRow.last_seen.desc(), StoryRow.id).limit(limit)))
            ids = [row.id for row in rows]
            copies: dict[str, list[CopyView]] = defaultdict(list)
            query = (
                select(
                    ArticleRow.story_id,
                    ArticleRow.source,
                    ArticleRow.url,
                    ArticleRow.language,
                    ArticleRow.fetched_at,
                    ArticleRow.joined_by,
                    ArticleRow.id,
                    ArticleRow.join_detail,
                )
                .where(ArticleRow.story_id.in_(ids))
                .order_by(ArticleRow.id)
            )
            for story, source, url, language, seen, joined, article_id, detail in session.execute(query):
                why = Join.from_row(joined, detail).describe()
                copies[story or ""].append(CopyView(source, url, language, seen, joined, article_id, why))
            alerts: dict[str, list[AlertRef]] = defaultdict(list)
            query_alerts = (
                select(AlertRow.story_id, AlertRow.id, AlertRow.topic, AlertRow.kind)
                .where(AlertRow.story_id.in_(ids))
                .order_by(AlertRow.created_at)
            )
            for story, alert_id, topic, kind in session.execute(query_alerts):
                alerts[story or ""].append(AlertRef(alert_id, topic, kind))
            return [
                StoryView(
                    row.id, row.headline, row.first_seen, row.last_seen, tuple(copies[row.id]), tuple(alerts[row.id])
                )
                for row in rows
            ]

    def alerts(self, limit: int = 20, alert_id: str | None = None) -> list[AlertSummary]:
        with self._read() as session:
            query = (
                select(AlertRow, ArticleRow.title, ArticleRow.url, ArticleRow.source, ArticleRow.language)
                .add_columns(ArticleRow.published)
                .outerjoin(ArticleRow, ArticleRow.id == AlertRow.article_id)
                .order_by(AlertRow.created_at.desc(), AlertRow.id)
                .limit(limit)
            )
            if alert_id is not None:
                query = query.where(AlertRow.id == alert_id)
            rows = list(session.execute(query))
            deliveries: dict[str, list[DeliveryView]] = defaultdict(list)
            found = select(DeliveryRow).where(DeliveryRow.alert_id.in_([row[0].id for row in rows]))
            for d in session.scalars(found.order_by(DeliveryRow.channel)):
                deliveries[d.alert_id].append(
                    DeliveryView(d.channel, d.status, d.attempts, d.next_attempt_at, d.sent_at, d.last_error)
                )
            return [
                AlertSummary(
                    id=alert.id,
                    topic=alert.topic,
                    kind=alert.kind,
                    created=alert.created_at,
                    story_id=alert.story_id,
                    article=None if url is None else ArticleRef(title or "", url, source, language, published),
                    detail=alert.detail,
                    deliveries=tuple(deliveries[alert.id]),
                )
                for alert, title, url, source, language, published in rows
            ]

    def last_poll(self) -> datetime | None:
        with self._read() as session:
            return session.scalar(select(func.max(SourceRow.last_polled_at)))

    def pending(self) -> int:
        with self._read() as session:
            return int(session.scalar(select(func.count()).where(DeliveryRow.status == "pending")) or 0)

    def totals(self) -> Totals:
        with self._read() as session:
            articles = int(session.scalar(select(func.count()).where(ArticleRow.status == "ok")) or 0)
            polls: dict[tuple[str, str], int] = {}
            health: dict[str, str] = {}
            for row in session.scalars(select(SourceRow)):
                failed, unchanged = row.failed_polls or 0, row.not_modified or 0
                polls[(row.name, "ok")] = max((row.polls or 0) - failed - unchanged, 0)
                polls[(row.name, "not_modified")] = unchanged
                polls[(row.name, "error")] = failed
                health[row.name] = row.health or "new"
            alerts = {
                (topic, kind): int(count)
                for topic, kind, count in session.execute(
                    select(AlertRow.topic, AlertRow.kind, func.count()).group_by(AlertRow.topic, AlertRow.kind)
                )
            }
            deliveries = {
                (channel, status): int(count)
                for channel, status, count in session.execute(
                    select(DeliveryRow.channel, DeliveryRow.status, func.count()).group_by(
                        DeliveryRow.channel, DeliveryRow.status
                    )
                )
            }
            pending = sum(n for (_, status), n in deliveries.items() if status == "pending")
            return Totals(articles, pending, polls, health, alerts, deliveries)

    def articles_since(self, since: datetime) -> list[StoredArticle]:
        with self._read() as session:
            rows = session.scalars(
                select(ArticleRow)
                .where(ArticleRow.status == "ok", ArticleRow.fetched_at >= since)
                .order_by(ArticleRow.id)
            )
            articles = list(rows)
            topics: dict[int, set[str]] = {}
            ids = [r.id for r in articles]
            for start in range(0, len(ids), 500):
                found = session.execute(
                    select(MatchRow.article_id, MatchRow.topic).where(MatchRow.article_id.in_(ids[start : start + 500]))
                )
                for article_id, topic in found:
                    topics.setdefault(article_id, set()).add(topic)
            return [
                StoredArticle(
                    id=r.id, article=article_of(r), story_id=r.story_id, topics=frozenset(topics.get(r.id, ()))
                )
                for r in articles
            ]
