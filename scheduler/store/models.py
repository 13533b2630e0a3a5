"""Tandem's state in SQL: one schema for SQLite and PostgreSQL, migrated by Alembic on open.

Unique keys in this schema are what make every side effect idempotent; the race-safe
operations on them live in `scheduler.store.ops`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, ClassVar, Literal

from alembic import command
from alembic.config import Config
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Dialect,
    Engine,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    create_engine,
    event,
    false,
    inspect,
    text,
    true,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry
from tenacity import retry, retry_if_exception, stop_after_delay, wait_random

log = logging.getLogger(__name__)

DEFAULT_NAME = "tandem.db"  # the default store, beside the program file it belongs to
MIGRATIONS = Path(__file__).with_name("migrations")
# Any fixed 64-bit number: the PostgreSQL advisory lock that serialises concurrent upgrades.
_UPGRADE_LOCK = 0x7A4D_0001

PairState = Literal["active", "paused", "ended"]
MeetingState = Literal["planned", "booked", "held", "skipped", "cancelled", "moved", "failed"]
MailState = Literal["pending", "sending", "sent", "failed"]
InboundOutcome = Literal["acted", "ignored", "answered", "rejected"]

PAIR_STATES: tuple[str, ...] = ("active", "paused", "ended")
MEETING_STATES: tuple[str, ...] = (
    "planned",
    "booked",
    "held",
    "skipped",
    "cancelled",
    "moved",
    "failed",
)
MAIL_STATES: tuple[str, ...] = ("pending", "sending", "sent", "failed")
INBOUND_OUTCOMES: tuple[str, ...] = ("acted", "ignored", "answered", "rejected")


def open_store(url: str) -> Store:
    """Connect to the database at `url` and bring its schema up to date."""
    # hide_parameters: an error or a log line never carries the rows it was writing (names,
    # addresses); it names the statement only (issue 13, defect 3)
    engine = create_engine(
        url, pool_pre_ping=make_url(url).get_backend_name() != "sqlite", hide_parameters=True
    )
    if engine.dialect.name == "sqlite":
        _tune_sqlite(engine)
    log.info("opening store %s", engine.url.render_as_string(hide_password=True))
    upgrade(engine)
    return Store(engine)


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


def database_url(env: Mapping[str, str], beside: Path | None = None) -> str:
    """The database URL from TANDEM_DATABASE_URL or the file TANDEM_DATABASE_URL_FILE names;
    without either, a SQLite file `tandem.db` in the folder `beside` (the program file's),
    so the state of a program never depends on the folder a command runs in.

    Raises:
        ValueError: both are set, or the file cannot be read or is empty.
    """
    url = env.get("TANDEM_DATABASE_URL", "")
    url_file = env.get("TANDEM_DATABASE_URL_FILE", "")
    if url and url_file:
        raise ValueError(
            "TANDEM_DATABASE_URL and TANDEM_DATABASE_URL_FILE are both set; unset one of them"
        )
    if url_file:
        try:
            url = Path(url_file).read_text(encoding="utf-8").strip()
        except OSError as error:
            raise ValueError(
                f"TANDEM_DATABASE_URL_FILE: cannot read {url_file}: {error.strerror}"
            ) from error
        if not url:
            raise ValueError(f"TANDEM_DATABASE_URL_FILE: {url_file} is empty")
    if not url:
        folder = (beside or Path.cwd()).resolve()
        return f"sqlite:///{folder / DEFAULT_NAME}"
    for scheme in ("postgres://", "postgresql://"):
        if url.startswith(scheme):
            return "postgresql+psycopg://" + url.removeprefix(scheme)
    return url


def upgrade(engine: Engine) -> None:
    """Run `alembic upgrade head` in one transaction; a second process waits, then finds
    nothing to do (PostgreSQL: an advisory lock; SQLite: BEGIN IMMEDIATE, see below)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS).replace("%", "%%"))
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


class UTCDateTime(TypeDecorator[datetime]):
    """An aware datetime, stored in UTC and read back aware in UTC on every backend
    (SQLite keeps no offset, PostgreSQL answers in the session's time zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value.isoformat()} refused: give it a time zone")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


# JSONB on PostgreSQL (comparable, indexable), JSON text elsewhere. None is SQL NULL, not the
# JSON value null, so that `column.is_(None)` finds it. Lists and dicts stored in these columns
# are not tracked for in-place changes: assign a new value to change one.
JSONValue = JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql")


class Base(DeclarativeBase):
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(table_name)s_%(column_0_N_name)s",
            "uq": "uq_%(table_name)s_%(column_0_N_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )
    type_annotation_map: ClassVar[Mapping[Any, Any]] = {datetime: UTCDateTime, date: Date}


def _one_of(column: str, values: tuple[str, ...]) -> CheckConstraint:
    allowed = ", ".join(f"'{value}'" for value in values)
    return CheckConstraint(f"{column} IN ({allowed})", name=column)


class Person(Base):
    """A member of the directory, kept after they leave it (`removed_at`) for the history."""

    __tablename__ = "person"

    email: Mapped[str] = mapped_column(String(320), primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    title: Mapped[str] = mapped_column(Text, default="")
    department: Mapped[str] = mapped_column(Text, default="")
    level: Mapped[int | None] = mapped_column(Integer)
    manager_email: Mapped[str | None] = mapped_column(String(320))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    aliases: Mapped[list[str]] = mapped_column(JSONValue, default=list)
    attributes: Mapped[dict[str, str]] = mapped_column(JSONValue, default=dict)
    participating: Mapped[bool] = mapped_column(Boolean, server_default=true(), default=True)
    first_seen: Mapped[datetime]
    last_seen: Mapped[datetime]
    removed_at: Mapped[datetime | None]


class Round(Base):
    """One run of the pairing engine, with the seed that makes it reproducible."""

    __tablename__ = "round"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    opened_at: Mapped[datetime]
    seed: Mapped[int] = mapped_column(BigInteger)  # 4 unsigned bytes do not fit an INTEGER
    pairs_made: Mapped[int] = mapped_column(Integer, server_default=text("0"), default=0)
    # [{"email": ..., "reason": ...}] for each peer the round left without a partner
    waiting: Mapped[list[dict[str, str]]] = mapped_column(JSONValue, default=list)


class Pair(Base):
    """Two peers (three for a trio) and where their mentoring stands."""

    __tablename__ = "pair"
    __table_args__ = (_one_of("state", PAIR_STATES), Index(None, "state"))

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id"), index=True)
    start_date: Mapped[date]
    state: Mapped[PairState] = mapped_column(String(16), default="active")
    paused_until: Mapped[date | None]
    ended_at: Mapped[datetime | None]
    ended_reason: Mapped[str | None] = mapped_column(Text)
    ended_by: Mapped[str | None] = mapped_column(String(320))
    skips_in_row: Mapped[int] = mapped_column(Integer, server_default=text("0"), default=0)
    last_nudge_at: Mapped[datetime | None]
    on_owner_list: Mapped[bool] = mapped_column(Boolean, server_default=false(), default=False)
    # {email: minutes}: who has taken the meetings at awkward hours so far, to share the burden
    odd_minutes: Mapped[dict[str, int]] = mapped_column(JSONValue, default=dict)
    # an email owed once the next meetings are booked: {"kind", "key", "by_name"} (migration 0002)
    pending_notice: Mapped[dict[str, str] | None] = mapped_column(JSONValue, nullable=True)
    # why the pair's next meeting could not be booked, and since when: the pair is at risk
    # until a meeting is booked again (migration 0004)
    booking_problem: Mapped[str | None] = mapped_column(Text)
    booking_problem_at: Mapped[datetime | None]
    created_at: Mapped[datetime]


class PairMember(Base):
    __tablename__ = "pair_member"

    pair_id: Mapped[str] = mapped_column(ForeignKey("pair.id"), primary_key=True)
    email: Mapped[str] = mapped_column(ForeignKey("person.email"), primary_key=True, index=True)
    position: Mapped[int] = mapped_column(Integer)


class Meeting(Base):
    """One booking attempt of one meeting of a pair; a rebooking is a new attempt, because
    a provider may keep a deleted event's id for ever."""

    __tablename__ = "meeting"
    __table_args__ = (
        UniqueConstraint("pair_id", "number", "attempt"),
        _one_of("state", MEETING_STATES),
        Index(None, "state", "target_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    pair_id: Mapped[str] = mapped_column(ForeignKey("pair.id"))
    number: Mapped[int] = mapped_column(Integer)
    attempt: Mapped[int] = mapped_column(Integer, server_default=text("0"), default=0)
    phase: Mapped[int] = mapped_column(Integer)
    target_date: Mapped[date]
    starts_at: Mapped[datetime | None]
    ends_at: Mapped[datetime | None]
    # iCalendar UID: the event's identity, kept across moves; a meeting moved after a decline
    # is a new attempt of the same event, so attempts may share it (migration 0004)
    uid: Mapped[str] = mapped_column(String(255), index=True)
    sequence: Mapped[int] = mapped_column(Integer, server_default=text("0"), default=0)
    booking_key: Mapped[str] = mapped_column(String(128), unique=True)  # "pair:number:attempt"
    event_id: Mapped[str | None] = mapped_column(String(1024))
    join_url: Mapped[str | None] = mapped_column(Text)
    # {email: minutes} of the meeting outside that peer's hours, as `meetings.stretch` allows
    # (migration 0004); empty when it is inside everyone's hours
    odd_minutes: Mapped[dict[str, int]] = mapped_column(JSONValue, default=dict)
    state: Mapped[MeetingState] = mapped_column(String(16), default="planned")
    skipped_by: Mapped[str | None] = mapped_column(String(320))
    # what the calendar still owes this meeting besides booking a planned one: "cancel" (the
    # event must come off calendars), done by the booking step outside any transaction; the
    # provider's reason of the last failure and the tries so far (migration 0005)
    calendar_pending: Mapped[str | None] = mapped_column(String(16))
    calendar_error: Mapped[str | None] = mapped_column(Text)
    calendar_attempts: Mapped[int] = mapped_column(Integer, server_default=text("0"), default=0)
    # a move asked for and not yet made, by the moves step (it reads calendars, so it is not
    # done where it is asked): "reschedule" (to another day), "rebook" (a skipped meeting,
    # again), "propose" (a time to propose in a nudge) (migration 0005)
    move: Mapped[str | None] = mapped_column(String(16))
    updated_at: Mapped[datetime]


class Outbox(Base):
    """An email written before it is sent, so that it goes out once and only once."""

    __tablename__ = "outbox"
    __table_args__ = (_one_of("state", MAIL_STATES), Index(None, "state", "not_before"))

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(255), unique=True)  # "kit:p7k2m9q4"
    message_id: Mapped[str] = mapped_column(String(255), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    pair_id: Mapped[str | None] = mapped_column(ForeignKey("pair.id"), index=True)
    recipients: Mapped[list[str]] = mapped_column(JSONValue)
    subject: Mapped[str] = mapped_column(Text)
    raw: Mapped[bytes] = mapped_column(LargeBinary)  # the whole RFC 5322 message
    state: Mapped[MailState] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, server_default=text("0"), default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    not_before: Mapped[datetime | None]  # retry backoff
    claimed_at: Mapped[datetime | None]  # when a sender took it (the program's clock)
    # who is sending it ("host:boot:pidns:pid:token") and until when by the wall clock; a claim
    # is taken over only when it has expired or its holder is a dead process (migration 0003)
    claimed_by: Mapped[str | None] = mapped_column(String(255))
    claim_expires_at: Mapped[datetime | None]
    # recipients that took it, and those that refused it for good {address: reason}; the rest
    # are still owed the message (migration 0003)
    delivered: Mapped[list[str]] = mapped_column(JSONValue, default=list)
    refused: Mapped[dict[str, str]] = mapped_column(JSONValue, default=dict)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]


class Inbound(Base):
    """One message read from the program mailbox, recorded once whatever became of it."""

    __tablename__ = "inbound"
    __table_args__ = (_one_of("outcome", INBOUND_OUTCOMES),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    dedup_key: Mapped[str] = mapped_column(String(998), unique=True)  # Message-ID, or provider id
    provider_id: Mapped[str] = mapped_column(String(1024))
    received_at: Mapped[datetime]
    sender: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(Text)
    pair_id: Mapped[str | None] = mapped_column(ForeignKey("pair.id"), index=True)
    command: Mapped[str | None] = mapped_column(String(32))
    outcome: Mapped[InboundOutcome | None] = mapped_column(String(16))  # None: not handled yet
    detail: Mapped[str | None] = mapped_column(Text)


class CalendarFact(Base):
    """A change a calendar reported about a booked meeting, applied at most once."""

    __tablename__ = "calendar_fact"
    __table_args__ = (Index(None, "applied"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    meeting_uid: Mapped[str] = mapped_column(String(255), index=True)  # "" when not given
    # the calendar's own id of the event, where it names the meeting by it (migration 0005)
    event_id: Mapped[str | None] = mapped_column(String(1024))
    kind: Mapped[str] = mapped_column(String(16))  # a ports.FactKind value
    by: Mapped[str | None] = mapped_column(String(320))
    # the version of the event the fact speaks of (iCalendar SEQUENCE), when the calendar says;
    # a fact about an older version than the meeting's is stale (migration 0004)
    sequence: Mapped[int | None] = mapped_column(Integer)
    moved_start: Mapped[datetime | None]  # the new time of a "moved" fact
    moved_end: Mapped[datetime | None]
    dedup_key: Mapped[str] = mapped_column(String(1024), unique=True)
    seen_at: Mapped[datetime]
    applied: Mapped[bool] = mapped_column(Boolean, server_default=false(), default=False)


class Cursor(Base):
    """Where an incremental read (inbox, calendar changes) stopped."""

    __tablename__ = "cursor"

    name: Mapped[str] = mapped_column(String(255), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class Lease(Base):
    """A named lease with an expiry, for the clock when there is no Redis to lock with."""

    __tablename__ = "lock"

    name: Mapped[str] = mapped_column(String(255), primary_key=True)
    holder: Mapped[str] = mapped_column(String(255))
    expires_at: Mapped[datetime]
