"""The outbox as a queue that sends each email exactly once: mail enqueued once by key, claimed
by one live sender at a time (with a heartbeat), settled per recipient, retried with backoff,
and taken over from a sender that died. Each operation takes the caller's Session and leaves
the commit to it."""

from __future__ import annotations

import functools
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Executable, and_, or_, select, update
from sqlalchemy.orm import Session

from scheduler.store.models import Outbox
from scheduler.store.ops import insert_statement, run_insert, table_of

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
    values: dict[str, Any] = {
        "key": key,
        "message_id": message_id,
        "kind": kind,
        "pair_id": pair_id,
        "recipients": list(recipients),
        "subject": subject,
        "raw": raw,
        "state": "pending",
        "attempts": 0,
        "delivered": [],
        "refused": {},
        "created_at": now,
    }
    return run_insert(s, _enqueue_statement(s.get_bind().dialect.name), values) is not None


@functools.cache
def _enqueue_statement(dialect: str) -> Executable:
    """INSERT ... ON CONFLICT (key) DO NOTHING RETURNING id, built once per dialect and run
    with each mail's values as parameters (a statement built per row costs more than the row)."""
    table = table_of(Outbox)
    insert = insert_statement(dialect, table).on_conflict_do_nothing(index_elements=["key"])
    return insert.returning(table.c.id)


def due_mail(s: Session, *, now: datetime, limit: int = 100) -> list[Outbox]:
    """Pending mails whose backoff has run out, oldest first; claim each before sending it."""
    stmt = select(Outbox).where(_due(now)).order_by(Outbox.id).limit(limit)
    return list(s.scalars(stmt))


def due_mail_ids(s: Session, *, now: datetime) -> list[int]:
    """The ids of every pending mail whose backoff has run out, oldest first."""
    return list(s.scalars(select(Outbox.id).where(_due(now)).order_by(Outbox.id)))


def claim_mail(
    s: Session,
    outbox_id: int,
    *,
    now: datetime,
    holder: str = "",
    expires: datetime | None = None,
) -> bool:
    """Take a due mail for sending; True only for the one caller that got it. The claim is
    `holder`'s until `expires` (wall clock), and renewed while the send goes on."""
    stmt = (
        update(Outbox)
        .where(Outbox.id == outbox_id, _due(now))
        .values(_claim_values(now, holder, expires))
        .returning(Outbox.id)
        .execution_options(synchronize_session="fetch")
    )
    return s.scalar(stmt) is not None


def claim_due_mail(
    s: Session,
    *,
    now: datetime,
    holder: str,
    expires: datetime,
    limit: int,
    ids: Collection[int] | None = None,
) -> list[Outbox]:
    """Claim up to `limit` due mails for `holder`, oldest first. PostgreSQL skips rows
    another sender is claiming this instant; SQLite has one writer at a time. The ids are
    chosen first and updated by list: a `LIMIT` inside `IN (...)` is not a bound on
    PostgreSQL, whose planner may scan the locking subquery more than once. With `ids`, only
    those mails are claimed (a worker's batch)."""
    due = select(Outbox.id).where(_due(now)).order_by(Outbox.id).limit(limit)
    if ids is not None:
        due = due.where(Outbox.id.in_(list(ids)))
    if s.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    ids = list(s.scalars(due))
    if not ids:
        return []
    stmt = (
        update(Outbox)
        .where(Outbox.id.in_(ids), _due(now))
        .values(_claim_values(now, holder, expires))
        .returning(Outbox)
        .execution_options(synchronize_session=False)
    )
    return sorted(s.scalars(stmt), key=lambda row: row.id)


def renew_claims(s: Session, holder: str, *, expires: datetime) -> int:
    """The heartbeat of a sender: its claims stay its own until `expires`."""
    stmt = (
        update(Outbox)
        .where(Outbox.state == "sending", Outbox.claimed_by == holder)
        .values(claim_expires_at=expires)
        .execution_options(synchronize_session=False)
    )
    return s.execute(stmt).rowcount  # type: ignore[attr-defined,no-any-return]


def abandoned_claims(
    s: Session, *, wall_now: datetime, is_dead: Callable[[str], bool]
) -> list[Outbox]:
    """Mails claimed by a sender that is gone: its claim expired, its process died on this
    machine, or it claimed before claims had holders. The mail may or may not have gone
    out: look it up by Message-ID before sending it again. A live sender's claims are never
    here, however old."""
    rows = s.scalars(select(Outbox).where(Outbox.state == "sending").order_by(Outbox.id))
    return [
        row
        for row in rows
        if not row.claimed_by
        or row.claim_expires_at is None
        or row.claim_expires_at <= wall_now
        or is_dead(row.claimed_by)
    ]


def take_over_claim(
    s: Session, outbox_id: int, *, old_holder: str | None, holder: str, expires: datetime
) -> bool:
    """Move an abandoned claim to `holder`; False when someone else took it over first."""
    stmt = (
        update(Outbox)
        .where(
            Outbox.id == outbox_id,
            Outbox.state == "sending",
            Outbox.claimed_by.is_(None) if old_holder is None else Outbox.claimed_by == old_holder,
        )
        .values(claimed_by=holder, claim_expires_at=expires)
        .returning(Outbox.id)
        .execution_options(synchronize_session="fetch")
    )
    return s.scalar(stmt) is not None


def mark_sent(s: Session, outbox_id: int, *, now: datetime) -> None:
    """Every recipient has the mail."""
    mail = s.get_one(Outbox, outbox_id, populate_existing=True)
    _change(
        s,
        outbox_id,
        state="sent",
        sent_at=now,
        delivered=list(mail.recipients),
        claimed_at=None,
        claimed_by=None,
        claim_expires_at=None,
        last_error=None,
    )


def settle_mail(
    s: Session,
    outbox_id: int,
    *,
    delivered: Iterable[str],
    refused: Mapping[str, str],
    error: str | None,
    now: datetime,
    backoff: Callable[[int], timedelta] = default_backoff,
) -> Outbox:
    """Record what became of each recipient of a claimed mail and hand it back: sent when
    every recipient took it or refused it for good (failed when none took it); otherwise
    pending for the recipients still owed it, after `backoff(attempts)`, with `error`. After
    the last try those recipients are refused with the last error."""
    mail = _fresh(s, outbox_id)
    took = list(dict.fromkeys([*mail.delivered, *delivered]))
    gone = {**mail.refused, **refused}
    owed = [r for r in mail.recipients if r not in took and r not in gone]
    if owed and mail.attempts >= MAX_ATTEMPTS:
        reason = f"gave up after {mail.attempts} tries: {error or 'no answer'}"
        gone.update({recipient: reason for recipient in owed})
        owed = []
    values: dict[str, Any] = {
        "delivered": took,
        "refused": gone,
        "claimed_at": None,
        "claimed_by": None,
        "claim_expires_at": None,
    }
    if owed:
        values.update(state="pending", last_error=error, not_before=now + backoff(mail.attempts))
    else:
        values.update(
            state="sent" if took else "failed",
            sent_at=now if took else None,
            last_error="; ".join(f"{who}: {why}" for who, why in gone.items()) or None,
        )
    for name, value in values.items():  # written by the session's next flush, by primary key
        setattr(mail, name, value)
    return mail


def owed_recipients(mail: Outbox) -> tuple[str, ...]:
    """The recipients a mail has not reached yet and who have not refused it."""
    return tuple(r for r in mail.recipients if r not in mail.delivered and r not in mail.refused)


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
    unclaimed = {"claimed_at": None, "claimed_by": None, "claim_expires_at": None}
    if permanent or mail.attempts >= MAX_ATTEMPTS:
        _change(s, outbox_id, state="failed", last_error=error, **unclaimed)
    else:
        _change(
            s,
            outbox_id,
            state="pending",
            last_error=error,
            not_before=now + backoff(mail.attempts),
            **unclaimed,
        )


def read_for_settling(s: Session, outbox_ids: Sequence[int]) -> None:
    """Read a batch of claimed mails as stored now, in one query, for `settle_mail` to use
    each of them once instead of reading them one by one."""
    stmt = select(Outbox).where(Outbox.id.in_(outbox_ids))
    s.scalars(stmt.execution_options(populate_existing=True)).all()
    s.info.setdefault(_READ, set()).update(outbox_ids)


_READ = "tandem.outbox_read"


def _fresh(s: Session, outbox_id: int) -> Outbox:
    """The mail as stored now: read by `read_for_settling` in this session (once), or read
    here. The changes of the mails settled before it in this session stay in the session
    until it flushes them together (one statement for a batch), unless they are its own."""
    held = s.identity_map.get(s.identity_key(Outbox, outbox_id))
    read: set[int] = s.info.get(_READ, set())
    if isinstance(held, Outbox) and outbox_id in read:
        read.discard(outbox_id)
        return held
    if held is not None and held in s.dirty:
        s.flush()
    with s.no_autoflush:
        return s.get_one(Outbox, outbox_id, populate_existing=True)


def _claim_values(now: datetime, holder: str, expires: datetime | None) -> dict[str, Any]:
    return {
        "state": "sending",
        "attempts": Outbox.attempts + 1,
        "claimed_at": now,
        "claimed_by": holder or None,
        "claim_expires_at": expires,
    }


def _due(now: datetime) -> ColumnElement[bool]:
    return and_(
        Outbox.state == "pending", or_(Outbox.not_before.is_(None), Outbox.not_before <= now)
    )


def _change(s: Session, outbox_id: int, **values: Any) -> None:
    stmt = update(Outbox).where(Outbox.id == outbox_id).values(**values)
    s.execute(stmt.execution_options(synchronize_session="fetch"))
