"""The fake tenant's state: apps, directory, mailboxes, and the change journal behind delta.

Every mutation bumps one global sequence number and stamps the changed object with it, so a delta
token is simply "the sequence number when this round started" plus what the round selects; a
deleted object leaves a tombstone carrying the sequence of its removal. Tokens are kept on the
server and handed out as random strings, so clients cannot forge or inspect them (Graph's tokens
are opaque too: concepts/delta-query-overview.md, "State tokens"). `expire_delta()` bumps an
epoch that makes every earlier token unknown, which is how an expired token behaves.

One re-entrant lock guards everything; handlers run under it, the concurrency gate and injected
delays run outside it so that slow requests really overlap.
"""

from __future__ import annotations

import base64
import datetime
import secrets
import threading
import uuid
from dataclasses import dataclass, field
from typing import Any

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday")


class Clock:
    """Wall time plus a movable offset: token lifetimes and sending limits follow it."""

    def __init__(self) -> None:
        self.offset = datetime.timedelta()

    def now(self) -> datetime.datetime:
        return datetime.datetime.now(datetime.UTC) + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += datetime.timedelta(seconds=seconds)


@dataclass
class App:
    """An app registration with its credentials, granted application permissions and scope."""

    client_id: str
    secret: str | None = None
    certificates: dict[str, str] = field(default_factory=dict)  # base64url thumbprint -> PEM
    permissions: frozenset[str] = frozenset()
    mailbox_scope: frozenset[str] | None = None  # lower-cased user ids allowed, None = all
    object_id: str = field(default_factory=lambda: str(uuid.uuid4()))


@dataclass
class WorkingHours:
    days: tuple[str, ...] = WEEKDAYS
    start: str = "08:00"
    end: str = "17:00"
    zone: str = "Pacific Standard Time"


@dataclass
class User:
    id: str
    display_name: str
    mail: str | None
    upn: str
    given_name: str | None = None
    surname: str | None = None
    job_title: str | None = None
    department: str | None = None
    employee_type: str | None = None
    account_enabled: bool = True
    user_type: str = "Member"
    extension: dict[str, str | None] = field(default_factory=dict)
    manager_id: str | None = None
    timezone: str = "Pacific Standard Time"
    custom_timezone: bool = False
    working_hours: WorkingHours = field(default_factory=WorkingHours)
    has_mailbox: bool = True
    share_details: bool = False
    office_location: str | None = None
    mobile_phone: str | None = None
    changed_seq: int = 0
    changed_props: dict[str, int] = field(default_factory=dict)


@dataclass
class Group:
    id: str
    display_name: str
    mail: str | None
    members: list[str] = field(default_factory=list)  # user or group ids


@dataclass
class Event:
    """A calendar item in one mailbox: an organizer's meeting, an attendee's copy, or a block."""

    id: str
    ical_uid: str
    mailbox: str  # user id
    data: dict[str, Any]  # the Graph representation, kept canonical (UTC start/end)
    start: datetime.datetime
    end: datetime.datetime
    created: datetime.datetime
    is_organizer: bool = True
    transaction_id: str | None = None
    transaction_body: dict[str, Any] | None = None
    changed_seq: int = 0


@dataclass
class Message:
    id: str
    mailbox: str  # user id
    folder: str  # well-known name: inbox, drafts, sentitems, deleteditems
    data: dict[str, Any]
    mime: bytes | None = None
    changed_seq: int = 0


@dataclass
class Tombstone:
    id: str
    seq: int
    reason: str = "deleted"
    folder: str | None = None
    start: datetime.datetime | None = None


@dataclass
class Notification:
    """A meeting message the organizer's change makes Exchange send (request, update, cancel)."""

    kind: str
    organizer: str
    recipient: str
    ical_uid: str
    subject: str
    at: datetime.datetime


@dataclass
class Cursor:
    """What a $skiptoken / $deltatoken stands for."""

    kind: str
    scope: str
    seq: int
    epoch: int
    options: dict[str, Any] = field(default_factory=dict)
    pending: list[Any] = field(default_factory=list)


class State:
    """Everything the fake knows, behind one lock."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.clock = Clock()
        self.seq = 0
        self.epoch = 0
        self.apps: dict[str, App] = {}
        self.users: dict[str, User] = {}
        self.user_tombstones: list[Tombstone] = []
        self.groups: dict[str, Group] = {}
        self.events: dict[str, Event] = {}
        self.event_tombstones: dict[str, list[Tombstone]] = {}
        self.messages: dict[str, Message] = {}
        self.message_tombstones: dict[str, list[Tombstone]] = {}
        self.cursors: dict[str, Cursor] = {}
        self.folders: dict[str, dict[str, str]] = {}
        self.notifications: list[Notification] = []
        self.sends: dict[str, list[tuple[datetime.datetime, int]]] = {}
        self.issued_tokens: set[str] = set()
        self.revoked_tokens: set[str] = set()

    def bump(self) -> int:
        self.seq += 1
        return self.seq

    def cursor(self, cursor: Cursor) -> str:
        token = secrets.token_urlsafe(24)
        self.cursors[token] = cursor
        return token

    def find_user(self, key: str) -> User | None:
        """By id, userPrincipalName or mail, case-insensitively, as Graph resolves `/users/{x}`."""
        wanted = key.lower()
        for user in self.users.values():
            if wanted in (user.id.lower(), user.upn.lower(), (user.mail or "").lower()):
                return user
        return None

    def find_group(self, key: str) -> Group | None:
        wanted = key.lower()
        for group in self.groups.values():
            if wanted in (group.id.lower(), (group.mail or "").lower()):
                return group
        return None

    def mailbox_events(self, user_id: str) -> list[Event]:
        return [event for event in self.events.values() if event.mailbox == user_id]

    def mailbox_messages(self, user_id: str, folder: str | None = None) -> list[Message]:
        return [
            message
            for message in self.messages.values()
            if message.mailbox == user_id and (folder is None or message.folder == folder)
        ]


def outlook_id(prefix: str = "AAMkAG") -> str:
    """An Exchange item id: long, base64-like, URL-safe alphabet, padded like Graph's."""
    raw = base64.urlsafe_b64encode(secrets.token_bytes(102)).decode().rstrip("=")
    return f"{prefix}{raw}AAA="


def change_key() -> str:
    return base64.b64encode(secrets.token_bytes(15)).decode()


def ical_uid() -> str:
    return "040000008200E00074C5B7101A82E00800000000" + secrets.token_hex(28).upper()


def utc_text(moment: datetime.datetime) -> str:
    """Graph's UTC timestamps: seven fractional digits on created/modified, then Z."""
    return moment.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f") + "0Z"
