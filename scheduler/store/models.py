"""Tandem's state in SQL: one schema for SQLite and PostgreSQL, migrated by Alembic on open.

Unique keys in this schema are what make every side effect idempotent; the race-safe
operations on them live in `scheduler.store.ops`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any, ClassVar, Literal

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
    text,
    true,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

log = logging.getLogger(__name__)


PairState = Literal["active", "paused", "ended"]
MeetingState = Literal["planned", "booked", "held", "skipped", "cancelled", "moved", "failed"]
MailState = Literal["pending", "sending", "sent", "failed"]
InboundOutcome = Literal["acted", "ignored", "answered", "rejected"]
ConsentState = Literal["invited", "joined", "declined", "left"]

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
    # names the person in the address of the emails that ask for their consent (migration 0006)
    tag: Mapped[str | None] = mapped_column(String(16), unique=True, index=True)
    # None (never asked), "invited", "joined", "declined" or "left", and since when; and when
    # the invitation went out (migration 0006)
    consent: Mapped[ConsentState | None] = mapped_column(String(16))
    consent_at: Mapped[datetime | None]
    invited_at: Mapped[datetime | None]
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
    # why, as a code: "peer", "hr", "left", "reporting_line", "completed" (migration 0006)
    ended_why: Mapped[str | None] = mapped_column(String(16))
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
    # a third who joined an existing pair, and when; a member who left it, and when: the
    # others carry on, and the history keeps who met whom (migration 0006)
    joined_at: Mapped[datetime | None]
    left_at: Mapped[datetime | None]


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
    # attendees who left the pair since this event was last written: the next write takes the
    # event off their calendars (migration 0006)
    removed_attendees: Mapped[list[str] | None] = mapped_column(JSONValue)
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


class MailPace(Base):
    """Sends reserved against the mailbox's per-minute limit, by the wall clock, shared by
    every process that sends for the program (scheduler.store.mail_pace)."""

    __tablename__ = "mail_pace"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    reserved_at: Mapped[datetime] = mapped_column(index=True)
    count: Mapped[int] = mapped_column(Integer)
