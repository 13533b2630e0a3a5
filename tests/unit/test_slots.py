from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from scheduler.core.model import Hours, Interval, Weekday
from scheduler.core.slots import Availability, NoSlot, Slot, best_slot

MON_THU = frozenset({Weekday.MON, Weekday.TUE, Weekday.WED, Weekday.THU})
EVERY_DAY = frozenset(Weekday)
TEN_TO_FOUR = Hours(time(10), time(16))
HALF_HOUR = timedelta(minutes=30)

# Clock changes of 2027, named for their edges.
NEW_YORK_SPRING_FORWARD = date(2027, 3, 14)
BERLIN_SPRING_FORWARD = date(2027, 3, 28)
EUROPE_FALL_BACK = date(2027, 10, 31)  # London and Berlin together
NEW_YORK_FALL_BACK = date(2027, 11, 7)


def local(zone: str, day: date, clock: time) -> datetime:
    return datetime.combine(day, clock, ZoneInfo(zone))


def peer(email: str, zone: str, *busy: tuple[datetime, datetime]) -> Availability:
    return Availability(email, zone, [Interval(start, end) for start, end in busy])


def find(
    target: date,
    peers: Sequence[Availability],
    *,
    hours: Hours = TEN_TO_FOUR,
    days: Collection[Weekday] = MON_THU,
    previous: datetime | None = None,
    burden: dict[str, int] | None = None,
    window_days: int = 7,
) -> Slot | NoSlot:
    return best_slot(
        target,
        peers,
        length=HALF_HOUR,
        days=days,
        hours=hours,
        not_before=datetime(2027, 1, 1, tzinfo=UTC),
        previous=previous,
        burden=burden,
        window_days=window_days,
    )


def strict_slot(result: Slot | NoSlot) -> Slot:
    assert isinstance(result, Slot), result
    assert set(result.odd_minutes.values()) == {0}
    return result


def local_span(slot: Slot, zone: str) -> tuple[datetime, datetime]:
    return slot.start.astimezone(ZoneInfo(zone)), slot.end.astimezone(ZoneInfo(zone))


def test_new_york_and_london_get_a_strict_slot_inside_both_peoples_hours() -> None:
    slot = strict_slot(
        find(date(2027, 3, 8), [peer("a@x", "America/New_York"), peer("b@y", "Europe/London")])
    )
    new_york, london = local_span(slot, "America/New_York"), local_span(slot, "Europe/London")
    assert new_york[0].date() == date(2027, 3, 8)
    assert time(10) <= new_york[0].time() and new_york[1].time() <= time(16)
    assert time(10) <= london[0].time() and london[1].time() <= time(16)
    assert slot.end - slot.start == HALF_HOUR
    assert slot.start.utcoffset() == timedelta(0)


def test_the_slot_keeps_away_from_the_edges_of_the_shared_hours() -> None:
    # New York 10-16 EST is 15:00-21:00 UTC and London 10-16 GMT is 10:00-16:00 UTC.
    slot = strict_slot(
        find(date(2027, 3, 8), [peer("a@x", "America/New_York"), peer("b@y", "Europe/London")])
    )
    assert slot.start == datetime(2027, 3, 8, 15, 15, tzinfo=UTC)


def test_busy_time_is_avoided() -> None:
    day = date(2027, 3, 8)
    busy = (local("Europe/Berlin", day, time(10)), local("Europe/Berlin", day, time(15)))
    slot = strict_slot(
        find(day, [peer("a@x", "Europe/Berlin"), peer("b@y", "Europe/Berlin", busy)])
    )
    assert local_span(slot, "Europe/Berlin") == (
        local("Europe/Berlin", day, time(15)),
        local("Europe/Berlin", day, time(15, 30)),
    )


def test_a_busy_target_day_moves_the_slot_to_the_next_day_rather_than_the_day_before() -> None:
    day = date(2027, 3, 9)
    busy = (local("Europe/Berlin", day, time(0)), local("Europe/Berlin", day, time(23)))
    slot = strict_slot(
        find(day, [peer("a@x", "Europe/Berlin", busy), peer("b@y", "Europe/Berlin")])
    )
    assert local_span(slot, "Europe/Berlin")[0].date() == date(2027, 3, 10)


def test_nothing_is_offered_before_not_before() -> None:
    day = date(2027, 3, 8)
    not_before = local("Europe/Berlin", day, time(14, 50))
    result = best_slot(
        day,
        [peer("a@x", "Europe/Berlin"), peer("b@y", "Europe/Berlin")],
        length=HALF_HOUR,
        days=MON_THU,
        hours=TEN_TO_FOUR,
        not_before=not_before,
    )
    slot = strict_slot(result)
    assert slot.start == local("Europe/Berlin", day, time(15)).astimezone(UTC)


def test_the_rhythm_of_the_previous_meeting_is_kept_when_it_is_free() -> None:
    previous = local("Europe/Berlin", date(2027, 3, 1), time(11))  # a Monday
    peers = [peer("a@x", "Europe/Berlin"), peer("b@y", "Europe/Berlin")]
    slot = strict_slot(find(date(2027, 3, 10), peers, previous=previous))
    assert local_span(slot, "Europe/Berlin")[0] == local(
        "Europe/Berlin", date(2027, 3, 8), time(11)
    )


def test_the_rhythm_is_abandoned_for_the_target_day_when_it_is_busy() -> None:
    previous = local("Europe/Berlin", date(2027, 3, 1), time(11))
    rhythm = local("Europe/Berlin", date(2027, 3, 8), time(11))
    peers = [
        peer("a@x", "Europe/Berlin"),
        peer("b@y", "Europe/Berlin", (rhythm, rhythm + HALF_HOUR)),
    ]
    slot = strict_slot(find(date(2027, 3, 10), peers, previous=previous))
    assert local_span(slot, "Europe/Berlin")[0].date() == date(2027, 3, 10)


def test_the_rhythm_keeps_the_local_time_across_a_clock_change() -> None:
    before = local("America/New_York", NEW_YORK_SPRING_FORWARD - timedelta(days=6), time(10, 30))
    peers = [peer("a@x", "America/New_York"), peer("b@y", "Europe/London")]
    slot = strict_slot(find(NEW_YORK_SPRING_FORWARD + timedelta(days=1), peers, previous=before))
    assert local_span(slot, "America/New_York")[0] == local(
        "America/New_York", NEW_YORK_SPRING_FORWARD + timedelta(days=1), time(10, 30)
    )
    assert slot.start.time() == time(14, 30)  # was 15:30 UTC the week before


def test_hours_are_local_hours_on_the_day_new_york_springs_forward() -> None:
    # On that Sunday New York is already on EDT (10-16 = 14:00-20:00 UTC) while Berlin is still
    # on CET (10-16 = 09:00-15:00 UTC): the only common hour is 14:00-15:00 UTC.
    peers = [peer("a@x", "America/New_York"), peer("b@y", "Europe/Berlin")]
    slot = strict_slot(find(NEW_YORK_SPRING_FORWARD, peers, days=EVERY_DAY, window_days=0))
    assert slot.start == datetime(2027, 3, 14, 14, 15, tzinfo=UTC)
    assert local_span(slot, "America/New_York")[0].time() == time(10, 15)
    assert local_span(slot, "Europe/Berlin")[0].time() == time(15, 15)


def test_hours_are_local_hours_on_the_day_berlin_springs_forward() -> None:
    peers = [peer("a@x", "Europe/Berlin"), peer("b@y", "Europe/Berlin")]
    slot = strict_slot(
        find(
            BERLIN_SPRING_FORWARD,
            peers,
            days=EVERY_DAY,
            window_days=0,
            hours=Hours(time(1), time(4)),
        )
    )
    # 02:00-03:00 does not exist that night, so 01:00-04:00 is only two hours long.
    start, end = local_span(slot, "Europe/Berlin")
    assert start.time() >= time(1) and end.time() <= time(4)
    assert start == local("Europe/Berlin", BERLIN_SPRING_FORWARD, time(1, 45))


def test_a_window_ending_in_the_repeated_hour_closes_at_its_first_end() -> None:
    # 01:00-02:00 happens twice in New York that night; 00:00-01:30 must not run into the first
    # 01:30-02:00, so with 00:00-01:00 busy the only slot left is 01:00-01:30 EDT.
    day = NEW_YORK_FALL_BACK
    busy = (local("America/New_York", day, time(0)), local("America/New_York", day, time(1)))
    peers = [peer("a@x", "America/New_York", busy)]
    slot = strict_slot(
        find(day, peers, days=EVERY_DAY, window_days=0, hours=Hours(time(0), time(1, 30)))
    )
    assert slot.start == datetime(2027, 11, 7, 5, 0, tzinfo=UTC)
    minute = slot.start
    while minute < slot.end:
        assert minute.astimezone(ZoneInfo("America/New_York")).time() < time(1, 30)
        minute += timedelta(minutes=5)


def test_the_time_of_day_stays_inside_hours_on_and_around_the_autumn_clock_changes() -> None:
    peers = [peer("a@x", "America/New_York"), peer("b@y", "Europe/London")]
    one_day = timedelta(days=1)
    for target in (
        EUROPE_FALL_BACK - one_day,
        EUROPE_FALL_BACK,
        EUROPE_FALL_BACK + one_day,
        NEW_YORK_FALL_BACK,
        NEW_YORK_FALL_BACK + one_day,
    ):
        slot = strict_slot(find(target, peers, days=EVERY_DAY, window_days=0))
        for zone in ("America/New_York", "Europe/London"):
            start, end = local_span(slot, zone)
            assert start.date() == target, (target, zone)
            assert time(10) <= start.time() and end.time() <= time(16), (target, zone)


def test_new_york_and_singapore_get_a_stretched_slot_with_odd_minutes_per_peer() -> None:
    peers = [peer("a@x", "America/New_York"), peer("b@y", "Asia/Singapore")]
    result = find(date(2027, 1, 11), peers, hours=Hours(time(8), time(18)))
    assert isinstance(result, Slot)
    assert sorted(result.odd_minutes.values()) == [0, 30]
    for zone in ("America/New_York", "Asia/Singapore"):
        start, end = local_span(result, zone)  # at most two hours outside 08:00-18:00
        assert time(6) <= start.time() and end.time() <= time(20), zone
        assert start.weekday() in MON_THU, zone


def test_a_time_zone_gap_wider_than_two_stretches_gives_no_slot() -> None:
    # 10-16 in New York and Singapore are five hours apart at best, more than 2 x 2 hours.
    peers = [peer("a@x", "America/New_York"), peer("b@y", "Asia/Singapore")]
    assert isinstance(find(date(2027, 1, 11), peers), NoSlot)


def test_the_burden_ledger_makes_the_odd_minutes_take_turns() -> None:
    peers = [peer("a@x", "America/New_York"), peer("b@y", "Asia/Singapore")]
    ledger = {"a@x": 0, "b@y": 0}
    bearers = []
    for meeting in range(6):
        target = date(2027, 1, 11) + timedelta(weeks=meeting)
        result = find(target, peers, hours=Hours(time(8), time(18)), burden=ledger)
        assert isinstance(result, Slot)
        assert min(result.odd_minutes.values()) == 0
        bearers.append(max(result.odd_minutes, key=lambda email: result.odd_minutes[email]))
        for email, minutes in result.odd_minutes.items():
            ledger[email] += minutes
    assert all(a != b for a, b in pairwise(bearers)), bearers
    assert ledger["a@x"] == ledger["b@y"]


def test_without_a_ledger_the_odd_minutes_land_on_the_same_peer_every_time() -> None:
    peers = [peer("a@x", "America/New_York"), peer("b@y", "Asia/Singapore")]
    bearers = set()
    for meeting in range(4):
        target = date(2027, 1, 11) + timedelta(weeks=meeting)
        result = find(target, peers, hours=Hours(time(8), time(18)))
        assert isinstance(result, Slot)
        bearers.add(max(result.odd_minutes, key=lambda email: result.odd_minutes[email]))
    assert len(bearers) == 1


def test_a_fully_busy_week_gives_no_slot_and_a_reason_naming_the_date_and_the_people() -> None:
    week = (datetime(2027, 2, 20, tzinfo=UTC), datetime(2027, 3, 20, tzinfo=UTC))
    result = find(
        date(2027, 3, 8), [peer("alice@x", "Europe/London", week), peer("bob@y", "Europe/Paris")]
    )
    assert isinstance(result, NoSlot)
    assert result.reason.startswith("no common free 30-minute slot within 7 days of 2027-03-08")
    assert "alice@x and bob@y" in result.reason
    assert "10:00-16:00 Mon-Thu" in result.reason


def test_a_trio_gets_a_slot_inside_all_three_peoples_hours() -> None:
    zones = ["America/New_York", "Europe/London", "America/Sao_Paulo"]
    peers = [peer(f"p{i}@x", zone) for i, zone in enumerate(zones)]
    slot = strict_slot(find(date(2027, 3, 8), peers))
    assert len(slot.odd_minutes) == 3
    for zone in zones:
        start, end = local_span(slot, zone)
        assert time(10) <= start.time() and end.time() <= time(16), zone


ZONES = [
    "UTC",
    "America/New_York",
    "America/Los_Angeles",
    "America/Sao_Paulo",
    "Europe/London",
    "Europe/Berlin",
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "Asia/Singapore",
    "Australia/Sydney",
    "Pacific/Auckland",
]


@st.composite
def scenarios(
    draw: st.DrawFn,
) -> tuple[date, list[Availability], Hours, frozenset[Weekday], timedelta]:
    target = draw(st.dates(min_value=date(2027, 1, 15), max_value=date(2027, 12, 15)))
    start_hour = draw(st.integers(6, 12))
    hours = Hours(time(start_hour), time(start_hour + draw(st.integers(2, 9))))
    days = frozenset(draw(st.sets(st.sampled_from(list(Weekday)), min_size=1)))
    length = timedelta(minutes=draw(st.sampled_from([15, 30, 45, 60, 90])))
    base = datetime.combine(target, time(0), UTC)
    peers = []
    for index in range(draw(st.integers(2, 3))):
        offsets = draw(st.lists(st.integers(-8 * 24 * 4, 8 * 24 * 4), max_size=12))
        busy = [
            (
                base + timedelta(minutes=15 * o),
                base + timedelta(minutes=15 * o + draw(st.integers(1, 600))),
            )
            for o in offsets
        ]
        peers.append(peer(f"p{index}@x", draw(st.sampled_from(ZONES)), *busy))
    return target, peers, hours, days, length


def is_strict(
    start: datetime,
    end: datetime,
    peers: Sequence[Availability],
    hours: Hours,
    days: Collection[Weekday],
) -> bool:
    for person in peers:
        zone = ZoneInfo(person.timezone)
        a, b = start.astimezone(zone), end.astimezone(zone)
        if a.date() != b.date() or a.weekday() not in days:
            return False
        if not (hours.start <= a.time() and b.time() <= hours.end):
            return False
        if any(busy.start < end and start < busy.end for busy in person.busy):
            return False
    return True


@settings(max_examples=60, deadline=None)
@given(scenarios())
def test_a_strict_slot_is_inside_everyones_hours_on_a_listed_day_and_free_whenever_one_exists(
    scenario: tuple[date, list[Availability], Hours, frozenset[Weekday], timedelta],
) -> None:
    target, peers, hours, days, length = scenario
    not_before = datetime.combine(target - timedelta(days=3), time(9), UTC)
    result = best_slot(target, peers, length=length, days=days, hours=hours, not_before=not_before)
    home = ZoneInfo(peers[0].timezone)
    grid = [
        start
        for quarter in range(-9 * 24 * 4, 9 * 24 * 4)
        if (start := datetime.combine(target, time(0), UTC) + timedelta(minutes=15 * quarter))
        >= not_before
        and abs((start.astimezone(home).date() - target).days) <= 7
        and is_strict(start, start + length, peers, hours, days)
    ]
    closest = min((abs((s.astimezone(home).date() - target).days) for s in grid), default=None)
    if isinstance(result, Slot) and set(result.odd_minutes.values()) == {0}:
        assert is_strict(result.start, result.end, peers, hours, days)
        assert result.end - result.start == length
        assert result.start >= not_before
        assert abs((result.start.astimezone(home).date() - target).days) == closest
        assert result == best_slot(
            target, peers, length=length, days=days, hours=hours, not_before=not_before
        )
    else:
        assert grid == []


def test_the_reason_lists_the_days_as_runs_and_says_when_the_window_was_cut_short() -> None:
    day = date(2027, 3, 8)
    result = best_slot(
        day,
        [peer("alice@x", "Europe/London"), peer("bob@y", "Europe/London"), peer("cy@z", "UTC")],
        length=timedelta(minutes=45),
        days={Weekday.MON, Weekday.WED, Weekday.THU, Weekday.FRI},
        hours=TEN_TO_FOUR,
        not_before=datetime(2027, 3, 20, 9, tzinfo=UTC),
        max_stretch=timedelta(0),
    )
    assert result == NoSlot(
        "no common free 45-minute slot within 7 days of 2027-03-08 for alice@x, bob@y and cy@z "
        "(hours 10:00-16:00 Mon, Wed-Fri in each person's zone; "
        "nothing before 2027-03-20 09:00 UTC)"
    )
