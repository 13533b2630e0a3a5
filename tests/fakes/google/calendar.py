"""Calendar: freebusy.query, calendars.get, settings.get.

Behaviours followed, with sources:
- freebusy: ``timeMin``/``timeMax`` required; at most 50 calendars (``calendarExpansionMax``
  "Maximum value is 50") and 100 members per group (``groupExpansionMax``); a window longer
  than 90 days is refused with "The requested time range is too long." (cal.com measured the
  90-day limit and quotes the message: calcom/cal.com pulls #11696 and #11962).
- Per-calendar problems do not fail the request: an unknown calendar, or one whose free/busy
  the caller may not see, answers ``{"errors": [{"domain": "global", "reason": "notFound"}],
  "busy": []}`` for that id (FreeBusyResponse in the discovery document lists the reasons).
- Groups are expanded into ``groups[id].calendars``; a group larger than groupExpansionMax gets
  ``groupTooBig``.
- Busy intervals are merged and clipped to the window; transparent, cancelled and declined
  events are free; out-of-office events are busy.
- calendars.get shows ``workingHours`` only to the calendar's owner ("Only available for primary
  calendars of Google Workspace users", Calendar resource in the discovery document).
Assumed: the 400 for more than 50 items uses reason ``tooManyCalendarsRequested`` (the name
Google gives that condition), and the too-long window reason ``timeRangeTooLong``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from . import calendar_model as cm
from .discovery import parse_rfc3339
from .dispatch import Call, Reply
from .errors import bad_request, not_found
from .util import etag

JsonObject = dict[str, Any]
MAX_WINDOW = timedelta(days=90)
SETTINGS = {
    "format24HourTime": "true",
    "weekStart": "1",
    "locale": "en",
    "defaultEventLength": "60",
    "hideWeekends": "false",
    "showDeclinedEvents": "true",
    "hideInvitations": "false",
    "useKeyboardShortcuts": "true",
    "remindOnRespondedEventsOnly": "false",
    "autoAddHangouts": "true",
    "dateFieldOrder": "DMY",
}


def _shown(moment: datetime, tz: str) -> str:
    if tz == "UTC":
        return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return moment.astimezone(cm.zone(tz)).isoformat(timespec="seconds")


def _freebusy_of(
    call: Call, calendar_id: str, low: datetime, high: datetime, tz: str
) -> JsonObject:
    state = call.state
    owner = call.subject if calendar_id == "primary" else calendar_id.lower()
    calendar = state.calendars.get(owner)
    if calendar is None or cm.access_role(state, calendar, call.subject) == "none":
        return {"errors": [{"domain": "global", "reason": "notFound"}], "busy": []}
    busy = cm.busy_intervals(state, calendar, low, high)
    return {"busy": [{"start": _shown(s, tz), "end": _shown(e, tz)} for s, e in busy]}


def _limit(body: JsonObject, name: str, maximum: int) -> int:
    value = int(body.get(name) or maximum)
    if value < 1 or value > maximum:
        raise bad_request(f"Invalid value for {name}: {value}. Maximum value is {maximum}.")
    return value


def freebusy(call: Call) -> Reply:
    state, body = call.state, call.body
    for name in ("timeMin", "timeMax"):
        if not body.get(name):
            raise bad_request(f"Missing {name} parameter.", "required")
    low, high = parse_rfc3339(str(body["timeMin"])), parse_rfc3339(str(body["timeMax"]))
    if high <= low:
        raise bad_request("The specified time range is empty.", "timeRangeEmpty", domain="calendar")
    if high - low > MAX_WINDOW:
        raise bad_request(
            "The requested time range is too long.", "timeRangeTooLong", domain="calendar"
        )
    tz = str(body.get("timeZone") or "UTC")
    cm.zone(tz)
    items = body.get("items") or []
    calendar_max = _limit(body, "calendarExpansionMax", 50)
    group_max = _limit(body, "groupExpansionMax", 100)
    if len(items) > calendar_max:
        raise bad_request(
            "The number of calendars requested is too large for a single query.",
            "tooManyCalendarsRequested",
            domain="calendar",
        )
    calendars: JsonObject = {}
    groups: JsonObject = {}
    for item in items:
        item_id = str(item.get("id") or "")
        group = state.groups.get(item_id.lower())
        if group is None:
            calendars[item_id] = _freebusy_of(call, item_id, low, high, tz)
            continue
        members = [m for m in group.members if m not in state.groups]
        if len(members) > group_max:
            groups[item_id] = {"errors": [{"domain": "global", "reason": "groupTooBig"}]}
            continue
        groups[item_id] = {"calendars": members}
        for member in members:
            calendars.setdefault(member, _freebusy_of(call, member, low, high, tz))
    result: JsonObject = {
        "kind": "calendar#freeBusy",
        "timeMin": _shown(low, "UTC").replace("Z", ".000Z"),
        "timeMax": _shown(high, "UTC").replace("Z", ".000Z"),
    }
    if groups:
        result["groups"] = groups
    result["calendars"] = calendars
    return Reply(result)


def calendars_get(call: Call) -> Reply:
    state = call.state
    calendar = cm.resolve_calendar(state, call.params["calendarId"], call.subject)
    role = cm.require(state, calendar, call.subject, "reader")
    user = state.user(calendar.owner)
    assert user is not None
    body: JsonObject = {
        "kind": "calendar#calendar",
        "id": calendar.owner,
        "summary": calendar.owner,
        "timeZone": user.timezone,
        "conferenceProperties": {"allowedConferenceSolutionTypes": ["hangoutsMeet"]},
    }
    if role == "owner" and user.working_hours is not None:
        body["workingHours"] = user.working_hours
    body["etag"] = etag(body)
    return Reply(body)


def settings_get(call: Call) -> Reply:
    state = call.state
    user = state.active_user(call.subject)
    if user is None:
        raise not_found(with_status=False)
    setting = call.params["setting"]
    values = {**SETTINGS, "timezone": user.timezone}
    if setting not in values:
        raise not_found(with_status=False)
    body: JsonObject = {"kind": "calendar#setting", "id": setting, "value": values[setting]}
    body["etag"] = etag(body)
    return Reply(body)


def working_hours(value: Any) -> JsonObject | None:
    """Accept Google's workingHours object, or ``("09:00", "17:00")`` for Monday to Friday."""
    if value is None or isinstance(value, dict):
        return value
    start, end = value

    def minutes(text: str) -> int:
        hours, mins = text.split(":")
        return int(hours) * 60 + int(mins)

    days = ("monday", "tuesday", "wednesday", "thursday", "friday")
    times = [
        {"dayOfWeek": d, "periodStart": minutes(start), "periodEnd": minutes(end)} for d in days
    ]
    return {"workingHoursEnabled": True, "availableTimes": times}


HANDLERS = {
    "calendar.freebusy.query": freebusy,
    "calendar.calendars.get": calendars_get,
    "calendar.settings.get": settings_get,
}
