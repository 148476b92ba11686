"""The unit of work of filing: an article, its story and keys, its matches and its alerts (the outbox),
in one transaction; and a round's poll records with the operator alerts of their health changes."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from uuid import uuid4

from sqlalchemy import Connection, bindparam, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from monitor.dedupe import Candidate
from monitor.domain import Article, Fingerprint, Match, SourceHealthChange
from monitor.store.rows import pack, unpack
from monitor.store.sources import PollRecord, write_polls
from monitor.store.splits import Splits
from monitor.store.tables import AlertRow, ArticleRow, Base, DeliveryRow, MatchRow

OPERATOR_TOPIC = "sources"  # the topic of operator alerts (source health changes)


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
    keyed = (  # the stories that had a key most recently, within the window: an index range each
        select(_keys.c.story_id)
        .where(_keys.c.key == bindparam("key"), _keys.c.seen >= bindparam("since"))
        .order_by(_keys.c.seen.desc())
        .limit(bindparam("per_key"))
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
            Candidate(story_id=story, minhash=unpack(minhash), shingles=shingles, article_id=article_id)
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

    def keyed_stories(
        self, keys: Iterable[str], since: datetime, *, limit: int = 10, per_key: int = 10
    ) -> dict[str, set[str]]:
        """Every key of the stories (at most `limit`, those sharing most of `keys`) that had one of
        `keys` since `since`; of each key, the `per_key` stories that had it last. A common key (a
        day, a big name) may have hundreds in the window: the cost stays that of the rare ones."""
        shared: dict[str, int] = {}
        for key in set(keys):
            for story in self._db.execute(_Hot.keyed, {"key": key, "since": since, "per_key": per_key}).scalars():
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
            minhash=pack(fingerprint.minhash),
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

    def record_polls(self, records: Sequence[PollRecord]) -> None:
        """What a round of polls left (their health changes are written by `add_operator_alert`)."""
        write_polls(self._db, records)

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
