"""Calendar's shared rules: access, event times, rendering, attendee copies, notifications.

Behaviours followed, with sources:
- An invitation puts a copy with the same ``id`` and ``iCalUID`` on each guest's calendar; the
  guest's copy lists the organizer and the guests with ``self: true`` on their own entry (Events
  resource reference, "Events with attendees" guide). The iCalUID differs from the id.
- Within a Workspace domain, colleagues see each other's free/busy but not event details (the
  default sharing setting), so events.list/get on a colleague's calendar is 404 unless shared,
  and a write with only read access is 403 ``requiredAccessLevel`` "You need to have writer
  access to this calendar." (Calendar "Handle API errors" guide).
- A time without offset needs ``timeZone``: "Missing time zone definition for start time.";
  an unknown IANA zone is "Invalid time zone definition for start time."; end before start
  is 400 ``timeRangeEmpty`` "The specified time range is empty." (Calendar API answers).
- ``sendUpdates``: ``all`` mails every guest, ``externalOnly`` only guests outside the domain,
  ``none`` (the default) nobody; the deprecated ``sendNotifications=true`` means ``all``.
- Deleted events stay ``cancelled``: events.get "always returns them" (Event.status in the
  discovery document); incremental sync returns them, with only the id guaranteed.
"""

from __future__ import annotations

import base64
import re
import secrets
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import ApiError, bad_request, not_found
from .state import Calendar, Entry, EventData, Notification, State
from .util import etag, rfc3339

JsonObject = dict[str, Any]
ROLES = ("none", "freeBusyReader", "reader", "writer", "owner")
BASE32HEX = "0123456789abcdefghijklmnopqrstuv"
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def zone(name: str, which: str = "start") -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise bad_request(f"Invalid time zone definition for {which} time.") from exc


def new_event_id() -> str:
    return "".join(secrets.choice(BASE32HEX) for _ in range(26))


def resolve_calendar(state: State, calendar_id: str, subject: str) -> Calendar:
    """The calendar a ``calendarId`` names (``primary`` is the caller's own); 404 if none."""
    owner = subject if calendar_id == "primary" else calendar_id.lower()
    user = state.user(owner)
    calendar = state.calendars.get(user.email) if user else None
    if calendar is None:
        raise not_found(with_status=False)
    return calendar


def access_role(state: State, calendar: Calendar, subject: str) -> str:
    if calendar.owner == subject.lower():
        return "owner"
    granted = calendar.acl.get(subject.lower())
    if granted:
        return granted
    same_domain = subject.lower().split("@")[-1] == calendar.owner.split("@")[-1]
    return "freeBusyReader" if same_domain and state.user(subject) else "none"


def require(state: State, calendar: Calendar, subject: str, needed: str) -> str:
    """Check the caller's access: 404 when they may not see the calendar, 403 for writes."""
    role = access_role(state, calendar, subject)
    if ROLES.index(role) >= ROLES.index(needed):
        return role
    if needed == "writer" and role == "reader":
        raise ApiError(
            403, "You need to have writer access to this calendar.", "requiredAccessLevel"
        )
    raise not_found(with_status=False)


def parse_time(value: Any, which: str) -> JsonObject:
    """Validate an EventDateTime and return it normalised (dateTime with offset, or date)."""
    if not isinstance(value, dict) or not (value.get("dateTime") or value.get("date")):
        raise bad_request(f"Missing {which} time.", "required")
    tz_name = value.get("timeZone")
    if tz_name:
        zone(tz_name, which)
    if value.get("date"):
        if value.get("dateTime"):
            raise bad_request(f"Invalid {which} time.")
        try:
            date.fromisoformat(value["date"])
        except ValueError as exc:
            raise bad_request(f"Invalid {which} time.") from exc
        return {k: value[k] for k in ("date", "timeZone") if value.get(k)}
    text = str(value["dateTime"])
    match = re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)?", text)
    if not match:
        raise bad_request(f"Invalid {which} time.")
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise bad_request(f"Invalid {which} time.") from exc
    if moment.tzinfo is None:
        if not tz_name:
            raise bad_request(f"Missing time zone definition for {which} time.", "required")
        moment = moment.replace(tzinfo=zone(tz_name, which))
    result: JsonObject = {"dateTime": moment.isoformat()}
    if tz_name:
        result["timeZone"] = tz_name
    return result


def instant(value: JsonObject, calendar_tz: str) -> datetime:
    """The moment an EventDateTime stands for; all-day dates start at midnight locally."""
    if "date" in value:
        local = zone(value.get("timeZone") or calendar_tz)
        return datetime.combine(date.fromisoformat(value["date"]), time(), local)
    return datetime.fromisoformat(value["dateTime"])


def check_range(start: JsonObject, end: JsonObject, calendar_tz: str) -> None:
    if ("date" in start) != ("date" in end):
        raise bad_request("Invalid start time.")
    if instant(end, calendar_tz) < instant(start, calendar_tz):
        raise bad_request("The specified time range is empty.", "timeRangeEmpty")


def timezone_of(state: State, email: str) -> str:
    user = state.user(email)
    return user.timezone if user else "UTC"


def _show_time(value: JsonObject, tz_name: str) -> JsonObject:
    if "date" in value:
        return dict(value)
    moment = datetime.fromisoformat(value["dateTime"]).astimezone(
        zone(value.get("timeZone") or tz_name)
    )
    shown: JsonObject = {"dateTime": moment.isoformat()}
    if value.get("timeZone"):
        shown["timeZone"] = value["timeZone"]
    return shown


def render(
    state: State, entry: Entry, *, minimal: bool = False, tz: str | None = None
) -> JsonObject:
    """An event as the owner of ``entry.calendar`` sees it."""
    data, owner = entry.data, entry.calendar
    status = "cancelled" if entry.cancelled else data.status
    if minimal:
        body: JsonObject = {"kind": "calendar#event", "id": data.id, "status": status}
        body["etag"] = etag([body, entry.seq])
        return body
    eid = base64.b64encode(f"{data.id} {owner}".encode()).decode().rstrip("=")
    body = {
        "kind": "calendar#event",
        "id": data.id,
        "status": status,
        "htmlLink": f"https://www.google.com/calendar/event?eid={eid}",
        "created": rfc3339(data.created),
        "updated": rfc3339(entry.updated),
    }
    for name in ("summary", "description", "location"):
        if getattr(data, name) is not None:
            body[name] = getattr(data, name)
    body["creator"] = {"email": data.creator, **({"self": True} if data.creator == owner else {})}
    body["organizer"] = {
        "email": data.organizer,
        **({"self": True} if data.organizer == owner else {}),
    }
    shown_tz = tz or timezone_of(state, owner)
    body["start"] = _show_time(data.start, shown_tz)
    body["end"] = _show_time(data.end, shown_tz)
    if data.transparency == "transparent":
        body["transparency"] = "transparent"
    if data.visibility and data.visibility != "default":
        body["visibility"] = data.visibility
    body["iCalUID"] = data.ical_uid
    body["sequence"] = data.sequence
    if data.attendees:
        body["attendees"] = [
            {**a, **({"self": True} if a["email"] == owner else {})} for a in data.attendees
        ]
    if data.guests_can_modify:
        body["guestsCanModify"] = True
    if not data.guests_can_invite_others:
        body["guestsCanInviteOthers"] = False
    if not data.guests_can_see_other_guests:
        body["guestsCanSeeOtherGuests"] = False
    if data.conference:
        body["hangoutLink"] = data.conference["entryPoints"][0]["uri"]
        body["conferenceData"] = data.conference
    body["reminders"] = data.reminders
    body["eventType"] = data.event_type
    body.update(data.extra)
    body["etag"] = etag([body, entry.seq])
    return body


def guests(data: EventData) -> list[str]:
    """Attendee addresses other than the organizer's."""
    return [a["email"] for a in data.attendees if a["email"] != data.organizer]


def sync_copies(state: State, data: EventData, now: datetime) -> None:
    """Give each guest with a calendar here a copy; mark copies of uninvited guests removed."""
    invited = set(guests(data))
    for email, calendar in state.calendars.items():
        if email == data.organizer:
            continue
        entry = calendar.entries.get(data.id)
        if email in invited and entry is None:
            calendar.entries[data.id] = entry = Entry(email, data, 0, now)
        if entry is not None and entry.data is data:
            entry.removed = email not in invited
            calendar.touch(entry, now)


def touch_all(state: State, data: EventData, now: datetime) -> None:
    """A change to the meeting shows up in every calendar's sync feed that holds a copy."""
    organizer = state.calendars.get(data.organizer)
    if organizer and data.id in organizer.entries:
        organizer.touch(organizer.entries[data.id], now)
    sync_copies(state, data, now)


def send_mode(query: JsonObject) -> str:
    if "sendUpdates" in query:
        return str(query["sendUpdates"])
    return "all" if query.get("sendNotifications") else "none"


def notify(state: State, data: EventData, kind: str, recipients: list[str], mode: str) -> None:
    """Record the emails Google would send for this change."""
    for email in recipients:
        external = email.split("@")[-1] not in state.domains
        if mode == "all" or (mode == "externalOnly" and external):
            state.notifications.append(Notification(email, data.organizer, data.id, kind))


def meet_conference(request: JsonObject) -> JsonObject:
    """conferenceData as Google fills it in for a created Meet (conferenceDataVersion=1)."""
    code = "-".join(
        "".join(secrets.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(n)) for n in (3, 4, 3)
    )
    return {
        "createRequest": {**request, "status": {"statusCode": "success"}},
        "entryPoints": [
            {
                "entryPointType": "video",
                "uri": f"https://meet.google.com/{code}",
                "label": f"meet.google.com/{code}",
            }
        ],
        "conferenceSolution": {
            "key": {"type": "hangoutsMeet"},
            "name": "Google Meet",
            "iconUri": "https://fonts.gstatic.com/s/i/productlogos/meet_2020q4/v6/web-512dp/logo_meet_2020q4_color_2x_web_512dp.png",
        },
        "conferenceId": code,
    }


def window_overlaps(
    entry: Entry, state: State, low: datetime | None, high: datetime | None
) -> bool:
    tz = timezone_of(state, entry.calendar)
    start, end = instant(entry.data.start, tz), instant(entry.data.end, tz)
    return (low is None or end > low) and (high is None or start < high)


def busy_intervals(
    state: State, calendar: Calendar, low: datetime, high: datetime
) -> list[tuple[datetime, datetime]]:
    """Merged busy time: no cancelled, transparent or declined events; out-of-office counts."""
    spans: list[tuple[datetime, datetime]] = []
    tz = timezone_of(state, calendar.owner)
    for entry in calendar.entries.values():
        data = entry.data
        if (
            entry.cancelled
            or data.transparency == "transparent"
            or data.event_type == "workingLocation"
        ):
            continue
        mine = next((a for a in data.attendees if a["email"] == calendar.owner), None)
        if mine and mine.get("responseStatus") == "declined":
            continue
        start, end = max(instant(data.start, tz), low), min(instant(data.end, tz), high)
        if start < end:
            spans.append((start, end))
    merged: list[tuple[datetime, datetime]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def shift(value: JsonObject, delta: timedelta) -> JsonObject:
    if "date" in value:
        return {**value, "date": (date.fromisoformat(value["date"]) + delta).isoformat()}
    return {**value, "dateTime": (datetime.fromisoformat(value["dateTime"]) + delta).isoformat()}
