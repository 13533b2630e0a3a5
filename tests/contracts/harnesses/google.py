"""The Google provider as a contract-suite provider: the real client libraries talking HTTP to
the strict local fake of Google's APIs (tests/fakes/google/), which plays the peers (a
decline in their calendar) and the servers (forgotten sync tokens and history ids). Each
harness checks, as it closes, that the fake refused no request."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import pytest

from integrations.google.auth import ALL_SCOPES, GoogleAccess
from integrations.google.busy import GoogleBusy
from integrations.google.calendar import GENERATIONS, GoogleCalendar, event_id_for
from integrations.google.directory import GoogleDirectory
from integrations.google.inbox import GmailInbox
from integrations.google.mail import GmailMailer
from integrations.google.retry import RetryPolicy
from scheduler.ports import Booking
from tests.fakes.google import GoogleFake

DOMAIN = "contract.example"
MAILBOX, ADMIN = f"mentoring@{DOMAIN}", f"it-admin@{DOMAIN}"
PEOPLE = (f"ana@{DOMAIN}", f"bo@{DOMAIN}")
NO_WAITING = RetryPolicy(sleep=lambda seconds: None)


@contextmanager
def running_fake(folder: Path) -> Iterator[tuple[GoogleFake, GoogleAccess]]:
    """The fake with the program's mailbox, an administrator and two peers, and the
    provider's access to it; on the way out, no request may have been refused."""
    with GoogleFake() as fake:
        fake.add_user(ADMIN, name="It Admin", is_admin=True)
        fake.add_user(MAILBOX, name="Contract Mentoring")
        for email in PEOPLE:
            fake.add_user(email)
        account = fake.create_service_account(folder / "google-key.json", ALL_SCOPES)
        access = GoogleAccess(account.path, api_endpoint=fake.root, retry=NO_WAITING)
        yield fake, access
        assert fake.rejected == [], "the fake refused requests Google would refuse"


class GoogleCalendarHarness:
    can_expire = True
    can_fail = True

    def __init__(self, fake: GoogleFake, access: GoogleAccess) -> None:
        self.fake = fake
        fake.add_user(f"mei@{DOMAIN}")  # the third of a trio in the calendar contracts
        self.calendar = GoogleCalendar(access, MAILBOX, GoogleBusy(access, MAILBOX))

    def decline(self, booking: Booking, event_id: str, attendee: str) -> None:
        self.fake.respond(MAILBOX, event_id, attendee, "declined")

    def events_on(self, email: str) -> dict[str, tuple[datetime, datetime]]:
        shown: dict[str, tuple[datetime, datetime]] = {}
        for entry in self.fake.state.calendars[email.lower()].entries.values():
            if entry.cancelled:
                continue
            event = self.fake.event(email, entry.data.id)
            shared = (event.get("extendedProperties") or {}).get("shared") or {}
            if shared.get("tandemUid"):
                start = datetime.fromisoformat(event["start"]["dateTime"])
                end = datetime.fromisoformat(event["end"]["dateTime"])
                shown[shared["tandemUid"]] = (start, end)
        return shown

    def expire(self) -> None:
        self.fake.expire_sync_tokens()

    def fail(self, booking: Booking) -> None:
        """Someone else's events hold every id this booking could take: Google answers 409
        to each, and the booking fails for good."""
        for generation in range(GENERATIONS):
            self.fake.add_event(
                MAILBOX,
                booking.start,
                booking.end,
                summary="Not Tandem's",
                event_id=event_id_for(booking.key, generation),
            )


class GoogleMailerHarness:
    can_refuse = False

    def __init__(self, fake: GoogleFake, access: GoogleAccess) -> None:
        self.fake = fake
        self.mailer = GmailMailer(access, MAILBOX)

    def received(self) -> list[tuple[str, tuple[str, ...]]]:
        return [(mail.message_id, tuple(mail.recipients)) for mail in self.fake.sent]

    def refuse(self, recipient: str) -> None:
        pytest.skip(
            "Gmail takes or refuses a message as a whole when it is sent; a recipient that "
            "does not exist comes back later as a bounce in the mailbox"
        )


class GoogleInboxHarness:
    can_expire = True

    def __init__(self, fake: GoogleFake, access: GoogleAccess) -> None:
        self.fake = fake
        self.inbox = GmailInbox(access, MAILBOX)

    def deliver(self, raw: bytes) -> None:
        self.fake.deliver(MAILBOX, raw)

    def expire(self) -> None:
        self.fake.expire_history()


class GoogleDirectoryHarness:
    has_deltas = False

    def __init__(self, fake: GoogleFake, access: GoogleAccess) -> None:
        self.fake = fake
        self.directory = GoogleDirectory(
            access, ADMIN, level_field="Employment.level", timezone_field="Employment.timezone"
        )
        # The suite's directory holds only the people it puts: the administrator the
        # directory is read as is archived (an archived account is left out, and may still
        # act for the service account), the mailbox and the peers are not there yet.
        with fake.state.lock:
            fake.state.users[ADMIN].archived = True
            for email in (MAILBOX, *PEOPLE):
                fake.state.users[email].deleted = True

    def put(self, fields: dict[str, str]) -> None:
        self.fake.add_user(
            fields["email"],
            name=fields.get("name") or None,
            title=fields.get("title") or None,
            department=fields.get("department") or None,
            manager=fields.get("manager_email") or None,
            custom={
                "Employment": {"level": fields.get("level", ""), "timezone": fields["timezone"]}
            },
        )

    def remove(self, email: str) -> None:
        self.fake.delete_user(email)


class GoogleHarness:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    @contextmanager
    def calendar(self) -> Iterator[GoogleCalendarHarness]:
        with running_fake(self.folder) as (fake, access):
            yield GoogleCalendarHarness(fake, access)

    @contextmanager
    def mailer(self) -> Iterator[GoogleMailerHarness]:
        with running_fake(self.folder) as (fake, access):
            yield GoogleMailerHarness(fake, access)

    @contextmanager
    def inbox(self) -> Iterator[GoogleInboxHarness]:
        with running_fake(self.folder) as (fake, access):
            yield GoogleInboxHarness(fake, access)

    @contextmanager
    def directory(self) -> Iterator[GoogleDirectoryHarness]:
        with running_fake(self.folder) as (fake, access):
            yield GoogleDirectoryHarness(fake, access)
