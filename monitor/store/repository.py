"""`Store`: the engine and its parts, one per thing kept (sources, pages, the outbox, read models);
`transaction()` is the unit of work of filing (`monitor.store.articles.Transaction`)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

from monitor.store.articles import Transaction
from monitor.store.backlog import Backlog
from monitor.store.claims import Claims
from monitor.store.outbox import Outbox
from monitor.store.pages import Pages
from monitor.store.sources import Sites, Sources
from monitor.store.subscriptions import Subscriptions
from monitor.store.tables import AlertRow, ArticleRow, MatchRow, StoryRow
from monitor.store.views import Views

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
        self.sources = Sources(engine)  # each source's state between polls
        self.sites = Sites(engine)  # robots.txt per site
        self.pages = Pages(engine)  # pages stored, rejected or refused
        self.outbox = Outbox(engine)  # deliveries of the alerts
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

    def count(self, table: str) -> int:
        model = {"articles": ArticleRow, "stories": StoryRow, "alerts": AlertRow, "matches": MatchRow}[table]
        with Session(self.engine) as session:
            return int(session.scalar(select(func.count()).select_from(model)) or 0)
