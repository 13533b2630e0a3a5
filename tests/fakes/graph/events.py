"""Calendar events as Exchange keeps them: the organizer's item, attendees' copies, and the
meeting messages Exchange sends when the organizer creates, changes or cancels a meeting.

Behaviour taken from the docs and production reports:

* create answers 201 with the whole event: opaque `id`, `iCalUId`, `changeKey`, timestamps,
  `organizer` = the mailbox, attendees' `status.response` = `none`, and `onlineMeeting.joinUrl`
  when `isOnlineMeeting` with `teamsForBusiness` (api-reference user-post-events.md);
* `transactionId` makes a retried create safe: repeating the same body returns the event created
  the first time; reusing the id with another body is refused with 400
  `ErrorDuplicateTransactionId` "Your request can't be completed. The TransactionId specified in
  the request has already been used to create a different event." (captured in
  alcionai/corso#2490; the docs only promise "to avoid redundant POST operations");
  `FakeGraph(duplicate_transaction="error")` refuses every reuse instead;
* attendees who are local mailboxes get a copy with the same iCalUId, shown tentative until
  they answer (the calendar attendant's AddNewRequestsTentatively, on by default:
  Set-CalendarProcessing docs), busy once accepted; a decline removes their copy, so their
  free/busy no longer shows the meeting;
* moving an event keeps its id and iCalUId, changes its changeKey and resets attendee answers;
* cancel (organizer only) sends cancellations, marks copies `isCancelled` with a "Canceled: "
  subject and removes the organizer's item (event-cancel.md: "moves the event to the Deleted
  Items folder"); deleting a meeting as organizer does the same.
"""

from __future__ import annotations

import copy
import datetime
import secrets
from typing import Any

from . import schema, timezones
from .dispatch import Service, canonical_keys
from .errors import GraphError, bad_request
from .state import Event, Notification, Tombstone, User, change_key, ical_uid, outlook_id, utc_text

EVENT_TYPE = "microsoft.graph.event"
READ_ONLY = schema.EVENT_READ_ONLY
NAVIGATION = schema.EVENT_NAVIGATION
EVENT_PROPERTIES = schema.EVENT_PROPERTIES
ENUMS = schema.EVENT_ENUMS
BOOLEANS = schema.EVENT_BOOLEANS
MEETING_FIELDS = schema.MEETING_FIELDS
RESPONSES = schema.RESPONSES
ZERO_TIME = "0001-01-01T00:00:00Z"


def _literal_error(value: Any, type_name: str) -> GraphError:
    return bad_request(
        "RequestBodyRead",
        f"Cannot convert the literal '{value}' to the expected type '{type_name}'.",
    )


def _enum(name: str, value: Any) -> str:
    for option in ENUMS[name]:
        if isinstance(value, str) and option.lower() == value.lower():
            return option
    raise _literal_error(value, f"microsoft.graph.{name}")


def _nested(value: Any, known: set[str], type_name: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _literal_error(value, type_name)
    return canonical_keys(value, known, type_name)


def _attendees(value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        raise _literal_error(value, "Collection(microsoft.graph.attendee)")
    found = []
    for raw in value:
        item = _nested(
            raw, {"emailAddress", "type", "status", "proposedNewTime"}, "microsoft.graph.attendee"
        )
        email = _nested(
            item.get("emailAddress"), {"address", "name"}, "microsoft.graph.emailAddress"
        )
        address = email.get("address")
        if not isinstance(address, str) or "@" not in address:
            raise bad_request("ErrorInvalidRecipients", "At least one recipient isn't valid.")
        kind = str(item.get("type", "required"))
        if kind.lower() not in ("required", "optional", "resource"):
            raise _literal_error(kind, "microsoft.graph.attendeeType")
        found.append(
            {
                "type": kind.lower(),
                "status": {"response": "none", "time": ZERO_TIME},
                "emailAddress": {"name": email.get("name") or address, "address": address},
            }
        )
    return found


def validate(body: dict[str, Any], *, creating: bool) -> dict[str, Any]:
    """Check an event body the way Outlook's deserializer does; return it canonicalised."""
    fields = canonical_keys(body, EVENT_PROPERTIES, EVENT_TYPE)
    for name in list(fields):
        if name in NAVIGATION:
            raise bad_request(
                "ErrorInvalidRequest",
                f"Navigation property '{name}' can't be set on create or update.",
            )
        if name in READ_ONLY:
            del fields[name]
    for name in ENUMS:
        if name in fields:
            fields[name] = _enum(name, fields[name])
    for name in BOOLEANS & fields.keys():
        if not isinstance(fields[name], bool):
            raise _literal_error(fields[name], "Edm.Boolean")
    if "reminderMinutesBeforeStart" in fields and not isinstance(
        fields["reminderMinutesBeforeStart"], int
    ):
        raise _literal_error(fields["reminderMinutesBeforeStart"], "Edm.Int32")
    for name in ("subject", "transactionId"):
        if name in fields and not isinstance(fields[name], str | None):
            raise _literal_error(fields[name], "Edm.String")
    if "body" in fields:
        item = _nested(fields["body"], {"contentType", "content"}, "microsoft.graph.itemBody")
        kind = str(item.get("contentType", "text")).lower()
        if kind not in ("text", "html"):
            raise _literal_error(kind, "microsoft.graph.bodyType")
        fields["body"] = {"contentType": kind, "content": str(item.get("content") or "")}
    if "location" in fields:
        fields["location"] = _nested(
            fields["location"],
            set(schema.LOCATION_FIELDS),
            "microsoft.graph.location",
        )
    if "attendees" in fields:
        fields["attendees"] = _attendees(fields["attendees"])
    for name in ("start", "end"):
        if name in fields:
            fields[name] = _nested(
                fields[name], {"dateTime", "timeZone"}, "microsoft.graph.dateTimeTimeZone"
            )
    if creating and ("start" not in fields or "end" not in fields):
        raise bad_request(
            "ErrorPropertyValidationFailure", "At least one property failed validation."
        )
    return fields


def _times(fields: dict[str, Any], event: Event | None) -> tuple[datetime.datetime, ...]:
    start = event.start if event else None
    end = event.end if event else None
    if "start" in fields:
        start = timezones.parse_datetime(
            fields["start"].get("dateTime"), fields["start"].get("timeZone"), "start"
        )
    if "end" in fields:
        end = timezones.parse_datetime(
            fields["end"].get("dateTime"), fields["end"].get("timeZone"), "end"
        )
    assert start is not None and end is not None
    if end < start:
        raise bad_request(
            "ErrorPropertyValidationFailure", "At least one property failed validation."
        )
    return start, end


def notify(
    service: Service, kind: str, organizer: str, event: Event, recipients: list[str]
) -> None:
    now = service.state.clock.now()
    for address in recipients:
        service.state.notifications.append(
            Notification(
                kind, organizer, address, event.ical_uid, str(event.data.get("subject", "")), now
            )
        )


def touch(service: Service, event: Event) -> None:
    now = service.state.clock.now()
    event.data["changeKey"] = change_key()
    event.data["lastModifiedDateTime"] = utc_text(now)
    event.changed_seq = service.state.bump()


def create(service: Service, owner: User, fields: dict[str, Any]) -> Event:
    """Save a new event in `owner`'s calendar and send the invitations it implies."""
    state = service.state
    start, end = _times(fields, None)
    now = state.clock.now()
    address = owner.mail or owner.upn
    data: dict[str, Any] = {
        "createdDateTime": utc_text(now),
        "lastModifiedDateTime": utc_text(now),
        "changeKey": change_key(),
        "categories": [],
        "transactionId": None,
        "originalStartTimeZone": fields["start"].get("timeZone"),
        "originalEndTimeZone": fields["end"].get("timeZone"),
        "iCalUId": ical_uid(),
        "reminderMinutesBeforeStart": 15,
        "isReminderOn": True,
        "hasAttachments": False,
        "subject": "",
        "bodyPreview": "",
        "importance": "normal",
        "sensitivity": "normal",
        "isAllDay": False,
        "isCancelled": False,
        "isOrganizer": True,
        "responseRequested": True,
        "seriesMasterId": None,
        "showAs": "busy",
        "type": "singleInstance",
        "webLink": "",
        "onlineMeetingUrl": None,
        "isOnlineMeeting": False,
        "onlineMeetingProvider": "unknown",
        "allowNewTimeProposals": True,
        "occurrenceId": None,
        "isDraft": False,
        "hideAttendees": False,
        "responseStatus": {"response": "organizer", "time": ZERO_TIME},
        "body": {"contentType": "html", "content": ""},
        "location": {
            "displayName": "",
            "locationType": "default",
            "uniqueIdType": "unknown",
            "address": {},
            "coordinates": {},
        },
        "locations": [],
        "recurrence": None,
        "attendees": [],
        "organizer": {"emailAddress": {"name": owner.display_name, "address": address}},
        "onlineMeeting": None,
    }
    data.update({k: v for k, v in fields.items() if k not in ("start", "end")})
    data["bodyPreview"] = str(data["body"].get("content", ""))[:255]
    if data["isOnlineMeeting"] and data["onlineMeetingProvider"] == "unknown":
        data["onlineMeetingProvider"] = "teamsForBusiness"
    if data["isOnlineMeeting"]:
        data["onlineMeeting"] = {
            "joinUrl": "https://teams.microsoft.com/l/meetup-join/"
            f"19%3ameeting_{secrets.token_urlsafe(24)}%40thread.v2/0"
        }
    event = Event(
        outlook_id(),
        data["iCalUId"],
        owner.id,
        data,
        start,
        end,
        now,
        transaction_id=fields.get("transactionId"),
        transaction_body=copy.deepcopy(fields),
    )
    data["webLink"] = f"https://outlook.office365.com/owa/?itemid={event.id}&exvsurl=1"
    state.events[event.id] = event
    event.changed_seq = state.bump()
    invited = [a["emailAddress"]["address"] for a in data["attendees"]]
    for attendee in invited:
        _copy_to(service, event, attendee)
    notify(service, "request", address, event, invited)
    return event


def _copy_to(service: Service, event: Event, address: str) -> None:
    user = service.state.find_user(address)
    if user is None or not user.has_mailbox or user.id == event.mailbox:
        return
    data = copy.deepcopy(event.data)
    data.update(
        {
            "isOrganizer": False,
            "showAs": "tentative",
            "transactionId": None,
            "responseStatus": {"response": "notResponded", "time": ZERO_TIME},
        }
    )
    twin = Event(
        outlook_id(),
        event.ical_uid,
        user.id,
        data,
        event.start,
        event.end,
        service.state.clock.now(),
        is_organizer=False,
    )
    service.state.events[twin.id] = twin
    twin.changed_seq = service.state.bump()


def copies(service: Service, event: Event) -> list[Event]:
    return [
        e
        for e in service.state.events.values()
        if e.ical_uid == event.ical_uid and not e.is_organizer and e.id != event.id
    ]


def remove(service: Service, event: Event) -> None:
    del service.state.events[event.id]
    stone = Tombstone(event.id, service.state.bump(), start=event.start)
    service.state.event_tombstones.setdefault(event.mailbox, []).append(stone)
