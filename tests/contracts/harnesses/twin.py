"""The in-memory twins as a contract-suite provider: the reference every provider matches."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from scheduler.ports import Booking, ProviderError
from tests.contracts.twins import CalendarTwin, DirectoryTwin, InboxTwin, MailerTwin


class TwinCalendar:
    can_expire = True
    can_fail = True

    def __init__(self) -> None:
        self.calendar = self.twin = CalendarTwin()

    def decline(self, booking: Booking, event_id: str, attendee: str) -> None:
        self.twin.respond(event_id, attendee, "declined")

    def events_on(self, email: str) -> dict[str, tuple[datetime, datetime]]:
        return {e.uid: (e.start, e.end) for e in self.twin.on(email)}

    def expire(self) -> None:
        self.twin.expire()

    def fail(self, booking: Booking) -> None:
        self.twin.failing[booking.key] = ProviderError("400 invalid attendee", permanent=True)


class TwinMailer:
    can_refuse = True

    def __init__(self) -> None:
        self.mailer = self.twin = MailerTwin()

    def received(self) -> list[tuple[str, tuple[str, ...]]]:
        return [(m.message_id, m.recipients) for m in self.twin.sent]

    def refuse(self, recipient: str) -> None:
        self.twin.refuse[recipient] = "550 no such user"


class TwinInbox:
    can_expire = True

    def __init__(self) -> None:
        self.inbox = self.twin = InboxTwin()

    def deliver(self, raw: bytes) -> None:
        self.twin.deliver(raw)

    def expire(self) -> None:
        self.twin.expire()


class TwinDirectory:
    has_deltas = True

    def __init__(self) -> None:
        self.directory = self.twin = DirectoryTwin()
        self.twin.deltas = True

    def put(self, fields: dict[str, str]) -> None:
        self.twin.put(fields)

    def remove(self, email: str) -> None:
        self.twin.remove(email)


class TwinHarness:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    @contextmanager
    def calendar(self) -> Iterator[TwinCalendar]:
        yield TwinCalendar()

    @contextmanager
    def mailer(self) -> Iterator[TwinMailer]:
        yield TwinMailer()

    @contextmanager
    def inbox(self) -> Iterator[TwinInbox]:
        yield TwinInbox()

    @contextmanager
    def directory(self) -> Iterator[TwinDirectory]:
        yield TwinDirectory()
