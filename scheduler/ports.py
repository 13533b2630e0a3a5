"""The four doors between Tandem's core and the outside world, as small Protocols.

Glossary (see also scheduler/model.py):
    directory  where people come from (Google Admin SDK, Microsoft Graph /users, a CSV file).
    calendar   where busy times come from and where meetings are booked; it reports changes
               to booked meetings (declines, cancels, moves) as a stream of facts.
    mailer     sends email; every message carries a Message-ID fixed before the first try.
    inbox      the program mailbox's incoming mail, read incrementally from a cursor.
    booking    one meeting of a pair put on calendars, keyed by (pair, meeting, attempt).

Every method takes and returns batches, so that providers can use batch and multi-calendar
calls. Every side effect carries a stable key, so that a retry never books or sends twice.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from scheduler.core.model import Interval
from scheduler.program.roster import RawPerson


class ProviderError(Exception):
    """A provider call failed. `permanent` errors (a 4xx other than 429, a refused address)
    are never retried; the others may succeed on a later try."""

    def __init__(self, message: str, *, permanent: bool) -> None:
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True, slots=True)
class Attendee:
    email: str
    name: str


@dataclass(frozen=True, slots=True)
class Booking:
    """A meeting to put on calendars.

    `key` is stable for (pair, meeting number, attempt) and is what makes booking idempotent:
    booking the same key twice yields the same event. `uid` is the iCalendar UID, stable for
    the meeting across moves and cancellation; `sequence` grows with each change.
    """

    key: str
    uid: str
    sequence: int
    summary: str
    description: str
    start: datetime
    end: datetime
    timezone: str
    organizer: Attendee
    attendees: tuple[Attendee, ...]
    video: str = "none"


@dataclass(frozen=True, slots=True)
class Booked:
    """What the calendar made of a booking: its own event id, and a link to join if any."""

    key: str
    event_id: str
    join_url: str | None = None


@dataclass(frozen=True, slots=True)
class Cancellation:
    booking: Booking
    reason: str


class FactKind(enum.Enum):
    DECLINED = "declined"
    ACCEPTED = "accepted"
    CANCELLED = "cancelled"
    MOVED = "moved"


@dataclass(frozen=True, slots=True)
class MeetingFact:
    """One change a calendar reports about a booked meeting, whatever the provider."""

    uid: str
    kind: FactKind
    by: str | None = None
    moved_to: Interval | None = None
    seen_at: datetime | None = None
    # the version of the event it speaks of (iCalendar SEQUENCE), when known: an answer to an
    # older version than the meeting's is stale
    sequence: int | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class OutgoingMail:
    """An email ready to send. `message_id` is fixed when the message is built, so that a
    send that may have happened can be looked up before it is retried."""

    key: str
    message_id: str
    raw: bytes
    recipients: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SendResult:
    """What became of one mail: the recipients that took it, those to try again later (a 4xx
    for that address) and those that refused it for good (a 5xx), each with the reason the
    server gave. A recipient is in exactly one of the three."""

    message_id: str
    delivered: frozenset[str] = frozenset()
    deferred: Mapping[str, str] = field(default_factory=dict)
    refused: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class InboundMail:
    """One message from the program mailbox, as raw RFC 5322 bytes plus the provider's id."""

    provider_id: str
    raw: bytes


@dataclass(frozen=True, slots=True)
class InboxBatch:
    messages: Sequence[InboundMail]
    cursor: str | None


@dataclass(frozen=True, slots=True)
class ChangeBatch:
    facts: Sequence[MeetingFact]
    cursor: str | None


class Directory(Protocol):
    def fetch_people(self) -> list[RawPerson]:
        """Every person of the directory, untrusted; `scheduler.program.roster` validates them.

        Raises:
            ProviderError: the directory could not be read.
        """
        ...


class Calendar(Protocol):
    def busy(self, emails: Sequence[str], window: Interval) -> dict[str, list[Interval]]:
        """The busy intervals of many people in one call; a person the calendar does not
        know maps to an empty list.
        """
        ...

    def book(self, bookings: Sequence[Booking]) -> list[Booked]:
        """Put meetings on calendars. Booking a key that was booked before returns the
        existing event and creates nothing; with a higher `sequence` than before, the existing
        event is moved to the booking's new time (the same event, never a second one).

        Raises:
            ProviderError: for the whole batch; keys booked before the failure stay booked.
        """
        ...

    def cancel(self, cancellations: Sequence[Cancellation]) -> None:
        """Cancel booked meetings on every attendee's calendar; cancelling twice is harmless."""
        ...

    def changes(self, cursor: str | None) -> ChangeBatch:
        """Facts about booked meetings since `cursor` (None: from the beginning)."""
        ...


class Mailer(Protocol):
    def send(self, mails: Sequence[OutgoingMail]) -> list[SendResult]:
        """Send each mail once to its `recipients`; one result per mail, in order. A mail or a
        recipient refused is a result, and the rest of the batch goes on.

        Raises:
            ProviderError: the mail service could not be used at all (unreachable, login or
            sender refused); mails of the batch may have gone out before: `sent_to` tells.
        """
        ...

    def sent_to(self, mails: Sequence[OutgoingMail]) -> dict[str, frozenset[str]]:
        """For each of these mails known to have gone out, by Message-ID, the recipients it
        reached; a mail not found is absent."""
        ...


class Inbox(Protocol):
    def fetch(self, cursor: str | None) -> InboxBatch:
        """Messages that arrived after `cursor` (None: everything there is)."""
        ...


@dataclass(slots=True)
class Providers:
    """The ports one program runs with, built by `scheduler.bootstrap` from its settings."""

    directory: Directory
    calendar: Calendar
    mailer: Mailer
    inbox: Inbox
    notes: list[str] = field(default_factory=list)
