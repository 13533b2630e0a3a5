"""Opening Tandem's store: the engine, its SQLite tuning, the schema brought up to date by
Alembic (one process at a time), and the unit of work every step runs in."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry
from tenacity import retry, retry_if_exception, stop_after_delay, wait_random

from scheduler.errors import UserError

log = logging.getLogger(__name__)


MIGRATIONS = Path(__file__).with_name("migrations")

# Any fixed 64-bit number: the PostgreSQL advisory lock that serialises concurrent upgrades.
_UPGRADE_LOCK = 0x7A4D_0001


class SchemaBehind(UserError):
    """The database's schema is not the one this version of Tandem needs, and this process
    may not upgrade it (a worker): `tandem migrate` (or `tandem run`) does."""


def open_store(url: str, *, migrate: bool = True) -> Store:
    """Connect to the database at `url` and bring its schema up to date; with `migrate`
    false (a worker), refuse a schema that is not up to date instead."""
    engine = _engine(url)
    log.info("opening store %s", engine.url.render_as_string(hide_password=True))
    if migrate:
        upgrade(engine)
        return Store(engine)
    current, head = schema_revisions(engine)
    if current != head:
        engine.dispose()
        raise SchemaBehind(
            f"the database schema is at revision {current or 'none (empty database)'} but this "
            f"Tandem needs {head}: run `tandem migrate CONFIG` first"
        )
    return Store(engine)


def migrate_store(url: str) -> tuple[str | None, str]:
    """`tandem migrate`: upgrade the schema at `url`; the revisions before and after."""
    engine = _engine(url)
    try:
        before, head = schema_revisions(engine)
        upgrade(engine)
    finally:
        engine.dispose()
    return before, head


def _engine(url: str) -> Engine:
    # hide_parameters: an error or a log line never carries the rows it was writing (names,
    # addresses); it names the statement only (issue 13, defect 3)
    engine = create_engine(
        url, pool_pre_ping=make_url(url).get_backend_name() != "sqlite", hide_parameters=True
    )
    if engine.dialect.name == "sqlite":
        _tune_sqlite(engine)
    return engine


def peek_store(url: str) -> Store | None:
    """The store at `url` as it is, for a dry run that must change nothing: no file is
    created and no schema upgraded; None when there is no store there yet."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = parsed.database
        if not path or path == ":memory:" or not Path(path).exists():
            return None
    engine = create_engine(url, hide_parameters=True)
    with engine.connect() as connection:
        if not inspect(connection).has_table("round"):
            engine.dispose()
            return None
    return Store(engine)


class Store:
    """The engine and a way to run one unit of work against it."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session in one transaction: committed when the block ends, rolled back on error."""
        with self._sessions.begin() as session:
            yield session

    def close(self) -> None:
        self.engine.dispose()


def schema_revisions(engine: Engine) -> tuple[str | None, str]:
    """The revision the database is at (None when it has no schema yet) and the newest one
    this version of Tandem has."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(_alembic_config()).get_current_head()
    assert head is not None
    with engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
    return current, head


def _alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS).replace("%", "%%"))
    return config


def upgrade(engine: Engine) -> None:
    """Run `alembic upgrade head` in one transaction; a second process waits, then finds
    nothing to do (PostgreSQL: an advisory lock; SQLite: BEGIN IMMEDIATE, see below)."""
    config = _alembic_config()
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _UPGRADE_LOCK})
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def _tune_sqlite(engine: Engine) -> None:
    """WAL, a 30 s busy timeout and foreign keys on every connection; and every transaction
    begins IMMEDIATE, so that writers queue on the busy timeout instead of failing mid-way
    (pysqlite would otherwise begin lazily, and run DDL outside any transaction)."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA busy_timeout = 30000")
        if cursor.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            _switch_to_wal(cursor)
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


@retry(
    retry=retry_if_exception(lambda error: "locked" in str(error)),
    stop=stop_after_delay(30),
    wait=wait_random(0.01, 0.1),
    reraise=True,
)
def _switch_to_wal(cursor: Any) -> None:
    """Once per database file. SQLite answers "locked" at once, without the busy timeout,
    when two processes make the switch together; one of them wins, the other tries again."""
    cursor.execute("PRAGMA journal_mode = WAL")
