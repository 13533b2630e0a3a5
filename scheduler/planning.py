"""Where a pair's meeting goes: the one slot rule that `tandem run` books and `tandem preview`
shows, so the two can never disagree."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from scheduler.config_schema import Meetings
from scheduler.model import Interval, Person
from scheduler.slots import Availability, NoSlot, Slot, best_slot

LEAD_TIME = timedelta(hours=2)  # never book a meeting that starts sooner than this


def choose_slot(
    meetings: Meetings,
    target: date,
    peers: Sequence[Person],
    busy: Mapping[str, list[Interval]],
    *,
    zone: ZoneInfo,
    now: datetime,
    pair_start: date,
    previous: datetime | None,
    burden: Mapping[str, int],
    not_before: datetime | None = None,
) -> Slot | NoSlot:
    """The best slot near `target`: not within the lead time, never before the pair starts
    (a peer on holiday in the first week must not pull the first meeting before it), and not
    before `not_before` when a move asks for a later time."""
    earliest = max(now + LEAD_TIME, start_of_day(pair_start, zone), not_before or now)
    return best_slot(
        target,
        [Availability(p.email, p.timezone, busy.get(p.email, [])) for p in peers],
        length=meetings.length,
        days=meetings.days,
        hours=meetings.hours,
        not_before=earliest,
        previous=previous,
        burden=dict(burden),
        max_stretch=meetings.stretch,
    )


def busy_window(first: date, last: date, zone: ZoneInfo) -> Interval:
    """The stretch of calendars to read for targets from `first` to `last`: a slot may fall
    a week either side of its target."""
    return Interval(
        start_of_day(first - timedelta(days=8), zone), start_of_day(last + timedelta(days=9), zone)
    )


def start_of_day(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(), zone)
