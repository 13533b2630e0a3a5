"""The kinds of value a program file holds, each checked with a message meant for HR.

A failed check raises a PydanticCustomError carrying Findings; config.py gives each its line.
"""

from __future__ import annotations

import contextlib
import difflib
import re
from collections.abc import Callable, Iterable
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated, Any, NamedTuple, get_args

from pydantic import PlainValidator, ValidationInfo
from pydantic_core import PydanticCustomError

from scheduler.core.model import Hours, Span, Unit, Weekday
from scheduler.program.durations import parse_hours, parse_span, parse_weekday
from scheduler.program.zone_names import known_zones
from scheduler.render.local_time import locale_hint, locale_tag


class Finding(NamedTuple):
    """One mistake below the node a validator looks at; `at` is the path from that node."""

    at: tuple[str | int, ...]
    message: str
    hint: str | None = None


def refuse(*findings: Finding) -> PydanticCustomError:
    """An error that carries any number of findings, which config.py reports one by one."""
    ctx = {"message": findings[0].message, "findings": findings}
    return PydanticCustomError("tandem", "{message}", ctx)


def invalid(message: str, hint: str | None = None, at: str | None = None) -> PydanticCustomError:
    return refuse(Finding((at,) if at else (), message, hint))


def did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    by_lower = {choice.lower(): choice for choice in choices}
    close = difflib.get_close_matches(word.lower(), by_lower, n=1)
    return f"did you mean '{by_lower[close[0]]}'?" if close else None


def whole_number(minimum: int | None = None, maximum: int | None = None) -> PlainValidator:
    expected = "expected a whole number" + (f" of {minimum} or more" if minimum is not None else "")
    if maximum is not None:
        expected = f"expected a whole number from {minimum} to {maximum}"

    def check(value: object) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise invalid(expected)
        if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
            raise invalid(expected)
        return int(value)

    return PlainValidator(check)


def one_of(choices: Any) -> PlainValidator:
    options: tuple[str, ...] = get_args(choices)

    def check(value: object) -> str:
        if isinstance(value, str) and value.strip().lower() in options:
            return value.strip().lower()
        raise invalid(f"expected one of: {', '.join(options)}", did_you_mean(str(value), options))

    return PlainValidator(check)


def _text(value: object) -> str:
    if isinstance(value, str | int | float) and not isinstance(value, bool) and str(value).strip():
        return str(value).strip()
    raise invalid("expected some text here")


def _optional_text(value: object) -> str:
    return "" if value is None else _text(value)


def _email(value: object) -> str:
    if isinstance(value, str) and _EMAIL.fullmatch(value.strip()):
        return value.strip().lower()
    raise invalid("expected an email address such as people-team@example.com")


def _env_name(value: object) -> str:
    if isinstance(value, str) and _ENV_NAME.fullmatch(value.strip()):
        return value.strip()
    hint = "secrets never go in this file: put the secret in an environment variable, name it here"
    raise invalid("expected the name of an environment variable such as SMTP_PASSWORD", hint)


def _path(value: object, info: ValidationInfo) -> Path:
    if not isinstance(value, str) or not value.strip():
        raise invalid("expected a file or folder path such as org.csv or calendars/")
    base: Path = (info.context or {}).get("base_dir") or Path.cwd()
    return (base / Path(value.strip()).expanduser()).resolve()


def _time_zone(value: object) -> str:
    zone = known_zones().get(value.strip().casefold()) if isinstance(value, str) else None
    if zone is None:
        hint = did_you_mean(str(value), known_zones().values())
        raise invalid("expected a time zone name such as America/New_York or Europe/Paris", hint)
    return zone


def _locale(value: object) -> str:
    tag = locale_tag(value) if isinstance(value, str) else None
    if tag is None:
        hint = locale_hint(value) if isinstance(value, str) else None
        raise invalid("expected a locale such as en-US, en-GB, de-DE, fr-FR or es-ES", hint)
    return tag


def _start_date(value: object) -> date:
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            return date.fromisoformat(value.strip())
    raise invalid("expected a date such as 2027-01-11 (year-month-day)")


def _span(units: tuple[Unit, ...], example: str) -> Callable[[object], Span]:
    names = ", ".join(unit.value for unit in units[:-1]) + f" or {units[-1].value}"
    expected = f"expected a number (1 or more) of {names}, such as '{example}'"

    def check(value: object) -> Span:
        try:
            span = parse_span(value) if isinstance(value, str) else None
        except ValueError:
            span = None
        if span is None or span.unit not in units:
            raise invalid(
                expected, "add a unit after the number" if isinstance(value, int) else None
            )
        return span

    return check


_length_span = _span((Unit.MINUTES, Unit.HOURS), "30 minutes")


def _meeting_length(value: object) -> timedelta:
    length = _length_span(value).as_timedelta()
    if not timedelta(minutes=10) <= length <= timedelta(hours=4):
        raise invalid("expected a length from 10 minutes to 4 hours")
    return length


_rhythm_span = _span((Unit.MINUTES, Unit.HOURS, Unit.DAYS, Unit.WEEKS), "5 minutes")


def _rhythm(value: object) -> timedelta:
    """How often the clock enqueues a job: from 1 minute to 4 weeks."""
    every = _rhythm_span(value).as_timedelta()
    if every > timedelta(weeks=4):
        raise invalid("expected a rhythm from 1 minute to 4 weeks, such as '5 minutes'")
    return every


def _stretch(value: object) -> timedelta:
    """How far outside their hours HR lets a meeting reach: none, or up to 3 hours."""
    if value is None or value is False or (isinstance(value, str) and value.strip() == "none"):
        return timedelta(0)
    length = _length_span(value).as_timedelta() if value != 0 else timedelta(0)
    if length > timedelta(hours=3):
        raise invalid("expected none, or a stretch of up to 3 hours such as '1 hour'")
    return length


def _hours(value: object) -> Hours:
    if not isinstance(value, str):
        raise invalid("expected hours such as '10:00-16:00' (24-hour clock)")
    try:
        return parse_hours(value)
    except ValueError as exc:
        raise invalid(str(exc)) from None


def _weekday(value: object) -> Weekday:
    try:
        return parse_weekday(value if isinstance(value, str) else "")
    except ValueError:
        raise invalid("expected a day of the week such as Mon or Monday") from None


def distinct_days(days: tuple[Weekday, ...]) -> tuple[Weekday, ...]:
    if not days:
        raise invalid("expected at least one day, such as [Mon, Tue, Wed, Thu]")
    twice = [
        Finding((i,), f"{day.name.title()} is listed twice", "list each day once")
        for i, day in enumerate(days)
        if day in days[:i]
    ]
    if twice:
        raise refuse(*twice)
    return days


_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_CALENDAR_UNITS = (Unit.DAYS, Unit.WEEKS, Unit.MONTHS)


Text = Annotated[str, PlainValidator(_text)]
Email = Annotated[str, PlainValidator(_email)]
EnvName = Annotated[str, PlainValidator(_env_name)]
LocalPath = Annotated[Path, PlainValidator(_path)]
CalendarSpan = Annotated[Span, PlainValidator(_span(_CALENDAR_UNITS, "2 weeks"))]
Day = Annotated[Weekday, PlainValidator(_weekday)]
MeetingLength = Annotated[timedelta, PlainValidator(_meeting_length)]
Stretch = Annotated[timedelta, PlainValidator(_stretch)]
Rhythm = Annotated[timedelta, PlainValidator(_rhythm)]
HoursOfDay = Annotated[Hours, PlainValidator(_hours)]
TimeZone = Annotated[str, PlainValidator(_time_zone)]
LocaleTag = Annotated[str, PlainValidator(_locale)]
StartDate = Annotated[date, PlainValidator(_start_date)]
OptionalText = Annotated[str, PlainValidator(_optional_text)]
Count0 = Annotated[int, whole_number(0)]
Count1 = Annotated[int, whole_number(1)]
Port = Annotated[int, whole_number(1, 65535)]
