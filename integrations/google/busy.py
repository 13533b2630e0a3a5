"""Busy times and working hours from Google Calendar.

Busy: freebusy.query as the program's mailbox (colleagues see each other's free/busy), 50
calendars a query and at most 90 days a query, the queries of one call sent as one batch.
Out-of-office counts as busy (Google counts it). A calendar Google cannot read for us
(notFound, no access) is that person's problem only: they map to an empty list.

Working hours: each person's primary calendar (calendars.get as that person) gives their zone
and, where they set them, their working hours; the time outside them is added to their busy
time, so that a meeting falls within both their own hours and the program's `hours`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from integrations.google.auth import CALENDAR_FREEBUSY, CALENDAR_SETTINGS, GoogleAccess
from integrations.google.batch import run_batch
from integrations.google.retry import Failure, provider_error
from scheduler.core.model import Interval, Weekday
from scheduler.ports import ProviderError, WorkingHours

log = logging.getLogger(__name__)
CALENDARS_A_QUERY = 50
LONGEST_QUERY = timedelta(days=90)
READERS = 8
DAYS = {day.name.lower()[:3]: day for day in Weekday}
Period = tuple[Weekday, time, time]


class GoogleBusy:
    """`busy` and `working_hours` of the Calendar port."""

    def __init__(
        self,
        access: GoogleAccess,
        mailbox: str,
        *,
        default_hours: tuple[time, time] = (time(9), time(17)),
    ) -> None:
        self.access = access
        self.mailbox = mailbox
        self.default_hours = default_hours
        self._calendars: dict[str, tuple[str, list[Period]] | None] = {}

    # -- busy ----------------------------------------------------------------------------

    def busy(self, emails: Sequence[str], window: Interval) -> dict[str, list[Interval]]:
        wanted = list(dict.fromkeys(e.strip().lower() for e in emails))
        found: dict[str, list[Interval]] = {email: [] for email in wanted}
        if not wanted:
            return {email: [] for email in emails}
        service = self.access.service("calendar", self.mailbox, [CALENDAR_FREEBUSY])
        queries: dict[str, Any] = {}
        for number, (low, high) in enumerate(_spans(window)):
            for first in range(0, len(wanted), CALENDARS_A_QUERY):
                chunk = wanted[first : first + CALENDARS_A_QUERY]
                body = {
                    "timeMin": _rfc3339(low),
                    "timeMax": _rfc3339(high),
                    "timeZone": "UTC",
                    "items": [{"id": email} for email in chunk],
                }
                queries[f"{number}-{first}"] = lambda body=body: service.freebusy().query(body=body)
        answers = run_batch(self.access, "calendar", queries, "reading free/busy")
        unreadable = 0
        for answer in answers.values():
            if isinstance(answer, Failure):
                raise provider_error(answer, "reading free/busy (freebusy.query)")
            for email, calendar in (answer.get("calendars") or {}).items():
                email = email.lower()
                if email not in found:
                    continue
                if calendar.get("errors"):
                    unreadable += 1
                    continue
                found[email] += [
                    Interval(_instant(b["start"]), _instant(b["end"]))
                    for b in calendar.get("busy") or []
                ]
        if unreadable:
            log.info("free/busy: %d calendar(s) could not be read; taken as free", unreadable)
        hours = self._known(wanted)
        for email in wanted:
            outside = _outside(hours.get(email), window)
            found[email] = _merged(found[email] + outside, window)
        return {email: found[email.strip().lower()] for email in emails}

    # -- working hours -------------------------------------------------------------------

    def working_hours(self, emails: Sequence[str]) -> dict[str, WorkingHours]:
        known = self._known([e.strip().lower() for e in emails])
        result: dict[str, WorkingHours] = {}
        for email in emails:
            found = known.get(email.strip().lower())
            if found is None:
                continue
            zone, periods = found
            if periods:
                days = frozenset(day for day, _, _ in periods)
                start = min(begin for _, begin, _ in periods)
                end = max(finish for _, _, finish in periods)
            else:
                days = frozenset(Weekday(n) for n in range(5))
                start, end = self.default_hours
            result[email] = WorkingHours(zone, days, start, end)
        return result

    def _known(self, emails: Sequence[str]) -> dict[str, tuple[str, list[Period]]]:
        """Each person's calendar zone and working hours, read once per person, READERS at a
        time (each is a token grant and a call of its own)."""
        missing = [email for email in dict.fromkeys(emails) if email not in self._calendars]
        if len(missing) > 1:
            with ThreadPoolExecutor(max_workers=READERS) as pool:
                read = list(pool.map(self._calendar_of, missing))
            self._calendars.update(zip(missing, read, strict=True))
        elif missing:
            self._calendars[missing[0]] = self._calendar_of(missing[0])
        return {e: found for e in emails if (found := self._calendars.get(e)) is not None}

    def _calendar_of(self, email: str) -> tuple[str, list[Period]] | None:
        """calendars.get of a person's primary calendar, as that person: only its owner sees
        its working hours. Someone Google does not know (or will not let us act as) is None."""
        try:
            service = self.access.service("calendar", self.mailbox, [CALENDAR_SETTINGS])
            answer = self.access.execute(
                service.calendars().get(calendarId="primary"),
                "reading a person's calendar",
                http=self.access.http(email, [CALENDAR_SETTINGS]),
            )
        except ProviderError as error:
            if not error.permanent:
                raise
            log.info("a person's calendar settings could not be read: %s", type(error).__name__)
            return None
        zone = str(answer.get("timeZone") or "")
        try:
            ZoneInfo(zone)
        except (ValueError, KeyError):
            return None
        return zone, _periods(answer.get("workingHours"))


def _periods(hours: Mapping[str, Any] | None) -> list[Period]:
    if not hours or not hours.get("workingHoursEnabled", True):
        return []
    periods = []
    for item in hours.get("availableTimes") or []:
        day = DAYS.get(str(item.get("dayOfWeek", "")).lower()[:3])
        start, end = int(item.get("periodStart", 0)), int(item.get("periodEnd", 0))
        if day is not None and 0 <= start < end <= 24 * 60:
            periods.append((day, _clock(start), _clock(end)))
    return periods


def _clock(minutes: int) -> time:
    return time.max if minutes >= 24 * 60 else time(minutes // 60, minutes % 60)


def _outside(found: tuple[str, list[Period]] | None, window: Interval) -> list[Interval]:
    """The time within `window` outside a person's working hours, in their zone."""
    if found is None or not found[1]:
        return []
    zone = ZoneInfo(found[0])
    working: list[Interval] = []
    day: date = window.start.astimezone(zone).date() - timedelta(days=1)
    while datetime.combine(day, time(), zone) < window.end:
        for weekday, start, end in found[1]:
            if weekday == day.weekday():
                working.append(
                    Interval(
                        datetime.combine(day, start, zone).astimezone(UTC),
                        datetime.combine(day, end, zone).astimezone(UTC),
                    )
                )
        day += timedelta(days=1)
    outside, cursor = [], window.start
    for span in sorted(working, key=lambda s: s.start):
        if span.start > cursor:
            outside.append(Interval(cursor, min(span.start, window.end)))
        cursor = max(cursor, span.end)
    if cursor < window.end:
        outside.append(Interval(cursor, window.end))
    return [s for s in outside if s.start < s.end]


def _spans(window: Interval) -> list[tuple[datetime, datetime]]:
    spans, low = [], window.start
    while low < window.end:
        high = min(low + LONGEST_QUERY, window.end)
        spans.append((low, high))
        low = high
    return spans


def _merged(spans: list[Interval], window: Interval) -> list[Interval]:
    merged: list[Interval] = []
    clipped = [
        Interval(max(s.start, window.start), min(s.end, window.end))
        for s in spans
        if s.start < window.end and s.end > window.start
    ]
    for span in sorted(clipped, key=lambda s: s.start):
        if merged and span.start <= merged[-1].end:
            if span.end > merged[-1].end:
                merged[-1] = Interval(merged[-1].start, span.end)
        else:
            merged.append(span)
    return merged


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)
