"""In-memory twins of the four ports: full providers that keep everything in dictionaries,
raise the same typed errors as the real ones, and record what they were asked, so that the
core can be tested without a server and the contract suites have a reference to pass.

Each twin is steered from the test through methods a real provider has no use for (a peer
declines, the cursor expires, the next call fails), like vdirsyncer's memory storage.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from scheduler.core.model import Interval
from scheduler.ports import (
    Booked,
    Booking,
    Cancellation,
    Cancelled,
    ChangeBatch,
    CursorExpired,
    DirectoryBatch,
    FactKind,
    InboundMail,
    InboxBatch,
    MeetingFact,
    OutgoingMail,
    PersonRecord,
    ProviderError,
    SendResult,
    WorkingHours,
)


class DirectoryTwin:
    """People as records; a complete read at every call, or deltas once `deltas` is on."""

    def __init__(self, records: Iterable[PersonRecord] = ()) -> None:
        self.records = {r.fields["email"]: r for r in records}
        self.deltas = False
        self._version = 0
        self._changed: dict[int, tuple[str, bool]] = {}  # version -> (email, removed)
        self.epoch = 0

    def put(self, fields: dict[str, str]) -> None:
        self._version += 1
        self.records[fields["email"]] = PersonRecord("twin", 0, fields)
        self._changed[self._version] = (fields["email"], False)

    def remove(self, email: str) -> None:
        self._version += 1
        self.records.pop(email, None)
        self._changed[self._version] = (email, True)

    def expire(self) -> None:
        self.epoch += 1

    def read(self, cursor: str | None) -> DirectoryBatch:
        mark = f"{self.epoch}:{self._version}"
        if cursor is None or not self.deltas:
            return DirectoryBatch(list(self.records.values()), True, (), mark)
        epoch, _, version = cursor.partition(":")
        if int(epoch) != self.epoch:
            raise CursorExpired(f"delta {cursor} is gone")
        since = int(version)
        changed = {e: removed for v, (e, removed) in sorted(self._changed.items()) if v > since}
        records = [self.records[e] for e, removed in changed.items() if not removed]
        gone = [e for e, removed in changed.items() if removed]
        return DirectoryBatch(records, False, gone, mark)


@dataclass
class TwinEvent:
    """One event on the organizer's calendar, with every attendee's answer."""

    event_id: str
    key: str
    uid: str
    sequence: int
    start: datetime
    end: datetime
    attendees: dict[str, str]  # email -> "needsAction" | "accepted" | "declined"
    cancelled: bool = False
    version: int = 0


class CalendarTwin:
    """Calendars in memory: busy intervals, working hours, and the organizer's events, whose
    changes are read from a cursor (a version number of the change log)."""

    invites_by_mail = False

    def __init__(self) -> None:
        self.busy_times: dict[str, list[Interval]] = {}
        self.hours: dict[str, WorkingHours] = {}
        self.events: dict[str, TwinEvent] = {}
        self.log: list[tuple[int, str]] = []  # (version, event id) of every change
        self.version = 0
        self.failing: dict[str, ProviderError] = {}  # booking key -> the error it gets
        self.down = False
        self.calls: list[str] = []
        self.epoch = 0

    # --- the port -----------------------------------------------------------------------

    def busy(self, emails: Sequence[str], window: Interval) -> dict[str, list[Interval]]:
        self._call("busy")
        found: dict[str, list[Interval]] = {e: [] for e in emails}
        for email in emails:
            found[email] += [i for i in self.busy_times.get(email, []) if i.overlaps(window)]
        for event in self.events.values():
            span = Interval(event.start, event.end)
            for email, answer in event.attendees.items():
                live = not event.cancelled and answer != "declined"
                if email in found and live and span.overlaps(window):
                    found[email].append(span)
        return found

    def working_hours(self, emails: Sequence[str]) -> dict[str, WorkingHours]:
        self._call("working_hours")
        return {e: self.hours[e] for e in emails if e in self.hours}

    def book(self, bookings: Sequence[Booking]) -> list[Booked]:
        self._call("book")
        results = []
        for booking in bookings:
            if booking.key in self.failing:
                results.append(Booked(booking.key, "", error=self.failing[booking.key]))
                continue
            event_id = booking.event_id or _event_id(booking.key)
            event = self.events.get(event_id)
            if event is None:
                attendees = {a.email: "needsAction" for a in booking.attendees}
                event = TwinEvent(event_id, booking.key, booking.uid, booking.sequence,
                                  booking.start, booking.end, attendees)  # fmt: skip
                self.events[event_id] = event
                self._changed(event)
            elif booking.sequence > event.sequence and not event.cancelled:
                event.sequence, event.start, event.end = (
                    booking.sequence,
                    booking.start,
                    booking.end,
                )
                event.attendees = {a.email: "needsAction" for a in booking.attendees}
                self._changed(event)
            results.append(Booked(booking.key, event_id))
        return results

    def cancel(self, cancellations: Sequence[Cancellation]) -> list[Cancelled]:
        self._call("cancel")
        results = []
        for cancellation in cancellations:
            booking = cancellation.booking
            event = self.events.get(booking.event_id or _event_id(booking.key))
            if event is not None and not event.cancelled:
                event.cancelled = True
                self._changed(event)
            results.append(Cancelled(booking.key))
        return results

    def changes(self, cursor: str | None) -> ChangeBatch:
        self._call("changes")
        epoch, _, since = (cursor or f"{self.epoch}:0").partition(":")
        if int(epoch) != self.epoch:
            raise CursorExpired(f"sync token {cursor} is gone")
        changed = [self.events[e] for v, e in self.log if v > int(since)]
        facts: list[MeetingFact] = []
        for event in {e.event_id: e for e in changed}.values():
            facts += _facts_of(event)
        return ChangeBatch(facts, f"{self.epoch}:{self.version}")

    # --- what a peer or a server does ---------------------------------------------------

    def respond(self, event_id: str, attendee: str, answer: str) -> None:
        """A peer answers the invitation in their own calendar."""
        self.events[event_id].attendees[attendee] = answer
        self._changed(self.events[event_id])

    def expire(self) -> None:
        """The server forgets every cursor given so far (Google's 410)."""
        self.epoch += 1

    def on(self, email: str) -> list[TwinEvent]:
        """The events a person's calendar shows."""
        return [e for e in self.events.values() if email in e.attendees and not e.cancelled]

    def _changed(self, event: TwinEvent) -> None:
        self.version += 1
        event.version = self.version
        self.log.append((self.version, event.event_id))

    def _call(self, name: str) -> None:
        self.calls.append(name)
        if self.down:
            raise ProviderError("the calendar twin is down", permanent=False)


def _event_id(key: str) -> str:
    return "ev" + hashlib.sha256(key.encode()).hexdigest()[:20]


def _facts_of(event: TwinEvent) -> list[MeetingFact]:
    if event.cancelled:
        key = f"{event.event_id}|cancelled"
        return [MeetingFact(event.uid, FactKind.CANCELLED, event_id=event.event_id, key=key,
                            sequence=event.sequence)]  # fmt: skip
    facts = []
    kinds = {"declined": FactKind.DECLINED, "accepted": FactKind.ACCEPTED}
    for email, answer in sorted(event.attendees.items()):
        if answer in kinds:
            key = f"{event.event_id}|{email}|{answer}|{event.sequence}"
            facts.append(MeetingFact(event.uid, kinds[answer], by=email, event_id=event.event_id,
                                     key=key, sequence=event.sequence))  # fmt: skip
    return facts


@dataclass
class MailerTwin:
    """Keeps what it sends; refuses recipients for good or for now; can be down."""

    sent: list[OutgoingMail] = field(default_factory=list)
    refuse: dict[str, str] = field(default_factory=dict)  # recipient -> 5xx reason
    defer: dict[str, str] = field(default_factory=dict)  # recipient -> 4xx reason
    down: bool = False
    daily_limit: int | None = None
    per_minute: int | None = None

    def send(self, mails: Sequence[OutgoingMail]) -> list[SendResult]:
        if self.down:
            raise ProviderError("connection refused", permanent=False)
        results = []
        reached = self.sent_to(mails)
        for mail in mails:
            owed = [r for r in mail.recipients if r not in reached.get(mail.message_id, ())]
            took = [r for r in owed if r not in self.refuse and r not in self.defer]
            if took:
                self.sent.append(replace(mail, recipients=tuple(took)))
            refused = {r: self.refuse[r] for r in owed if r in self.refuse}
            deferred = {r: self.defer[r] for r in owed if r in self.defer}
            results.append(SendResult(mail.message_id, frozenset(took), deferred, refused))
        return results

    def sent_to(self, mails: Sequence[OutgoingMail]) -> dict[str, frozenset[str]]:
        reached: dict[str, set[str]] = {}
        for mail in self.sent:
            reached.setdefault(mail.message_id, set()).update(mail.recipients)
        return {m.message_id: frozenset(reached[m.message_id]) for m in mails
                if m.message_id in reached}  # fmt: skip


class InboxTwin:
    """A mailbox whose cursor is the count of messages read; it can forget cursors."""

    def __init__(self) -> None:
        self.messages: list[InboundMail] = []
        self.epoch = 0

    def deliver(self, raw: bytes) -> None:
        self.messages.append(InboundMail(f"twin-{len(self.messages) + 1}", raw))

    def expire(self) -> None:
        self.epoch += 1

    def fetch(self, cursor: str | None) -> InboxBatch:
        mark = json.loads(cursor) if cursor else {"at": 0, "epoch": self.epoch}
        if mark["epoch"] != self.epoch:
            raise CursorExpired(f"inbox cursor {cursor} is gone")
        batch = self.messages[mark["at"] : mark["at"] + 2]
        return InboxBatch(batch, json.dumps({"at": mark["at"] + len(batch), "epoch": self.epoch}))


def stamp() -> datetime:
    return datetime(2027, 1, 4, 9, tzinfo=UTC)
