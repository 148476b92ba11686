"""Engine creation and schema upgrade (Alembic) for SQLite and PostgreSQL."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DisconnectionError, InterfaceError, OperationalError, SQLAlchemyError

from monitor.errors import StoreError
from monitor.store.repository import Store

if TYPE_CHECKING:
    from alembic.config import Config

# The newest migration. A database already there is opened without loading Alembic (a third
# of a second of start-up); tests/integration/test_migrations.py checks this against Alembic.
HEAD = "0010"

MIGRATIONS = Path(__file__).parent / "migrations"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets the delivery job read while the poll job writes; foreign keys are off by default.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    # In WAL mode NORMAL survives a crash of the process (not of the machine) without an fsync per
    # commit; a transaction lost to power loss takes its article with it, so it is fetched again.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def make_engine(url: str) -> Engine:
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise StoreError(f"bad database URL {url!r}: {exc}") from None
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            _sqlite_folder(Path(parsed.database))
        engine = create_engine(parsed)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    try:
        return create_engine(parsed, pool_pre_ping=True)
    except Exception as exc:  # missing driver, bad options
        raise StoreError(f"cannot use database {parsed.render_as_string()}: {exc}") from None


_CONFLICTS = ("40P01", "40001")  # PostgreSQL: deadlock detected, serialization failure


def is_conflict(exc: BaseException) -> bool:
    """True for a transaction that lost a race with another instance's: worth running again."""
    return isinstance(exc, OperationalError) and getattr(exc.orig, "sqlstate", None) in _CONFLICTS


def unavailable(exc: BaseException) -> str | None:
    """The reason, when `exc` means the database cannot be reached (not a bug in a statement)."""
    if isinstance(exc, StoreError):
        return str(exc)
    if is_conflict(exc):
        return None
    if isinstance(exc, OperationalError | InterfaceError | DisconnectionError):
        cause = getattr(exc, "orig", None) or exc
        return (str(cause).strip().splitlines() or [type(exc).__name__])[0]
    return None


def _sqlite_folder(database: Path) -> None:
    """Create the file's folder; a folder we may not write is a one-line StoreError saying what to fix."""
    folder = database.resolve().parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(
            f"SQLite database {database.resolve()}: cannot create its folder {folder}: {exc.strerror}; "
            "create it, or set database.url (or MONITOR_DATABASE_URL) to a path you may write"
        ) from None
    if not os.access(folder, os.W_OK | os.X_OK):
        # SQLite in WAL mode writes -wal and -shm files beside the database: a writable file is not enough.
        raise StoreError(
            f"SQLite database {database.resolve()}: its folder {folder} is read-only, and SQLite needs to create "
            f"{database.name}-wal and {database.name}-shm beside the file; make the folder writable or move the file"
        )


def alembic_config() -> Config:
    from alembic.config import Config  # noqa: PLC0415  (see HEAD)

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None
        return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


MIGRATION_LOCK = 7_261_924_003  # the PostgreSQL advisory lock key that serialises migrations


def upgrade(engine: Engine) -> None:
    """Bring the schema to HEAD; instances starting together take turns (the first migrates, the
    others find it done)."""
    if current_revision(engine) == HEAD:
        return
    from alembic import command  # noqa: PLC0415  (see HEAD)

    config = alembic_config()
    with _migration_lock(engine), engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


@contextmanager
def _migration_lock(engine: Engine) -> Iterator[None]:
    """SQLite: an exclusive lock on a file beside the database while one process migrates it
    (SQLite's own write lock does not span Alembic's several statements)."""
    database = engine.url.database if engine.dialect.name == "sqlite" else None
    if not database or database == ":memory:":
        yield
        return
    with open(f"{database}.migrate-lock", "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def open_store(url: str) -> Store:
    """Create the engine, bring the schema to the latest migration, return the repository."""
    engine = make_engine(url)
    try:
        upgrade(engine)
    except SQLAlchemyError as exc:
        engine.dispose()
        cause = getattr(exc, "orig", None) or exc
        reason = (str(cause).strip().splitlines() or [type(exc).__name__])[0]
        raise StoreError(f"database {engine.url.render_as_string()}: {reason}") from None
    store = Store(engine)
    store.keep_statistics()  # tables filled by an earlier version, or in bulk, and never analysed
    return store
