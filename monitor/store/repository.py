"""Repository: short transactions that speak domain objects.

`Store` holds the engine; `Transaction` is one unit of work, so the pipeline can write an
article, its story, its matches and its alerts (the outbox) atomically.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import uuid4

import numpy as np
from sqlalchemy import Connection, Engine, Select, Update, bindparam, delete, func, insert, or_, select, text, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from monitor.dedupe import Candidate
from monitor.domain import (
    AlertView,
    Article,
    Delivery,
    Evidence,
    Fingerprint,
    Join,
    Match,
    SourceHealthChange,
    SourceState,
)
from monitor.store.backlog import Backlog
from monitor.store.claims import Claims
from monitor.store.splits import Splits
from monitor.store.subscriptions import Subscriptions
from monitor.store.tables import (
    AlertRow,
    ArticleRow,
    Base,
    DeliveryRow,
    MatchRow,
    SiteRow,
    SourceRow,
    StoryRow,
)
from monitor.store.views import Views

OPERATOR_TOPIC = "sources"  # the topic of operator alerts (source health changes)


@dataclass(frozen=True, slots=True)
class StoredArticle:
    id: int
    article: Article
    story_id: str | None
    topics: frozenset[str]


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


def _pack(values: Sequence[int]) -> bytes:
    return np.asarray(values, dtype=np.uint32).tobytes()


def _unpack(data: bytes) -> tuple[int, ...]:
    return tuple(int(v) for v in np.frombuffer(data, dtype=np.uint32))


def _source_state(row: SourceRow) -> SourceState:
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


def _operator_view(alert: AlertRow) -> AlertView:
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


def _article(row: ArticleRow) -> Article:
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


_articles, _bands, _stories, _keys = (Base.metadata.tables[n] for n in ("articles", "bands", "stories", "story_keys"))


class _Hot:
    """Core statements of the per-article path, built once: executed on the connection with new
    parameters, they skip the ORM's statement handling and SQLAlchemy's cache-key work per call
    (about half of the main process's storage time in `bench/filing.py`)."""

    stored = select(_articles.c.canonical_url).where(
        _articles.c.canonical_url.in_(bindparam("urls", expanding=True)), _articles.c.status != "claimed"
    )
    take_claimed = (  # a page this instance claimed before fetching it becomes the article
        update(_articles)
        .where(_articles.c.canonical_url == bindparam("claimed_url"), _articles.c.status == "claimed")
        .returning(_articles.c.id)
    )
    exact = (
        select(_articles.c.story_id, _articles.c.id)
        .where(_articles.c.exact_hash == bindparam("hash"), _articles.c.story_id.is_not(None))
        .limit(1)
    )
    candidates = select(_articles.c.story_id, _articles.c.minhash, _articles.c.shingles, _articles.c.id).where(
        _articles.c.id.in_(select(_bands.c.article_id).where(_bands.c.band.in_(bindparam("bands", expanding=True))))
    )
    new_story = insert(_stories)
    join_story = (
        update(_stories)
        .where(_stories.c.id == bindparam("story"))
        .values(copies=_stories.c.copies + 1, last_seen=bindparam("now"))
    )
    # Window-bounded on the key's index: the stories of the last few days that have one of the keys.
    keyed = select(_keys.c.story_id, _keys.c.key).where(
        _keys.c.key.in_(bindparam("keys", expanding=True)), _keys.c.seen >= bindparam("since")
    )
    story_keys = select(_keys.c.story_id, _keys.c.key).where(_keys.c.story_id.in_(bindparam("stories", expanding=True)))
    add_keys = insert(_keys)
    upsert_keys_sqlite = sqlite_insert(_keys)
    upsert_keys_sqlite = upsert_keys_sqlite.on_conflict_do_update(
        index_elements=["key", "story_id"], set_={"seen": upsert_keys_sqlite.excluded.seen}
    )
    upsert_keys_postgresql = postgresql_insert(_keys)
    upsert_keys_postgresql = upsert_keys_postgresql.on_conflict_do_update(
        index_elements=["key", "story_id"], set_={"seen": upsert_keys_postgresql.excluded.seen}
    )
    add_article = insert(_articles).returning(_articles.c.id)
    add_bands = insert(_bands)
    alerted = select(AlertRow.topic).where(AlertRow.story_id == bindparam("story"), AlertRow.kind == "match")


class Transaction:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.splits = Splits(session)

    @property
    def _db(self) -> Connection:
        return self.session.connection()

    def stored_urls(self, canonical_urls: Iterable[str]) -> set[str]:
        """Those of the canonical URLs that an article already has."""
        return set(self._db.execute(_Hot.stored, {"urls": list(canonical_urls)}).scalars())

    def find_exact(self, exact_hash: str) -> tuple[str, int] | None:
        """(story, article) of a stored article with this exact text."""
        row = self._db.execute(_Hot.exact, {"hash": exact_hash}).first()
        return None if row is None else (row[0], row[1])

    def candidates(self, bands: Iterable[str]) -> list[Candidate]:
        """Stored articles sharing at least one LSH band (an index lookup per band)."""
        rows = self._db.execute(_Hot.candidates, {"bands": list(bands)})
        return [
            Candidate(story_id=story, minhash=_unpack(minhash), shingles=shingles, article_id=article_id)
            for story, minhash, shingles, article_id in rows
            if story is not None and minhash is not None and shingles is not None
        ]

    def new_story(self, headline: str, now: datetime, language: str | None = None) -> str:
        story_id = uuid4().hex
        values = dict(id=story_id, headline=headline, first_seen=now, last_seen=now, copies=1, language=language)
        self._db.execute(_Hot.new_story, values)
        return story_id

    def join_story(self, story_id: str, now: datetime) -> None:
        self._db.execute(_Hot.join_story, {"story": story_id, "now": now})

    def keyed_stories(self, keys: Iterable[str], since: datetime, *, limit: int = 30) -> dict[str, set[str]]:
        """Every key of the stories (at most `limit`, those sharing most of `keys`) that had one of
        `keys` since `since`."""
        wanted = list(keys)
        if not wanted:
            return {}
        shared: dict[str, int] = {}
        for story, _ in self._db.execute(_Hot.keyed, {"keys": wanted, "since": since}):
            shared[story] = shared.get(story, 0) + 1
        chosen = sorted(shared, key=lambda story: -shared[story])[:limit]
        found: dict[str, set[str]] = {}
        if chosen:
            for story, key in self._db.execute(_Hot.story_keys, {"stories": chosen}):
                found.setdefault(story, set()).add(key)
        return found

    def add_story_keys(self, story_id: str, keys: Iterable[str], now: datetime, *, new_story: bool = False) -> None:
        rows = [{"key": k, "story_id": story_id, "seen": now} for k in set(keys)]
        if not rows:
            return
        if new_story:
            self._db.execute(_Hot.add_keys, rows)
        else:  # the story has some of them already: they are seen again now
            db = self._db
            upsert = _Hot.upsert_keys_postgresql if db.dialect.name == "postgresql" else _Hot.upsert_keys_sqlite
            db.execute(upsert, rows)

    def alerted_topics(self, story_id: str) -> set[str]:
        """Topics the story already has a first ("match") alert for."""
        return set(self._db.execute(_Hot.alerted, {"story": story_id}).scalars())

    def story_outlets(self, story_id: str, since: datetime) -> int:
        query = select(func.count(ArticleRow.source.distinct())).where(
            ArticleRow.story_id == story_id, ArticleRow.fetched_at >= since
        )
        return int(self.session.scalar(query) or 0)

    def match_alert(self, story_id: str, topic: str) -> tuple[int, int] | None:
        """(article id, match id) of the story's first alert on the topic."""
        row = self.session.execute(
            select(AlertRow.article_id, AlertRow.match_id).where(
                AlertRow.story_id == story_id, AlertRow.topic == topic, AlertRow.kind == "match"
            )
        ).first()
        if row is None or row[0] is None or row[1] is None:  # match alerts always have both
            return None
        return (row[0], row[1])

    def add_article(
        self, article: Article, fingerprint: Fingerprint, story_id: str, joined_by: str = "", detail: str = ""
    ) -> int:
        values = dict(
            joined_by=joined_by or None,
            join_detail=detail or None,
            source=article.source,
            url=article.url,
            canonical_url=article.canonical_url,
            status="ok",
            reason=None,
            title=article.title,
            text=article.text,
            language=article.language,
            author=article.author,
            published=article.published,
            fetched_at=article.fetched_at,
            exact_hash=fingerprint.exact,
            minhash=_pack(fingerprint.minhash),
            shingles=fingerprint.shingles,
            story_id=story_id,
        )
        claimed = self._db.execute(_Hot.take_claimed, {**values, "claimed_url": article.canonical_url}).scalar()
        article_id = int(claimed if claimed is not None else self._db.execute(_Hot.add_article, values).scalar_one())
        # One executemany for the 42 band rows.
        self._db.execute(_Hot.add_bands, [{"band": b, "article_id": article_id} for b in set(fingerprint.bands)])
        return article_id

    def add_match(self, article_id: int, match: Match) -> int:
        evidence = [
            {"term": e.term, "sentence": e.sentence, "start": e.start, "end": e.end, "rule": e.rule}
            for e in match.evidence
        ]
        query = insert(MatchRow).values(article_id=article_id, topic=match.topic, score=match.score, evidence=evidence)
        return int(self.session.execute(query.returning(MatchRow.id)).scalar_one())

    def has_alert(self, story_id: str, topic: str, kind: str = "match") -> bool:
        query = select(AlertRow.id).where(AlertRow.story_id == story_id, AlertRow.topic == topic, AlertRow.kind == kind)
        return self.session.scalar(query) is not None

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
    ) -> str | None:
        """Write the alert and one pending delivery per channel; None if the story already has one."""
        if self.has_alert(story_id, topic, kind):
            return None
        alert_id = uuid4().hex
        try:
            with self.session.begin_nested():
                self.session.add(
                    AlertRow(
                        id=alert_id,
                        story_id=story_id,
                        topic=topic,
                        kind=kind,
                        article_id=article_id,
                        match_id=match_id,
                        created_at=now,
                    )
                )
                self.session.flush()
        except IntegrityError:  # another instance alerted this story first
            return None
        self.session.add_all(
            DeliveryRow(alert_id=alert_id, channel=name, status="pending", attempts=0, next_attempt_at=now)
            for name in channels
        )
        return alert_id

    def add_operator_alert(self, change: SourceHealthChange, *, channels: Sequence[str], now: datetime) -> str:
        alert_id = uuid4().hex
        detail = {
            "source": change.source,
            "url": change.url,
            "previous": change.previous,
            "state": change.state,
            "reason": change.reason,
        }
        self.session.add(AlertRow(id=alert_id, topic=OPERATOR_TOPIC, kind="source", created_at=now, detail=detail))
        self.session.flush()
        self.session.add_all(
            DeliveryRow(alert_id=alert_id, channel=name, status="pending", attempts=0, next_attempt_at=now)
            for name in channels
        )
        return alert_id


# The tables that the per-article lookups read through an index (LSH bands, cross-language keys)
# and that one big first poll grows from nothing. PostgreSQL plans a table it has never analysed
# from defaults that make it read all of it: a sequential scan of `bands` for every new article,
# 16 ms an article at 2,000 articles (`bench/filing.py`, measured), against 0.7 ms on SQLite.
# autovacuum analyses them in time when it runs, but a first poll outpaces it, and some servers
# run without it.
_PLANNED = ("bands", "story_keys")
_PLANNED_SIZES = text(
    "SELECT name, c.relpages, pg_relation_size(c.oid) / current_setting('block_size')::int"
    " FROM unnest(CAST(:names AS text[])) AS name JOIN pg_class AS c ON c.oid = to_regclass(name)"
)
_MIN_PAGES = 8  # below 64 KB the plan hardly matters


class Store:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.views = Views(engine)  # what the commands and the console show
        self.claims = Claims(engine)  # what this instance is working on, when several share the database
        self.backlog = Backlog(engine)  # links found and not taken yet
        self.subscriptions = Subscriptions(engine)  # WebSub: hubs that push feeds

    def keep_statistics(self) -> list[str]:
        """ANALYZE each table of `_PLANNED` that has grown to twice its size at its last analysis
        (PostgreSQL; the tables analysed). Sizes are read from the catalogue and the files, not from
        the statistics views, which a busy connection updates only every second or so; analysing at
        each doubling keeps the work in proportion to the rows written.
        """
        if self.dialect != "postgresql":
            return []
        with self.engine.begin() as db:
            sizes = db.execute(_PLANNED_SIZES, {"names": list(_PLANNED)}).all()
            due = [name for name, planned, now in sizes if now >= max(_MIN_PAGES, 2 * planned)]
            for name in due:
                db.execute(text(f'ANALYZE "{name}"'))  # a name of _PLANNED, not input
        return due

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        with Session(self.engine, expire_on_commit=False) as session, session.begin():
            yield Transaction(session)

    # -- sources -------------------------------------------------------------------------

    def sync_sources(self, sources: Iterable[tuple[str, str]]) -> None:
        """Add the configured sources (instances starting together may add the same ones); a source
        whose URL changed is a new resource: its validators are forgotten."""
        wanted = dict(sources)
        upsert = postgresql_insert if self.dialect == "postgresql" else sqlite_insert
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

    def source_state(self, name: str) -> SourceState:
        return self.source_states([name]).get(name) or SourceState(name=name)

    def source_states(self, names: Iterable[str]) -> dict[str, SourceState]:
        """The states of these sources, in one query (a poll round reads them all at once)."""
        wanted = list(names)
        with Session(self.engine) as session:
            rows = session.scalars(select(SourceRow).where(SourceRow.name.in_(wanted)))
            return {row.name: _source_state(row) for row in rows}

    def record_poll(self, state: SourceState, **done: Any) -> None:
        """Write what one poll of a source left (see `record_polls`)."""
        self.record_polls([PollRecord(state, **done)])

    def record_polls(self, records: Sequence[PollRecord]) -> None:
        """What a round of polls left, one UPDATE each, in one transaction; a health change becomes
        an operator alert in it."""
        if not records:
            return
        with Session(self.engine) as session, session.begin():
            for statement, failed in ((_POLL_OK, False), (_POLL_FAILED, True)):
                batch = [r.params() for r in records if (r.error is not None) == failed]
                if batch:
                    session.connection().execute(statement, batch)
            for record in records:
                if record.change is not None:
                    Transaction(session).add_operator_alert(record.change, channels=record.operators, now=record.now)

    # -- sites (robots.txt) ----------------------------------------------------------------

    def load_robots(self, site: str) -> tuple[str | None, datetime] | None:
        with Session(self.engine) as session:
            row = session.get(SiteRow, site)
            return None if row is None else (row.robots, row.robots_fetched_at)

    def save_robots(self, site: str, text: str | None, fetched_at: datetime) -> None:
        """Upsert: two instances that fetched the same robots.txt at once both succeed."""
        upsert = postgresql_insert if self.dialect == "postgresql" else sqlite_insert
        query = upsert(SiteRow).values(site=site, robots=text, robots_fetched_at=fetched_at)
        query = query.on_conflict_do_update(
            index_elements=["site"], set_={"robots": text, "robots_fetched_at": fetched_at}
        )
        with Session(self.engine) as session, session.begin():
            session.execute(query)

    # -- articles ------------------------------------------------------------------------

    def known_urls(self, urls: Iterable[str], *, stale_claims_before: datetime | None = None) -> set[str]:
        """Those of the URLs stored, rejected, or claimed by an instance since `stale_claims_before`."""
        wanted = list(set(urls))
        found: set[str] = set()
        with Session(self.engine) as session:
            for start in range(0, len(wanted), 500):
                chunk = wanted[start : start + 500]
                query = select(ArticleRow.canonical_url).where(
                    ArticleRow.canonical_url.in_(chunk), ArticleRow.status != "refused"
                )
                if stale_claims_before is not None:
                    query = query.where(
                        or_(ArticleRow.status != "claimed", ArticleRow.fetched_at >= stale_claims_before)
                    )
                found.update(session.scalars(query))
        return found

    def record_rejected(
        self, *, source: str, url: str, canonical_url: str, reason: str, now: datetime, retry: bool = False
    ) -> None:
        """Remember a page that gave no article, so it is not fetched again every poll; with `retry`
        (a refusal by a rule that can change) it is only noted: the next poll asks again."""
        status = "refused" if retry else "rejected"
        with Session(self.engine) as session, session.begin():
            row = session.scalar(select(ArticleRow).where(ArticleRow.canonical_url == canonical_url))
            if row is not None:
                if row.status in ("refused", "claimed"):
                    row.status, row.reason, row.fetched_at = status, reason[:2000], now
                return
            session.add(
                ArticleRow(
                    source=source,
                    url=url,
                    canonical_url=canonical_url,
                    status=status,
                    reason=reason[:2000],
                    fetched_at=now,
                )
            )

    def forget_refused(self, canonical_urls: Iterable[str]) -> int:
        """Drop the refusals of links about to be asked again (their article row would take the URL);
        how many there were."""
        wanted, dropped = list(canonical_urls), 0
        with Session(self.engine) as session, session.begin():
            for start in range(0, len(wanted), 500):
                chunk = wanted[start : start + 500]
                query = delete(ArticleRow).where(ArticleRow.status == "refused", ArticleRow.canonical_url.in_(chunk))
                dropped += int(session.execute(query).rowcount or 0)  # type: ignore[attr-defined]
        return dropped

    def retry_sources(self, names: Iterable[str] | None, *, now: datetime) -> tuple[int, int]:
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

    def article_status(self, canonical_url: str) -> tuple[str, str | None] | None:
        with Session(self.engine) as session:
            row = session.execute(
                select(ArticleRow.status, ArticleRow.reason).where(ArticleRow.canonical_url == canonical_url)
            ).first()
            return None if row is None else (row[0], row[1])

    def articles_since(self, since: datetime) -> list[StoredArticle]:
        with Session(self.engine) as session:
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
                StoredArticle(id=r.id, article=_article(r), story_id=r.story_id, topics=frozenset(topics.get(r.id, ())))
                for r in articles
            ]

    # -- deliveries ----------------------------------------------------------------------

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

    def due_deliveries(
        self, now: datetime, channels: Iterable[str], *, due_before: datetime | None = None, limit: int = 500
    ) -> list[int]:
        """Ids of unclaimed pending deliveries due by `due_before` (default `now`), oldest first."""
        with Session(self.engine) as session:
            return [row.id for row in session.scalars(self._due(now, channels, due_before).limit(limit))]

    def claim_deliveries(
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
            if self.dialect != "postgresql":
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

    def alert_view(self, alert_id: str) -> AlertView:
        with Session(self.engine) as session:
            alert = session.get_one(AlertRow, alert_id)
            if alert.kind == "source":
                return _operator_view(alert)
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
                article=_article(article),
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

    def finish_delivery(self, delivery_id: int, *, now: datetime, error: str | None, retry_at: datetime | None) -> None:
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

    def retry_deliveries(
        self, *, now: datetime, alert_id: str | None = None, failed: bool = False, exact: bool = False
    ) -> int:
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

    def delivery_rows(self) -> list[dict[str, object]]:
        with Session(self.engine) as session:
            rows = session.execute(
                select(DeliveryRow, AlertRow.topic, AlertRow.story_id)
                .join(AlertRow, AlertRow.id == DeliveryRow.alert_id)
                .order_by(DeliveryRow.id)
            )
            return [
                {
                    "alert_id": d.alert_id,
                    "channel": d.channel,
                    "status": d.status,
                    "attempts": d.attempts,
                    "last_error": d.last_error,
                    "topic": topic,
                    "story_id": story_id,
                }
                for d, topic, story_id in rows
            ]

    def count(self, table: str) -> int:
        model = {"articles": ArticleRow, "stories": StoryRow, "alerts": AlertRow, "matches": MatchRow}[table]
        with Session(self.engine) as session:
            return int(session.scalar(select(func.count()).select_from(model)) or 0)
