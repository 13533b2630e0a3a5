"""Invitations by email (iMIP, RFC 6047 over iTIP, RFC 5546) for providers with no calendar API:
built so that Google Calendar, Outlook and Apple Calendar accept them, and read back from replies.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage, Message
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, Timezone, vCalAddress

from scheduler.core.header_text import header_text
from scheduler.ports import Attendee, Booking, FactKind, MeetingFact
from scheduler.replies.mail_checks import is_calendar_part, sender_addresses

PRODID = "-//Tandem//Peer mentoring//EN"
METHODS = ("REQUEST", "CANCEL")
_REPLIES = {"ACCEPTED": FactKind.ACCEPTED, "DECLINED": FactKind.DECLINED}
# The VTIMEZONE covers a year either side of the meeting, so that every client finds the rules
# in force around it without carrying decades of transitions.
_ZONE_MARGIN = timedelta(days=366)
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
# An addr-spec with nothing that could end a content line, a parameter or a header.
_PLAIN_ADDRESS = re.compile(r"[^\s\"(),:;<>@\[\\\]]+@[^\s\"(),:;<>@\[\\\]]+")


def request_ics(booking: Booking, *, stamp: datetime, join_url: str | None = None) -> bytes:
    """The METHOD:REQUEST calendar that books `booking`; `stamp` is when it was made (DTSTAMP)."""
    return _calendar(booking, "REQUEST", stamp, join_url)


def cancel_ics(booking: Booking, *, stamp: datetime, join_url: str | None = None) -> bytes:
    """The METHOD:CANCEL calendar for `booking`: same UID, the caller has raised its sequence."""
    return _calendar(booking, "CANCEL", stamp, join_url)


def invitation_mail(
    booking: Booking,
    *,
    method: str,
    message_id: str,
    subject: str,
    text: str,
    html: str | None,
    sender_name: str,
    date: datetime,
    join_url: str | None = None,
) -> EmailMessage:
    """The email that carries a REQUEST or CANCEL, from the organizer to every attendee:
    multipart/mixed > (multipart/alternative > text, html, text/calendar) + invite.ics,
    the shape Gmail and Outlook show as an invitation with buttons. `date` is also DTSTAMP."""
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}, not {method!r}")
    ics = _calendar(booking, method, date, join_url)
    mail = EmailMessage(policy=policy.default)
    mail["From"] = Address(_one_line(sender_name), addr_spec=booking.organizer.email)
    mail["To"] = [Address(_one_line(peer.name), addr_spec=peer.email) for peer in booking.attendees]
    mail["Subject"] = _one_line(subject)
    mail["Date"] = date
    mail["Message-ID"] = message_id
    mail["Auto-Submitted"] = "auto-generated"
    mail.set_content(text)
    if html is not None:
        mail.add_alternative(html, subtype="html")
    calendar_params = {"method": method, "charset": "UTF-8"}
    mail.add_alternative(ics, maintype="text", subtype="calendar", params=calendar_params)
    mail.add_attachment(ics, maintype="application", subtype="ics", filename="invite.ics")
    return mail


def facts_from_ics(data: bytes, *, sender: str | None) -> list[MeetingFact]:
    """What an incoming iMIP calendar says about meetings: REPLY gives ACCEPTED or DECLINED per
    attendee, CANCEL from the organizer gives CANCELLED; COUNTER (a proposed move) and the rest
    give nothing. With `sender`, a calendar speaks only for that address. Garbage gives []."""
    try:
        parsed = Calendar.from_ical(data, multiple=True)
    except Exception:  # icalendar raises ValueError, the dateutil rules it builds from a broken
        return []  # VTIMEZONE raise TypeError and more: any failure means "not a calendar"
    who = _address(sender) if sender is not None else None
    if sender is not None and who is None:
        return []
    facts: list[MeetingFact] = []
    for calendar in parsed if isinstance(parsed, list) else [parsed]:
        if not isinstance(calendar, Calendar):  # a stray VEVENT or VCALNDAR at the top
            continue
        method = str(calendar.get("METHOD", "")).strip().upper()
        for event in calendar.events:
            facts.extend(_event_facts(event, method, who))
    return list(dict.fromkeys(facts))


def facts_from_mail(msg: EmailMessage) -> list[MeetingFact]:
    """The facts of every calendar in a message (inline or attached, at any depth), each
    speaking only for the one address in From. A message with no single sender gives []."""
    sender = _sender(msg)
    if sender is None:
        return []
    facts: list[MeetingFact] = []
    for part in msg.walk():
        if is_calendar_part(part):
            facts.extend(facts_from_ics(_payload(part), sender=sender))
    return list(dict.fromkeys(facts))


def _calendar(booking: Booking, method: str, stamp: datetime, join_url: str | None) -> bytes:
    calendar = event_calendar(booking, method, stamp, join_url)
    first, last = booking.start.date() - _ZONE_MARGIN, booking.end.date() + _ZONE_MARGIN
    return with_timezones(calendar, first, last)


def with_timezones(calendar: Calendar, first: date, last: date) -> bytes:
    """`calendar` as iCalendar text with the VTIMEZONE of the zone its event uses, covering
    `first` to `last`: what `add_missing_timezones` and `to_ical` give, with the VTIMEZONE
    made once per zone and range (a launch books thousands of events in a few zones)."""
    missing = calendar.get_missing_tzids()
    if len(missing) != 1 or calendar.subcomponents[0].name != "VEVENT":
        calendar.add_missing_timezones(first_date=first, last_date=last)
        whole: bytes = calendar.to_ical()
        return whole
    ics: bytes = calendar.to_ical()
    block = _vtimezone(missing.pop(), first, last)
    at = ics.index(b"BEGIN:VEVENT\r\n")
    return ics[:at] + block + ics[at:]


@functools.lru_cache(maxsize=256)
def _vtimezone(tzid: str, first: date, last: date) -> bytes:
    """The VTIMEZONE lines of `tzid` from `first` to `last`; none for a zone icalendar does
    not know (as add_missing_timezones leaves it out)."""
    try:
        zone: bytes = Timezone.from_tzid(tzid, first_date=first, last_date=last).to_ical()
    except ValueError:
        return b""
    return zone


def event_calendar(
    booking: Booking, method: str, stamp: datetime, join_url: str | None
) -> Calendar:
    """The VCALENDAR of one REQUEST or CANCEL with its VEVENT, without time zones."""
    zone = ZoneInfo(booking.timezone)
    event = Event()
    event.add("uid", booking.uid)
    event.add("sequence", booking.sequence)
    event.add("dtstamp", _aware(stamp, "stamp").astimezone(UTC))
    event.add("dtstart", _aware(booking.start, "booking.start").astimezone(zone))
    event.add("dtend", _aware(booking.end, "booking.end").astimezone(zone))
    event.add("summary", _one_line(booking.summary))
    link = _one_line(join_url) if join_url else ""
    event.add(
        "description", _text(f"{booking.description}\n\n{link}" if link else booking.description)
    )
    if link:
        event.add("location", link)
    event.add("organizer", _address_of(booking.organizer))
    for peer in booking.attendees:
        event.add("attendee", _address_of(peer, attending=True))
    cancelled = method == "CANCEL"
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    event.add("transp", "OPAQUE")
    event.add("x-microsoft-cdo-busystatus", "FREE" if cancelled else "BUSY")

    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method)
    calendar.add_component(event)
    return calendar


def _address_of(person: Attendee, *, attending: bool = False) -> vCalAddress:
    """A cal-address for a person from the directory; the name is untrusted and lands in a
    parameter that icalendar quotes and escapes (RFC 6868), the address must be a plain one."""
    if not _PLAIN_ADDRESS.fullmatch(person.email):
        raise ValueError(f"not a plain email address: {person.email!r}")
    name = _one_line(person.name) or person.email
    if not attending:
        return vCalAddress.new(person.email, cn=name)
    return vCalAddress.new(
        person.email,
        cn=name,
        cutype="INDIVIDUAL",
        role="REQ-PARTICIPANT",
        partstat="NEEDS-ACTION",
        rsvp=True,
    )


def _event_facts(event: Event, method: str, who: str | None) -> Iterator[MeetingFact]:
    uid = str(event.get("UID", "")).strip()
    if not uid:
        return
    seen_at = _stamp_of(event)
    sequence = _sequence_of(event)
    if method == "REPLY":
        attendees = event.get("ATTENDEE", [])
        for attendee in attendees if isinstance(attendees, list) else [attendees]:
            by = _address(attendee)
            params = getattr(attendee, "params", {})  # a broken ATTENDEE may be a bare str
            kind = _REPLIES.get(str(params.get("PARTSTAT", "")).strip().upper())
            if by is not None and kind is not None and who in (None, by):
                yield MeetingFact(uid=uid, kind=kind, by=by, seen_at=seen_at, sequence=sequence)
    elif method == "CANCEL":
        organizer = _address(event.get("ORGANIZER"))
        if organizer is not None and who in (None, organizer):
            yield MeetingFact(
                uid=uid, kind=FactKind.CANCELLED, by=organizer, seen_at=seen_at, sequence=sequence
            )


def _sequence_of(event: Event) -> int | None:
    value = str(event.get("SEQUENCE", "")).strip()
    return int(value) if value.isdigit() else None


def _stamp_of(event: Event) -> datetime | None:
    """DTSTAMP in UTC; a floating one is read as UTC, which is what every sender means."""
    try:
        moment = event.stamp
    except ValueError:  # a DTSTAMP icalendar could not read
        return None
    if not isinstance(moment, datetime):
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _address(value: object) -> str | None:
    """'MAILTO:Bob@Example.com' -> 'bob@example.com'; None for anything but a plain address."""
    if value is None:
        return None
    text = str(value).strip().lower().removeprefix("mailto:").strip()
    return text if _PLAIN_ADDRESS.fullmatch(text) else None


def _sender(msg: Message) -> str | None:
    """The one plain From address, or None (no From, several, or not a plain address)."""
    senders = sender_addresses(msg)
    return _address(senders[0]) if len(senders) == 1 else None


def _payload(part: Message) -> bytes:
    raw = part.get_payload(decode=True)
    if not isinstance(raw, bytes):
        return b""
    charset = part.get_content_charset() or "utf-8"
    try:
        return raw.decode(charset).encode() if charset.lower() != "utf-8" else raw
    except (LookupError, UnicodeDecodeError):
        return raw


def _aware(moment: datetime, what: str) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{what} must be time-zone aware, got {moment.isoformat()}")
    return moment


def _one_line(value: str) -> str:
    """A name or subject as one safe line (see scheduler.core.header_text)."""
    return header_text(value)


def _text(value: str) -> str:
    """Free text with LF line ends and no control characters but tab (RFC 5545 TEXT)."""
    return _CONTROLS.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))
