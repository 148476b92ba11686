"""Claims that let several instances share one database: who polls a source, who fetches a page.

A claim is a lease: it names its holder and when it ends, so a crashed instance's claims expire
and another takes the work over. On PostgreSQL due sources are read `FOR UPDATE SKIP LOCKED`
and leased in the same transaction (instances pass each other); on SQLite one `UPDATE … RETURNING`
does it under the database's single write lock.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import Engine, delete, or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from monitor.store.tables import ArticleRow, SourceRow


class Claims:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._postgresql = engine.dialect.name == "postgresql"

    def sources(
        self, names: Iterable[str], *, holder: str, now: datetime, lease: float, due_only: bool = True
    ) -> list[str]:
        """Lease the sources (of `names`) that are due and not leased by a live holder; their names."""
        wanted = list(names)
        free = or_(SourceRow.claimed_until.is_(None), SourceRow.claimed_until < now)
        conditions = [SourceRow.name.in_(wanted), free]
        if due_only:
            conditions.append(or_(SourceRow.next_poll_at.is_(None), SourceRow.next_poll_at <= now))
        until = now + timedelta(seconds=lease)
        with Session(self.engine) as session, session.begin():
            if self._postgresql:
                query = select(SourceRow.name).where(*conditions).with_for_update(skip_locked=True)
                taken = list(session.scalars(query))
                if taken:
                    session.execute(
                        update(SourceRow)
                        .where(SourceRow.name.in_(taken))
                        .values(claimed_by=holder, claimed_until=until)
                    )
            else:
                lease_them = update(SourceRow).where(*conditions).values(claimed_by=holder, claimed_until=until)
                taken = list(session.scalars(lease_them.returning(SourceRow.name)))
        order = {name: index for index, name in enumerate(wanted)}
        return sorted(taken, key=order.__getitem__)

    def release_sources(self, names: Iterable[str], *, holder: str) -> None:
        with Session(self.engine) as session, session.begin():
            session.execute(
                update(SourceRow)
                .where(SourceRow.name.in_(list(names)), SourceRow.claimed_by == holder)
                .values(claimed_by=None, claimed_until=None)
            )

    def page(self, *, source: str, url: str, canonical_url: str, now: datetime, lease: float) -> bool:
        """Claim a page before fetching it (its canonical URL, "in progress"); False when another
        instance has it, or it is stored. A claim older than `lease` is taken over."""
        values = {
            "source": source,
            "url": url,
            "canonical_url": canonical_url,
            "status": "claimed",
            "fetched_at": now,
        }
        insert = postgresql_insert if self._postgresql else sqlite_insert
        with Session(self.engine) as session, session.begin():
            query = insert(ArticleRow).values(**values).on_conflict_do_nothing(index_elements=["canonical_url"])
            if session.execute(query.returning(ArticleRow.id)).first() is not None:
                return True
            stale = (
                update(ArticleRow)
                .where(
                    ArticleRow.canonical_url == canonical_url,
                    ArticleRow.status == "claimed",
                    ArticleRow.fetched_at < now - timedelta(seconds=lease),
                )
                .values(fetched_at=now, source=source, url=url)
            )
            return session.execute(stale.returning(ArticleRow.id)).first() is not None

    def release_page(self, canonical_url: str) -> None:
        """Give a claimed page back (a transient failure: the next poll asks again)."""
        with Session(self.engine) as session, session.begin():
            session.execute(
                delete(ArticleRow).where(ArticleRow.canonical_url == canonical_url, ArticleRow.status == "claimed")
            )
