"""Time zone names and dateTimeTimeZone values the way Outlook reads and writes them.

* Accepted names: Windows time zone names and IANA names (api-reference dateTimeTimeZone: "Time
  zones supported by Outlook: Windows, and additional IANA names"); the Windows-to-IANA table is
  CLDR's windowsZones, which icalendar ships. Anything else answers 400
  `TimeZoneNotSupportedException` "A valid TimeZone value must be specified. The following
  TimeZone value is not supported: 'X'." (captured in microsoftgraph/microsoft-graph-docs#4758
  and #6870, the latter for the `Prefer: outlook.timezone` header). The fake accepts every IANA
  name zoneinfo knows, a little more than Outlook's documented list.
* Output: `"dateTime": "2019-03-15T12:00:00.0000000"` with the zone name echoed, UTC unless the
  request carries `Prefer: outlook.timezone` (calendar-getschedule.md).
* A mailbox set to a customised zone reports working hours in `#microsoft.graph.customTimeZone`
  form: bias in minutes west of UTC, and the standard/daylight transitions as "nth weekday of a
  month" rules (example response in calendar-getschedule.md). The fake derives those rules from
  the zone's real transitions in the current year.
"""

from __future__ import annotations

import datetime
import functools
import zoneinfo
from typing import Any

from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON

from .errors import GraphError

_UTC_NAMES = {"utc", "etc/utc", "coordinated universal time"}


def unsupported(name: str) -> GraphError:
    return GraphError(
        400,
        "TimeZoneNotSupportedException",
        "A valid TimeZone value must be specified. The following TimeZone value is not "
        f"supported: '{name}'.",
        invalid=True,
    )


@functools.cache
def _iana_names() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def resolve(name: str) -> datetime.tzinfo:
    """A Windows or IANA name to a tzinfo, or the error Outlook gives for anything else."""
    if name.lower() in _UTC_NAMES:
        return datetime.UTC
    for windows, iana in WINDOWS_TO_OLSON.items():
        if windows.lower() == name.lower():
            return zoneinfo.ZoneInfo(iana)
    if name in _iana_names():
        return zoneinfo.ZoneInfo(name)
    raise unsupported(name)


def is_windows_name(name: str) -> bool:
    return any(windows.lower() == name.lower() for windows in WINDOWS_TO_OLSON)


def parse_datetime(value: Any, zone_name: Any, field: str) -> datetime.datetime:
    """A dateTimeTimeZone body value to an aware UTC datetime."""
    if not isinstance(value, str) or not isinstance(zone_name, str):
        raise GraphError(
            400,
            "RequestBodyRead",
            f"Cannot convert the literal '{value}' to the expected type for '{field}'.",
            invalid=True,
        )
    zone = resolve(zone_name)
    text = value.strip().replace("Z", "+00:00")
    head, dot, fraction = text.partition(".")
    if dot:
        digits = "".join(ch for ch in fraction if ch.isdigit())
        rest = fraction[len(digits) :]
        text = f"{head}.{digits[:6].ljust(6, '0')}{rest}"
    try:
        moment = datetime.datetime.fromisoformat(text)
    except ValueError:
        raise GraphError(
            400,
            "RequestBodyRead",
            f"Cannot convert the literal '{value}' to the expected type 'Edm.DateTimeOffset'.",
            invalid=True,
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.astimezone(datetime.UTC)


def format_datetime(moment: datetime.datetime, zone_name: str) -> dict[str, str]:
    local = moment.astimezone(resolve(zone_name))
    return {
        "dateTime": local.strftime("%Y-%m-%dT%H:%M:%S.") + f"{local.microsecond:06d}0",
        "timeZone": zone_name,
    }


def _rule(moment: datetime.datetime) -> dict[str, Any]:
    """A transition as Outlook's "nth weekday of month" rule; occurrence 5 means the last."""
    occurrence = (moment.day - 1) // 7 + 1
    if (moment + datetime.timedelta(days=7)).month != moment.month:
        occurrence = 5
    return {
        "time": moment.strftime("%H:%M:%S.0000000"),
        "dayOccurrence": occurrence,
        "dayOfWeek": moment.strftime("%A").lower(),
        "month": moment.month,
        "year": 0,
    }


def custom_zone(name: str, year: int | None = None) -> dict[str, Any]:
    """The customTimeZone Outlook reports for a mailbox set to a customised copy of `name`."""
    zone = resolve(name)
    year = year or datetime.datetime.now(datetime.UTC).year
    instant = datetime.datetime(year, 1, 1, tzinfo=datetime.UTC)
    standard = instant.astimezone(zone).utcoffset() or datetime.timedelta()
    previous = standard
    changes: list[tuple[datetime.datetime, datetime.timedelta]] = []
    while instant.year == year:
        offset = instant.astimezone(zone).utcoffset() or datetime.timedelta()
        if offset != previous:
            changes.append(((instant + previous).replace(tzinfo=None), offset))
            previous = offset
        instant += datetime.timedelta(hours=1)
    document: dict[str, Any] = {
        "@odata.type": "#microsoft.graph.customTimeZone",
        "bias": int(-standard.total_seconds() // 60),
        "name": "Customized Time Zone",
    }
    if len(changes) == 2:
        (to_daylight, daylight), (to_standard, _) = changes
        document["standardOffset"] = _rule(to_standard)
        document["daylightOffset"] = {
            "daylightBias": int(-(daylight - standard).total_seconds() // 60),
            **_rule(to_daylight),
        }
    else:
        no_rule = {"time": "00:00:00.0000000", "dayOccurrence": 0, "dayOfWeek": "sunday"}
        document["standardOffset"] = {**no_rule, "month": 0, "year": 0}
        document["daylightOffset"] = {"daylightBias": 0, **no_rule, "month": 0, "year": 0}
    return document
