"""The four doors between Tandem's core and the outside world, as small Protocols.

Glossary (see also scheduler/core/model.py):
    directory  where people come from (Google Admin SDK, Microsoft Graph /users, a CSV file).
    calendar   where busy times come from and where meetings are booked; it reports changes
               to booked meetings (declines, cancels, moves) as facts read from a cursor.
    mailer     sends email; every message carries a Message-ID fixed before the first try.
    inbox      the program mailbox's incoming mail, read incrementally from a cursor.
    booking    one meeting of a pair put on calendars, keyed by (pair, meeting, attempt).
    event id   the calendar's own name for a booked event, kept and used for every later move
               and cancellation (Google's differs from the iCalendar UID; Graph assigns its own).
    fact       one change a calendar reports: a decline, an accept, a cancellation, a move.
    cursor     where an incremental read stopped; a provider may declare it expired.

Every method takes and returns batches, so that providers can use batch and multi-calendar
calls. Every side effect carries a stable key, so that a retry never books or sends twice,
and a failure of one item comes back with that item while the rest of the batch goes on.
How a calendar books (an API call or an iMIP email) and how it learns of declines (an
incremental sync or REPLY mail) is the provider's business: mail it wants sent comes back in
its results, for the outbox.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time
from typing import Protocol

from scheduler.core.model import Interval, Weekday


class ProviderError(Exception):
    """A provider call failed. `permanent` errors (a 4xx other than 429, a refused address)
    are never retried; the others may succeed on a later try, not before `retry_after`
    seconds when the provider said so."""

    def __init__(self, message: str, *, permanent: bool, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.retry_after = retry_after


class CursorExpired(ProviderError):
    """An incremental read's cursor is no longer valid (Google's 410 on a sync token, an
    expired Graph delta link, a Gmail history id past its week): read again from None. The
    facts and messages of a full read are recorded once, so nothing is lost or repeated."""

    def __init__(self, message: str) -> None:
        super().__init__(message, permanent=False)


# --- the directory -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PersonRecord:
    """One directory record as the provider gave it, untrusted; scheduler.program.roster
    validates it. `fields` uses the people file's column names (email, name, title,
    department, level, manager_email, timezone, aliases, plus any extra attribute); a
    cloud directory leaves out what it does not know (a missing `timezone` falls back to the
    person's calendar, then the program's zone). `line` is 1-based, 0 when there is none;
    `columns` gives the column of each field in a file, empty for a cloud directory."""

    source: str
    line: int
    fields: Mapping[str, str]
    columns: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class DirectoryBatch:
    """What a directory read returned. A `complete` read is the whole directory: everyone
    not in it has left. A delta (not complete) names changed people in `records` and the
    addresses of people who left in `removed`; everyone else is as before."""

    records: Sequence[PersonRecord]
    complete: bool = True
    removed: Sequence[str] = ()
    cursor: str | None = None


class Directory(Protocol):
    def read(self, cursor: str | None) -> DirectoryBatch:
        """The people of the directory: all of them when `cursor` is None (or when the
        provider has no delta), else what changed since `cursor`.

        Raises:
            CursorExpired: read again from None.
            ProviderError: the directory could not be read.
        """
        ...


# --- the calendar ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Attendee:
    email: str
    name: str


@dataclass(frozen=True, slots=True)
class Booking:
    """A meeting to put on calendars, or a new version of one already there.

    `key` is stable for (pair, meeting number, attempt) and is what makes booking idempotent:
    booking the same key twice yields the same event. `uid` is the iCalendar UID, stable for
    the meeting across moves and cancellation; `sequence` grows with each change. `event_id`
    is the calendar's id of the event when it was booked before: a move then updates that
    very event (a meeting moved after a decline is a new attempt of the same event).
    `removed` are attendees of the event as it was last written who are not among
    `attendees` any more (a third who left a trio): this version takes it off their calendars.
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
    pair_id: str = ""
    event_id: str | None = None
    stamp: datetime | None = None  # when this version was made (an invitation's date)
    removed: tuple[Attendee, ...] = ()


@dataclass(frozen=True, slots=True)
class OutgoingMail:
    """An email ready to send. `message_id` is fixed when the message is built, so that a
    send that may have happened can be looked up before it is retried. `kind` and `subject`
    are for the outbox's log ("invite", "cancel", "launch_kit"...)."""

    key: str
    message_id: str
    raw: bytes
    recipients: tuple[str, ...]
    kind: str = field(default="mail", compare=False)
    subject: str = field(default="", compare=False)


@dataclass(frozen=True, slots=True)
class Booked:
    """What the calendar made of a booking: its own event id and a link to join if any, the
    mail it wants sent (an iMIP invitation, for a calendar that books by email), or the error
    that kept this one booking from being made (the others of the batch go on)."""

    key: str
    event_id: str
    join_url: str | None = None
    mail: tuple[OutgoingMail, ...] = field(default=(), compare=False)
    error: ProviderError | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class Cancellation:
    booking: Booking
    reason: str


@dataclass(frozen=True, slots=True)
class Cancelled:
    """What became of one cancellation: mail to send (an iMIP CANCEL), or an error."""

    key: str
    mail: tuple[OutgoingMail, ...] = ()
    error: ProviderError | None = None


@dataclass(frozen=True, slots=True)
class WorkingHours:
    """A person's own working hours as their calendar holds them, in their zone."""

    timezone: str
    days: frozenset[Weekday]
    start: time
    end: time


class FactKind(enum.Enum):
    DECLINED = "declined"
    ACCEPTED = "accepted"
    CANCELLED = "cancelled"
    MOVED = "moved"


@dataclass(frozen=True, slots=True)
class MeetingFact:
    """One change a calendar reports about a booked meeting, whatever the provider, naming
    the meeting by its iCalendar `uid` or by the calendar's `event_id` (at least one).

    `key` identifies the fact itself, stably across an incremental and a full read, so that
    it is applied once; empty, the core derives one from the fact's content."""

    uid: str | None
    kind: FactKind
    by: str | None = None
    moved_to: Interval | None = None
    seen_at: datetime | None = None
    # the version of the event it speaks of (iCalendar SEQUENCE), when known: an answer to an
    # older version than the meeting's is stale
    sequence: int | None = field(default=None, compare=False)
    event_id: str | None = field(default=None, compare=False)
    key: str = field(default="", compare=False)


@dataclass(frozen=True, slots=True)
class ChangeBatch:
    """Facts since a cursor; `more` when another batch is waiting behind this one."""

    facts: Sequence[MeetingFact]
    cursor: str | None
    more: bool = False


class Calendar(Protocol):
    invites_by_mail: bool
    """True when a booking reaches people as an invitation to accept (iMIP), so the dates
    are on their calendars only once they do; False when the event is put there directly."""

    def busy(self, emails: Sequence[str], window: Interval) -> dict[str, list[Interval]]:
        """The busy intervals of many people in one call; a person the calendar does not
        know, or cannot read, maps to an empty list (that person only).
        """
        ...

    def working_hours(self, emails: Sequence[str]) -> dict[str, WorkingHours]:
        """Each person's own working hours and zone where the calendar knows them; people it
        does not know are left out (then the program's hours and the directory's zone hold).
        """
        ...

    def book(self, bookings: Sequence[Booking]) -> list[Booked]:
        """Put meetings on calendars, one result per booking, in order. Booking a key that was
        booked before returns the existing event and creates nothing; with a higher
        `sequence` and the `event_id`, the existing event is moved to the booking's new time
        (the same event, never a second one). A booking that fails carries its error.

        Raises:
            ProviderError: the calendar could not be reached at all; nothing is known.
        """
        ...

    def cancel(self, cancellations: Sequence[Cancellation]) -> list[Cancelled]:
        """Take meetings off every attendee's calendar; cancelling twice is harmless."""
        ...

    def changes(self, cursor: str | None) -> ChangeBatch:
        """Facts about booked meetings since `cursor` (None: from the beginning).

        Raises:
            CursorExpired: read again from None.
        """
        ...


# --- mail --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SendResult:
    """What became of one mail: the recipients that took it, those to try again later (a 4xx
    for that address) and those that refused it for good (a 5xx), each with the reason the
    server gave. A recipient is in exactly one of the three."""

    message_id: str
    delivered: frozenset[str] = frozenset()
    deferred: Mapping[str, str] = field(default_factory=dict)
    refused: Mapping[str, str] = field(default_factory=dict)


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


@dataclass(frozen=True, slots=True)
class InboundMail:
    """One message from the program mailbox, as raw RFC 5322 bytes plus the provider's id."""

    provider_id: str
    raw: bytes


@dataclass(frozen=True, slots=True)
class InboxBatch:
    messages: Sequence[InboundMail]
    cursor: str | None


class Inbox(Protocol):
    def fetch(self, cursor: str | None) -> InboxBatch:
        """Messages that arrived after `cursor` (None: everything there is).

        Raises:
            CursorExpired: read again from None (each message is still acted on once).
        """
        ...


# --- a provider as a whole ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Check:
    """One permission, scope or setting that `tandem check` tried against the provider."""

    name: str
    ok: bool
    detail: str


@dataclass(slots=True)
class Providers:
    """The ports one program runs with, built by the provider its `provider.kind` names."""

    directory: Directory
    calendar: Calendar
    mailer: Mailer
    inbox: Inbox
    notes: list[str] = field(default_factory=list)
    checks: Callable[[], list[Check]] | None = None
