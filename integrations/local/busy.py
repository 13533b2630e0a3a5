"""Busy times for the local provider, read from one iCalendar file per person: an export or a
subscribed .ics is what every calendar program can produce."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import recurring_ical_events
from icalendar import Calendar, Component

from scheduler.core.model import Interval
from scheduler.ports import ProviderError

BUSY_TYPES = frozenset({"BUSY", "BUSY-UNAVAILABLE", "BUSY-TENTATIVE"})  # RFC 5545, 3.2.9


class IcsFolderBusy:
    """Busy intervals from `<folder>/<email>.ics`, the file name matched without regard to
    case (ana@example.org.ics, Ana@Example.org.ics). A person without a file is free.

    Busy is: every VEVENT occurrence (RRULE, RDATE, EXDATE and RECURRENCE-ID overrides expanded
    by recurring-ical-events) that is not TRANSP:TRANSPARENT, not STATUS:CANCELLED and not
    declined by the person (ATTENDEE;PARTSTAT=DECLINED), plus every busy FREEBUSY period of a
    VFREEBUSY. Floating times and all-day events are read in the person's zone, `zone_of(email)`;
    a calendar's X-WR-TIMEZONE is honoured. Parsed files are cached by (path, mtime, size).
    """

    def __init__(self, folder: Path, zone_of: Callable[[str], str] = lambda _: "UTC") -> None:
        self.folder = folder
        self.zone_of = zone_of
        self._cache: dict[Path, tuple[tuple[int, int], Calendar]] = {}

    def busy(self, emails: Sequence[str], window: Interval) -> dict[str, list[Interval]]:
        """Each person's busy intervals within `window`: UTC, clipped, merged and sorted.

        Raises:
            ProviderError: permanent when the folder is missing, or a file cannot be read or
            parsed (the message names the file), or a person's zone is unknown.
        """
        if not self.folder.is_dir():
            raise ProviderError(f"the busy folder {self.folder} does not exist", permanent=True)
        try:
            files = {path.name.lower(): path for path in self.folder.glob("*.[iI][cC][sS]")}
        except OSError as error:
            message = f"cannot list the busy folder {self.folder}: {error.strerror}"
            raise ProviderError(message, permanent=True) from error
        found: dict[str, list[Interval]] = {}
        for email in emails:
            path = files.get(f"{email.lower()}.ics")
            found[email] = [] if path is None else self._busy_in(path, email, window)
        return found

    def _busy_in(self, path: Path, email: str, window: Interval) -> list[Interval]:
        calendar = self._parsed(path)
        zone = _zone(self.zone_of(email), email)
        try:
            spans = [*_event_spans(calendar, email, window), *_free_busy_spans(calendar)]
            absolute = [(_utc(start, zone), _utc(end, zone)) for start, end in spans]
        except (ValueError, TypeError) as error:
            raise ProviderError(
                f"{path}: not a usable calendar: {error}", permanent=True
            ) from error
        clipped = [
            (max(start, window.start), min(end, window.end))
            for start, end in absolute
            if start < window.end and end > window.start and start < end
        ]
        return _merged(sorted(clipped))

    def _parsed(self, path: Path) -> Calendar:
        try:
            status = path.stat()
            stamp = (status.st_mtime_ns, status.st_size)
            if path in self._cache and self._cache[path][0] == stamp:
                return self._cache[path][1]
            calendar = Calendar.from_ical(path.read_bytes())
        except OSError as error:
            raise ProviderError(f"{path}: cannot read: {error.strerror}", permanent=True) from error
        except ValueError as error:
            raise ProviderError(
                f"{path}: not an iCalendar file: {error}", permanent=True
            ) from error
        self._cache[path] = (stamp, calendar)
        return calendar


def _event_spans(calendar: Calendar, email: str, window: Interval) -> Iterable[tuple[Any, Any]]:
    """Start and end of each busy occurrence near the window; a floating time can sit up to
    14 hours off UTC, so the query reaches two days either side and the caller clips."""
    margin = timedelta(days=2)
    query = recurring_ical_events.of(calendar, components=["VEVENT"])
    for event in query.between(window.start - margin, window.end + margin):
        if str(event.get("TRANSP", "OPAQUE")).upper() == "TRANSPARENT":
            continue
        if str(event.get("STATUS", "")).upper() == "CANCELLED" or _declined(event, email):
            continue
        yield event.start, event.end


def _free_busy_spans(calendar: Calendar) -> Iterable[tuple[Any, Any]]:
    for free_busy in calendar.walk("VFREEBUSY"):
        periods = free_busy.get("FREEBUSY", [])
        for period in periods if isinstance(periods, list) else [periods]:
            if str(period.params.get("FBTYPE", "BUSY")).upper() in BUSY_TYPES:
                start, end_or_length = period.dt
                end = (
                    start + end_or_length if isinstance(end_or_length, timedelta) else end_or_length
                )
                yield start, end


def _declined(event: Component, email: str) -> bool:
    attendees = event.get("ATTENDEE", [])
    for attendee in attendees if isinstance(attendees, list) else [attendees]:
        address = str(attendee).lower().removeprefix("mailto:")
        if address == email.lower():
            return str(attendee.params.get("PARTSTAT", "")).upper() == "DECLINED"
    return False


def _utc(moment: date | datetime, zone: tzinfo) -> datetime:
    """An aware UTC time; a date is midnight and a floating time is wall-clock in `zone`."""
    if not isinstance(moment, datetime):
        moment = datetime.combine(moment, time())
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.astimezone(UTC)


def _zone(name: str, email: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        message = f"{email}: {name!r} is not an IANA time zone"
        raise ProviderError(message, permanent=True) from error


def _merged(spans: list[tuple[datetime, datetime]]) -> list[Interval]:
    merged: list[Interval] = []
    for start, end in spans:
        if merged and start <= merged[-1].end:
            if end > merged[-1].end:
                merged[-1] = Interval(merged[-1].start, end)
        else:
            merged.append(Interval(start, end))
    return merged
