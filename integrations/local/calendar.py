"""The local provider's calendar has no server: a booking is an iMIP invitation (RFC 6047) that
it hands back for the outbox, a cancellation an iMIP CANCEL, and the peers' answers come back
as REPLY mail that it reads from the program mailbox through a cursor of its own."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

from integrations.local.busy import IcsFolderBusy
from integrations.local.invitation_bytes import invitation_bytes
from integrations.local.invitations import facts_from_mail
from scheduler.core.message_ids import make_message_id
from scheduler.core.model import Interval
from scheduler.ports import (
    Booked,
    Booking,
    Cancellation,
    Cancelled,
    ChangeBatch,
    Inbox,
    MeetingFact,
    OutgoingMail,
    WorkingHours,
)


class LocalCalendar:
    """A calendar that books by email.

    `book` returns, for each booking, a METHOD:REQUEST invitation to every attendee (a moved
    meeting is the same UID with a higher SEQUENCE, so calendars update the event they have),
    keyed by the booking and its SEQUENCE so that the outbox sends each version once; the event
    id is the iCalendar UID. `cancel` returns a METHOD:CANCEL the same way. Busy times come
    from an `IcsFolderBusy` (everyone is free without one). `changes` reads the answers
    (REPLY, CANCEL) from `replies`, the program mailbox, each speaking only for its sender.
    """

    invites_by_mail = True

    def __init__(
        self,
        busy: IcsFolderBusy | None = None,
        *,
        replies: Inbox | None = None,
        sender_name: str = "Tandem",
    ) -> None:
        self._busy = busy
        self._replies = replies
        self._sender_name = sender_name

    def busy(self, emails: Sequence[str], window: Interval) -> dict[str, list[Interval]]:
        if self._busy is None:
            return {email: [] for email in emails}
        return self._busy.busy(emails, window)

    def working_hours(self, emails: Sequence[str]) -> dict[str, WorkingHours]:
        return {}  # .ics files say when people are busy, not when they work

    def book(self, bookings: Sequence[Booking]) -> list[Booked]:
        """A REQUEST to the attendees; and a CANCEL to those `removed` from the event (RFC
        5546, 3.2.2.4: an organizer who removes an attendee sends them a CANCEL)."""
        return [
            Booked(
                booking.key,
                event_id=booking.uid,
                mail=(self._mail(booking, "REQUEST"), *self._removals(booking)),
            )
            for booking in bookings
        ]

    def _removals(self, booking: Booking) -> tuple[OutgoingMail, ...]:
        if not booking.removed:
            return ()
        gone = replace(booking, attendees=booking.removed, removed=())
        return (self._mail(gone, "CANCEL", suffix=":removed"),)

    def cancel(self, cancellations: Sequence[Cancellation]) -> list[Cancelled]:
        return [
            Cancelled(c.booking.key, mail=(self._mail(c.booking, "CANCEL"),)) for c in cancellations
        ]

    def changes(self, cursor: str | None) -> ChangeBatch:
        """The facts of the calendar mail that arrived after `cursor` (the mailbox's own
        cursor); `more` while the mailbox has more to give."""
        if self._replies is None:
            return ChangeBatch([], cursor)
        batch = self._replies.fetch(cursor)
        facts: list[MeetingFact] = []
        for item in batch.messages:
            message = BytesParser(policy=policy.default).parsebytes(item.raw)
            assert isinstance(message, EmailMessage)
            identity = str(message.get("Message-ID") or "").strip() or item.provider_id
            for fact in facts_from_mail(message):
                facts.append(_keyed(fact, identity))
        return ChangeBatch(facts, batch.cursor, more=bool(batch.messages))

    def _mail(self, booking: Booking, method: str, suffix: str = "") -> OutgoingMail:
        cancel = method == "CANCEL"
        kind = "cancel" if cancel else "invite"
        key = f"{kind}:{booking.key}:{booking.sequence}{suffix}"
        subject = f"Cancelled: {booking.summary}" if cancel else booking.summary
        text = "This conversation is cancelled and off your calendars." if cancel else None
        message_id = make_message_id(key, booking.organizer.email.rpartition("@")[2])
        raw = invitation_bytes(
            booking,
            method=method,
            message_id=message_id,
            subject=subject,
            text=text or booking.description,
            html=None,
            sender_name=self._sender_name,
            date=booking.stamp or datetime.now(UTC),
        )
        recipients = tuple(a.email for a in booking.attendees)
        return OutgoingMail(key, message_id, raw, recipients, kind=kind, subject=subject)


def _keyed(fact: MeetingFact, identity: str) -> MeetingFact:
    """The fact with a key that names it by the message it came in, so that reading the
    mailbox again from the start applies it once."""
    content = f"{fact.uid}|{fact.kind.value}|{fact.by}|{fact.seen_at}|{identity}"
    key = hashlib.sha256(content.encode()).hexdigest()
    return MeetingFact(
        fact.uid,
        fact.kind,
        by=fact.by,
        moved_to=fact.moved_to,
        seen_at=fact.seen_at,
        sequence=fact.sequence,
        event_id=fact.uid,
        key=key,
    )
