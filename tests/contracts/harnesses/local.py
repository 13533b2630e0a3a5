"""The local provider as a contract-suite provider: the iMIP calendar (its invitations
replayed into each attendee's calendar, as a calendar client would take them), an SMTP relay
on loopback for mail, a Maildir for the inbox, a CSV file for the directory."""

from __future__ import annotations

import csv
import mailbox
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

from icalendar import Calendar, Event, vCalAddress
from tenacity import wait_none

from integrations.local.calendar import LocalCalendar
from integrations.local.directory import CsvDirectory
from integrations.local.mail_in import MaildirInbox
from integrations.local.mail_out import SmtpMailer
from scheduler.core.model import Interval
from scheduler.ports import (
    Booked,
    Booking,
    Cancellation,
    Cancelled,
    ChangeBatch,
    OutgoingMail,
    WorkingHours,
)
from tests.integration.local.relay import Relay, running_relay
from tests.scenarios.calendars import replay

COLUMNS = ["email", "name", "title", "department", "level", "manager_email", "timezone"]


class _Recorded:
    """The local calendar, keeping the invitations it hands out as the outbox would: once
    per key, in order."""

    invites_by_mail = True

    def __init__(self, calendar: LocalCalendar) -> None:
        self.inner = calendar
        self.outbox: dict[str, OutgoingMail] = {}

    def busy(self, emails: Sequence[str], window: Interval) -> dict[str, list[Interval]]:
        return self.inner.busy(emails, window)

    def working_hours(self, emails: Sequence[str]) -> dict[str, WorkingHours]:
        return self.inner.working_hours(emails)

    def book(self, bookings: Sequence[Booking]) -> list[Booked]:
        results = self.inner.book(bookings)
        for result in results:
            for mail in result.mail:
                self.outbox.setdefault(mail.key, mail)
        return results

    def cancel(self, cancellations: Sequence[Cancellation]) -> list[Cancelled]:
        results = self.inner.cancel(cancellations)
        for result in results:
            for mail in result.mail:
                self.outbox.setdefault(mail.key, mail)
        return results

    def changes(self, cursor: str | None) -> ChangeBatch:
        return self.inner.changes(cursor)


class LocalCalendarHarness:
    can_expire = False  # a Maildir's cursor never expires
    can_fail = False  # an invitation is always made; the mail server may refuse it later

    def __init__(self, folder: Path) -> None:
        self.replies = mailbox.Maildir(folder / "inbox", create=True)
        inner = LocalCalendar(replies=MaildirInbox(folder / "inbox"), sender_name="Tandem")
        self.calendar = self.recorded = _Recorded(inner)

    def decline(self, booking: Booking, event_id: str, attendee: str) -> None:
        reply = Calendar()
        reply.add("prodid", "-//Contract//EN")
        reply.add("version", "2.0")
        reply.add("method", "REPLY")
        event = Event()
        event.add("uid", booking.uid)
        event.add("sequence", booking.sequence)
        event.add("dtstamp", booking.stamp or booking.start)
        event.add("dtstart", booking.start)
        who = vCalAddress(f"mailto:{attendee}")
        who.params["PARTSTAT"] = "DECLINED"
        event.add("attendee", who)
        event.add("organizer", vCalAddress(f"mailto:{booking.organizer.email}"))
        reply.add_component(event)
        message = EmailMessage()
        message["From"], message["To"] = attendee, booking.organizer.email
        message["Subject"] = "Declined: conversation"
        message["Message-ID"] = f"<decline-{booking.key}-{booking.sequence}@contract.example>"
        message.set_content("Declined")
        message.add_attachment(
            reply.to_ical(), maintype="text", subtype="calendar", params={"method": "REPLY"}
        )
        self.replies.add(message.as_bytes())

    def events_on(self, email: str) -> dict[str, tuple[datetime, datetime]]:
        messages = [
            message_from_bytes(mail.raw, policy=policy.default)
            for mail in self.recorded.outbox.values()
        ]
        shown = replay([m for m in messages if isinstance(m, EmailMessage)])
        return {uid: (e.start, e.end) for uid, e in shown.get(email, {}).items()}

    def expire(self) -> None:
        raise NotImplementedError("a Maildir's cursor never expires")

    def fail(self, booking: Booking) -> None:
        raise NotImplementedError("the local calendar makes every invitation")


class LocalMailerHarness:
    can_refuse = True

    def __init__(self, relay: Relay, folder: Path) -> None:
        self.relay = relay
        self.mailer = SmtpMailer(
            relay.host, relay.port, sent_log=folder / "sent.log", timeout=5, wait=wait_none()
        )

    def received(self) -> list[tuple[str, tuple[str, ...]]]:
        found = []
        for item in self.relay.received:
            message = message_from_bytes(item.content, policy=policy.default)
            found.append((str(message["Message-ID"]), tuple(item.recipients)))
        return found

    def refuse(self, recipient: str) -> None:
        self.relay.rcpt_replies[recipient] = "550 5.1.1 No such user"


class LocalInboxHarness:
    can_expire = False

    def __init__(self, folder: Path) -> None:
        self.box = mailbox.Maildir(folder / "in", create=True)
        self.inbox = MaildirInbox(folder / "in")

    def deliver(self, raw: bytes) -> None:
        self.box.add(raw)

    def expire(self) -> None:
        raise NotImplementedError("a Maildir's cursor never expires")


class LocalDirectoryHarness:
    has_deltas = False

    def __init__(self, folder: Path) -> None:
        self.file = folder / "org.csv"
        self.people: dict[str, dict[str, str]] = {}
        self._write()
        self.directory = CsvDirectory(self.file)

    def put(self, fields: dict[str, str]) -> None:
        self.people[fields["email"]] = fields
        self._write()

    def remove(self, email: str) -> None:
        self.people.pop(email, None)
        self._write()

    def _write(self) -> None:
        with self.file.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, COLUMNS, extrasaction="ignore")
            writer.writeheader()
            writer.writerows(self.people.values())


class LocalHarness:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    @contextmanager
    def calendar(self) -> Iterator[LocalCalendarHarness]:
        yield LocalCalendarHarness(self.folder)

    @contextmanager
    def mailer(self) -> Iterator[LocalMailerHarness]:
        with running_relay(tls_context=None) as relay:
            yield LocalMailerHarness(relay, self.folder)

    @contextmanager
    def inbox(self) -> Iterator[LocalInboxHarness]:
        yield LocalInboxHarness(self.folder)

    @contextmanager
    def directory(self) -> Iterator[LocalDirectoryHarness]:
        yield LocalDirectoryHarness(self.folder)
