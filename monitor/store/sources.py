"""Sources and their sites: what each poll left, and robots.txt."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, Engine, Update, bindparam, delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from monitor.domain import SourceHealthChange, SourceState
from monitor.store.tables import ArticleRow, SiteRow, SourceRow


@dataclass(frozen=True, slots=True)
class PollRecord:
    """What one poll of a source left, to be written."""

    state: SourceState
    now: datetime
    next_poll_at: datetime
    kind: str | None = None
    not_modified: bool = False
    error: str | None = None
    change: SourceHealthChange | None = None
    health: str | None = None
    operators: Sequence[str] = ()

    def params(self) -> dict[str, object]:
        """The bind parameters of `_POLL_OK` / `_POLL_FAILED`."""
        state, now = self.state, self.now
        became = self.change.state if self.change is not None else self.health
        changed = became is not None and became != state.health
        return {
            "b_name": state.name,
            "b_now": now,
            "b_next": self.next_poll_at,
            "b_unchanged": int(self.not_modified),
            "b_interval": state.poll_interval,
            "b_gap": state.publish_gap,
            "b_last_new": state.last_new_at,
            "b_errors": state.error_count,
            "b_refusals": state.refusals,
            "b_rules": state.refusal_rules,
            "b_kind": self.kind or None,
            "b_etag": state.etag,
            "b_last_modified": state.last_modified,
            "b_error": (self.error or "")[:2000],
            "b_health": became if changed else None,
            "b_health_since": now if changed else None,
        }


def _poll_update(*, failed: bool) -> Update:
    """One poll's bookkeeping as one UPDATE, built once and run for a whole round (executemany)."""
    common: dict[str, object] = {
        "last_polled_at": bindparam("b_now"),
        "next_poll_at": bindparam("b_next"),
        "polls": SourceRow.polls + 1,
        "not_modified": SourceRow.not_modified + bindparam("b_unchanged"),
        "poll_interval": bindparam("b_interval"),
        "publish_gap": bindparam("b_gap"),
        "last_new_at": bindparam("b_last_new"),
        "error_count": bindparam("b_errors"),
        "refusals": bindparam("b_refusals"),
        "refusal_rules": bindparam("b_rules"),
        "claimed_by": None,  # the poll is done: its lease ends
        "claimed_until": None,
        "kind": func.coalesce(bindparam("b_kind"), SourceRow.kind),
        "health": func.coalesce(bindparam("b_health"), SourceRow.health),
        "health_since": func.coalesce(bindparam("b_health_since"), SourceRow.health_since),
    }
    outcome: dict[str, object]
    if failed:
        outcome = {
            "last_error": bindparam("b_error"),
            "last_error_at": bindparam("b_now"),
            "failed_polls": SourceRow.failed_polls + 1,
        }
    else:
        outcome = {
            "last_ok_at": bindparam("b_now"),
            "last_error": None,
            "etag": bindparam("b_etag"),
            "last_modified": bindparam("b_last_modified"),
        }
    return update(SourceRow).where(SourceRow.name == bindparam("b_name")).values(**common, **outcome)


_POLL_OK = _poll_update(failed=False)
_POLL_FAILED = _poll_update(failed=True)


def source_state(row: SourceRow) -> SourceState:
    return SourceState(
        name=row.name,
        etag=row.etag,
        last_modified=row.last_modified,
        next_poll_at=row.next_poll_at,
        last_error=row.last_error,
        error_count=row.error_count or 0,
        refusals=row.refusals or 0,
        last_new_at=row.last_new_at,
        publish_gap=row.publish_gap,
        poll_interval=row.poll_interval,
        health=row.health or "new",
        read_ok=row.last_ok_at is not None,
        refusal_rules=row.refusal_rules,
    )


def write_polls(db: Connection, records: Sequence[PollRecord]) -> None:
    """What a round of polls left: one UPDATE per outcome, run for all of them (executemany)."""
    for statement, failed in ((_POLL_OK, False), (_POLL_FAILED, True)):
        batch = [r.params() for r in records if (r.error is not None) == failed]
        if batch:
            db.execute(statement, batch)


class Sources:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def sync(self, sources: Iterable[tuple[str, str]]) -> None:
        """Add the configured sources (instances starting together may add the same ones); a source
        whose URL changed is a new resource: its validators are forgotten."""
        wanted = dict(sources)
        upsert = postgresql_insert if self.engine.dialect.name == "postgresql" else sqlite_insert
        with Session(self.engine) as session, session.begin():
            stored: dict[str, str] = {name: url for name, url in session.execute(select(SourceRow.name, SourceRow.url))}
            missing = [{"name": n, "url": u, "error_count": 0} for n, u in wanted.items() if n not in stored]
            if missing:
                session.execute(upsert(SourceRow).on_conflict_do_nothing(), missing)
            for name, url in wanted.items():
                if name in stored and stored[name] != url:
                    session.execute(
                        update(SourceRow)
                        .where(SourceRow.name == name)
                        .values(url=url, etag=None, last_modified=None, kind=None)
                    )

    def state(self, name: str) -> SourceState:
        return self.states([name]).get(name) or SourceState(name=name)

    def states(self, names: Iterable[str]) -> dict[str, SourceState]:
        """The states of these sources, in one query (a poll round reads them all at once)."""
        wanted = list(names)
        with Session(self.engine) as session:
            rows = session.scalars(select(SourceRow).where(SourceRow.name.in_(wanted)))
            return {row.name: source_state(row) for row in rows}

    def retry(self, names: Iterable[str] | None, *, now: datetime) -> tuple[int, int]:
        """Make sources due now with their listing read in full, and their refused or rejected links
        fetchable again. `names` None: every source. Returns (sources, links)."""
        with Session(self.engine) as session, session.begin():
            links = delete(ArticleRow).where(ArticleRow.status.in_(("refused", "rejected")))
            sources = update(SourceRow).values(next_poll_at=now, etag=None, last_modified=None)
            if names is not None:
                wanted = list(names)
                links = links.where(ArticleRow.source.in_(wanted))
                sources = sources.where(SourceRow.name.in_(wanted))
            dropped = int(session.execute(links).rowcount or 0)  # type: ignore[attr-defined]
            due = int(session.execute(sources).rowcount or 0)  # type: ignore[attr-defined]
        return due, dropped


class Sites:
    """robots.txt of each site, shared by the instances on one database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def load_robots(self, site: str) -> tuple[str | None, datetime] | None:
        with Session(self.engine) as session:
            row = session.get(SiteRow, site)
            return None if row is None else (row.robots, row.robots_fetched_at)

    def save_robots(self, site: str, text: str | None, fetched_at: datetime) -> None:
        """Upsert: two instances that fetched the same robots.txt at once both succeed."""
        upsert = postgresql_insert if self.engine.dialect.name == "postgresql" else sqlite_insert
        query = upsert(SiteRow).values(site=site, robots=text, robots_fetched_at=fetched_at)
        query = query.on_conflict_do_update(
            index_elements=["site"], set_={"robots": text, "robots_fetched_at": fetched_at}
        )
        with Session(self.engine) as session, session.begin():
            session.execute(query)
