"""LocalCalendar: booking travels by mail, so the port records nothing and changes nothing."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

from integrations.local.busy import IcsFolderBusy
from integrations.local.calendar import LocalCalendar
from scheduler.core.model import Interval
from scheduler.ports import Attendee, Booked, Booking, Cancellation

CALENDARS = Path(__file__).parents[2] / "fixtures" / "calendars"
WINDOW = Interval(datetime(2024, 3, 5, tzinfo=UTC), datetime(2024, 3, 6, tzinfo=UTC))


def booking(key: str) -> Booking:
    program = Attendee("program@example.org", "Tandem")
    return Booking(
        key=key,
        uid=f"{key}@tandem.example.org",
        sequence=0,
        summary="Ana and Bo",
        description="",
        start=datetime(2024, 3, 5, 9, tzinfo=UTC),
        end=datetime(2024, 3, 5, 9, 30, tzinfo=UTC),
        timezone="Europe/Berlin",
        organizer=program,
        attendees=(Attendee("ana@example.org", "Ana"), Attendee("bo@example.org", "Bo")),
    )


def test_it_books_by_mail_so_the_event_id_is_the_uid_and_a_rebooking_is_the_same() -> None:
    calendar = LocalCalendar()
    bookings = [booking("p1-m1-a0"), booking("p2-m1-a0")]

    first, again = calendar.book(bookings), calendar.book(bookings)

    assert calendar.invites_by_mail
    assert (
        first
        == again
        == [
            Booked("p1-m1-a0", "p1-m1-a0@tandem.example.org"),
            Booked("p2-m1-a0", "p2-m1-a0@tandem.example.org"),
        ]
    )


def test_cancelling_is_harmless_and_changes_come_by_mail() -> None:
    calendar = LocalCalendar()

    calendar.cancel([Cancellation(booking("p1-m1-a0"), "pair ended")] * 2)

    assert calendar.changes(None).facts == [] and calendar.changes("c7").cursor == "c7"


def test_without_a_busy_folder_everyone_is_free() -> None:
    assert LocalCalendar().busy(["ana@example.org", "bo@example.org"], WINDOW) == {
        "ana@example.org": [],
        "bo@example.org": [],
    }


def test_busy_times_come_from_the_folder(tmp_path: Path) -> None:
    shutil.copy(CALENDARS / "floating.ics", tmp_path / "ana@example.org.ics")
    calendar = LocalCalendar(IcsFolderBusy(tmp_path))

    found = calendar.busy(["ana@example.org", "bo@example.org"], WINDOW)

    assert found == {
        "ana@example.org": [
            Interval(datetime(2024, 3, 5, 9, tzinfo=UTC), datetime(2024, 3, 5, 10, tzinfo=UTC))
        ],
        "bo@example.org": [],
    }
