"""Mail in and out of the program mailbox: the outbox sent exactly once, the inbox read once.

Sending follows the outbox pattern: a row is claimed before the send and marked after it.
A row left claimed by a crash is looked up in the mailbox by its Message-ID before any retry.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import UTC, datetime, timedelta
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

from sqlalchemy import select

from scheduler import store_ops
from scheduler.faults import crash_point
from scheduler.invites import facts_from_mail
from scheduler.jobs import Report, Runtime
from scheduler.mail_checks import sender_addresses
from scheduler.ports import FactKind, OutgoingMail, ProviderError
from scheduler.store import CalendarFact, Meeting
from scheduler.store_ops import default_backoff

log = logging.getLogger(__name__)
STALE_CLAIM = timedelta(minutes=10)


def send_mail(rt: Runtime, now: datetime, *, recover_now: bool = False) -> Report:
    """Send what is due, in batches: claim, send, mark. After a failure the mailer says which
    of the batch went out; the rest go back to wait. `recover_now` treats every claimed row as
    left by a crash (safe only when no other sender runs, as in `tandem run`); otherwise claims
    older than 10 minutes."""
    report = Report("send")
    everything = datetime.max.replace(tzinfo=UTC)
    _recover(rt, now, everything if recover_now else now - STALE_CLAIM, report)
    while True:
        with rt.store.session() as s:
            due = store_ops.due_mail(s, now=now, limit=BATCH)
            mails = {
                row.id: OutgoingMail(row.key, row.message_id, row.raw, tuple(row.recipients))
                for row in due
                if store_ops.claim_mail(s, row.id, now=now)
            }
        if not mails:
            return report
        crash_point("claimed")
        failure: ProviderError | None = None
        try:
            rt.providers.mailer.send(list(mails.values()))
            went = {mail.message_id for mail in mails.values()}
        except ProviderError as exc:
            failure = exc
            went = rt.providers.mailer.sent_ids([mail.message_id for mail in mails.values()])
        _settle(rt, mails, went, failure, now, report)
        if failure is not None and not failure.permanent:
            return report  # the server may be down: the rest waits for its backoff


BATCH = 50


def _settle(
    rt: Runtime,
    mails: dict[int, OutgoingMail],
    went: set[str],
    failure: ProviderError | None,
    now: datetime,
    report: Report,
) -> None:
    """Mark what went out; hand the rest back. Only the first mail that did not go out carries
    the failure (a permanent one fails it); those after it were never tried, and wait for the
    backoff after a transient failure or go again at once after a permanent one."""
    blamed = False
    with rt.store.session() as s:
        for outbox_id, mail in mails.items():
            if mail.message_id in went:
                crash_point("sent")
                store_ops.mark_sent(s, outbox_id, now=now)
                report.done.append(mail.key)
                continue
            assert failure is not None
            if not blamed:
                blamed = True
                store_ops.release_mail(
                    s, outbox_id, error=str(failure), permanent=failure.permanent, now=now
                )
                report.problems.append(f"{mail.key}: {failure}")
            else:
                store_ops.release_mail(
                    s,
                    outbox_id,
                    error="not tried: an earlier mail of its batch failed",
                    permanent=False,
                    now=now,
                    backoff=(lambda _: timedelta(0)) if failure.permanent else default_backoff,
                )


def _recover(rt: Runtime, now: datetime, older_than: datetime, report: Report) -> None:
    with rt.store.session() as s:
        stale = [
            (row.id, row.message_id, row.key)
            for row in store_ops.stale_sending(s, older_than=older_than)
        ]
    if not stale:
        return
    sent = rt.providers.mailer.sent_ids([message_id for _, message_id, _ in stale])
    with rt.store.session() as s:
        for outbox_id, message_id, key in stale:
            if message_id in sent:
                store_ops.mark_sent(s, outbox_id, now=now)
                report.done.append(f"{key} (found in the mailbox after an interrupted send)")
            else:
                store_ops.release_mail(
                    s,
                    outbox_id,
                    error="interrupted send",
                    permanent=False,
                    now=now,
                    backoff=lambda _: timedelta(0),
                )


def read_inbox(rt: Runtime, now: datetime) -> Report:
    """Log each new message of the program mailbox once and take what it says: calendar replies
    become facts; other replies go to scheduler.inbound, which acts for verified peers only.
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
                report.problems.append(f"message {item.provider_id}: {type(exc).__name__}: {exc}")
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
                            f"error: {type(exc).__name__}: {exc}"[:2000],
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
    dedup = str(message.get("Message-ID") or "").strip() or f"provider:{provider_id}"
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
            )
        if facts:
            logged.outcome, logged.detail = "acted", f"{len(facts)} calendar fact(s)"
        else:
            from scheduler.inbound import handle_reply  # replies: parsing is the heavier import

            handle_reply(rt, s, message, logged, now)
        report.done.append(f"message {provider_id}: {logged.outcome}, {logged.detail}")


def apply_facts(rt: Runtime, now: datetime) -> Report:
    """Calendar facts onto meetings: a decline or a cancel marks the meeting skipped; a move
    is followed (scheduler.followup decides whether a move took it out of its window)."""
    report = Report("facts")
    with rt.store.session() as s:
        facts = s.scalars(
            select(CalendarFact).where(CalendarFact.applied.is_(False)).order_by(CalendarFact.id)
        ).all()
        for fact in facts:
            fact.applied = True
            meeting = s.scalars(select(Meeting).where(Meeting.uid == fact.meeting_uid)).first()
            if meeting is None or meeting.state not in ("booked", "moved"):
                continue
            if fact.kind == FactKind.MOVED.value and fact.moved_start and fact.moved_end:
                meeting.starts_at, meeting.ends_at = fact.moved_start, fact.moved_end
                meeting.state, meeting.updated_at = "moved", now
                report.done.append(f"meeting {meeting.booking_key} moved by {fact.by or 'a peer'}")
            elif fact.kind in (FactKind.DECLINED.value, FactKind.CANCELLED.value):
                meeting.state, meeting.skipped_by, meeting.updated_at = "skipped", fact.by, now
                report.done.append(
                    f"meeting {meeting.booking_key} skipped ({fact.kind} by {fact.by or 'someone'})"
                )
    return report


def _single_sender(message: EmailMessage) -> str:
    """The From address for the inbound log, or "" when there is not exactly one."""
    senders = sender_addresses(message)
    return senders[0][:320] if len(senders) == 1 else ""
