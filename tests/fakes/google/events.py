"""Calendar events: insert, get, patch, delete, and a guest's response (listing: event_list).

Behaviours followed, with sources:
- Client-chosen ids: "characters allowed in the ID are those used in base32hex encoding, i.e.
  lowercase letters a-v and digits 0-9 ... length of the ID must be between 5 and 1024
  characters" (Event.id in the discovery document); otherwise 400 "Invalid resource id value.".
  An id used before on the calendar -- even by a deleted event -- is 409 ``duplicate`` "The
  requested identifier already exists." (google-api-python-client issue #210 shows both the 409
  after a delete and the 410 "Resource has been deleted" for deleting twice).
- events.get returns deleted events, status ``cancelled`` ("The get method always returns
  them", Event.status in the discovery document; google-api-java-client issue #1535).
- ``conferenceDataVersion=1`` is needed for ``conferenceData.createRequest`` to make a Meet;
  with version 0 conference data is ignored (events.insert reference).
- ``sequence`` goes up when the time changes (RFC 5545 SEQUENCE, which Google follows).
- A guest may change only their own response unless ``guestsCanModify``: 403
  ``forbiddenForNonOrganizer`` otherwise (Calendar errors guide).
Not modelled (501): recurring events, event types other than default/outOfOffice/focusTime.
"""

from __future__ import annotations

import re
from typing import Any

from . import calendar_model as cm
from .dispatch import Call, Reply
from .errors import ApiError, bad_request, not_found, unimplemented
from .event_list import list_events
from .state import Calendar, Entry, EventData, Notification, State

JsonObject = dict[str, Any]
STORED_AS_IS = ("colorId", "extendedProperties", "source", "outOfOfficeProperties", "attachments")
VALUES = {
    "transparency": ("opaque", "transparent"),
    "visibility": ("default", "public", "private", "confidential"),
}


def _deleted() -> ApiError:
    return ApiError(410, "Resource has been deleted", "deleted", with_status=False)


def _attendees(
    body_attendees: list[JsonObject], data: EventData, previous: list[JsonObject]
) -> list[JsonObject]:
    """Normalise a guest list: new guests start needsAction, the organizer has accepted."""
    known = {a["email"]: a for a in previous}
    result: list[JsonObject] = []
    for given in body_attendees:
        email = str(given.get("email") or "").lower()
        if not cm.EMAIL.match(email):
            raise bad_request("Invalid attendee email.")
        if any(a["email"] == email for a in result):
            continue
        status = known[email]["responseStatus"] if email in known else "needsAction"
        if email == data.organizer:
            status = known.get(email, {}).get("responseStatus", "accepted")
        entry: JsonObject = {"email": email}
        if given.get("displayName"):
            entry["displayName"] = given["displayName"]
        if email == data.organizer:
            entry["organizer"] = True
        if given.get("optional"):
            entry["optional"] = True
        entry["responseStatus"] = status
        result.append(entry)
    return result


def _apply(data: EventData, body: JsonObject, query: JsonObject, tz: str) -> bool:
    """Copy writable fields from a request body; return whether the time changed."""
    for name in ("summary", "description", "location"):
        if name in body:
            setattr(data, name, body[name])
    for name, allowed in VALUES.items():
        if body.get(name) is not None and body[name] not in allowed:
            raise bad_request(f"Invalid value for {name}: {body[name]}")
    if "transparency" in body:
        data.transparency = body["transparency"]
    if "visibility" in body:
        data.visibility = body["visibility"]
    for name, attr in (
        ("guestsCanModify", "guests_can_modify"),
        ("guestsCanInviteOthers", "guests_can_invite_others"),
        ("guestsCanSeeOtherGuests", "guests_can_see_other_guests"),
    ):
        if body.get(name) is not None:
            setattr(data, attr, bool(body[name]))
    if body.get("reminders") is not None:
        data.reminders = body["reminders"]
    if body.get("recurrence"):
        raise unimplemented("recurring events")
    if body.get("eventType") not in (None, "default", "outOfOffice", "focusTime"):
        raise unimplemented(f"eventType {body['eventType']}")
    data.event_type = body.get("eventType") or data.event_type
    data.extra.update({k: body[k] for k in STORED_AS_IS if k in body})
    if body.get("conferenceData") is not None and query.get("conferenceDataVersion", 0) >= 1:
        create = body["conferenceData"].get("createRequest")
        if create:
            if (create.get("conferenceSolutionKey") or {}).get("type") != "hangoutsMeet":
                raise bad_request("Invalid conference type value.")
            if not create.get("requestId"):
                raise bad_request("Invalid conference create request: missing requestId.")
            data.conference = cm.meet_conference(create)
    moved = False
    start = cm.parse_time(body["start"], "start") if "start" in body else data.start
    end = cm.parse_time(body["end"], "end") if "end" in body else data.end
    cm.check_range(start, end, tz)
    if (start, end) != (data.start, data.end):
        moved = bool(data.start)
        data.start, data.end = start, end
    return moved


def insert(call: Call) -> Reply:
    state, body, query = call.state, call.body, call.query
    calendar = cm.resolve_calendar(state, call.params["calendarId"], call.subject)
    cm.require(state, calendar, call.subject, "writer")
    tz = cm.timezone_of(state, calendar.owner)
    for which in ("start", "end"):
        if which not in body or body[which] is None:
            raise bad_request(f"Missing {which} time.", "required")
    event_id = body.get("id")
    if event_id is not None:
        if not re.fullmatch(r"[a-v0-9]{5,1024}", str(event_id)):
            raise bad_request("Invalid resource id value.")
        if event_id in calendar.entries:
            raise ApiError(
                409, "The requested identifier already exists.", "duplicate", with_status=False
            )
    event_id = event_id or cm.new_event_id()
    now = state.clock.now()
    data = EventData(
        id=event_id,
        ical_uid=f"{event_id}@google.com",
        organizer=calendar.owner,
        creator=call.subject.lower(),
        start={},
        end={},
        created=now,
    )
    _apply(data, body, query, tz)
    data.attendees = _attendees(body.get("attendees") or [], data, [])
    entry = Entry(calendar.owner, data, 0, now)
    calendar.entries[event_id] = entry
    calendar.touch(entry, now)
    cm.sync_copies(state, data, now)
    cm.notify(state, data, "invitation", cm.guests(data), cm.send_mode(query))
    return Reply(cm.render(state, entry))


def _entry(state: State, call: Call, needed: str) -> tuple[Calendar, Entry]:
    calendar = cm.resolve_calendar(state, call.params["calendarId"], call.subject)
    cm.require(state, calendar, call.subject, needed)
    entry = calendar.entries.get(call.params["eventId"])
    if entry is None:
        raise not_found(with_status=False)
    return calendar, entry


def get(call: Call) -> Reply:
    _, entry = _entry(call.state, call, "reader")
    if call.query.get("timeZone"):
        cm.zone(call.query["timeZone"])
    return Reply(cm.render(call.state, entry, tz=call.query.get("timeZone")))


def patch(call: Call) -> Reply:
    state, body, query = call.state, call.body, call.query
    calendar, entry = _entry(state, call, "writer")
    data, now = entry.data, state.clock.now()
    if calendar.owner != data.organizer and not data.guests_can_modify:
        mine = [
            a
            for a in body.get("attendees") or []
            if str(a.get("email", "")).lower() == calendar.owner
        ]
        if set(body) - {"attendees"} or len(mine) != 1:
            raise ApiError(
                403,
                "Shared properties can only be changed by the organizer of the event.",
                "forbiddenForNonOrganizer",
            )
        respond(state, calendar.owner, data.id, calendar.owner, str(mine[0].get("responseStatus")))
        return Reply(cm.render(state, entry))
    before = set(cm.guests(data))
    if body.get("status") in ("confirmed", "tentative", "cancelled"):
        data.status = body["status"]
    moved = _apply(data, body, query, cm.timezone_of(state, calendar.owner))
    if "attendees" in body:
        data.attendees = _attendees(body["attendees"] or [], data, data.attendees)
    if moved:
        data.sequence += 1
    cm.touch_all(state, data, now)
    after, mode = set(cm.guests(data)), cm.send_mode(query)
    cm.notify(state, data, "invitation", sorted(after - before), mode)
    cm.notify(state, data, "cancellation", sorted(before - after), mode)
    cm.notify(state, data, "update", sorted(after & before), mode)
    return Reply(cm.render(state, entry))


def delete(call: Call) -> Reply:
    state = call.state
    calendar, entry = _entry(state, call, "writer")
    if entry.cancelled:
        raise _deleted()
    data, now = entry.data, state.clock.now()
    if calendar.owner == data.organizer:
        data.status = "cancelled"
        cm.touch_all(state, data, now)
        cm.notify(state, data, "cancellation", cm.guests(data), cm.send_mode(call.query))
    else:  # a guest removes the invitation from their calendar: it counts as declining
        entry.hidden = True
        for guest in data.attendees:
            if guest["email"] == calendar.owner:
                guest["responseStatus"] = "declined"
        cm.touch_all(state, data, now)
    return Reply(None, 204)


def respond(state: State, owner: str, event_id: str, attendee: str, status: str) -> None:
    """A guest answers an invitation: the organizer's feed and a reply email show it."""
    if status not in ("accepted", "declined", "tentative", "needsAction"):
        raise ValueError(f"unknown response status {status!r}")
    calendar = state.calendars[owner.lower()]
    data = calendar.entries[event_id].data
    guest = next(a for a in data.attendees if a["email"] == attendee.lower())
    guest["responseStatus"] = status
    cm.touch_all(state, data, state.clock.now())
    state.notifications.append(Notification(data.organizer, data.organizer, data.id, "reply"))


HANDLERS = {
    "calendar.events.insert": insert,
    "calendar.events.get": get,
    "calendar.events.patch": patch,
    "calendar.events.delete": delete,
    "calendar.events.list": list_events,
}
