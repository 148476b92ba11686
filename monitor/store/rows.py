"""Rows to domain objects, and the packing of MinHash signatures."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from monitor.domain import AlertView, Article, SourceHealthChange
from monitor.store.tables import AlertRow, ArticleRow


def pack(values: Sequence[int]) -> bytes:
    return np.asarray(values, dtype=np.uint32).tobytes()


def unpack(data: bytes) -> tuple[int, ...]:
    return tuple(int(v) for v in np.frombuffer(data, dtype=np.uint32))


def operator_view(alert: AlertRow) -> AlertView:
    detail = alert.detail or {}
    change = SourceHealthChange(
        source=str(detail.get("source", "")),
        url=str(detail.get("url", "")),
        previous=str(detail.get("previous", "")),
        state=str(detail.get("state", "")),
        reason=detail.get("reason"),
    )
    # Channels and digests speak AlertView: the source stands in for the article.
    article = Article(
        source=change.source,
        url=change.url,
        canonical_url=change.url,
        title=f"Source {change.source} is {change.state} (was {change.previous})",
        text=change.reason or "",
        language="en",
        published=alert.created_at,
        fetched_at=alert.created_at,
    )
    return AlertView(
        id=alert.id,
        topic=alert.topic,
        kind=alert.kind,
        created=alert.created_at,
        article=article,
        story_id="",
        story_copies=0,
        matches=(),
        health=change,
    )


def article_of(row: ArticleRow) -> Article:
    return Article(
        source=row.source,
        url=row.url,
        canonical_url=row.canonical_url,
        title=row.title or "",
        text=row.text or "",
        language=row.language or "",
        published=row.published,
        fetched_at=row.fetched_at,
        author=row.author,
    )
