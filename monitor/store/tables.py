"""Typed SQLAlchemy 2.0 models. The schema itself is owned by the Alembic migrations."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """Stores naive UTC, returns aware UTC: SQLite has no time zones, PostgreSQL does."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    type_annotation_map: dict[Any, Any] = {datetime: UTCDateTime()}  # noqa: RUF012


class SourceRow(Base):
    __tablename__ = "sources"

    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    url: Mapped[str] = mapped_column(Text)
    kind: Mapped[str | None] = mapped_column(String(20))
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)
    next_poll_at: Mapped[datetime | None]
    last_polled_at: Mapped[datetime | None]
    last_ok_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[datetime | None]
    error_count: Mapped[int] = mapped_column(Integer, default=0)  # consecutive failed polls
    poll_interval: Mapped[float | None] = mapped_column(Float)  # the adaptive interval now in use
    publish_gap: Mapped[float | None] = mapped_column(Float)  # usual time between new items
    last_new_at: Mapped[datetime | None]
    health: Mapped[str] = mapped_column(String(16), default="new", server_default="new")
    refusal_rules: Mapped[str | None] = mapped_column(String(64))
    health_since: Mapped[datetime | None]
    refusals: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # consecutive 403/429
    polls: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    not_modified: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # polls answered 304
    failed_polls: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    claimed_by: Mapped[str | None] = mapped_column(String(64))  # the instance polling it now...
    claimed_until: Mapped[datetime | None]  # ...until then: a crashed instance's claim expires


class SiteRow(Base):
    """What one website (scheme://host:port) told us about itself: its robots.txt."""

    __tablename__ = "sites"

    site: Mapped[str] = mapped_column(String(300), primary_key=True)
    robots: Mapped[str | None] = mapped_column(Text)  # None: no robots.txt (everything allowed)
    robots_fetched_at: Mapped[datetime]


class StoryRow(Base):
    __tablename__ = "stories"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    headline: Mapped[str] = mapped_column(Text)
    first_seen: Mapped[datetime]
    last_seen: Mapped[datetime] = mapped_column(index=True)
    copies: Mapped[int] = mapped_column(Integer, default=1)
    language: Mapped[str | None] = mapped_column(String(16))


class StoryKeyRow(Base):
    """Language-independent keys of a story (numbers, dates, names), for cross-language links."""

    __tablename__ = "story_keys"
    __table_args__ = (
        Index("ix_story_keys_key_seen", "key", "seen"),
        Index("ix_story_keys_story_id", "story_id"),
    )

    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    story_id: Mapped[str] = mapped_column(ForeignKey("stories.id"), primary_key=True)
    seen: Mapped[datetime | None]  # when a report of the story last had the key: lookups stay in the window


class ArticleRow(Base):
    __tablename__ = "articles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(String(200), index=True)
    url: Mapped[str] = mapped_column(Text)
    canonical_url: Mapped[str] = mapped_column(String(2000), unique=True)
    # ok | rejected | refused (asked again: rules can change) | claimed (an instance is fetching it since fetched_at)
    status: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(Text)
    title: Mapped[str | None] = mapped_column(Text)
    text: Mapped[str | None] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(16))
    author: Mapped[str | None] = mapped_column(Text)
    published: Mapped[datetime | None]
    fetched_at: Mapped[datetime]
    exact_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    minhash: Mapped[bytes | None] = mapped_column(LargeBinary)
    shingles: Mapped[bytes | None] = mapped_column(LargeBinary)  # sorted uint32 shingle hashes
    story_id: Mapped[str | None] = mapped_column(ForeignKey("stories.id"), index=True)
    # new-story | same-text | near-duplicate | other-language | split, and the evidence (`monitor.stories.Join`)
    joined_by: Mapped[str | None] = mapped_column(String(20))
    join_detail: Mapped[str | None] = mapped_column(Text)


class BandRow(Base):
    __tablename__ = "bands"

    band: Mapped[str] = mapped_column(String(40), primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id"), primary_key=True)


class MatchRow(Base):
    __tablename__ = "matches"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id"), index=True)
    topic: Mapped[str] = mapped_column(String(200))
    score: Mapped[float] = mapped_column(Float)
    evidence: Mapped[list[dict[str, Any]]] = mapped_column(JSON)


class AlertRow(Base):
    __tablename__ = "alerts"
    __table_args__ = (UniqueConstraint("story_id", "topic", "kind", name="uq_alerts_story_topic_kind"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    # kind: match | surge | source (an operator alert: no story, article or match; see `detail`)
    story_id: Mapped[str | None] = mapped_column(ForeignKey("stories.id"))
    topic: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20), default="match", server_default="match")
    article_id: Mapped[int | None] = mapped_column(ForeignKey("articles.id"))
    match_id: Mapped[int | None] = mapped_column(ForeignKey("matches.id"))
    created_at: Mapped[datetime] = mapped_column(index=True)
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class DeliveryRow(Base):
    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("alert_id", "channel", name="uq_deliveries_alert_channel"),
        Index("ix_deliveries_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    alert_id: Mapped[str] = mapped_column(ForeignKey("alerts.id"))
    channel: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20))  # pending | sent | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None]
    claimed_until: Mapped[datetime | None]  # a sender is working on it until then


class BacklogRow(Base):
    """A link a source listed that was not taken yet (more new links than one poll takes)."""

    __tablename__ = "backlog"

    source: Mapped[str] = mapped_column(String(200), primary_key=True)
    canonical_url: Mapped[str] = mapped_column(String(2000), primary_key=True)
    url: Mapped[str] = mapped_column(Text)
    title: Mapped[str | None] = mapped_column(Text)
    published: Mapped[datetime | None]


class SubscriptionRow(Base):
    """A WebSub subscription: the hub pushes the source's feed to /websub/{token}, signed with `secret`."""

    __tablename__ = "subscriptions"

    source: Mapped[str] = mapped_column(String(200), primary_key=True)
    hub: Mapped[str] = mapped_column(Text)
    topic: Mapped[str] = mapped_column(Text)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    secret: Mapped[str] = mapped_column(String(128))
    state: Mapped[str] = mapped_column(String(16))  # requested | active | denied
    requested_at: Mapped[datetime]
    lease_until: Mapped[datetime | None]
