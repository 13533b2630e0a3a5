"""Free/busy and working hours through getSchedule: at most 20 people a call, windows under
62 days, times asked in UTC. Each person's working hours come with their schedule (the
mailbox's own setting); outside them a person counts as busy, so that the planner's slots,
already inside the program's `hours`, fall in the intersection of both.

Working-hours zones come as Windows names (mapped to IANA with CLDR's table, which icalendar
ships, through scheduler.program.zone_names), IANA names, or a custom zone (a bias and two
transition rules), matched to the IANA zone with the same offsets and rules; a custom zone
that matches none is left out, and the person then takes the program's zone."""

from __future__ import annotations

import functools
import zoneinfo
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from integrations.microsoft.graph import Call, Graph
from scheduler.core.model import Interval, Weekday
from scheduler.ports import WorkingHours
from scheduler.program.zone_names import zone_named

# where several zones keep the same rules, the one people know (Berlin, not Ceuta)
PREFERRED = (
    "Europe/London", "Europe/Berlin", "Europe/Helsinki", "America/New_York", "America/Chicago",
    "America/Denver", "America/Phoenix", "America/Los_Angeles", "America/Sao_Paulo",
    "America/Mexico_City", "Asia/Kolkata", "Asia/Singapore", "Asia/Shanghai", "Asia/Tokyo",
    "Asia/Dubai", "Australia/Sydney", "Australia/Perth", "Africa/Johannesburg", "Africa/Lagos",
    "Pacific/Auckland", "America/Toronto", "America/Halifax", "Asia/Jerusalem",
)  # fmt: skip
PEOPLE_PER_CALL = 20
LONGEST_WINDOW = timedelta(days=61)  # Graph refuses windows of 62 days and more
BUSY = frozenset({"busy", "oof", "tentative"})
DAYS = {day.name.lower(): day for day in Weekday}
DAY_NAMES = {
    "monday": Weekday.MON,
    "tuesday": Weekday.TUE,
    "wednesday": Weekday.WED,
    "thursday": Weekday.THU,
    "friday": Weekday.FRI,
    "saturday": Weekday.SAT,
    "sunday": Weekday.SUN,
}


def iana_zone(name: str) -> str | None:
    """A Windows or IANA zone name as an IANA name; None when neither."""
    text = name.strip()
    if text.casefold() in ("utc", "coordinated universal time", "etc/utc"):
        return "UTC"
    return zone_named(text) if text else None


def _rule_of(zone: zoneinfo.ZoneInfo, year: int) -> tuple[Any, ...]:
    """(standard bias, daylight bias, the months, weekdays and occurrences of the changes)."""
    standard_offset = datetime(year, 1, 1, tzinfo=UTC).astimezone(zone).utcoffset()
    summer_offset = datetime(year, 7, 1, tzinfo=UTC).astimezone(zone).utcoffset()
    assert standard_offset is not None and summer_offset is not None
    if summer_offset < standard_offset:  # southern hemisphere: January is summer
        standard_offset, summer_offset = summer_offset, standard_offset
    changes = []
    day = datetime(year, 1, 1, 12, tzinfo=UTC)
    previous = day.astimezone(zone).utcoffset()
    while day.year == year:
        offset = day.astimezone(zone).utcoffset()
        if offset != previous:
            local = day.astimezone(zone)
            occurrence = (
                5
                if (local + timedelta(days=7)).month != local.month
                else ((local.day - 1) // 7 + 1)
            )
            changes.append((offset == summer_offset, local.month, local.weekday(), occurrence))
            previous = offset
        day += timedelta(days=1)
    bias = -int(standard_offset.total_seconds() // 60)
    daylight = -int((summer_offset - standard_offset).total_seconds() // 60)
    return (bias, daylight, tuple(sorted(changes)))


@functools.cache
def _rules(year: int) -> dict[tuple[Any, ...], str]:
    found: dict[tuple[Any, ...], str] = {}
    regions = sorted(z for z in zoneinfo.available_timezones() if "/" in z)
    for iana in [*PREFERRED, *regions]:
        try:
            found.setdefault(_rule_of(zoneinfo.ZoneInfo(iana), year), iana)
        except (ValueError, KeyError):
            continue
    return found


def custom_zone(document: Mapping[str, Any], year: int) -> str | None:
    """The IANA zone that keeps the offsets and transitions of a customTimeZone, if any."""
    try:
        bias = int(document.get("bias", 0))
        standard = document.get("standardOffset") or {}
        daylight = document.get("daylightOffset") or {}
        daylight_bias = int(daylight.get("daylightBias", 0))
        changes: list[tuple[bool, int, int, int]] = []
        if int(standard.get("month") or 0) and int(daylight.get("month") or 0):
            for rule, to_summer in ((daylight, True), (standard, False)):
                weekday = DAY_NAMES[str(rule["dayOfWeek"]).lower()]
                changes.append(
                    (to_summer, int(rule["month"]), int(weekday), int(rule["dayOccurrence"]))
                )
    except (KeyError, TypeError, ValueError):
        return None
    return _rules(year).get((bias, daylight_bias, tuple(sorted(changes))))


def working_hours_of(document: Mapping[str, Any], year: int) -> WorkingHours | None:
    """getSchedule's or mailboxSettings' workingHours, in an IANA zone; None when unusable."""
    zone_document = document.get("timeZone") or {}
    name = str(zone_document.get("name") or "")
    zone: str | None
    if str(zone_document.get("@odata.type", "")).endswith("customTimeZone"):
        zone = custom_zone(zone_document, year)
    else:
        zone = iana_zone(name) if name else None
    if zone is None:
        return None
    try:
        days = frozenset(DAY_NAMES[str(d).lower()] for d in document.get("daysOfWeek") or [])
        start = time.fromisoformat(str(document["startTime"])[:8])
        end = time.fromisoformat(str(document["endTime"])[:8])
    except (KeyError, ValueError):
        return None
    if not days:
        return None
    return WorkingHours(zone, days, start, end)


def _utc(value: Mapping[str, Any]) -> datetime:
    text = str(value["dateTime"])
    head = text.partition(".")[0]
    moment = datetime.fromisoformat(head)
    zone = iana_zone(str(value.get("timeZone") or "UTC")) or "UTC"
    return moment.replace(tzinfo=zoneinfo.ZoneInfo(zone)).astimezone(UTC)


def outside(hours: WorkingHours, window: Interval) -> list[Interval]:
    """The parts of `window` outside a person's working hours, as busy intervals."""
    zone = zoneinfo.ZoneInfo(hours.timezone)
    first = window.start.astimezone(zone).date() - timedelta(days=1)
    last = window.end.astimezone(zone).date() + timedelta(days=1)
    free: list[Interval] = []
    day: date = first
    while day <= last:
        if Weekday(day.weekday()) in hours.days:
            start = datetime.combine(day, hours.start, zone)
            end = datetime.combine(
                day + timedelta(days=1) if hours.end <= hours.start else day, hours.end, zone
            )
            free.append(Interval(start.astimezone(UTC), end.astimezone(UTC)))
        day += timedelta(days=1)
    busy: list[Interval] = []
    cursor = window.start
    for span in free:
        if span.end <= cursor:
            continue
        if span.start > cursor:
            busy.append(Interval(cursor, min(span.start, window.end)))
        cursor = max(cursor, span.end)
        if cursor >= window.end:
            break
    if cursor < window.end:
        busy.append(Interval(cursor, window.end))
    return [b for b in busy if b.start < b.end]


class Schedules:
    """getSchedule through the program mailbox, for many people; working hours are kept
    for the process, since they change rarely."""

    def __init__(self, graph: Graph, mailbox: str) -> None:
        self.graph = graph
        self.mailbox = mailbox
        self.hours: dict[str, WorkingHours | None] = {}

    def read(
        self, emails: Sequence[str], window: Interval
    ) -> dict[str, tuple[list[Interval], WorkingHours | None] | None]:
        """For each person: busy items and working hours, or None when Graph could not say
        (an unknown address, a mailbox it cannot read)."""
        found: dict[str, tuple[list[Interval], WorkingHours | None] | None] = {}
        people = list(dict.fromkeys(emails))
        spans = []
        start = window.start
        while start < window.end:
            spans.append(Interval(start, min(start + LONGEST_WINDOW, window.end)))
            start = spans[-1].end
        calls, asked = [], []
        for span in spans:
            for first in range(0, len(people), PEOPLE_PER_CALL):
                group = people[first : first + PEOPLE_PER_CALL]
                body = {
                    "schedules": group,
                    "startTime": _graph_time(span.start),
                    "endTime": _graph_time(span.end),
                    "availabilityViewInterval": 30,
                }
                calls.append(
                    Call(
                        "POST",
                        f"/users/{self.mailbox}/calendar/getSchedule",
                        body,
                        {"Prefer": 'outlook.timezone="UTC"'},
                    )
                )
                asked.append(group)
        answers = self.graph.batch(calls)
        year = window.start.year
        for group, answer in zip(asked, answers, strict=True):
            if answer.error is not None:
                raise answer.error
            for schedule in answer.body.get("value") or []:
                email = str(schedule.get("scheduleId", "")).lower()
                match = next((p for p in group if p.lower() == email), None)
                if match is None:
                    continue
                if schedule.get("error"):
                    found.setdefault(match, None)
                    continue
                hours = working_hours_of(schedule.get("workingHours") or {}, year)
                self.hours[match] = hours
                items = [
                    Interval(_utc(item["start"]), _utc(item["end"]))
                    for item in schedule.get("scheduleItems") or []
                    if str(item.get("status", "busy")) in BUSY
                ]
                previous = found.get(match)
                if previous is not None:
                    items = previous[0] + items
                found[match] = (items, hours)
        return found


def _graph_time(moment: datetime) -> dict[str, str]:
    utc = moment.astimezone(UTC)
    return {"dateTime": utc.strftime("%Y-%m-%dT%H:%M:%S"), "timeZone": "UTC"}
