"""Finds the one meeting time that suits every peer of a pair, each in their own time zone, so
that booking is a pure decision that can be tested without a calendar."""

from __future__ import annotations

import functools
from bisect import bisect_right
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from scheduler.core.model import Hours, Interval, Weekday


@dataclass(frozen=True)
class Availability:
    """One peer's time zone (an IANA name) and busy intervals (aware datetimes)."""

    email: str
    timezone: str
    busy: Sequence[Interval]


@dataclass(frozen=True)
class Slot:
    """A meeting time in UTC, with the minutes of it that fall outside each peer's hours."""

    start: datetime
    end: datetime
    odd_minutes: Mapping[str, int]


@dataclass(frozen=True)
class NoSlot:
    """Why no meeting time could be found, in words a person understands."""

    reason: str


def best_slot(
    target: date,
    peers: Sequence[Availability],
    *,
    length: timedelta,
    days: Collection[Weekday],
    hours: Hours,
    not_before: datetime,
    previous: datetime | None = None,
    burden: Mapping[str, int] | None = None,
    window_days: int = 7,
    step: timedelta = timedelta(minutes=15),
    max_stretch: timedelta = timedelta(hours=2),
) -> Slot | NoSlot:
    """The best free slot of `length` within `window_days` of `target` for every peer.

    A strict slot lies inside `hours` on one of `days` in each peer's own zone. The best keeps
    the rhythm of `previous` (same weekday and time in the first peer's zone, in the target's
    week), else is closest to the target (after beats before), else furthest from the edges of
    everyone's hours, else earliest. Only when no strict slot exists may a peer be outside their
    hours by up to `max_stretch`; then the slot that keeps the most-burdened peer's running
    total (`burden` + odd minutes) lowest wins, so odd hours take turns across meetings.
    """
    _check(peers, length, step, hours, not_before, previous)
    search = _Search(target, peers, length, days, hours, not_before, window_days, max_stretch)
    if previous is not None and search.strict(start := search.rhythm(previous)):
        return search.slot(start, {peer.email: 0 for peer in peers})
    grid = list(_grid(search.begin, search.finish, step))
    for day in search.days_by_closeness(grid):  # the nearest day with a strict slot wins
        strict = [start for start in day if search.strict(start)]
        if strict:
            best = min(strict, key=search.closeness)
            return search.slot(best, {peer.email: 0 for peer in peers})
    stretched = [(start, odd) for start in grid if (odd := search.odd_minutes(start)) is not None]
    if stretched:
        owed = burden or {}

        def fairest(entry: tuple[datetime, dict[str, int]]) -> tuple[int, int, _Closeness]:
            start, odd = entry
            most = max(owed.get(email, 0) + minutes for email, minutes in odd.items())
            return most, sum(odd.values()), search.closeness(start)

        return search.slot(*min(stretched, key=fairest))
    return NoSlot(search.reason())


_Closeness = tuple[int, bool, timedelta, datetime]
_MINUTE = timedelta(minutes=1)


class _Search:
    """The window around the target, every peer's working windows and the merged busy time."""

    def __init__(
        self,
        target: date,
        peers: Sequence[Availability],
        length: timedelta,
        days: Collection[Weekday],
        hours: Hours,
        not_before: datetime,
        window_days: int,
        stretch: timedelta,
    ) -> None:
        self.target, self.peers, self.length = target, peers, length
        self.days, self.hours, self.window_days, self.stretch = days, hours, window_days, stretch
        self.home = ZoneInfo(peers[0].timezone)
        self.opening = _instant(
            target - timedelta(days=window_days), time(0), self.home, latest=True
        )
        self.begin = max(self.opening, not_before.astimezone(UTC))
        last = target + timedelta(days=window_days + 1)
        self.finish = _instant(last, time(0), self.home, latest=True)
        self.calendars = [_Calendar(peer, self) for peer in peers]
        self.busy = _Busy([interval for peer in peers for interval in peer.busy])

    def rhythm(self, previous: datetime) -> datetime:
        """The previous meeting's weekday and local time, in the target's week."""
        local = previous.astimezone(self.home)
        day = self.target + timedelta(days=local.weekday() - self.target.weekday())
        return _instant(day, local.time(), self.home, latest=True)

    def strict(self, start: datetime) -> bool:
        end = start + self.length
        return (
            self.begin <= start < self.finish
            and all(calendar.inside(start, end) for calendar in self.calendars)
            and self.busy.free(start, end)
        )

    def odd_minutes(self, start: datetime) -> dict[str, int] | None:
        """Each peer's minutes outside their hours, or None when the slot is busy or too far out."""
        end = start + self.length
        if not self.busy.free(start, end):
            return None
        odd: dict[str, int] = {}
        for calendar in self.calendars:
            if (minutes := calendar.odd_minutes(start, end)) is None:
                return None
            odd[calendar.email] = minutes
        return odd

    def days_by_closeness(self, grid: Sequence[datetime]) -> list[list[datetime]]:
        """The grid cut into the local days of the first peer, in the order `closeness` ranks
        them: fewer days from the target first, after before before. Every slot of a day
        outranks every slot of the days after it, so the first day with a strict slot holds
        the best one."""
        days: dict[int, list[datetime]] = {}
        for start in grid:
            offset = (start.astimezone(self.home).date() - self.target).days
            days.setdefault(offset, []).append(start)
        return [days[offset] for offset in sorted(days, key=lambda o: (abs(o), o < 0))]

    def closeness(self, start: datetime) -> _Closeness:
        """Sorts fewer days from the target first, after before before, then comfort, then time."""
        offset = (start.astimezone(self.home).date() - self.target).days
        end = start + self.length
        edge = min(calendar.edge_distance(start, end) for calendar in self.calendars)
        return abs(offset), offset < 0, -edge, start

    def slot(self, start: datetime, odd_minutes: dict[str, int]) -> Slot:
        return Slot(start, start + self.length, odd_minutes)

    def reason(self) -> str:
        emails = [peer.email for peer in self.peers]
        who = emails[0] if len(emails) == 1 else ", ".join(emails[:-1]) + " and " + emails[-1]
        minutes, stretched = (round(span / _MINUTE) for span in (self.length, self.stretch))
        reach = f", or up to {stretched} minutes outside them" if stretched else ""
        after = (
            f"; nothing before {self.begin:%Y-%m-%d %H:%M} UTC" if self.begin > self.opening else ""
        )
        return (
            f"no common free {minutes}-minute slot within {self.window_days} days of "
            f"{self.target.isoformat()} for {who} (hours {_hours_text(self.hours)} "
            f"{days_text(self.days)} in each person's zone{reach}{after})"
        )


@dataclass(frozen=True)
class _Window:
    """One listed local day of a peer: their hours, and how far a stretch may reach."""

    core_start: datetime
    core_end: datetime
    reach_start: datetime
    reach_end: datetime


class _Calendar:
    """A peer's working windows as UTC instants, searchable by bisection."""

    def __init__(self, peer: Availability, search: _Search) -> None:
        zone = ZoneInfo(peer.timezone)
        self.email = peer.email
        first = search.begin.astimezone(zone).date() - timedelta(days=1)
        last = search.finish.astimezone(zone).date() + timedelta(days=1)
        days = frozenset(search.days)
        self.windows, self.core_starts, self.reach_starts = _windows(
            peer.timezone, search.hours, days, search.stretch, first, last
        )

    def inside(self, start: datetime, end: datetime) -> bool:
        index = bisect_right(self.core_starts, start) - 1
        return index >= 0 and end <= self.windows[index].core_end

    def odd_minutes(self, start: datetime, end: datetime) -> int | None:
        """Minutes of [start, end) outside this peer's hours, or None when beyond any stretch."""
        index = bisect_right(self.reach_starts, start) - 1
        if index < 0 or end > self.windows[index].reach_end:
            return None
        window = self.windows[index]
        overlap = max(timedelta(0), min(end, window.core_end) - max(start, window.core_start))
        return round((end - start - overlap) / _MINUTE)

    def edge_distance(self, start: datetime, end: datetime) -> timedelta:
        """How far [start, end) keeps from the edges of the nearest window (negative outside)."""
        index = max(bisect_right(self.reach_starts, start) - 1, 0)
        if not self.windows:
            return timedelta(0)
        window = self.windows[index]
        return min(start - window.core_start, window.core_end - end)


_Windows = tuple[list[_Window], list[datetime], list[datetime]]


@functools.lru_cache(maxsize=1024)
def _windows(
    zone_name: str,
    hours: Hours,
    days: frozenset[Weekday],
    stretch: timedelta,
    first: date,
    last: date,
) -> _Windows:
    """A zone's working windows on the listed days from `first` to `last`, with their starts
    for bisection: the same for every peer in that zone (read only, so shared)."""
    zone = ZoneInfo(zone_name)
    windows: list[_Window] = []
    day = first
    while day <= last:
        core_start = _instant(day, hours.start, zone, latest=True)
        core_end = _instant(day, hours.end, zone, latest=False)
        if day.weekday() in days and core_start < core_end:
            midnight = _instant(day, time(0), zone, latest=True)
            next_midnight = _instant(day + timedelta(days=1), time(0), zone, latest=True)
            reach_start = max(core_start - stretch, midnight)
            reach_end = min(core_end + stretch, next_midnight)
            windows.append(_Window(core_start, core_end, reach_start, reach_end))
        day += timedelta(days=1)
    return windows, [w.core_start for w in windows], [w.reach_start for w in windows]


class _Busy:
    """Every peer's busy time merged once into disjoint sorted intervals."""

    def __init__(self, intervals: Sequence[Interval]) -> None:
        spans = sorted(
            (interval.start.astimezone(UTC), interval.end.astimezone(UTC))
            for interval in intervals
            if interval.end > interval.start
        )
        merged: list[tuple[datetime, datetime]] = []
        for start, end in spans:
            if merged and start <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], end))
            else:
                merged.append((start, end))
        self.starts = [start for start, _ in merged]
        self.ends = [end for _, end in merged]

    def free(self, start: datetime, end: datetime) -> bool:
        index = bisect_right(self.ends, start)
        return index == len(self.starts) or self.starts[index] >= end


def _instant(day: date, clock: time, zone: ZoneInfo, *, latest: bool) -> datetime:
    """A local wall-clock time as a UTC instant. Where clocks change, the time may not exist or
    may happen twice; `latest` picks the later reading of the two folds, else the earlier, so a
    window opens late and closes early rather than reach outside the hours."""
    readings = [datetime.combine(day, clock, zone).replace(fold=f).astimezone(UTC) for f in (0, 1)]
    return max(readings) if latest else min(readings)


def _check(
    peers: Sequence[Availability],
    length: timedelta,
    step: timedelta,
    hours: Hours,
    not_before: datetime,
    previous: datetime | None,
) -> None:
    if not peers or length <= timedelta(0) or step <= timedelta(0):
        raise ValueError("best_slot needs at least one peer and a positive length and step")
    if not_before.tzinfo is None or (previous is not None and previous.tzinfo is None):
        raise ValueError("not_before and previous must be time-zone aware")
    if hours.start >= hours.end:
        raise ValueError(f"hours must start before they end, not {_hours_text(hours)}")


def _grid(begin: datetime, finish: datetime, step: timedelta) -> Iterator[datetime]:
    start = begin.replace(minute=0, second=0, microsecond=0)
    while start < begin:
        start += step
    while start < finish:
        yield start
        start += step


def _hours_text(hours: Hours) -> str:
    return f"{hours.start:%H:%M}-{hours.end:%H:%M}"


def days_text(days: Collection[Weekday]) -> str:
    """Listed weekdays as runs, such as "Mon-Thu" or "Mon, Wed-Fri"."""
    runs: list[list[Weekday]] = []
    for day in sorted(Weekday(d) for d in set(days)):
        if runs and runs[-1][-1] + 1 == day:
            runs[-1].append(day)
        else:
            runs.append([day])
    names = [
        run[0].name.title() + (f"-{run[-1].name.title()}" if len(run) > 1 else "") for run in runs
    ]
    return ", ".join(names) or "no days"
