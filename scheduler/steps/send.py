"""Sending the outbox exactly once: a row is claimed before the send and settled after it,
each recipient on its own. A row left claimed by a sender that is gone is looked up in the
mailbox by its Message-ID before any retry."""

from __future__ import annotations

import threading
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from time import monotonic, sleep

from sqlalchemy import func, or_, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from scheduler.faults import crash_point
from scheduler.ports import OutgoingMail, ProviderError, SendResult
from scheduler.render.labels import mail_label
from scheduler.runtime import Report, Runtime
from scheduler.store import mail_pace, mail_queue
from scheduler.store.engine import Store
from scheduler.store.leases import holder_name, is_dead, wall_clock
from scheduler.store.models import Outbox
from scheduler.store.outages import through_outage


def send_mail(rt: Runtime, now: datetime, *, outbox_ids: Collection[int] | None = None) -> Report:
    """Send what is due, in batches: claim, send, settle each recipient. Claims belong to this
    process, renewed by a heartbeat while the mail service works; only the claims of a sender
    that is gone are taken over, and each of those is looked up by Message-ID first. A batch
    the mail service could not take at all waits for its backoff, and so does the rest.
    With `outbox_ids` (a worker's batch), only those mails are claimed."""
    report = Report("send")
    holder = holder_name()
    _recover(rt, now, holder, report)
    started = monotonic()
    while True:
        try:
            with rt.store.session() as s:
                room, wait = _room(rt, s, now)
                if room:
                    rows = mail_queue.claim_due_mail(
                        s, now=now, holder=holder, expires=wall_clock() + CLAIM_TTL,
                        limit=room, ids=outbox_ids,
                    )  # fmt: skip
                    _reserve(rt, s, len(rows))
                    mails = {row.id: _outgoing(row) for row in rows}
                else:
                    estimate = pace_estimate(rt, s, now) or "the mailbox's limit is reached"
        except DBAPIError:
            _give_up_claims(rt, holder)  # a commit whose answer was lost may have claimed some
            raise
        if not room:
            if wait is None or monotonic() - started + wait > STEP_TIME:
                report.notes.append(estimate)
                return report
            sleep(wait)  # out of the transaction: the other senders go on meanwhile
            continue
        if not mails:
            return report
        crash_point("claimed")
        failure: ProviderError | None = None
        with heartbeat(rt.store, holder):
            try:
                results = rt.providers.mailer.send(list(mails.values()))
            except ProviderError as exc:
                failure = exc
                results = _found(rt, list(mails.values()))
        _settle_through_outage(rt, mails, results, failure, now, report)
        if failure is not None:
            return report  # the service may be down: the rest waits for its backoff
        if len(mails) < room:
            return report  # nothing more was due


BATCH = 50
CLAIM_TTL = timedelta(minutes=5)
STEP_TIME = 300.0  # seconds a paced send step waits for room before it leaves the rest


def _room(rt: Runtime, s: Session, now: datetime) -> tuple[int, float | None]:
    """How many mails this sender may claim now, and when it is none, how many seconds until
    there is room again (None: not within the step). Under a daily limit (Gmail's 2,000 a
    day, Exchange's recipients a day) the sent and sending mails of the last 24 hours count;
    under a per-minute limit (Exchange's 30 a minute) every sender's reservations of the
    last minute (scheduler.store.mail_pace). The count and the claim that follows are made
    under the senders' shared lock, so that several workers together keep the limits."""
    daily: int | None = getattr(rt.providers.mailer, "daily_limit", None)
    per_minute: int | None = getattr(rt.providers.mailer, "per_minute", None)
    if not daily and not per_minute:
        return BATCH, None
    mail_pace.lock(s)
    room = BATCH
    if daily:
        room = min(room, _daily_room(s, now, int(daily)))
        if room == 0:
            return 0, None
    if per_minute:
        room = min(room, mail_pace.room(s, per_minute=int(per_minute), wall_now=wall_clock()))
        if room == 0:
            return 0, mail_pace.wait_for_room(s, wall_now=wall_clock()).total_seconds()
    return room, None


def _daily_room(s: Session, now: datetime, limit: int) -> int:
    """What the daily limit leaves: mails sent in the last 24 hours and those being sent
    (by any sender) count."""
    used = s.scalar(
        select(func.count()).where(
            or_(Outbox.sent_at > now - timedelta(days=1), Outbox.state == "sending")
        )
    )
    return max(limit - int(used or 0), 0)


def _reserve(rt: Runtime, s: Session, count: int) -> None:
    if getattr(rt.providers.mailer, "per_minute", None):
        mail_pace.reserve(s, count, wall_now=wall_clock())


def pace_estimate(rt: Runtime, s: Session, now: datetime) -> str | None:
    """When the mail waiting will all have gone out at the mailbox's limits, in words; None
    when there is no limit or nothing waits (for `tandem status` and the run's notes)."""
    daily: int | None = getattr(rt.providers.mailer, "daily_limit", None)
    per_minute: int | None = getattr(rt.providers.mailer, "per_minute", None)
    waiting = s.scalar(select(func.count()).where(Outbox.state == "pending")) or 0
    said = f"sending: {waiting} email(s) waiting"
    if not waiting:
        return None
    if daily:
        room = _daily_room(s, now, daily)
        days = 0 if waiting <= room else -(-(waiting - room) // daily)
        last = now + timedelta(days=days)
        when = "today" if days == 0 else f"in about {days} day(s), by {last:%Y-%m-%d}"
        return f"{said}; at {daily} a day they have all gone out {when}"
    if per_minute:
        return f"{said}; at {per_minute} a minute, about {-(-waiting // per_minute)} minute(s)"
    return None


@contextmanager
def heartbeat(store: Store, holder: str) -> Iterator[None]:
    """Keep `holder`'s claims alive while a slow mail service works, so that no other sender
    takes them over; a process that freezes for longer than CLAIM_TTL loses them."""
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(CLAIM_TTL.total_seconds() / 3):
            try:
                with store.session() as s:
                    mail_queue.renew_claims(s, holder, expires=wall_clock() + CLAIM_TTL)
            except DBAPIError:
                continue  # the database is out of reach: the next beat tries again

    beating = threading.Thread(target=beat, name="tandem-heartbeat", daemon=True)
    beating.start()
    try:
        yield
    finally:
        stop.set()
        beating.join()


def _outgoing(row: Outbox) -> OutgoingMail:
    return OutgoingMail(row.key, row.message_id, row.raw, mail_queue.owed_recipients(row))


def _found(rt: Runtime, mails: list[OutgoingMail]) -> list[SendResult]:
    """After a failed batch, what went out all the same; unknown when even that fails."""
    try:
        reached = rt.providers.mailer.sent_to(mails)
    except ProviderError:
        reached = {}
    return [SendResult(m.message_id, reached.get(m.message_id, frozenset())) for m in mails]


def _settle_through_outage(
    rt: Runtime,
    mails: dict[int, OutgoingMail],
    results: list[SendResult],
    failure: ProviderError | None,
    now: datetime,
    report: Report,
) -> None:
    """_settle, waiting out a database out of reach for a moment: the mail service has these
    mails, and claims left unsettled would keep them from everyone until CLAIM_TTL. Should
    the database stay away, the claims are taken over when they expire and each mail is
    looked up in the sent log first."""

    def settle() -> Report:
        settled = Report("send")  # a try that failed leaves no lines behind
        _settle(rt, mails, results, failure, now, settled)
        return settled

    settled = through_outage(f"settling {len(mails)} mail(s)", settle)
    report.done.extend(settled.done)
    report.problems.extend(settled.problems)


def _give_up_claims(rt: Runtime, holder: str) -> None:
    """Let `holder`'s claims expire now, sent nothing: the next sender takes them over (and
    looks each up in the sent log, as for any claim left behind)."""

    def expire() -> None:
        with rt.store.session() as s:
            mail_queue.renew_claims(s, holder, expires=wall_clock())

    through_outage("giving up claims", expire)


def _settle(
    rt: Runtime,
    mails: dict[int, OutgoingMail],
    results: list[SendResult],
    failure: ProviderError | None,
    now: datetime,
    report: Report,
) -> None:
    """Record each recipient's fate; the recipients still owed a mail wait for its backoff.
    After a failed batch, its error goes with every mail that did not go out."""
    by_id = {result.message_id: result for result in results}
    with rt.store.session() as s:
        mail_queue.read_for_settling(s, list(mails))
        for outbox_id, mail in mails.items():
            result = by_id[mail.message_id]
            deferred = "; ".join(f"{who}: {why}" for who, why in result.deferred.items())
            error = str(failure) if failure else deferred
            if result.delivered:
                crash_point("sent")
            row = mail_queue.settle_mail(
                s,
                outbox_id,
                delivered=result.delivered,
                refused=result.refused,
                error=error or None,
                now=now,
            )
            label = mail_label(mail.key, mail.raw)
            if row.state == "sent":
                report.done.append(f"Sent: {label}")
            if result.refused:
                refused = "; ".join(f"{who}: {why}" for who, why in result.refused.items())
                report.problems.append(f"{label}: refused by {refused}")
            elif result.deferred and failure is None:
                report.problems.append(f"{label}: will try again: {error}")
        if failure is not None:
            report.problems.append(f"sending stopped until the next try: {failure}")


def _recover(rt: Runtime, now: datetime, holder: str, report: Report) -> None:
    """Take over the claims of senders that are gone; mail they sent is settled as sent,
    the rest goes back to wait, due at once."""
    try:
        with rt.store.session() as s:
            abandoned = [
                (row.id, row.claimed_by)
                for row in mail_queue.abandoned_claims(s, wall_now=wall_clock(), is_dead=is_dead)
            ]
            mine = {}
            for outbox_id, old in abandoned:
                if mail_queue.take_over_claim(
                    s, outbox_id, old_holder=old, holder=holder, expires=wall_clock() + CLAIM_TTL
                ):
                    mine[outbox_id] = _outgoing(s.get_one(Outbox, outbox_id))
    except DBAPIError:
        _give_up_claims(rt, holder)  # a commit whose answer was lost may have taken some over
        raise
    if not mine:
        return
    with heartbeat(rt.store, holder):
        results = _found(rt, list(mine.values()))
    through_outage(
        f"settling {len(mine)} interrupted send(s)",
        lambda: _settle_recovered(rt, now, mine, results, report),
    )


def _settle_recovered(
    rt: Runtime,
    now: datetime,
    mine: dict[int, OutgoingMail],
    results: list[SendResult],
    report: Report,
) -> None:
    done: list[str] = []  # a try that failed leaves no lines behind
    with rt.store.session() as s:
        for (outbox_id, mail), result in zip(mine.items(), results, strict=True):
            row = mail_queue.settle_mail(
                s,
                outbox_id,
                delivered=result.delivered,
                refused={},
                error="interrupted send",
                now=now,
                backoff=lambda _: timedelta(0),
            )
            if row.state == "sent":
                label = mail_label(mail.key, mail.raw)
                done.append(f"Sent: {label} (found in the mailbox after an interrupted send)")
    report.done.extend(done)
