"""Changes to existing meetings: updates by the organizer, cancellation, attendees' answers.

Exchange sends a meeting message for every organizer change that matters to attendees (time,
place, subject, body, attendee list, online meeting); other saves (categories, reminders) send
nothing. The fake records each message in `FakeGraph.notifications` so tests can assert that a
client's retries and no-op updates do not spam attendees. A time change resets attendees'
answers to `none` and puts their copies back to tentative, as Outlook does when a meeting moves.
"""

from __future__ import annotations

import copy
from typing import Any

from . import events, timezones
from .dispatch import Service
from .errors import GraphError, bad_request
from .state import Event, Notification, utc_text


def _addresses(event: Event) -> list[str]:
    return [a["emailAddress"]["address"] for a in event.data.get("attendees", [])]


def update(service: Service, event: Event, fields: dict[str, Any]) -> None:
    """Apply a PATCH; as organizer, propagate to copies and send the meeting messages."""
    if "transactionId" in fields and fields["transactionId"] != event.transaction_id:
        raise bad_request(
            "ErrorInvalidRequest",
            "The transactionId of an event can't be changed after the event is created.",
        )
    fields = {k: v for k, v in fields.items() if k != "transactionId"}
    before_attendees = _addresses(event)
    start, end = events._times(fields, event)
    moved = (start, end) != (event.start, event.end)
    changed = {
        name
        for name, value in fields.items()
        if name in events.MEETING_FIELDS and event.data.get(name) != value
    }
    if "attendees" in fields:
        previous = {a["emailAddress"]["address"].lower(): a for a in event.data["attendees"]}
        for attendee in fields["attendees"]:
            known = previous.get(attendee["emailAddress"]["address"].lower())
            if known and not moved:
                attendee["status"] = known["status"]
        if [a.lower() for a in _addresses(event)] == [
            a["emailAddress"]["address"].lower() for a in fields["attendees"]
        ]:
            changed.discard("attendees")
    if moved:
        changed.add("start")
    event.data.update({k: v for k, v in fields.items() if k not in ("start", "end")})
    if "start" in fields:
        event.data["originalStartTimeZone"] = fields["start"].get("timeZone")
    if "end" in fields:
        event.data["originalEndTimeZone"] = fields["end"].get("timeZone")
    event.start, event.end = start, end
    if "body" in fields:
        event.data["bodyPreview"] = str(event.data["body"].get("content", ""))[:255]
    if moved and event.is_organizer:
        for attendee in event.data.get("attendees", []):
            attendee["status"] = {"response": "none", "time": events.ZERO_TIME}
    events.touch(service, event)
    if not event.is_organizer or not changed:
        return
    organizer = event.data["organizer"]["emailAddress"]["address"]
    after = _addresses(event)
    added = [a for a in after if a.lower() not in {b.lower() for b in before_attendees}]
    dropped = [a for a in before_attendees if a.lower() not in {b.lower() for b in after}]
    kept = [a for a in after if a not in added]
    for twin in events.copies(service, event):
        owner = service.state.users[twin.mailbox]
        if (owner.mail or "").lower() in {d.lower() for d in dropped}:
            _cancel_copy(service, twin)
            continue
        _refresh_copy(service, event, twin, moved)
    for address in added:
        events._copy_to(service, event, address)
    events.notify(service, "request", organizer, event, added)
    events.notify(service, "cancel", organizer, event, dropped)
    if changed - {"attendees"}:
        events.notify(service, "update", organizer, event, kept)


def _refresh_copy(service: Service, event: Event, twin: Event, moved: bool) -> None:
    keep = {
        k: twin.data[k]
        for k in (
            "isOrganizer",
            "showAs",
            "transactionId",
            "responseStatus",
            "changeKey",
            "createdDateTime",
        )
    }
    twin.data = copy.deepcopy(event.data)
    twin.data.update(keep)
    twin.start, twin.end = event.start, event.end
    if moved:
        twin.data["showAs"] = "tentative"
        twin.data["responseStatus"] = {"response": "notResponded", "time": events.ZERO_TIME}
    events.touch(service, twin)


def _cancel_copy(service: Service, twin: Event) -> None:
    subject = str(twin.data.get("subject", ""))
    twin.data["isCancelled"] = True
    if not subject.startswith("Canceled: "):
        twin.data["subject"] = f"Canceled: {subject}"
    events.touch(service, twin)


def cancel(service: Service, event: Event, *, explicit: bool) -> None:
    """Cancel a meeting as its organizer: attendees' copies are cancelled, the item removed."""
    if not event.is_organizer:
        if explicit:
            raise GraphError(
                400,
                "ErrorInvalidRequest",
                "Your request can't be completed. You need to be an organizer to cancel a meeting.",
                invalid=True,
            )
        events.remove(service, event)
        return
    organizer = event.data["organizer"]["emailAddress"]["address"]
    for twin in events.copies(service, event):
        _cancel_copy(service, twin)
    events.notify(service, "cancel", organizer, event, _addresses(event))
    events.remove(service, event)


def respond(service: Service, event: Event, attendee: str, response: str) -> None:
    """An attendee answers the organizer's meeting `event` (as if from Outlook)."""
    if response not in events.RESPONSES:
        raise ValueError(f"response must be one of {sorted(events.RESPONSES)}")
    now = utc_text(service.state.clock.now())
    for item in event.data.get("attendees", []):
        if item["emailAddress"]["address"].lower() == attendee.lower():
            item["status"] = {"response": response, "time": now}
            break
    else:
        raise ValueError(f"{attendee} is not an attendee of {event.id}")
    events.touch(service, event)
    user = service.state.find_user(attendee)
    twin = next((t for t in events.copies(service, event) if user and t.mailbox == user.id), None)
    if twin is not None:
        if response == "declined":
            events.remove(service, twin)
        else:
            twin.data["responseStatus"] = {"response": response, "time": now}
            twin.data["showAs"] = "busy" if response == "accepted" else "tentative"
            events.touch(service, twin)
    organizer = event.data["organizer"]["emailAddress"]["address"]
    service.state.notifications.append(
        Notification(
            response,
            attendee,
            organizer,
            event.ical_uid,
            str(event.data.get("subject", "")),
            service.state.clock.now(),
        )
    )


def move(service: Service, event: Event, start: str, end: str, zone: str = "UTC") -> None:
    """The organizer moves the meeting in Outlook."""
    fields = {
        "start": {"dateTime": start, "timeZone": zone},
        "end": {"dateTime": end, "timeZone": zone},
    }
    timezones.resolve(zone)
    update(service, event, fields)
