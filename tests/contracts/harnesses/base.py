"""What a contract suite needs from a provider: its ports, and the hands of the people and
servers around it (a peer who declines, a server that forgets a cursor), so that one suite of
tests runs against every provider. Each provider's harness is one module of this folder and
one line of HARNESSES in tests/contracts/conftest.py."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Protocol

from scheduler.ports import Booking, Calendar, Directory, Inbox, Mailer


class CalendarHarness(Protocol):
    calendar: Calendar
    can_expire: bool  # the provider's cursors can be declared expired (then it must say so)
    can_fail: bool  # one booking can be made to fail on its own

    def decline(self, booking: Booking, event_id: str, attendee: str) -> None:
        """`attendee` declines the event in their own calendar client."""

    def events_on(self, email: str) -> dict[str, tuple[datetime, datetime]]:
        """The events `email`'s calendar shows now, by iCalendar UID: start and end."""

    def expire(self) -> None:
        """The server forgets every cursor it gave."""

    def fail(self, booking: Booking) -> None:
        """The next booking of this key is refused for good."""


class MailerHarness(Protocol):
    mailer: Mailer
    can_refuse: bool  # a recipient can be refused by the server

    def received(self) -> list[tuple[str, tuple[str, ...]]]:
        """(Message-ID, recipients) of each message the server took, in order."""

    def refuse(self, recipient: str) -> None:
        """The server refuses `recipient` for good (5xx)."""


class InboxHarness(Protocol):
    inbox: Inbox
    can_expire: bool

    def deliver(self, raw: bytes) -> None: ...

    def expire(self) -> None: ...


class DirectoryHarness(Protocol):
    directory: Directory
    has_deltas: bool

    def put(self, fields: dict[str, str]) -> None:
        """Add or change a person (fields as the people file names them)."""

    def remove(self, email: str) -> None: ...


class Harness(Protocol):
    """One provider, started for one test."""

    def calendar(self) -> AbstractContextManager[CalendarHarness]: ...

    def mailer(self) -> AbstractContextManager[MailerHarness]: ...

    def inbox(self) -> AbstractContextManager[InboxHarness]: ...

    def directory(self) -> AbstractContextManager[DirectoryHarness]: ...


def nothing() -> Iterator[None]:
    yield None
