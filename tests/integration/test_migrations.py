"""Alembic migrations on real SQLite and PostgreSQL: data written under 0001 survives 0002."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic import command
from sqlalchemy import text

from monitor.store import open_store
from monitor.store.engine import alembic_config, make_engine

NOW = datetime(2024, 11, 5, tzinfo=UTC).replace(tzinfo=None)


def migrate(url: str, target: str, *, down: bool = False) -> None:
    engine = make_engine(url)
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(config, target)
    engine.dispose()


def test_alerts_written_before_alert_kinds_keep_working(database_url: str) -> None:
    migrate(database_url, "0001")
    engine = make_engine(database_url)
    with engine.begin() as db:
        db.execute(
            text("INSERT INTO stories (id, headline, first_seen, last_seen, copies) VALUES ('s1', 'h', :t, :t, 1)"),
            {"t": NOW},
        )
        db.execute(
            text(
                "INSERT INTO articles (id, source, url, canonical_url, status, fetched_at, story_id) "
                "VALUES (1, 'wire', 'u', 'u', 'ok', :t, 's1')"
            ),
            {"t": NOW},
        )
        db.execute(text("INSERT INTO matches (id, article_id, topic, score, evidence) VALUES (1, 1, 't', 1.0, '[]')"))
        db.execute(
            text(
                "INSERT INTO alerts (id, story_id, topic, article_id, match_id, created_at) "
                "VALUES ('a1', 's1', 't', 1, 1, :t)"
            ),
            {"t": NOW},
        )
    engine.dispose()

    store = open_store(database_url)  # upgrades to head
    with store.transaction() as tx:
        assert tx.has_alert("s1", "t", "match")
        assert tx.add_alert(story_id="s1", topic="t", article_id=1, match_id=1, channels=[], now=NOW) is None
        assert tx.add_alert(story_id="s1", topic="t", article_id=1, match_id=1, channels=[], now=NOW, kind="surge")
    assert store.outbox.view("a1").kind == "match"
    store.close()


def test_downgrade_and_upgrade_again(database_url: str) -> None:
    open_store(database_url).close()
    migrate(database_url, "0001", down=True)
    migrate(database_url, "head")
    store = open_store(database_url)
    assert store.count("alerts") == 0
    store.close()


def test_head_constant_is_alembics_head() -> None:
    from alembic.script import ScriptDirectory

    from monitor.store.engine import HEAD

    assert ScriptDirectory.from_config(alembic_config()).get_current_head() == HEAD
