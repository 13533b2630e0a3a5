"""POST /users/{id}/calendar/getSchedule and GET /users/{id}/mailboxSettings.

getSchedule, as documented (api-reference calendar-getschedule.md, concepts
outlook-get-free-busy-schedule.md) and as it refuses in production:

* parameters are read case-insensitively (the concept page itself sends `Schedules`,
  `StartTime`); an unknown one is refused like any action parameter;
* at most 20 schedules per call, the documented limit (production has been seen accepting 100:
  microsoftgraph/microsoft-graph-docs#7047); beyond it 400 `ErrorMailboxDataArrayTooBig` "There
  are too many target users in the EmailAddress array. The allowed size = 20; the actual size =
  21." (text from that issue);
* a window of at most 62 days, else 400 `ErrorTimeIntervalTooBig` "The requested time duration
  specified for FreeBusyViewOptions.TimeWindow is too long. The allowed limit = 62 days; the
  actual limit = 63 days." (microsoftgraph/microsoft-graph-docs PR #19703);
* availabilityViewInterval 5..1440 minutes (default 30), else 400
  `ErrorInvalidMergedFreeBusyInterval` (the Exchange availability error; text assumed);
* times are returned in UTC unless `Prefer: outlook.timezone` names a zone;
* availabilityView digits: 0 free, 1 tentative, 2 busy, 3 oof, 4 workingElsewhere
  (scheduleinformation.md), the strongest status winning a slot;
* an address that resolves to nobody yields only `scheduleId` and `error {message,
  responseCode}` (microsoftgraph/microsoft-graph-docs#11225, responseCode "5009");
* by default Exchange shares free/busy only (the Default calendar permission is
  AvailabilityOnly), so items carry status and times; a mailbox seeded with
  `share_details=True` also shows isPrivate, subject and location, as in the documented example.
"""

from __future__ import annotations

import datetime
import math
from typing import Any

from . import odata, timezones
from .dispatch import EXCHANGE, Route, Service, json_body, route
from .errors import Request, Response, bad_request
from .state import User

ROUTES: list[Route] = []
CALENDAR_READ = {"Calendars.Read", "Calendars.ReadWrite"}
SETTINGS_READ = {"MailboxSettings.Read", "MailboxSettings.ReadWrite"}
VIEW_DIGIT = {"free": 0, "tentative": 1, "busy": 2, "oof": 3, "workingElsewhere": 4}
STRENGTH = {"free": 0, "workingElsewhere": 1, "tentative": 2, "busy": 3, "oof": 4}
PARAMETERS = ("schedules", "startTime", "endTime", "availabilityViewInterval")


def working_hours(user: User) -> dict[str, Any]:
    hours = user.working_hours
    zone: dict[str, Any] = (
        timezones.custom_zone(hours.zone) if user.custom_timezone else {"name": hours.zone}
    )
    return {
        "daysOfWeek": list(hours.days),
        "startTime": f"{hours.start}:00.0000000",
        "endTime": f"{hours.end}:00.0000000",
        "timeZone": zone,
    }


def calendar_items(service: Service, user: User) -> list[dict[str, Any]]:
    """The free/busy-relevant items of a mailbox: not cancelled, not shown as free."""
    items = []
    for event in service.state.mailbox_events(user.id):
        data = event.data
        status = str(data.get("showAs", "busy"))
        if data.get("isCancelled") or status == "free":
            continue
        items.append(
            {
                "start": event.start,
                "end": event.end,
                "status": status,
                "isPrivate": data.get("sensitivity") in ("private", "confidential"),
                "subject": data.get("subject"),
                "location": (data.get("location") or {}).get("displayName", ""),
            }
        )
    return sorted(items, key=lambda item: item["start"])


def _parameters(request: Request) -> dict[str, Any]:
    body = json_body(request)
    lookup = {name.lower(): name for name in PARAMETERS}
    found: dict[str, Any] = {}
    for key, value in body.items():
        if key.lower() not in lookup:
            raise bad_request(
                "RequestBodyRead",
                f"The parameter '{key}' in the request payload is not a valid parameter for the "
                "operation 'getSchedule'.",
            )
        found[lookup[key.lower()]] = value
    for name in ("schedules", "startTime", "endTime"):
        if found.get(name) is None:
            raise bad_request("ErrorInvalidParameter", f"The parameter '{name}' is required.")
    return found


def _window(found: dict[str, Any]) -> tuple[datetime.datetime, datetime.datetime]:
    bounds = []
    for name in ("startTime", "endTime"):
        value = found[name]
        if not isinstance(value, dict):
            raise bad_request("RequestBodyRead", f"'{name}' must be a dateTimeTimeZone object.")
        bounds.append(timezones.parse_datetime(value.get("dateTime"), value.get("timeZone"), name))
    start, end = bounds
    if end <= start:
        raise bad_request("ErrorInvalidTimeInterval", "The start time must be before the end time.")
    days = math.ceil((end - start) / datetime.timedelta(days=1))
    if end - start > datetime.timedelta(days=62):
        raise bad_request(
            "ErrorTimeIntervalTooBig",
            "The requested time duration specified for FreeBusyViewOptions.TimeWindow is too "
            f"long. The allowed limit = 62 days; the actual limit = {days} days.",
        )
    return start, end


@route(ROUTES, "POST", "/users/{user}/calendar/getSchedule", "getSchedule", CALENDAR_READ, EXCHANGE)
def get_schedule(service: Service, request: Request, params: dict[str, str]) -> Response:
    found = _parameters(request)
    schedules = found["schedules"]
    if not isinstance(schedules, list) or not all(isinstance(s, str) for s in schedules):
        raise bad_request("RequestBodyRead", "'schedules' must be a collection of strings.")
    if not schedules:
        raise bad_request("ErrorInvalidParameter", "At least one schedule is required.")
    limit = service.config.schedule_limit
    if len(schedules) > limit:
        raise bad_request(
            "ErrorMailboxDataArrayTooBig",
            "There are too many target users in the EmailAddress array. The allowed size = "
            f"{limit}; the actual size = {len(schedules)}.",
        )
    start, end = _window(found)
    interval = found.get("availabilityViewInterval", 30)
    if isinstance(interval, str) and interval.isdigit():
        interval = int(interval)
    if not isinstance(interval, int) or not 5 <= interval <= 1440:
        raise bad_request(
            "ErrorInvalidMergedFreeBusyInterval",
            "The MergedFreeBusyInterval must be between 5 minutes and 1440 minutes.",
        )
    zone = odata.prefer(request).get("outlook.timezone", "UTC")
    timezones.resolve(zone)
    value = [_schedule(service, address, start, end, interval, zone) for address in schedules]
    context = f"{service.graph_url}/$metadata#Collection(microsoft.graph.scheduleInformation)"
    return Response(json={"@odata.context": context, "value": value})


def _schedule(
    service: Service,
    address: str,
    start: datetime.datetime,
    end: datetime.datetime,
    interval: int,
    zone: str,
) -> dict[str, Any]:
    user = service.state.find_user(address)
    if user is None or not user.has_mailbox:
        return {
            "scheduleId": address,
            "error": {
                "message": f"Unable to resolve e-mail address {address} to an Active Directory "
                "object.",
                "responseCode": "5009",
            },
        }
    items = [i for i in calendar_items(service, user) if i["start"] < end and i["end"] > start]
    slots = math.ceil((end - start) / datetime.timedelta(minutes=interval))
    view = []
    for index in range(slots):
        slot_start = start + datetime.timedelta(minutes=interval * index)
        slot_end = slot_start + datetime.timedelta(minutes=interval)
        statuses = [i["status"] for i in items if i["start"] < slot_end and i["end"] > slot_start]
        strongest = max(statuses, key=lambda s: STRENGTH.get(s, 0), default="free")
        view.append(str(VIEW_DIGIT.get(strongest, 0)))
    schedule_items = []
    for item in items:
        shown: dict[str, Any] = {"status": item["status"]}
        if user.share_details:
            shown["isPrivate"] = item["isPrivate"]
            if not item["isPrivate"]:
                shown["subject"] = item["subject"] or ""
                shown["location"] = item["location"]
        shown["start"] = timezones.format_datetime(item["start"], zone)
        shown["end"] = timezones.format_datetime(item["end"], zone)
        schedule_items.append(shown)
    return {
        "scheduleId": address,
        "availabilityView": "".join(view),
        "scheduleItems": schedule_items,
        "workingHours": working_hours(user),
    }


@route(ROUTES, "GET", "/users/{user}/mailboxSettings", "mailboxSettings", SETTINGS_READ, EXCHANGE)
def mailbox_settings(service: Service, request: Request, params: dict[str, str]) -> Response:
    odata.reject_options(request, {"$select"})
    user = service.state.users[params["mailbox"]]
    document: dict[str, Any] = {
        "@odata.context": f"{service.graph_url}/$metadata#users('{user.id}')/mailboxSettings",
        "archiveFolder": "",
        "timeZone": "Customized Time Zone" if user.custom_timezone else user.timezone,
        "delegateMeetingMessageDeliveryOptions": "sendToDelegateOnly",
        "dateFormat": "M/d/yyyy",
        "timeFormat": "h:mm tt",
        "userPurpose": "user",
        "automaticRepliesSetting": {
            "status": "disabled",
            "externalAudience": "all",
            "internalReplyMessage": "",
            "externalReplyMessage": "",
            "scheduledStartDateTime": {
                "dateTime": "2024-01-01T00:00:00.0000000",
                "timeZone": "UTC",
            },
            "scheduledEndDateTime": {"dateTime": "2024-01-02T00:00:00.0000000", "timeZone": "UTC"},
        },
        "language": {"locale": "en-US", "displayName": "English (United States)"},
        "workingHours": working_hours(user),
    }
    selected = odata.parse_select(
        request,
        [k for k in document if not k.startswith("@")],
        "microsoft.graph.mailboxSettings",
        outlook=True,
    )
    if selected is not None:
        document = {k: v for k, v in document.items() if k.startswith("@") or k in selected}
    return Response(json=document)
