"""WebSub subscriptions as the database keeps them (one per source)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, delete, select, update
from sqlalchemy.orm import Session

from monitor.store.tables import SubscriptionRow


@dataclass(frozen=True, slots=True)
class Subscription:
    source: str
    hub: str
    topic: str
    token: str
    secret: str
    state: str  # requested | active | denied
    requested_at: datetime
    lease_until: datetime | None


def _view(row: SubscriptionRow) -> Subscription:
    return Subscription(
        row.source, row.hub, row.topic, row.token, row.secret, row.state, row.requested_at, row.lease_until
    )


class Subscriptions:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def of(self, source: str) -> Subscription | None:
        with Session(self.engine) as session:
            row = session.get(SubscriptionRow, source)
            return None if row is None else _view(row)

    def by_token(self, token: str) -> Subscription | None:
        with Session(self.engine) as session:
            row = session.scalar(select(SubscriptionRow).where(SubscriptionRow.token == token))
            return None if row is None else _view(row)

    def requested(self, source: str, *, hub: str, topic: str, token: str, secret: str, now: datetime) -> None:
        """A (re)subscription was sent: the hub will verify `token`'s callback. An active lease stays
        valid until the hub confirms the new one."""
        with Session(self.engine) as session, session.begin():
            row = session.get(SubscriptionRow, source)
            if row is None:
                session.add(
                    SubscriptionRow(
                        source=source, hub=hub, topic=topic, token=token, secret=secret, state="requested",
                        requested_at=now,
                    )
                )  # fmt: skip
                return
            active = row.state == "active" and row.hub == hub and row.topic == topic
            row.hub, row.topic, row.token, row.secret, row.requested_at = hub, topic, token, secret, now
            row.state = "active" if active else "requested"

    def verified(self, token: str, *, lease: float, now: datetime) -> None:
        with Session(self.engine) as session, session.begin():
            session.execute(
                update(SubscriptionRow)
                .where(SubscriptionRow.token == token)
                .values(state="active", lease_until=now + timedelta(seconds=lease))
            )

    def denied(self, token: str) -> None:
        with Session(self.engine) as session, session.begin():
            session.execute(update(SubscriptionRow).where(SubscriptionRow.token == token).values(state="denied"))

    def forget(self, source: str) -> None:
        with Session(self.engine) as session, session.begin():
            session.execute(delete(SubscriptionRow).where(SubscriptionRow.source == source))

    def pushed(self, source: str, now: datetime) -> bool:
        """True while a hub pushes the source's feed (an active, unexpired lease)."""
        found = self.of(source)
        return found is not None and found.state == "active" and (found.lease_until or now) > now
