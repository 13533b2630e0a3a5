"""The core with the in-memory twins as its provider (issue 8): one failure is one failure,
time zones come from calendars where the directory has none, an expired calendar cursor loses
and repeats nothing, and a mailbox's daily limit paces a launch."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from scheduler.core.model import Weekday
from scheduler.ports import (
    Booked,
    Booking,
    FactKind,
    PersonRecord,
    ProviderError,
    WorkingHours,
)
from scheduler.steps.send import pace_estimate
from scheduler.store.models import Outbox
from scheduler.store.models import Person as PersonRow
from tests.contracts.twins import CalendarTwin, DirectoryTwin, MailerTwin
from tests.integration.world import World

LAUNCH = datetime(2026, 12, 1, 9, tzinfo=UTC)


@pytest.fixture
def world(tmp_path: Path, store_url: str) -> World:
    world = World(tmp_path / "demo", store_url)
    world.rt.providers.calendar = CalendarTwin()
    return world


def calendar(world: World) -> CalendarTwin:
    found = world.rt.providers.calendar
    assert isinstance(found, CalendarTwin)
    return found


def test_a_booking_refused_for_good_fails_alone_and_is_shown_with_the_reason(
    world: World,
) -> None:
    twin = calendar(world)
    original = twin.book
    asked: list[str] = []

    def refuse_one(bookings: Sequence[Booking]) -> list[Booked]:
        for booking in bookings:
            asked.append(booking.key)
            if booking.key.endswith("-1-0") and not twin.failing:
                refusal = ProviderError("403 attendee not allowed", permanent=True)
                twin.failing[booking.key] = refusal
        return original(bookings)

    twin.book = refuse_one  # type: ignore[method-assign]
    world.cycle(LAUNCH)
    failed = [m for p in world.pairs() for m in world.meetings(p.id) if m.state == "failed"]
    booked = [m for p in world.pairs() for m in world.meetings(p.id) if m.state == "booked"]
    assert len(failed) == 1 and len(booked) == 57
    assert failed[0].calendar_error == "403 attendee not allowed"
    status = world.status()
    assert "failed booking: " in status and "403 attendee not allowed" in status
    assert "the calendar refused a booking (403 attendee not allowed)" in status
    world.cycle(LAUNCH + timedelta(hours=1))
    assert asked.count(failed[0].booking_key) == 1, "the failed one is not tried again"


def test_a_calendar_that_is_down_leaves_the_bookings_for_the_next_cycle(world: World) -> None:
    twin = calendar(world)
    twin.down = True
    with pytest.raises(ProviderError):  # planning reads busy times first: the cycle stops
        world.cycle(LAUNCH)
    twin.down = False
    world.cycle(LAUNCH + timedelta(minutes=15))
    states = {m.state for p in world.pairs() for m in world.meetings(p.id)}
    assert states == {"booked"}
    assert len(twin.events) == 58


def test_an_expired_calendar_cursor_applies_a_decline_once(world: World) -> None:
    twin = calendar(world)
    world.cycle(LAUNCH)
    pair = world.pairs()[0]
    first = world.meetings(pair.id)[0]
    assert first.event_id is not None
    twin.respond(first.event_id, world.peers(pair.id)[0], "declined")
    twin.expire()
    world.cycle(LAUNCH + timedelta(hours=1))
    world.cycle(LAUNCH + timedelta(hours=2))
    attempts = [m for m in world.meetings(pair.id) if m.number == 1]
    assert [m.state for m in attempts] == ["skipped", "booked"], "moved once, not twice"
    assert attempts[1].event_id == first.event_id and attempts[1].sequence == 1
    with world.rt.store.session() as s:
        from scheduler.store.models import CalendarFact

        declines = s.scalars(
            select(CalendarFact).where(CalendarFact.kind == FactKind.DECLINED.value)
        ).all()
    assert len(declines) == 1


def test_time_zones_come_from_calendars_where_the_directory_has_none(world: World) -> None:
    records = world.rt.providers.directory.read(None).records
    stripped = [
        PersonRecord("twin", 0, {**r.fields, "timezone": ""}) if i < 4 else r
        for i, r in enumerate(records)
    ]
    world.rt.providers.directory = DirectoryTwin(stripped)
    known = stripped[0].fields["email"]
    calendar(world).hours[known] = WorkingHours("Asia/Tokyo", frozenset(Weekday), time(9), time(17))
    world.cycle(LAUNCH)
    with world.rt.store.session() as s:
        zones = {
            row.email: (row.timezone, row.attributes.get("timezone_from"))
            for row in s.scalars(select(PersonRow))
        }
    assert zones[known] == ("Asia/Tokyo", "calendar")
    for record in stripped[1:4]:
        assert zones[record.fields["email"]] == ("America/New_York", "program")
    assert "time zones: 1 from people's calendars, 3 the program's" in world.status()


def test_a_daily_sending_limit_paces_a_launch_and_status_says_when_it_ends(world: World) -> None:
    # Given 29 launch kits to send (the twin calendar books without invitations by mail)
    mailer = MailerTwin(daily_limit=10)
    world.rt.providers.mailer = mailer
    world.cycle(LAUNCH)
    assert len(mailer.sent) == 10
    with world.rt.store.session() as s:  # what `tandem status` says with this mailbox
        estimate = pace_estimate(world.rt, s, LAUNCH)
    assert estimate == (
        "sending: 19 email(s) waiting; at 10 a day they have all gone out in about 2 day(s), "
        "by 2026-12-03"
    )
    world.cycle(LAUNCH + timedelta(hours=12))
    assert len(mailer.sent) == 10, "the day's 10 are gone: nothing more until 24 hours passed"
    world.cycle(LAUNCH + timedelta(days=1, minutes=1))
    assert len(mailer.sent) == 20
    with world.rt.store.session() as s:
        assert len(s.scalars(select(Outbox).where(Outbox.state == "sent")).all()) == 20
