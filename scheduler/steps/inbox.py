"""The program mailbox read once: each message logged once and taken for what it says. Replies
go to scheduler.steps.inbound, which acts for verified peers only; calendar mail is the
calendar's to read (scheduler.steps.calendar_sync) and is only logged here."""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

from scheduler.crash_report import redact
from scheduler.ports import CursorExpired
from scheduler.replies.mail_checks import sender_addresses
from scheduler.runtime import Report, Runtime
from scheduler.store import ops as store_ops

log = logging.getLogger(__name__)


def read_inbox(rt: Runtime, now: datetime) -> Report:
    """Log each new message of the program mailbox once and take what it says. A message that
    cannot be handled is logged with the error and passed over, so that one bad message
    cannot stop the mailbox. An expired cursor reads the mailbox again from the start; every
    message is still taken once (the log is keyed by Message-ID)."""
    report = Report("inbox")
    with rt.store.session() as s:
        cursor = store_ops.get_cursor(s, "inbox")
    while True:
        try:
            batch = rt.providers.inbox.fetch(cursor)
        except CursorExpired as expired:
            if cursor is None:
                raise
            report.notes.append(f"the mailbox's cursor expired ({expired}); read it again")
            cursor = None
            continue
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
        from scheduler.steps.inbound import handle_reply  # replies: the heavier import

        handle_reply(rt, s, message, logged, now)
        report.done.append(f"Reply {logged.outcome}: {logged.detail}")


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
