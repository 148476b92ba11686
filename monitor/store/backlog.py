"""Links a source listed beyond what one poll takes: kept in the database, taken newest first by
later polls (even when the listing answers 304), so none is left behind and a restart keeps them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import Engine, delete, func, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from monitor.domain import Candidate
from monitor.store.tables import BacklogRow


class Backlog:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._insert = postgresql_insert if engine.dialect.name == "postgresql" else sqlite_insert

    def update(self, source: str, *, keep: Sequence[tuple[str, Candidate]], taken: Iterable[str]) -> None:
        """Remember `keep` (canonical URL, link); forget the links just taken from the listing."""
        done = list(taken)
        with Session(self.engine) as session, session.begin():
            if done:
                session.execute(
                    delete(BacklogRow).where(BacklogRow.source == source, BacklogRow.canonical_url.in_(done))
                )
            if keep:
                rows = [
                    {"source": source, "canonical_url": url, "url": c.url, "title": c.title, "published": c.published}
                    for url, c in keep
                ]
                session.execute(self._insert(BacklogRow).values(rows).on_conflict_do_nothing())

    def take(self, source: str, limit: int, *, besides: Iterable[str] = ()) -> list[tuple[str, Candidate]]:
        """Up to `limit` links, newest first (undated last), no longer kept."""
        skip = list(besides)
        with Session(self.engine) as session, session.begin():
            query = select(BacklogRow).where(BacklogRow.source == source)
            if skip:
                query = query.where(BacklogRow.canonical_url.not_in(skip))
            order = (BacklogRow.published.is_(None), BacklogRow.published.desc(), BacklogRow.canonical_url)
            rows = list(session.scalars(query.order_by(*order).limit(limit)))
            found = [(r.canonical_url, Candidate(url=r.url, title=r.title, published=r.published)) for r in rows]
            if rows:
                session.execute(
                    delete(BacklogRow).where(
                        BacklogRow.source == source, BacklogRow.canonical_url.in_([url for url, _ in found])
                    )
                )
        return found

    def sizes(self) -> dict[str, int]:
        with Session(self.engine) as session:
            query = select(BacklogRow.source, func.count()).group_by(BacklogRow.source)
            return {source: int(count) for source, count in session.execute(query)}
