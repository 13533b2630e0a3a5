"""The nouns of a peer-mentoring program, as plain values with no I/O.

Glossary:
    peer      a person taking part in the program.
    pair      two peers (three for a trio) who meet regularly.
    round     one run of the pairing engine over the peers who have no active pair.
    phase     a stretch of the cadence with one rhythm ("every 2 weeks, 6 times").
    meeting   one conversation of a pair, numbered from 1, with a target date.
    slot      a concrete start and end time that suits every peer of a pair.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta


class Unit(enum.Enum):
    """Calendar units a span can be counted in."""

    MINUTES = "minutes"
    HOURS = "hours"
    DAYS = "days"
    WEEKS = "weeks"
    MONTHS = "months"


@dataclass(frozen=True, slots=True)
class Span:
    """A length of calendar time such as "2 weeks" or "1 month" (months are calendar months)."""

    count: int
    unit: Unit

    def __str__(self) -> str:
        word = self.unit.value if self.count != 1 else self.unit.value.rstrip("s")
        return f"{self.count} {word}"

    def as_timedelta(self) -> timedelta:
        """The fixed length of a span; months have none, so they are refused."""
        if self.unit is Unit.MONTHS:
            raise ValueError("a span of months has no fixed length")
        seconds = {Unit.MINUTES: 60, Unit.HOURS: 3600, Unit.DAYS: 86400, Unit.WEEKS: 604800}
        return timedelta(seconds=self.count * seconds[self.unit])


@dataclass(frozen=True, slots=True)
class Phase:
    """One rhythm of the cadence: meet `every` span, either `times` times or `until` a span
    counted from the pair's start has passed. Exactly one of `times` and `until` is set."""

    every: Span
    times: int | None = None
    until: Span | None = None


class Weekday(enum.IntEnum):
    """ISO weekday numbers minus one, so that they match `date.weekday()`."""

    MON = 0
    TUE = 1
    WED = 2
    THU = 3
    FRI = 4
    SAT = 5
    SUN = 6


@dataclass(frozen=True, slots=True)
class Hours:
    """A daily window of local wall-clock time, such as 10:00-16:00."""

    start: time
    end: time


@dataclass(frozen=True, slots=True)
class Person:
    """A member of the organisation as the directory describes them.

    `email` is the normalised (lower-case) primary address and the person's identity.
    `level` is None when the directory gives no level the program can use.
    """

    email: str
    name: str
    title: str = ""
    department: str = ""
    level: int | None = None
    manager_email: str | None = None
    timezone: str = "UTC"
    aliases: tuple[str, ...] = ()
    attributes: Mapping[str, str] = field(default_factory=dict)

    @property
    def display_name(self) -> str:
        return self.name or self.email


@dataclass(frozen=True, slots=True)
class Pair:
    """Two peers, or three for a trio, identified by a stable id."""

    id: str
    members: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Unpaired:
    """A peer that a round left without a partner, and why."""

    email: str
    reason: str


@dataclass(frozen=True, slots=True)
class Interval:
    """A half-open span of absolute time [start, end); both ends are time-zone aware."""

    start: datetime
    end: datetime

    def overlaps(self, other: Interval) -> bool:
        return self.start < other.end and other.start < self.end


@dataclass(frozen=True, slots=True)
class MeetingTarget:
    """When a pair's meeting should happen, before any calendar is looked at."""

    number: int
    phase: int
    target: date


def add_span(start: date, span: Span, times: int = 1) -> date:
    """`start` moved on by `times` spans. Months are calendar months counted from `start`
    itself (Jan 31 + 1 month = Feb 28, + 2 months = Mar 31), so a monthly rhythm never drifts."""
    if span.unit is Unit.MONTHS:
        months = start.month - 1 + span.count * times
        year, month = start.year + months // 12, months % 12 + 1
        return date(year, month, min(start.day, _days_in_month(year, month)))
    return start + span.as_timedelta() * times


def _days_in_month(year: int, month: int) -> int:
    following = date(year + month // 12, month % 12 + 1, 1)
    return (following - timedelta(days=1)).day
