"""The few store operations that idempotency rests on, each one statement that stays right
when two workers run it at once (insert-or-ignore, conditional update, upsert). The outbox's
own are in scheduler.store.mail_queue.

Each takes the caller's Session and leaves the commit to it.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Executable, Table, and_, delete, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, aliased

from scheduler.store.models import (
    CalendarFact,
    Cursor,
    Inbound,
    Lease,
    Meeting,
    PairMember,
)
from scheduler.store.models import Person as PersonRow


def record_inbound(
    s: Session,
    *,
    dedup_key: str,
    provider_id: str,
    received_at: datetime,
    sender: str,
    subject: str,
) -> Inbound | None:
    """Log a message from the program mailbox; None if it was logged before (or is being
    logged by another worker right now), so that it is acted on once."""
    values = {
        "dedup_key": dedup_key,
        "provider_id": provider_id,
        "received_at": received_at,
        "sender": sender,
        "subject": subject,
    }
    stmt = dialect_insert(s, Inbound, values).on_conflict_do_nothing(index_elements=["dedup_key"])
    return s.scalar(stmt.returning(Inbound))


def record_fact(
    s: Session,
    *,
    dedup_key: str,
    meeting_uid: str,
    kind: str,
    by: str | None,
    seen_at: datetime,
    moved_start: datetime | None = None,
    moved_end: datetime | None = None,
    sequence: int | None = None,
    event_id: str | None = None,
) -> CalendarFact | None:
    """Log a calendar fact; None if it was logged before, so that it is applied once."""
    values = {
        "dedup_key": dedup_key,
        "meeting_uid": meeting_uid,
        "kind": kind,
        "by": by,
        "seen_at": seen_at,
        "moved_start": moved_start,
        "moved_end": moved_end,
        "sequence": sequence,
        "event_id": event_id,
        "applied": False,
    }
    stmt = dialect_insert(s, CalendarFact, values).on_conflict_do_nothing(
        index_elements=["dedup_key"]
    )
    return s.scalar(stmt.returning(CalendarFact))


def insert_meeting(
    s: Session,
    *,
    pair_id: str,
    number: int,
    attempt: int,
    phase: int,
    target_date: date,
    starts_at: datetime,
    ends_at: datetime,
    uid: str,
    booking_key: str,
    now: datetime,
    odd_minutes: Mapping[str, int] | None = None,
    sequence: int = 0,
    event_id: str | None = None,
    join_url: str | None = None,
) -> bool:
    """A planned meeting, unless this attempt of it is there already; True if it is new. A
    move of a booked event passes its `event_id` and the next `sequence`."""
    values = {
        "pair_id": pair_id,
        "number": number,
        "attempt": attempt,
        "phase": phase,
        "target_date": target_date,
        "starts_at": starts_at,
        "ends_at": ends_at,
        "uid": uid,
        "booking_key": booking_key,
        "sequence": sequence,
        "event_id": event_id,
        "join_url": join_url,
        "state": "planned",
        "odd_minutes": {who: m for who, m in (odd_minutes or {}).items() if m},
        "updated_at": now,
    }
    statement = _insert_meeting_statement(s.get_bind().dialect.name)
    return run_insert(s, statement, values) is not None


@functools.cache
def _insert_meeting_statement(dialect: str) -> Executable:
    """INSERT ... ON CONFLICT DO NOTHING RETURNING id, built once per dialect and run with
    each meeting's values as parameters."""
    table = table_of(Meeting)
    return insert_statement(dialect, table).on_conflict_do_nothing().returning(table.c.id)


def get_cursor(s: Session, name: str) -> str | None:
    return s.scalar(select(Cursor.value).where(Cursor.name == name))


def set_cursor(s: Session, name: str, value: str) -> None:
    stmt = dialect_insert(s, Cursor, {"name": name, "value": value})
    s.execute(
        stmt.on_conflict_do_update(index_elements=["name"], set_={"value": stmt.excluded.value})
    )


def acquire_lease(s: Session, name: str, holder: str, *, now: datetime, ttl: timedelta) -> bool:
    """Take the lease `name` for `ttl`, or renew it if `holder` has it already; True if
    `holder` holds it now. An expired lease is taken over; a live one of another is not."""
    stmt = dialect_insert(s, Lease, {"name": name, "holder": holder, "expires_at": now + ttl})
    stmt = stmt.on_conflict_do_update(
        index_elements=["name"],
        set_={"holder": stmt.excluded.holder, "expires_at": stmt.excluded.expires_at},
        where=or_(Lease.expires_at <= now, Lease.holder == holder),
    )
    return s.scalar(stmt.returning(Lease.name)) is not None


def release_lease(s: Session, name: str, holder: str) -> None:
    """Give a lease up early; a lease that another holder has taken over is left alone."""
    s.execute(delete(Lease).where(Lease.name == name, Lease.holder == holder))


# What a sync brings up to date. Not the tag: it is unique, and updating a unique column takes
# the row's exclusive lock, which waits for every run that holds a key-share lock on the row
# (any insert that refers to the person), so that two overlapping runs deadlock (issue 13).
PERSON_FIELDS = (
    "name",
    "title",
    "department",
    "level",
    "manager_email",
    "timezone",
    "aliases",
    "attributes",
    "participating",
    "last_seen",
    "removed_at",
)


def upsert_people(s: Session, rows: Sequence[Mapping[str, Any]], *, now: datetime) -> None:
    """Insert each person or bring their row up to date, in chunks, in statements that two
    syncs may run at once (insert-or-update on the primary key); first_seen and the tag are
    kept, and a person known from before tags existed gets theirs."""
    statement = _upsert_person_statement(s.get_bind().dialect.name)
    for start in range(0, len(rows), 500):
        chunk = [{**row, "first_seen": now} for row in rows[start : start + 500]]
        s.execute(statement, chunk)  # one statement, compiled once, many rows
    tags = {row["email"]: row["tag"] for row in rows}
    untagged = s.scalars(select(PersonRow.email).where(PersonRow.tag.is_(None))).all()
    for email in sorted(set(untagged) & tags.keys()):
        s.execute(
            update(PersonRow)
            .where(PersonRow.email == email, PersonRow.tag.is_(None))
            .values(tag=tags[email])
            .execution_options(synchronize_session=False)
        )


@functools.cache
def _upsert_person_statement(dialect: str) -> Executable:
    """INSERT ... ON CONFLICT (email) DO UPDATE the PERSON_FIELDS, built once per dialect
    and run with the rows as parameters."""
    statement = insert_statement(dialect, table_of(PersonRow))
    return statement.on_conflict_do_update(
        index_elements=["email"],
        set_={name: statement.excluded[name] for name in PERSON_FIELDS},
    )


def mark_removed(s: Session, present: set[str], *, now: datetime) -> int:
    """People no longer in the directory: kept for the history, no longer taking part."""
    known = set(s.scalars(select(PersonRow.email).where(PersonRow.removed_at.is_(None))))
    gone = sorted(known - present)
    for start in range(0, len(gone), 500):
        s.execute(
            update(PersonRow)
            .where(PersonRow.email.in_(gone[start : start + 500]), PersonRow.removed_at.is_(None))
            .values(removed_at=now, participating=False)
            .execution_options(synchronize_session=False)
        )
    return len(gone)


def partners_history(s: Session) -> set[frozenset[str]]:
    """Every two people who were ever in one pair, whatever became of it (a trio gives three)."""
    partner = aliased(PairMember)
    stmt = select(PairMember.email, partner.email).join(
        partner, and_(partner.pair_id == PairMember.pair_id, partner.email > PairMember.email)
    )
    return {frozenset((one, other)) for one, other in s.execute(stmt)}


def run_insert(s: Session, statement: Executable, values: Mapping[str, Any]) -> Any:
    """Run an insert-or-ignore and return its first column (None when ignored). Rows the
    session still has to insert or delete go first; its pending updates stay pending (an
    insert never depends on them), so that a step that changes a row and then queues a mail,
    row after row, flushes its updates together instead of once per row."""
    if s.new or s.deleted:
        s.flush()
    with s.no_autoflush:
        return s.scalar(statement, values)


def table_of(entity: type[Any]) -> Table:
    """The table an ORM class maps, for statements that need no ORM."""
    table = entity.__table__
    assert isinstance(table, Table)
    return table


def insert_statement(dialect: str, table: Table) -> postgresql.Insert | sqlite.Insert:
    """The dialect's INSERT into `table`, without values: they come as parameters."""
    if dialect == "postgresql":
        return postgresql.insert(table)
    if dialect == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(f"no insert-or-ignore for the {dialect} dialect")


def dialect_insert(
    s: Session, entity: type[Any], values: dict[str, Any] | list[dict[str, Any]]
) -> postgresql.Insert | sqlite.Insert:
    """The dialect's INSERT, which alone can say ON CONFLICT."""
    dialect = s.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(entity).values(values)
    if dialect == "sqlite":
        return sqlite.insert(entity).values(values)
    raise NotImplementedError(f"no insert-or-ignore for the {dialect} dialect")
