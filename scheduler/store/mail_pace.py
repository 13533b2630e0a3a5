"""The mailbox's per-minute limit, kept by every sender together.

A sender reserves the sends it is about to make in the same transaction as it claims the
mails: the reservations of the last sixty seconds (by the wall clock) are summed under a lock
that every sender of the program takes (PostgreSQL: a transaction-scoped advisory lock; SQLite
has one writer at a time), so that two workers never both see room that only one has. A
reservation counts whether its sends succeed or not: the mail service counts attempts too.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, text
from sqlalchemy.orm import Session

from scheduler.store.models import MailPace

WINDOW = timedelta(minutes=1)
KEPT = timedelta(hours=1)  # older reservations are deleted as new ones are made

# Any fixed 64-bit number: the advisory lock every sender of a database takes to reserve.
_PACE_LOCK = 0x7A4D_0002


def lock(s: Session) -> None:
    """Wait for the other senders' reservations to be committed; held to the end of `s`."""
    if s.get_bind().dialect.name == "postgresql":
        s.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PACE_LOCK})


def room(s: Session, *, per_minute: int, wall_now: datetime) -> int:
    """How many sends the last minute's reservations leave; call `lock` first."""
    used = s.scalar(
        select(func.coalesce(func.sum(MailPace.count), 0)).where(
            MailPace.reserved_at > wall_now - WINDOW
        )
    )
    return max(per_minute - int(used or 0), 0)


def wait_for_room(s: Session, *, wall_now: datetime) -> timedelta:
    """How long until the oldest reservation of the last minute leaves the window."""
    oldest = s.scalar(
        select(func.min(MailPace.reserved_at)).where(MailPace.reserved_at > wall_now - WINDOW)
    )
    if oldest is None:
        return timedelta(0)
    return max(oldest + WINDOW - wall_now, timedelta(0))


def reserve(s: Session, count: int, *, wall_now: datetime) -> None:
    """Record `count` sends made now (after `lock` and `room`), and forget old ones."""
    if count <= 0:
        return
    s.add(MailPace(reserved_at=wall_now, count=count))
    s.execute(delete(MailPace).where(MailPace.reserved_at < wall_now - KEPT))
    s.flush()
