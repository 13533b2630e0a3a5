"""The fake's in-memory world: people, groups, calendars, mailboxes, clock, faults, counters.

One ``threading.RLock`` guards all of it: google-api-python-client may call from several
threads and the HTTP server answers each connection on a thread of its own. Handlers run with
the lock held; injected slowness sleeps outside it so other calls go on meanwhile.

The clock is the fake's own (``fake.now`` / ``fake.advance``) so tests can make a day pass for
Gmail's rolling sending limit, token expiry and ``updated`` stamps without waiting; it still
moves with real time so successive changes get distinct stamps.
"""

from __future__ import annotations

import secrets
import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from .auth import TokenAuthority

JsonObject = dict[str, Any]


def utcnow() -> datetime:
    return datetime.now(UTC)


class Clock:
    """Real time plus an offset that tests move."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def now(self) -> datetime:
        return utcnow() + self.offset

    def set(self, when: datetime) -> None:
        if when.tzinfo is None:
            raise ValueError("fake.now needs an aware datetime")
        self.offset = when - utcnow()

    def advance(self, delta: timedelta) -> None:
        self.offset += delta


def new_numeric_id(digits: int = 21) -> str:
    return str(10 ** (digits - 1) + secrets.randbelow(9 * 10 ** (digits - 1)))


@dataclass
class User:
    """A Workspace user as the Directory, Calendar and Gmail fakes see them."""

    email: str
    given_name: str
    family_name: str
    id: str = field(default_factory=new_numeric_id)
    title: str | None = None
    department: str | None = None
    cost_center: str | None = None
    manager: str | None = None
    org_unit: str = "/"
    suspended: bool = False
    archived: bool = False
    deleted: bool = False
    is_admin: bool = False
    custom: dict[str, JsonObject] = field(default_factory=dict)
    aliases: tuple[str, ...] = ()
    timezone: str = "UTC"
    working_hours: JsonObject | None = None
    created: datetime = field(default_factory=utcnow)

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}".strip()


@dataclass
class Group:
    email: str
    name: str
    members: dict[str, str] = field(default_factory=dict)  # member email -> role
    id: str = field(default_factory=lambda: secrets.token_hex(8))


@dataclass
class EventData:
    """One meeting, shared by the organizer's event and the attendees' copies (one iCalUID)."""

    id: str
    ical_uid: str
    organizer: str
    creator: str
    start: JsonObject
    end: JsonObject
    created: datetime
    summary: str | None = None
    description: str | None = None
    location: str | None = None
    attendees: list[JsonObject] = field(default_factory=list)
    status: str = "confirmed"
    sequence: int = 0
    transparency: str | None = None
    visibility: str | None = None
    event_type: str = "default"
    guests_can_modify: bool = False
    guests_can_invite_others: bool = True
    guests_can_see_other_guests: bool = True
    reminders: JsonObject = field(default_factory=lambda: {"useDefault": True})
    conference: JsonObject | None = None
    extra: JsonObject = field(default_factory=dict)  # other writable fields, stored as given


@dataclass
class Entry:
    """An event as it sits on one calendar: the organizer's, or an attendee's copy."""

    calendar: str
    data: EventData
    seq: int
    updated: datetime
    removed: bool = False  # an attendee's copy after they were uninvited
    hidden: bool = False  # an attendee deleted their copy (which declines the invitation)

    @property
    def cancelled(self) -> bool:
        return self.removed or self.hidden or self.data.status == "cancelled"


@dataclass
class Calendar:
    """A user's primary calendar: its events by id, a change sequence for sync tokens."""

    owner: str
    entries: dict[str, Entry] = field(default_factory=dict)
    seq: int = 0
    generation: int = 0
    acl: dict[str, str] = field(default_factory=dict)  # grantee -> role

    def touch(self, entry: Entry, now: datetime) -> None:
        """Record a change so the next incremental sync returns this entry."""
        self.seq += 1
        entry.seq = self.seq
        entry.updated = now


@dataclass
class Message:
    id: str
    thread_id: str
    raw: bytes
    labels: set[str]
    internal_date: int
    history_id: int
    message_id: str | None


@dataclass
class HistoryRecord:
    id: int
    kind: str  # messageAdded | messageDeleted | labelAdded | labelRemoved
    message_id: str
    labels: tuple[str, ...] = ()


@dataclass
class Mailbox:
    address: str
    messages: dict[str, Message] = field(default_factory=dict)
    history: list[HistoryRecord] = field(default_factory=list)
    history_id: int = field(default_factory=lambda: 4000 + secrets.randbelow(1000))
    history_floor: int = 0  # startHistoryId below this answers 404
    sends: list[datetime] = field(default_factory=list)
    user_labels: dict[str, str] = field(default_factory=dict)  # id -> name

    def record(self, kind: str, message_id: str, labels: tuple[str, ...] = ()) -> int:
        self.history_id += 1
        self.history.append(HistoryRecord(self.history_id, kind, message_id, labels))
        return self.history_id


@dataclass
class Notification:
    """An email Google Calendar would send because of ``sendUpdates`` (or a guest's reply)."""

    recipient: str
    organizer: str
    event_id: str
    kind: str  # invitation | update | cancellation | reply


@dataclass
class SentMail:
    sender: str
    recipients: list[str]
    message_id: str
    raw: bytes


@dataclass
class Fault:
    method: str
    kind: str
    remaining: int
    retry_after: float | None
    in_batch: bool | None


class State:
    """Everything the handlers read and change."""

    def __init__(self, authority: TokenAuthority) -> None:
        self.lock = threading.RLock()
        self.clock = Clock()
        self.authority = authority
        self.customer_id = "C0" + secrets.token_hex(4)
        self.users: dict[str, User] = {}
        self.groups: dict[str, Group] = {}
        self.calendars: dict[str, Calendar] = {}
        self.mailboxes: dict[str, Mailbox] = {}
        self.faults: list[Fault] = []
        self.slow: dict[str, float] = {}
        self.requests: Counter[str] = Counter()
        self.token_grants: Counter[str] = Counter()
        self.rejected: list[tuple[str, str]] = []
        self.notifications: list[Notification] = []
        self.sent: list[SentMail] = []
        self.daily_send_limit = 2000
        self.counter = 0  # source of increasing message ids

    @property
    def domains(self) -> set[str]:
        return {email.split("@", 1)[1] for email in self.users}

    def user(self, key: str) -> User | None:
        """Find a user by primary email, alias or numeric id (Directory's ``userKey``)."""
        key = key.lower()
        if key in self.users:
            return self.users[key]
        for user in self.users.values():
            if key == user.id or key in (a.lower() for a in user.aliases):
                return user
        return None

    def active_user(self, email: str) -> User | None:
        user = self.user(email)
        return user if user and not user.deleted and not user.suspended else None

    def take_fault(self, method: str, in_batch: bool) -> Fault | None:
        """Consume one matching injected fault, if any."""
        for fault in self.faults:
            if fault.method == method and fault.in_batch in (None, in_batch):
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self.faults.remove(fault)
                return fault
        return None
