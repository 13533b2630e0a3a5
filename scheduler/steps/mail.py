"""Mail in and out of the program mailbox: the outbox sent exactly once, the inbox read once.

Sending follows the outbox pattern: a row is claimed before the send and marked after it.
A row left claimed by a crash is looked up in the mailbox by its Message-ID before any retry.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

from sqlalchemy import select
from sqlalchemy.orm import Session

from scheduler.crash_report import redact
from scheduler.faults import crash_point
from scheduler.invites import facts_from_mail
from scheduler.ports import FactKind, OutgoingMail, ProviderError, SendResult
from scheduler.render.labels import mail_label
from scheduler.replies.mail_checks import sender_addresses
from scheduler.steps.plan import Report, Runtime, pair_names, said_when
from scheduler.store import ops as store_ops
from scheduler.store.leases import holder_name, is_dead, wall_clock
from scheduler.store.models import CalendarFact, Meeting, Outbox, Store
from scheduler.store.models import Person as PersonRow

log = logging.getLogger(__name__)
STALE_CLAIM = timedelta(minutes=10)


def send_mail(rt: Runtime, now: datetime) -> Report:
    """Send what is due, in batches: claim, send, settle each recipient. Claims belong to this
    process, renewed by a heartbeat while the mail service works; only the claims of a sender
    that is gone are taken over, and each of those is looked up by Message-ID first. A batch
    the mail service could not take at all waits for its backoff, and so does the rest."""
    report = Report("send")
    holder = holder_name()
    _recover(rt, now, holder, report)
    while True:
        with rt.store.session() as s:
            rows = store_ops.claim_due_mail(
                s, now=now, holder=holder, expires=wall_clock() + CLAIM_TTL, limit=BATCH
            )
            mails = {row.id: _outgoing(row) for row in rows}
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
        _settle(rt, mails, results, failure, now, report)
        if failure is not None:
            return report  # the service may be down: the rest waits for its backoff


BATCH = 50
CLAIM_TTL = timedelta(minutes=5)


@contextmanager
def heartbeat(store: Store, holder: str) -> Iterator[None]:
    """Keep `holder`'s claims alive while a slow mail service works, so that no other sender
    takes them over; a process that freezes for longer than CLAIM_TTL loses them."""
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(CLAIM_TTL.total_seconds() / 3):
            with store.session() as s:
                store_ops.renew_claims(s, holder, expires=wall_clock() + CLAIM_TTL)

    beating = threading.Thread(target=beat, name="tandem-heartbeat", daemon=True)
    beating.start()
    try:
        yield
    finally:
        stop.set()
        beating.join()


def _outgoing(row: Outbox) -> OutgoingMail:
    return OutgoingMail(row.key, row.message_id, row.raw, store_ops.owed_recipients(row))


def _found(rt: Runtime, mails: list[OutgoingMail]) -> list[SendResult]:
    """After a failed batch, what went out all the same; unknown when even that fails."""
    try:
        reached = rt.providers.mailer.sent_to(mails)
    except ProviderError:
        reached = {}
    return [SendResult(m.message_id, reached.get(m.message_id, frozenset())) for m in mails]


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
        for outbox_id, mail in mails.items():
            result = by_id[mail.message_id]
            deferred = "; ".join(f"{who}: {why}" for who, why in result.deferred.items())
            error = str(failure) if failure else deferred
            if result.delivered:
                crash_point("sent")
            row = store_ops.settle_mail(
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
    with rt.store.session() as s:
        abandoned = [
            (row.id, row.claimed_by)
            for row in store_ops.abandoned_claims(s, wall_now=wall_clock(), is_dead=is_dead)
        ]
        mine = {}
        for outbox_id, old in abandoned:
            if store_ops.take_over_claim(
                s, outbox_id, old_holder=old, holder=holder, expires=wall_clock() + CLAIM_TTL
            ):
                mine[outbox_id] = _outgoing(s.get_one(Outbox, outbox_id))
    if not mine:
        return
    with heartbeat(rt.store, holder):
        results = _found(rt, list(mine.values()))
    with rt.store.session() as s:
        for (outbox_id, mail), result in zip(mine.items(), results, strict=True):
            row = store_ops.settle_mail(
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
                report.done.append(
                    f"Sent: {label} (found in the mailbox after an interrupted send)"
                )


def read_inbox(rt: Runtime, now: datetime) -> Report:
    """Log each new message of the program mailbox once and take what it says: calendar replies
    become facts; other replies go to scheduler.steps.inbound, which acts for verified peers only.
    A message that cannot be handled is logged with the error and passed over, so that one
    bad message cannot stop the mailbox."""
    report = Report("inbox")
    with rt.store.session() as s:
        cursor = store_ops.get_cursor(s, "inbox")
    while True:
        batch = rt.providers.inbox.fetch(cursor)
        for item in batch.messages:
            try:
                _take(rt, item.provider_id, item.raw, now, report)
            except Exception as exc:
                log.exception("inbox message %s could not be handled", item.provider_id)
                report.problems.append(
                    f"message {item.provider_id}: {type(exc).__name__}: {redact(str(exc))}"
                )
                with rt.store.session() as s:
                    logged = store_ops.record_inbound(
                        s,
                        dedup_key=f"failed:{item.provider_id}"[:998],
                        provider_id=item.provider_id,
                        received_at=now,
                        sender="",
                        subject="",
                    )
                    if logged is not None:
                        logged.outcome, logged.detail = (
                            "ignored",
                            f"error: {type(exc).__name__}: {redact(str(exc))}",
                        )
        if batch.cursor is not None and batch.cursor != cursor:
            with rt.store.session() as s:
                store_ops.set_cursor(s, "inbox", batch.cursor)
            cursor = batch.cursor
        if not batch.messages:
            return report


def _take(rt: Runtime, provider_id: str, raw: bytes, now: datetime, report: Report) -> None:
    message = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(message, EmailMessage)
    dedup = str(message.get("Message-ID") or "").strip() or content_digest(message)
    with rt.store.session() as s:
        logged = store_ops.record_inbound(
            s,
            dedup_key=dedup[:998],
            provider_id=provider_id,
            received_at=now,
            sender=_single_sender(message),
            subject=str(message.get("Subject") or "")[:500],
        )
        if logged is None:
            return
        facts = facts_from_mail(message)
        for fact in facts:
            key = hashlib.sha256(
                f"{fact.uid}|{fact.kind.value}|{fact.by}|{fact.seen_at}|{dedup}".encode()
            ).hexdigest()
            store_ops.record_fact(
                s,
                dedup_key=key,
                meeting_uid=fact.uid,
                kind=fact.kind.value,
                by=fact.by,
                seen_at=fact.seen_at or now,
                moved_start=fact.moved_to.start if fact.moved_to else None,
                moved_end=fact.moved_to.end if fact.moved_to else None,
                sequence=fact.sequence,
            )
        if facts:
            logged.outcome, logged.detail = "acted", f"{len(facts)} calendar fact(s)"
        else:
            from scheduler.steps.inbound import (
                handle_reply,  # replies: parsing is the heavier import
            )

            handle_reply(rt, s, message, logged, now)
        report.done.append(f"Reply {logged.outcome}: {logged.detail}")


def apply_facts(rt: Runtime, now: datetime) -> Report:
    """Calendar facts onto meetings: a decline or a cancel marks the meeting skipped; a move
    is followed (scheduler.core.followup decides whether a move took it out of its window)."""
    report = Report("facts")
    with rt.store.session() as s:
        facts = s.scalars(
            select(CalendarFact)
            .where(CalendarFact.applied.is_(False))
            .order_by(CalendarFact.id)
            .with_for_update(skip_locked=True)  # another worker's facts are its own
        ).all()
        for fact in facts:
            fact.applied = True
            meeting = s.scalars(
                select(Meeting)
                .where(Meeting.uid == fact.meeting_uid)
                .order_by(Meeting.attempt.desc())
                .limit(1)
            ).first()  # the latest attempt: an event moved after a decline keeps its UID
            if meeting is None or meeting.state not in ("booked", "moved"):
                continue
            if fact.sequence is not None and fact.sequence < meeting.sequence:
                report.done.append(f"meeting {meeting.booking_key}: an answer to an earlier time")
                continue
            if fact.kind == FactKind.MOVED.value and fact.moved_start and fact.moved_end:
                meeting.starts_at, meeting.ends_at = fact.moved_start, fact.moved_end
                meeting.state, meeting.updated_at = "moved", now
                report.done.append(
                    f"Moved in a calendar: {pair_names(s, meeting.pair_id)}, conversation "
                    f"{meeting.number}, now {said_when(rt, fact.moved_start)}"
                )
            elif fact.kind in (FactKind.DECLINED.value, FactKind.CANCELLED.value):
                meeting.state, meeting.skipped_by, meeting.updated_at = "skipped", fact.by, now
                if fact.kind == FactKind.CANCELLED.value:
                    meeting.event_id = None  # gone from calendars: a rebooking is a new event
                who = _who(s, fact.by)
                report.done.append(
                    f"Skipped ({fact.kind} by {who}): {pair_names(s, meeting.pair_id)}, "
                    f"conversation {meeting.number}"
                )
    return report


def _who(s: Session, email: str | None) -> str:
    """A peer by name for a report line; "someone" when the calendar did not say who."""
    row = s.get(PersonRow, email) if email else None
    return (row.name if row is not None and row.name else email) or "someone"


ORIGIN_HEADERS = ("From", "To", "Cc", "Date", "Subject", "In-Reply-To", "References")


def content_digest(message: EmailMessage) -> str:
    """An identity for a message that has no Message-ID: its origin headers and its body, so
    that two deliveries of it (other Received lines, another route) are the same message
    (issue 13, defect 6)."""
    digest = hashlib.sha256()
    for name in ORIGIN_HEADERS:
        for value in message.get_all(name, []):
            digest.update(f"{name}:{' '.join(str(value).split())}\n".encode())
    digest.update(_body_bytes(message))
    return f"digest:{digest.hexdigest()}"


def _body_bytes(message: EmailMessage) -> bytes:
    raw = message.as_bytes(policy=policy.SMTP)
    return raw.partition(b"\r\n\r\n")[2]


def _single_sender(message: EmailMessage) -> str:
    """The From address for the inbound log, or "" when there is not exactly one."""
    senders = sender_addresses(message)
    return senders[0][:320] if len(senders) == 1 else ""
