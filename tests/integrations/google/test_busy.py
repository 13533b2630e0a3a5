"""Free/busy: 50 calendars a query in one batch, long windows split, a calendar that cannot
be read is one person's problem, and working hours from each person's calendar."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from integrations.google.auth import GoogleAccess
from integrations.google.busy import GoogleBusy
from scheduler.core.model import Interval, Weekday
from scheduler.ports import ProviderError
from tests.fakes.google import GoogleFake
from tests.integrations.google.conftest import MAILBOX, Waits

MONDAY = datetime(2030, 1, 7, tzinfo=UTC)
WEEK = Interval(MONDAY, MONDAY + timedelta(days=7))


def test_a_hundred_and_twenty_people_take_three_queries_in_one_batch(
    fake: GoogleFake, access: GoogleAccess
) -> None:
    people = [f"p{n:03d}@example.com" for n in range(120)]
    for email in people:
        fake.add_user(email)
    fake.add_busy(people[77], MONDAY + timedelta(hours=9), MONDAY + timedelta(hours=10))
    fake.add_out_of_office(people[3], MONDAY + timedelta(days=1), MONDAY + timedelta(days=2))
    found = GoogleBusy(access, MAILBOX).busy(people, WEEK)
    assert set(found) == set(people)
    assert found[people[77]] == [
        Interval(MONDAY + timedelta(hours=9), MONDAY + timedelta(hours=10))
    ]
    assert found[people[3]] == [Interval(MONDAY + timedelta(days=1), MONDAY + timedelta(days=2))]
    assert fake.requests["calendar.freebusy.query"] == 3
    assert fake.requests["batch"] == 1


def test_a_window_longer_than_ninety_days_is_split(fake: GoogleFake, access: GoogleAccess) -> None:
    fake.add_user("ana@example.com")
    late = MONDAY + timedelta(days=150)
    fake.add_busy("ana@example.com", late, late + timedelta(hours=1))
    window = Interval(MONDAY, MONDAY + timedelta(days=200))
    found = GoogleBusy(access, MAILBOX).busy(["ana@example.com"], window)
    assert found["ana@example.com"] == [Interval(late, late + timedelta(hours=1))]
    assert fake.requests["calendar.freebusy.query"] == 3


def test_a_calendar_that_cannot_be_read_is_free_for_that_person_only(
    fake: GoogleFake, access: GoogleAccess
) -> None:
    fake.add_user("ana@example.com")
    fake.add_busy("ana@example.com", MONDAY, MONDAY + timedelta(hours=1))
    found = GoogleBusy(access, MAILBOX).busy(
        ["ana@example.com", "stranger@elsewhere.example"], WEEK
    )
    assert found == {
        "ana@example.com": [Interval(MONDAY, MONDAY + timedelta(hours=1))],
        "stranger@elsewhere.example": [],
    }


def test_a_rate_limited_query_is_retried_alone_after_retry_after(
    fake: GoogleFake, access: GoogleAccess, waits: Waits
) -> None:
    fake.add_user("ana@example.com")
    fake.fault("calendar.freebusy.query", 429, retry_after=7, in_batch=True)
    found = GoogleBusy(access, MAILBOX).busy(["ana@example.com"], WEEK)
    assert found == {"ana@example.com": []}
    assert fake.requests["calendar.freebusy.query"] == 2
    assert waits.seconds and waits.seconds[0] >= 7


def test_a_query_refused_for_good_fails_with_googles_message(
    fake: GoogleFake, access: GoogleAccess
) -> None:
    fake.fault("calendar.freebusy.query", "403-quotaExceeded", in_batch=True)
    with pytest.raises(ProviderError) as refused:
        GoogleBusy(access, MAILBOX).busy(["ana@example.com"], WEEK)
    assert refused.value.permanent and "quotaExceeded" in str(refused.value)
    assert fake.requests["calendar.freebusy.query"] == 1, "not retried"


def test_time_outside_a_persons_working_hours_is_busy(
    fake: GoogleFake, access: GoogleAccess
) -> None:
    fake.add_user("ana@example.com", timezone="Europe/Berlin", working_hours=("09:00", "17:00"))
    fake.add_user("bo@example.com", timezone="America/New_York")
    busy = GoogleBusy(access, MAILBOX)
    found = busy.busy(["ana@example.com", "bo@example.com"], WEEK)
    assert found["bo@example.com"] == [], "no working hours given: the program's hours hold"
    free = [
        Interval(a.end, b.start)
        for a, b in zip(found["ana@example.com"], found["ana@example.com"][1:], strict=False)
    ]
    # Monday to Friday 09:00-17:00 in Berlin (UTC+1 in January), nothing on the weekend
    assert free == [
        Interval(MONDAY + timedelta(days=d, hours=8), MONDAY + timedelta(days=d, hours=16))
        for d in range(5)
    ]
    hours = busy.working_hours(["ana@example.com", "bo@example.com", "x@elsewhere.example"])
    assert hours["ana@example.com"].timezone == "Europe/Berlin"
    assert hours["ana@example.com"].days == frozenset(Weekday(n) for n in range(5))
    assert (hours["ana@example.com"].start, hours["ana@example.com"].end) == (time(9), time(17))
    assert hours["bo@example.com"].timezone == "America/New_York"
    assert "x@elsewhere.example" not in hours
    assert fake.requests["calendar.calendars.get"] == 2, "each person's calendar read once"
