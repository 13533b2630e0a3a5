"""What each person's calendar holds, replayed from the invitations Tandem sent: an iMIP
REQUEST puts or moves an event (a higher SEQUENCE wins), a CANCEL takes it off (RFC 5546)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage

from icalendar import Calendar


@dataclass
class Event:
    uid: str
    sequence: int
    start: datetime
    end: datetime


def replay(messages: list[EmailMessage]) -> dict[str, dict[str, Event]]:
    """attendee -> uid -> the event as their calendar shows it now, in sending order."""
    calendars: dict[str, dict[str, Event]] = defaultdict(dict)
    for message in messages:
        for part in message.walk():
            if part.get_content_type() != "text/calendar":
                continue
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            calendar = Calendar.from_ical(payload)
            method = str(calendar.get("METHOD"))
            for event in calendar.walk("VEVENT"):
                uid = str(event["UID"])
                sequence = int(event.get("SEQUENCE", 0))
                start, end = event["DTSTART"].dt, event["DTEND"].dt
                attendees = event.get("ATTENDEE", [])
                for attendee in attendees if isinstance(attendees, list) else [attendees]:
                    who = str(attendee).removeprefix("mailto:").lower()
                    known = calendars[who].get(uid)
                    if known is not None and known.sequence > sequence:
                        continue  # an older version arriving late changes nothing
                    if method == "CANCEL":
                        calendars[who].pop(uid, None)
                    elif method == "REQUEST":
                        calendars[who][uid] = Event(uid, sequence, start, end)
    return calendars
