"""Reading the words HR writes for time ("2 weeks", "10:00-16:00", "Mon") into model values.

Pure and strict: anything not understood raises ValueError with a message fit to show as is.
"""

from __future__ import annotations

import re
from datetime import time

from scheduler.core.model import Hours, Span, Unit, Weekday


def parse_span(text: str) -> Span:
    """A span such as "2 weeks", "1 month", "30 min" or "90 minutes", in any case."""
    match = _SPAN.fullmatch(text.strip())
    unit = _UNITS.get(match.group(2).lower()) if match else None
    if match is None or unit is None:
        raise ValueError(f"expected a number and a unit such as '2 weeks', got {text!r}")
    count = int(match.group(1))
    if count < 1:
        raise ValueError(
            f"expected a number of 1 or more and a unit such as '2 weeks', got {text!r}"
        )
    return Span(count, unit)


def parse_hours(text: str) -> Hours:
    """A daily window such as "10:00-16:00" or "9:30-17:00" on the 24-hour clock."""
    match = _HOURS.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"expected hours such as '10:00-16:00' (24-hour clock), got {text!r}")
    start, end = _clock(match.group(1), match.group(2)), _clock(match.group(3), match.group(4))
    if start is None or end is None:
        raise ValueError(f"expected times from 00:00 to 23:59 such as '10:00-16:00', got {text!r}")
    if start >= end:
        raise ValueError(f"expected a start before the end such as '10:00-16:00', got {text!r}")
    return Hours(start, end)


def parse_weekday(text: str) -> Weekday:
    """A day of the week by its name, plural name or an abbreviation ("Mon", "tues", "Mondays")."""
    word = text.strip().lower().removesuffix("s")
    for day in Weekday:
        name = _DAY_NAMES[day]
        if len(word) >= 3 and name.startswith(word):
            return day
    raise ValueError(f"expected a day of the week such as 'Mon' or 'Monday', got {text!r}")


_SPAN = re.compile(r"(-?\d+)\s*([a-zA-Z]+)")
_HOURS = re.compile(r"(\d{1,2}):(\d{2})\s*[-–]\s*(\d{1,2}):(\d{2})")
_UNITS = {
    "min": Unit.MINUTES,
    "mins": Unit.MINUTES,
    "minute": Unit.MINUTES,
    "minutes": Unit.MINUTES,
    "hour": Unit.HOURS,
    "hours": Unit.HOURS,
    "day": Unit.DAYS,
    "days": Unit.DAYS,
    "week": Unit.WEEKS,
    "weeks": Unit.WEEKS,
    "month": Unit.MONTHS,
    "months": Unit.MONTHS,
}
_DAY_NAMES = {
    Weekday.MON: "monday",
    Weekday.TUE: "tuesday",
    Weekday.WED: "wednesday",
    Weekday.THU: "thursday",
    Weekday.FRI: "friday",
    Weekday.SAT: "saturday",
    Weekday.SUN: "sunday",
}


def _clock(hour: str, minute: str) -> time | None:
    h, m = int(hour), int(minute)
    return time(h, m) if h < 24 and m < 60 else None
