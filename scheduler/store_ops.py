"""The few store operations that idempotency rests on, each one statement that stays right
when two workers run it at once (insert-or-ignore, conditional update, upsert).

Each takes the caller's Session and leaves the commit to it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, aliased

from scheduler.store import CalendarFact, Cursor, Inbound, Lease, Outbox, PairMember

MAX_ATTEMPTS = 8


def default_backoff(attempts: int) -> timedelta:
    """1, 2, 4 ... minutes after each failed try, at most an hour."""
    return min(timedelta(minutes=2 ** max(attempts - 1, 0)), timedelta(hours=1))


def enqueue_mail(
    s: Session,
    *,
    key: str,
    message_id: str,
    kind: str,
    pair_id: str | None,
    recipients: Sequence[str],
    subject: str,
    raw: bytes,
    now: datetime,
) -> bool:
    """Put a mail in the outbox unless one with this key is there already; True if it is new.

    A Message-ID already used under another key is a bug and raises IntegrityError.
    """
    values = {
        "key": key,
        "message_id": message_id,
        "kind": kind,
        "pair_id": pair_id,
        "recipients": list(recipients),
        "subject": subject,
        "raw": raw,
        "state": "pending",
        "attempts": 0,
        "created_at": now,
    }
    stmt = _insert(s, Outbox, values).on_conflict_do_nothing(index_elements=["key"])
    return s.scalar(stmt.returning(Outbox.id)) is not None


def due_mail(s: Session, *, now: datetime, limit: int = 100) -> list[Outbox]:
    """Pending mails whose backoff has run out, oldest first; claim each before sending it."""
    stmt = select(Outbox).where(_due(now)).order_by(Outbox.id).limit(limit)
    return list(s.scalars(stmt))


def claim_mail(s: Session, outbox_id: int, *, now: datetime) -> bool:
    """Take a due mail for sending; True only for the one caller that got it."""
    stmt = (
        update(Outbox)
        .where(Outbox.id == outbox_id, _due(now))
        .values(state="sending", attempts=Outbox.attempts + 1, claimed_at=now)
        .returning(Outbox.id)
        .execution_options(synchronize_session="fetch")
    )
    return s.scalar(stmt) is not None


def mark_sent(s: Session, outbox_id: int, *, now: datetime) -> None:
    _change(s, outbox_id, state="sent", sent_at=now, claimed_at=None, last_error=None)


def release_mail(
    s: Session,
    outbox_id: int,
    *,
    error: str,
    permanent: bool,
    now: datetime,
    backoff: Callable[[int], timedelta] = default_backoff,
) -> None:
    """Hand a claimed mail back after a failed send: to try again after `backoff(attempts)`,
    or for good (state 'failed') when the error is permanent or the tries are used up."""
    mail = s.get_one(Outbox, outbox_id, populate_existing=True)
    if permanent or mail.attempts >= MAX_ATTEMPTS:
        _change(s, outbox_id, state="failed", claimed_at=None, last_error=error)
    else:
        _change(
            s,
            outbox_id,
            state="pending",
            claimed_at=None,
            last_error=error,
            not_before=now + backoff(mail.attempts),
        )


def stale_sending(s: Session, *, older_than: datetime) -> list[Outbox]:
    """Mails claimed before `older_than` and never marked: the sender died mid-send, so the
    mail may or may not have gone out. Look each up by Message-ID before sending it again."""
    stmt = (
        select(Outbox)
        .where(Outbox.state == "sending", Outbox.claimed_at < older_than)
        .order_by(Outbox.id)
    )
    return list(s.scalars(stmt))


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
    stmt = _insert(s, Inbound, values).on_conflict_do_nothing(index_elements=["dedup_key"])
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
        "applied": False,
    }
    stmt = _insert(s, CalendarFact, values).on_conflict_do_nothing(index_elements=["dedup_key"])
    return s.scalar(stmt.returning(CalendarFact))


def get_cursor(s: Session, name: str) -> str | None:
    return s.scalar(select(Cursor.value).where(Cursor.name == name))


def set_cursor(s: Session, name: str, value: str) -> None:
    stmt = _insert(s, Cursor, {"name": name, "value": value})
    s.execute(
        stmt.on_conflict_do_update(index_elements=["name"], set_={"value": stmt.excluded.value})
    )


def acquire_lease(s: Session, name: str, holder: str, *, now: datetime, ttl: timedelta) -> bool:
    """Take the lease `name` for `ttl`, or renew it if `holder` has it already; True if
    `holder` holds it now. An expired lease is taken over; a live one of another is not."""
    stmt = _insert(s, Lease, {"name": name, "holder": holder, "expires_at": now + ttl})
    stmt = stmt.on_conflict_do_update(
        index_elements=["name"],
        set_={"holder": stmt.excluded.holder, "expires_at": stmt.excluded.expires_at},
        where=or_(Lease.expires_at <= now, Lease.holder == holder),
    )
    return s.scalar(stmt.returning(Lease.name)) is not None


def release_lease(s: Session, name: str, holder: str) -> None:
    """Give a lease up early; a lease that another holder has taken over is left alone."""
    s.execute(delete(Lease).where(Lease.name == name, Lease.holder == holder))


def partners_history(s: Session) -> set[frozenset[str]]:
    """Every two people who were ever in one pair, whatever became of it (a trio gives three)."""
    partner = aliased(PairMember)
    stmt = select(PairMember.email, partner.email).join(
        partner, and_(partner.pair_id == PairMember.pair_id, partner.email > PairMember.email)
    )
    return {frozenset((one, other)) for one, other in s.execute(stmt)}


def _due(now: datetime) -> ColumnElement[bool]:
    return and_(
        Outbox.state == "pending", or_(Outbox.not_before.is_(None), Outbox.not_before <= now)
    )


def _change(s: Session, outbox_id: int, **values: Any) -> None:
    stmt = update(Outbox).where(Outbox.id == outbox_id).values(**values)
    s.execute(stmt.execution_options(synchronize_session="fetch"))


def _insert(
    s: Session, entity: type[Any], values: dict[str, Any]
) -> postgresql.Insert | sqlite.Insert:
    """The dialect's INSERT, which alone can say ON CONFLICT."""
    dialect = s.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(entity).values(values)
    if dialect == "sqlite":
        return sqlite.insert(entity).values(values)
    raise NotImplementedError(f"no insert-or-ignore for the {dialect} dialect")
