"""The Microsoft provider as a contract-suite provider: the real msal and requests against the
strict local fake of Microsoft Graph and the identity platform (tests/fakes/graph), over TLS
trusted through REQUESTS_CA_BUNDLE, the way an admin would point Tandem at another endpoint.
The peers and Exchange are played through the fake's steering (an attendee declines, delta
links expire, mail arrives)."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from integrations.microsoft.auth import TokenSource
from integrations.microsoft.calendar import GraphCalendar
from integrations.microsoft.directory import GraphDirectory
from integrations.microsoft.graph import Graph
from integrations.microsoft.inbox import GraphInbox
from integrations.microsoft.mail import GraphMailer
from integrations.microsoft.settings import MicrosoftSection
from scheduler.core.model import Interval
from scheduler.ports import (
    Booked,
    Booking,
    Cancellation,
    Cancelled,
    ChangeBatch,
    WorkingHours,
)
from tests.fakes.graph import FakeGraph

CLIENT_ID = "0a1b2c3d-0000-4000-8000-000000000002"
SECRET = "contract~secret"
MAILBOX = "mentoring@contract.example"
PERMISSIONS = {"User.Read.All", "GroupMember.Read.All", "Calendars.ReadWrite", "Mail.Send",
               "Mail.ReadWrite"}  # fmt: skip
PEOPLE = ("ana@contract.example", "bo@contract.example")


@contextmanager
def running_fake(**options: object) -> Iterator[FakeGraph]:
    """The fake, started, with the app registered and TLS trusted through the environment."""
    saved = {name: os.environ.get(name) for name in ("REQUESTS_CA_BUNDLE", "SSL_CERT_FILE")}
    with FakeGraph(domains=("contract.example",), **options) as fake:  # type: ignore[arg-type]
        os.environ["REQUESTS_CA_BUNDLE"] = os.environ["SSL_CERT_FILE"] = fake.ca_bundle
        fake.add_app(CLIENT_ID, secret=SECRET, permissions=PERMISSIONS)
        fake.add_user(MAILBOX, name="Contract")
        try:
            yield fake
            assert fake.rejected == [], f"the fake refused calls: {fake.rejected}"
            assert fake.crashes == []
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value


def graph_for(fake: FakeGraph, *, sleep: object = None) -> Graph:
    """The provider's Graph client, configured only through the program file's keys."""
    section = MicrosoftSection.model_validate(
        {
            "tenant_id": fake.tenant_id,
            "client_id": CLIENT_ID,
            "client_secret_env": "TANDEM_GRAPH_SECRET",
            "authority": fake.base_url,
            "graph_endpoint": fake.base_url,
        }
    )
    tokens = TokenSource(section, {"TANDEM_GRAPH_SECRET": SECRET})
    if sleep is None:
        return Graph(tokens, fake.base_url)
    return Graph(tokens, fake.base_url, sleep=sleep)  # type: ignore[arg-type]


class _Recorded:
    """The Graph calendar, keeping which booking UID each event id stands for (Graph gives
    events iCalUIds of its own), so that `events_on` can name events by the booking's UID."""

    invites_by_mail = False

    def __init__(self, inner: GraphCalendar) -> None:
        self.inner = inner
        self.uids: dict[str, str] = {}

    def busy(self, emails: Sequence[str], window: Interval) -> dict[str, list[Interval]]:
        return self.inner.busy(emails, window)

    def working_hours(self, emails: Sequence[str]) -> dict[str, WorkingHours]:
        return self.inner.working_hours(emails)

    def book(self, bookings: Sequence[Booking]) -> list[Booked]:
        results = self.inner.book(bookings)
        for booking, result in zip(bookings, results, strict=True):
            if result.error is None:
                self.uids[result.event_id] = booking.uid
        return results

    def cancel(self, cancellations: Sequence[Cancellation]) -> list[Cancelled]:
        return self.inner.cancel(cancellations)

    def changes(self, cursor: str | None) -> ChangeBatch:
        return self.inner.changes(cursor)


class MicrosoftCalendarHarness:
    can_expire = True
    can_fail = False  # Graph refuses a whole request, never one booking of the same kind

    def __init__(self, fake: FakeGraph) -> None:
        self.fake = fake
        for email in (*PEOPLE, "mei@contract.example"):  # mei: the third of a trio
            fake.add_user(email)
        self.calendar = self.recorded = _Recorded(GraphCalendar(graph_for(fake), MAILBOX))

    def decline(self, booking: Booking, event_id: str, attendee: str) -> None:
        self.fake.respond(MAILBOX, event_id, attendee, "declined")

    def events_on(self, email: str) -> dict[str, tuple[datetime, datetime]]:
        state = self.fake.state
        with state.lock:
            organizer = state.find_user(MAILBOX)
            person = state.find_user(email)
            assert organizer is not None and person is not None
            by_ical = {
                e.ical_uid: self.recorded.uids.get(e.id) for e in state.mailbox_events(organizer.id)
            }
            shown = {}
            for event in state.mailbox_events(person.id):
                uid = by_ical.get(event.ical_uid)
                if uid is not None and not event.data.get("isCancelled"):
                    shown[uid] = (event.start, event.end)
            return shown

    def expire(self) -> None:
        self.fake.expire_delta()

    def fail(self, booking: Booking) -> None:
        raise NotImplementedError("Graph cannot be made to refuse one booking of a batch alone")


class MicrosoftMailerHarness:
    can_refuse = False  # Exchange takes every well-formed address; refusals come later, by NDR

    def __init__(self, fake: FakeGraph) -> None:
        self.fake = fake
        for email in PEOPLE:
            fake.add_user(email)
        self.mailer = GraphMailer(graph_for(fake), MAILBOX)

    def received(self) -> list[tuple[str, tuple[str, ...]]]:
        sent = sorted(self.fake.messages(MAILBOX, "sentitems"), key=lambda m: m["sentDateTime"])
        found = []
        for message in sent:
            recipients = tuple(
                r["emailAddress"]["address"]
                for name in ("toRecipients", "ccRecipients", "bccRecipients")
                for r in message[name]
            )
            found.append((str(message["internetMessageId"]), recipients))
        return found

    def refuse(self, recipient: str) -> None:
        raise NotImplementedError("Exchange refuses a recipient by a later NDR, not at sending")


class MicrosoftInboxHarness:
    can_expire = True

    def __init__(self, fake: FakeGraph) -> None:
        self.fake = fake
        self.inbox = GraphInbox(graph_for(fake), MAILBOX)

    def deliver(self, raw: bytes) -> None:
        self.fake.deliver(MAILBOX, raw)

    def expire(self) -> None:
        self.fake.expire_delta()


class MicrosoftDirectoryHarness:
    has_deltas = True

    def __init__(self, fake: FakeGraph) -> None:
        self.fake = fake
        self.known: set[str] = set()
        self.directory = GraphDirectory(graph_for(fake), MAILBOX, level_attribute="employeeType")

    def put(self, fields: dict[str, str]) -> None:
        email = fields["email"]
        details = {
            "name": fields.get("name"),
            "title": fields.get("title"),
            "department": fields.get("department"),
            "employee_type": fields.get("level"),
        }
        if email in self.known:
            self.fake.update_user(email, **details)
        else:
            self.fake.add_user(email, **details)  # type: ignore[arg-type]
            self.known.add(email)
        if fields.get("manager_email"):
            self.fake.update_user(email, manager=fields["manager_email"])

    def remove(self, email: str) -> None:
        self.fake.remove_user(email)
        self.known.discard(email)


class MicrosoftHarness:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    @contextmanager
    def calendar(self) -> Iterator[MicrosoftCalendarHarness]:
        with running_fake() as fake:
            yield MicrosoftCalendarHarness(fake)

    @contextmanager
    def mailer(self) -> Iterator[MicrosoftMailerHarness]:
        with running_fake() as fake:
            yield MicrosoftMailerHarness(fake)

    @contextmanager
    def inbox(self) -> Iterator[MicrosoftInboxHarness]:
        with running_fake() as fake:
            yield MicrosoftInboxHarness(fake)

    @contextmanager
    def directory(self) -> Iterator[MicrosoftDirectoryHarness]:
        with running_fake(page_size=2) as fake:
            yield MicrosoftDirectoryHarness(fake)
