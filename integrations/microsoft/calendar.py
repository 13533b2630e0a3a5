"""Meetings in the program mailbox's calendar through Graph (or, with `organizer: peer`, in
the first peer's), both peers attendees, a Teams link when `video` asks for one.

* Booking is idempotent: each new event carries a `transactionId` derived from the booking
  key, so a retried create returns the event made the first time; when Graph says the id was
  used for an event with another body, that event is found by its transactionId and updated.
* A move PATCHes the same event by its id (attendees set to the booking's, so people dropped
  from it are taken off); an event gone meanwhile is made anew.
* A cancel POSTs /cancel with a message; an event already gone counts as cancelled.
* `changes()` reads the organizer's calendarView delta (a fixed window, restarted before its
  end) and reports attendees' declines and accepts, cancellations (`isCancelled`,
  `@removed`) and times; a delta link Graph no longer knows raises CursorExpired."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from integrations.microsoft.busy import Schedules, iana_zone, outside
from integrations.microsoft.graph import Call, Graph, GraphError, quoted
from scheduler.core.model import Interval
from scheduler.ports import (
    Booked,
    Booking,
    Cancellation,
    Cancelled,
    ChangeBatch,
    CursorExpired,
    FactKind,
    MeetingFact,
    WorkingHours,
)

CURSOR_PREFIX = "graph-calendar:"
WINDOW_BEFORE = timedelta(days=30)
WINDOW_AFTER = timedelta(days=400)
RESTART_BEFORE_END = timedelta(days=120)
PAGE_SIZE = "50"
TRANSACTION_NAMESPACE = uuid.UUID("9a4f7c1e-5b7d-4c38-9e0f-2d1b6a8c4e71")


def transaction_id(mailbox: str, key: str) -> str:
    """The transactionId of a booking: the same key in the same calendar, the same id."""
    return str(uuid.uuid5(TRANSACTION_NAMESPACE, f"{mailbox.lower()}|{key}"))


def _utc_time(moment: datetime) -> dict[str, str]:
    """A time as Graph takes it: in UTC, which every Exchange accepts; people's calendars
    show it in their own zones."""
    return {"dateTime": moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S"), "timeZone": "UTC"}


def _key(*parts: object) -> str:
    return hashlib.sha256("|".join(str(p) for p in parts).encode()).hexdigest()


def _utc(value: Mapping[str, Any]) -> datetime:
    head = str(value["dateTime"]).partition(".")[0]
    zone = iana_zone(str(value.get("timeZone") or "UTC")) or "UTC"
    return datetime.fromisoformat(head).replace(tzinfo=ZoneInfo(zone)).astimezone(UTC)


class GraphCalendar:
    invites_by_mail = False

    def __init__(
        self,
        graph: Graph,
        mailbox: str,
        *,
        organizer_peer: bool = False,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.graph = graph
        self.mailbox = mailbox
        self.organizer_peer = organizer_peer
        self.clock = clock
        self.schedules = Schedules(graph, mailbox)

    # -- free/busy ---------------------------------------------------------------------

    def busy(self, emails: Sequence[str], window: Interval) -> dict[str, list[Interval]]:
        found = self.schedules.read(emails, window)
        result: dict[str, list[Interval]] = {}
        for email in emails:
            schedule = found.get(email)
            if schedule is None:
                result[email] = []
                continue
            items, hours = schedule
            extra = outside(hours, window) if hours is not None else []
            result[email] = sorted(items + extra, key=lambda i: (i.start, i.end))
        return result

    def working_hours(self, emails: Sequence[str]) -> dict[str, WorkingHours]:
        unknown = [e for e in emails if e not in self.schedules.hours]
        if unknown:
            now = self.clock()
            self.schedules.read(unknown, Interval(now, now + timedelta(hours=1)))
        return {e: h for e in emails if (h := self.schedules.hours.get(e)) is not None}

    # -- booking -------------------------------------------------------------------------

    def _organizer(self, booking: Booking) -> str:
        return booking.attendees[0].email if self.organizer_peer else self.mailbox

    def _body(self, booking: Booking, *, transaction: str | None) -> dict[str, Any]:
        organizer = self._organizer(booking).lower()
        attendees = [
            {"emailAddress": {"address": a.email, "name": a.name}, "type": "required"}
            for a in booking.attendees
            if a.email.lower() != organizer
        ]
        body: dict[str, Any] = {
            "subject": booking.summary,
            "body": {"contentType": "text", "content": booking.description},
            "start": _utc_time(booking.start),
            "end": _utc_time(booking.end),
            "attendees": attendees,
            "isOnlineMeeting": booking.video in ("teams", "auto"),
            "allowNewTimeProposals": False,
            "showAs": "busy",
        }
        if body["isOnlineMeeting"]:
            body["onlineMeetingProvider"] = "teamsForBusiness"
        if transaction is not None:
            body["transactionId"] = transaction
        return body

    def _create(self, booking: Booking, transaction_key: str) -> Call:
        mailbox = self._organizer(booking)
        body = self._body(booking, transaction=transaction_id(mailbox, transaction_key))
        return Call("POST", f"/users/{mailbox}/calendar/events", body)

    def _patch(self, booking: Booking, event_id: str) -> Call:
        body = self._body(booking, transaction=None)
        return Call("PATCH", f"/users/{self._organizer(booking)}/events/{event_id}", body)

    def book(self, bookings: Sequence[Booking]) -> list[Booked]:
        calls = [
            self._patch(b, b.event_id) if b.event_id else self._create(b, b.key) for b in bookings
        ]
        answers = self.graph.batch(calls)
        results = []
        for booking, answer in zip(bookings, answers, strict=True):
            try:
                if answer.error is None:
                    results.append(_booked(booking, answer.body))
                else:
                    results.append(self._recover(booking, answer.error))
            except GraphError as error:
                results.append(Booked(booking.key, booking.event_id or "", error=error))
        return results

    def _recover(self, booking: Booking, error: GraphError) -> Booked:
        """A create whose transactionId was used by another body: that event, updated. A
        move of an event that is gone: a new event. Anything else: this booking's error."""
        if error.code == "ErrorDuplicateTransactionId" and not booking.event_id:
            existing = self._find(booking)
            if existing is None:
                raise error
            return self._send_one(self._patch(booking, str(existing["id"])), booking)
        if error.status == 404 and booking.event_id:
            return self._send_one(
                self._create(booking, f"{booking.key}|{booking.sequence}"), booking
            )
        raise error

    def _send_one(self, call: Call, booking: Booking) -> Booked:
        return _booked(booking, self.graph.request(call.method, call.url, body=call.body))

    def _find(self, booking: Booking) -> dict[str, Any] | None:
        mailbox = self._organizer(booking)
        wanted = transaction_id(mailbox, booking.key)
        params = {"$filter": f"transactionId eq {quoted(wanted)}", "$select": "id"}
        for event in self.graph.items(f"/users/{mailbox}/events", params):
            return event
        return None

    def cancel(self, cancellations: Sequence[Cancellation]) -> list[Cancelled]:
        results = []
        for cancellation in cancellations:
            booking = cancellation.booking
            mailbox = self._organizer(booking)
            try:
                event_id = booking.event_id
                if not event_id:
                    found = self._find(booking)
                    event_id = str(found["id"]) if found else None
                if event_id:
                    self.graph.request(
                        "POST",
                        f"/users/{mailbox}/events/{event_id}/cancel",
                        body={"comment": cancellation.reason},
                    )
                results.append(Cancelled(booking.key))
            except GraphError as error:
                if error.status == 404:  # gone already: cancelling twice is harmless
                    results.append(Cancelled(booking.key))
                else:
                    results.append(Cancelled(booking.key, error=error))
        return results

    # -- changes -----------------------------------------------------------------------

    def changes(self, cursor: str | None) -> ChangeBatch:
        now = self.clock()
        if cursor is not None:
            link, until = _decode(cursor)
            if until - now < RESTART_BEFORE_END:
                cursor = None  # a new window before this one ends; facts keep their keys
        if cursor is None:
            start, end = now - WINDOW_BEFORE, now + WINDOW_AFTER
            link = ""
            params = {
                "startDateTime": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "endDateTime": end.strftime("%Y-%m-%dT%H:%M:%SZ"),
            }
            until = end
        else:
            params = {}
        headers = {"Prefer": f'odata.maxpagesize={PAGE_SIZE}, outlook.timezone="UTC"'}
        url = link or f"/users/{self.mailbox}/calendarView/delta"
        try:
            page = self.graph.request("GET", url, params=params or None, headers=headers)
        except GraphError as error:
            if error.status == 410 or error.code in ("SyncStateNotFound", "SyncStateInvalid"):
                raise CursorExpired(f"the calendar's delta link expired ({error.code})") from None
            raise
        facts = [fact for item in page.get("value") or [] for fact in _facts(item)]
        next_link = page.get("@odata.nextLink")
        following = next_link or page.get("@odata.deltaLink")
        if not following:
            raise GraphError(502, "NoDeltaLink", "a delta page without a link", "calendarView")
        return ChangeBatch(facts, _encode(str(following), until), more=bool(next_link))


def _encode(link: str, until: datetime) -> str:
    return CURSOR_PREFIX + json.dumps({"link": link, "until": until.isoformat()})


def _decode(cursor: str) -> tuple[str, datetime]:
    if not cursor.startswith(CURSOR_PREFIX):
        raise CursorExpired("the calendar cursor is not a Microsoft Graph delta cursor")
    try:
        data = json.loads(cursor[len(CURSOR_PREFIX) :])
        return str(data["link"]), datetime.fromisoformat(str(data["until"]))
    except (ValueError, KeyError):
        raise CursorExpired("the calendar cursor cannot be read") from None


def _booked(booking: Booking, event: Mapping[str, Any]) -> Booked:
    meeting = event.get("onlineMeeting") or {}
    return Booked(booking.key, str(event["id"]), join_url=meeting.get("joinUrl") or None)


def _facts(item: Mapping[str, Any]) -> list[MeetingFact]:
    """What one event of the delta says: its cancellation, its attendees' answers, its time.
    Each fact's key names the event and the answer (with its time), so that a full read after
    an expired link gives the same keys and nothing is applied twice."""
    event_id = str(item.get("id", ""))
    if "@removed" in item:
        return [
            MeetingFact(None, FactKind.CANCELLED, event_id=event_id, key=_key(event_id, "gone"))
        ]
    if item.get("isOrganizer") is False:
        return []
    if item.get("isCancelled"):
        return [
            MeetingFact(None, FactKind.CANCELLED, event_id=event_id, key=_key(event_id, "gone"))
        ]
    facts = []
    for attendee in item.get("attendees") or []:
        status = attendee.get("status") or {}
        response = str(status.get("response", "none"))
        kind = {"declined": FactKind.DECLINED, "accepted": FactKind.ACCEPTED}.get(response)
        address = str((attendee.get("emailAddress") or {}).get("address", "")).lower()
        if kind is None or not address:
            continue
        seen = str(status.get("time") or "")
        seen_at = _instant(seen)
        facts.append(
            MeetingFact(
                None,
                kind,
                by=address,
                seen_at=seen_at,
                event_id=event_id,
                key=_key(event_id, response, address, seen),
            )
        )
    if item.get("start") and item.get("end"):
        start, end = _utc(item["start"]), _utc(item["end"])
        facts.append(
            MeetingFact(
                None,
                FactKind.MOVED,
                moved_to=Interval(start, end),
                event_id=event_id,
                key=_key(event_id, "at", start.isoformat(), end.isoformat()),
            )
        )
    return facts


def _instant(text: str) -> datetime | None:
    if not text or text.startswith("0001-"):
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00").partition(".")[0]).replace(
            tzinfo=UTC
        )
    except ValueError:
        return None
