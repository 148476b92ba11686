"""The outbox: alerts' deliveries, claimed, sent, retried; and what a channel needs to send one."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, Select, or_, select, update
from sqlalchemy.orm import Session

from monitor.domain import AlertView, Delivery, Evidence, Join
from monitor.store.rows import article_of, operator_view
from monitor.store.tables import AlertRow, ArticleRow, DeliveryRow, MatchRow, StoryRow


@dataclass(frozen=True, slots=True)
class DeliveryState:
    """One delivery as it stands."""

    alert_id: str
    channel: str
    status: str
    attempts: int
    last_error: str | None
    topic: str
    story_id: str | None


class Outbox:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def _due(self, now: datetime, channels: Iterable[str], due_before: datetime | None) -> Select[DeliveryRow]:
        return (
            select(DeliveryRow)
            .where(
                DeliveryRow.status == "pending",
                DeliveryRow.next_attempt_at <= (due_before or now),
                DeliveryRow.channel.in_(list(channels)),
                or_(DeliveryRow.claimed_until.is_(None), DeliveryRow.claimed_until <= now),
            )
            .order_by(DeliveryRow.id)
        )

    def due(
        self, now: datetime, channels: Iterable[str], *, due_before: datetime | None = None, limit: int = 500
    ) -> list[int]:
        """Ids of unclaimed pending deliveries due by `due_before` (default `now`), oldest first."""
        with Session(self.engine) as session:
            return [row.id for row in session.scalars(self._due(now, channels, due_before).limit(limit))]

    def claim(
        self,
        now: datetime,
        channels: Iterable[str],
        *,
        due_before: datetime | None = None,
        ids: Iterable[int] | None = None,
        limit: int = 1,
        hold: float = 60.0,
    ) -> list[Delivery]:
        """Claim due deliveries (or those of `ids` still due) for `hold` seconds.

        A claim keeps every other loop (the same process's, or another instance's on the same
        PostgreSQL, where SKIP LOCKED lets them pass each other) off the row while it is being
        sent; a crashed sender's claim simply expires.
        """
        until = now + timedelta(seconds=hold)
        with Session(self.engine) as session, session.begin():
            query = self._due(now, channels, due_before)
            if ids is not None:
                query = query.where(DeliveryRow.id.in_(list(ids)))
            if self.engine.dialect.name != "postgresql":
                # SQLite: one UPDATE that re-checks the claim under the write lock, so two processes
                # on one file cannot both take a delivery (its SELECT … FOR UPDATE is a no-op).
                chosen = query.with_only_columns(DeliveryRow.id).limit(limit).scalar_subquery()
                taken = session.execute(
                    update(DeliveryRow)
                    .where(
                        DeliveryRow.id.in_(chosen),
                        or_(DeliveryRow.claimed_until.is_(None), DeliveryRow.claimed_until <= now),
                    )
                    .values(claimed_until=until)
                    .returning(DeliveryRow.id, DeliveryRow.alert_id, DeliveryRow.channel, DeliveryRow.attempts)
                )
                return sorted((Delivery(*row) for row in taken), key=lambda d: d.id)
            claimed = []
            for row in session.scalars(query.limit(limit).with_for_update(skip_locked=True)):
                row.claimed_until = until
                claimed.append(Delivery(id=row.id, alert_id=row.alert_id, channel=row.channel, attempts=row.attempts))
            return claimed

    def view(self, alert_id: str) -> AlertView:
        with Session(self.engine) as session:
            alert = session.get_one(AlertRow, alert_id)
            if alert.kind == "source":
                return operator_view(alert)
            article = session.get_one(ArticleRow, alert.article_id)
            match = session.get_one(MatchRow, alert.match_id)
            story = session.get_one(StoryRow, alert.story_id)
            reports = session.execute(
                select(ArticleRow.id, ArticleRow.source, ArticleRow.language, ArticleRow.joined_by)
                .add_columns(ArticleRow.join_detail)
                .where(ArticleRow.story_id == alert.story_id, ArticleRow.status == "ok")
                .order_by(ArticleRow.id)
            ).all()
            outlets = {r.source for r in reports if r.source != article.source}
            return AlertView(
                id=alert.id,
                topic=alert.topic,
                kind=alert.kind,
                created=alert.created_at,
                article=article_of(article),
                story_id=story.id,
                story_copies=story.copies,
                matches=tuple(
                    Evidence(e["term"], e["sentence"], e["start"], e["end"], rule=e.get("rule", ""))
                    for e in match.evidence
                ),
                other_outlets=tuple(sorted(outlets)),
                story_reports=tuple(
                    f"article {r.id}, {r.source} [{r.language}]: {Join.from_row(r.joined_by, r.join_detail).describe()}"
                    for r in reports
                ),
            )

    def finish(self, delivery_id: int, *, now: datetime, error: str | None, retry_at: datetime | None) -> None:
        """Record one attempt: sent, pending again at `retry_at`, or failed for good."""
        with Session(self.engine) as session, session.begin():
            row = session.get_one(DeliveryRow, delivery_id)
            row.attempts += 1
            row.claimed_until = None
            if error is None:
                row.status, row.sent_at, row.last_error = "sent", now, None
            else:
                row.last_error = error[:2000]
                if retry_at is None:
                    row.status = "failed"
                else:
                    row.next_attempt_at = retry_at

    def retry(self, *, now: datetime, alert_id: str | None = None, failed: bool = False, exact: bool = False) -> int:
        """Make deliveries due again (attempts start over): one alert's unsent ones (by its id, or the
        first characters of it), or every failed one."""
        with Session(self.engine) as session, session.begin():
            query = update(DeliveryRow).values(status="pending", attempts=0, next_attempt_at=now, claimed_until=None)
            if alert_id is not None:
                chosen = DeliveryRow.alert_id == alert_id if exact else DeliveryRow.alert_id.startswith(alert_id)
                query = query.where(chosen, DeliveryRow.status != "sent")
            elif failed:
                query = query.where(DeliveryRow.status == "failed")
            else:
                return 0
            return int(session.execute(query).rowcount or 0)  # type: ignore[attr-defined]

    def rows(self) -> list[DeliveryState]:
        with Session(self.engine) as session:
            rows = session.execute(
                select(DeliveryRow, AlertRow.topic, AlertRow.story_id)
                .join(AlertRow, AlertRow.id == DeliveryRow.alert_id)
                .order_by(DeliveryRow.id)
            )
            return [
                DeliveryState(d.alert_id, d.channel, d.status, d.attempts, d.last_error, topic, story_id)
                for d, topic, story_id in rows
            ]
