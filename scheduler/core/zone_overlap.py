"""Whether people in some time zones can ever meet inside their hours: a pairing rule.

Los Angeles and Kolkata at 09:00-17:00 share no half hour on any weekday, so a pair of them
could never be booked (issue 9, item 2). The rule is decided once per set of zones, for every
week of a year from the program's start, so that daylight saving in one zone and not the
other is seen: zones that can meet in summer but not in winter are not compatible.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from scheduler.core.model import Hours, Weekday

WEEKS = 52


def zones_meet_rule(
    *,
    hours: Hours,
    days: Collection[Weekday],
    length: timedelta,
    stretch: timedelta,
    start: date,
) -> Callable[[frozenset[str]], bool]:
    """A rule for the pairing engine: given the zones of a group, True when in every week
    there is a listed day on which a slot of `length` lies inside everyone's `hours`, each
    widened by `stretch` (what the program allows outside them)."""
    listed = frozenset(int(day) for day in days)

    @lru_cache(maxsize=4096)
    def meet(zones: frozenset[str]) -> bool:
        if len(zones) < 2:
            return True
        windows = [_windows(zone, hours, listed, stretch, start) for zone in sorted(zones)]
        return all(_shared(week, windows, length) for week in range(WEEKS))

    return meet


def _windows(
    zone: str, hours: Hours, listed: frozenset[int], stretch: timedelta, start: date
) -> list[list[tuple[datetime, datetime]]]:
    """Per week, the zone's working windows in UTC (listed local days, hours +/- stretch),
    including the local days just before and after the week, which another zone's day of
    the week may overlap."""
    return [_week(zone, hours, listed, stretch, start + timedelta(weeks=w)) for w in range(WEEKS)]


@lru_cache(maxsize=2048)
def _week(
    zone: str, hours: Hours, listed: frozenset[int], stretch: timedelta, first: date
) -> list[tuple[datetime, datetime]]:
    place = ZoneInfo(zone)
    spans = []
    for offset in range(-1, 8):
        day = first + timedelta(days=offset)
        if day.weekday() not in listed:
            continue
        opens = datetime.combine(day, hours.start, place).astimezone(UTC) - stretch
        closes = datetime.combine(day, hours.end, place).astimezone(UTC) + stretch
        midnight = datetime.combine(day, time(0), place).astimezone(UTC)
        next_midnight = datetime.combine(day + timedelta(days=1), time(0), place).astimezone(UTC)
        spans.append((max(opens, midnight), min(closes, next_midnight)))
    return spans


Spans = list[tuple[datetime, datetime]]


def _shared(week: int, windows: list[list[Spans]], length: timedelta) -> bool:
    """Whether everyone's windows of this week overlap by `length` somewhere."""
    common = windows[0][week]
    for other in windows[1:]:
        common = [
            (max(a, c), min(b, d))
            for a, b in common
            for c, d in other[week]
            if min(b, d) - max(a, c) >= length
        ]
        if not common:
            return False
    return any(end - begin >= length for begin, end in common)
