"""Free/busy and working hours through getSchedule: 20 people a call, windows under 62 days,
per-person errors, Windows and custom zones, time outside working hours counted busy."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from integrations.microsoft.busy import custom_zone, iana_zone
from integrations.microsoft.calendar import GraphCalendar
from integrations.microsoft.graph import Graph
from scheduler.core.model import Interval, Weekday
from tests.fakes.graph import FakeGraph
from tests.integrations.microsoft.conftest import MAILBOX

MONDAY = datetime(2027, 3, 1, tzinfo=UTC)
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday")


def test_many_people_are_asked_twenty_at_a_time(fake: FakeGraph, graph: Graph) -> None:
    people = [f"p{n}@contoso.com" for n in range(45)]
    for email in people:
        fake.add_user(email)
    fake.add_busy("p7@contoso.com", "2027-03-01T10:00:00", "2027-03-01T11:00:00")
    found = GraphCalendar(graph, MAILBOX).busy(
        [*people, "nobody@contoso.com"], Interval(MONDAY, MONDAY + timedelta(days=1))
    )
    assert fake.requests["getSchedule"] == 3, "46 people: 20 + 20 + 6"
    assert found["nobody@contoso.com"] == [], "an unknown address: nothing, that one only"
    block = Interval(MONDAY + timedelta(hours=10), MONDAY + timedelta(hours=11))
    assert block in found["p7@contoso.com"]


def test_a_long_window_is_asked_in_spans_under_62_days(fake: FakeGraph, graph: Graph) -> None:
    fake.add_user("ana@contoso.com")
    fake.add_busy("ana@contoso.com", "2027-04-20T10:00:00", "2027-04-20T11:00:00")
    found = GraphCalendar(graph, MAILBOX).busy(
        ["ana@contoso.com"], Interval(MONDAY, MONDAY + timedelta(days=100))
    )
    assert fake.requests["getSchedule"] == 2
    assert (
        Interval(datetime(2027, 4, 20, 10, tzinfo=UTC), datetime(2027, 4, 20, 11, tzinfo=UTC))
        in (found["ana@contoso.com"])
    )


def test_time_outside_working_hours_is_busy(fake: FakeGraph, graph: Graph) -> None:
    fake.add_user(
        "bo@contoso.com", working_hours=(WEEKDAYS, "09:00", "17:00", "W. Europe Standard Time")
    )
    saturday = datetime(2027, 3, 6, tzinfo=UTC)
    window = Interval(MONDAY, saturday)
    busy = GraphCalendar(graph, MAILBOX).busy(["bo@contoso.com"], window)["bo@contoso.com"]
    free_monday = Interval(
        datetime(2027, 3, 1, 8, tzinfo=UTC), datetime(2027, 3, 1, 16, tzinfo=UTC)
    )
    assert not any(b.overlaps(free_monday) for b in busy), "09:00-17:00 Berlin is CET (UTC+1)"
    assert any(b.overlaps(Interval(datetime(2027, 3, 1, 16, tzinfo=UTC), saturday)) for b in busy)


def test_working_hours_and_zones_windows_iana_and_custom(fake: FakeGraph, graph: Graph) -> None:
    fake.add_user("w@contoso.com", working_hours=(WEEKDAYS[:4], "08:30", "16:00",
                                                 "Tokyo Standard Time"))  # fmt: skip
    fake.add_user("i@contoso.com", working_hours=(WEEKDAYS, "09:00", "17:00", "America/Chicago"))
    fake.add_user(
        "c@contoso.com",
        working_hours=(WEEKDAYS, "09:00", "17:00", "Eastern Standard Time"),
        custom_timezone=True,
    )
    hours = GraphCalendar(graph, MAILBOX).working_hours(
        ["w@contoso.com", "i@contoso.com", "c@contoso.com", "nobody@contoso.com"]
    )
    assert set(hours) == {"w@contoso.com", "i@contoso.com", "c@contoso.com"}
    assert hours["w@contoso.com"].timezone == "Asia/Tokyo"
    assert hours["w@contoso.com"].days == frozenset({Weekday.MON, Weekday.TUE, Weekday.WED,
                                                     Weekday.THU})  # fmt: skip
    assert hours["w@contoso.com"].start.isoformat() == "08:30:00"
    assert hours["i@contoso.com"].timezone == "America/Chicago"
    assert hours["c@contoso.com"].timezone == "America/New_York", "a custom zone, matched"


def test_zone_names() -> None:
    assert iana_zone("Pacific Standard Time") == "America/Los_Angeles"
    assert iana_zone("Europe/Paris") == "Europe/Paris"
    assert iana_zone("Not A Zone") is None
    no_change = {"time": "00:00:00.0000000", "dayOccurrence": 0, "dayOfWeek": "sunday",
                 "month": 0, "year": 0}  # fmt: skip
    india = {"bias": -330, "standardOffset": no_change,
             "daylightOffset": {**no_change, "daylightBias": 0}}  # fmt: skip
    assert custom_zone(india, 2027) == "Asia/Kolkata"
    assert custom_zone({**india, "bias": -333}, 2027) is None
