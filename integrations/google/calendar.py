"""Meetings on Google Calendar: booked on the organizer's calendar (the program's mailbox, or
the first peer's with `organizer: peer`) with both peers as attendees and `sendUpdates=all`,
so Google invites, updates and cancels by its own mail.

Idempotent by construction: each booking key gives a deterministic event id (base32hex, the
a-v and 0-9 Google allows), so a retry or a second worker gets 409 and never a duplicate. A
409 is looked at: our own live event is the booking; a deleted one (its id is never reused)
or someone else's sends the booking to the key's next id. Moves patch the same event;
cancels delete it. Inserts and patches go through batch requests.

Which event is ours, and what Tandem booked, is kept in the event's shared extended
properties (`tandemKey`, `tandemUid`, `tandemSequence`, `tandemStart`, `tandemEnd`): Google's
iCalUID differs from Tandem's UID, and a time other than the one booked is a move made in a
calendar. `changes()` reads the organizer's calendar by incremental sync (calendar_sync.py).
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from integrations.google.auth import CALENDAR_EVENTS, GoogleAccess
from integrations.google.batch import run_batch
from integrations.google.busy import GoogleBusy
from integrations.google.calendar_sync import read_changes
from integrations.google.retry import Failure, provider_error
from scheduler.core.model import Interval
from scheduler.ports import (
    Booked,
    Booking,
    Cancellation,
    Cancelled,
    ChangeBatch,
    WorkingHours,
)

GENERATIONS = 4  # ids a booking key may try before it fails: the first is nearly always free
GONE = (404, 410)


def event_id_for(key: str, generation: int = 0) -> str:
    """The event id of a booking key: 'tandem' and 26 base32hex characters of its digest."""
    text = key if generation == 0 else f"{key}#{generation}"
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return "tandem" + base64.b32hexencode(digest).decode("ascii").lower()[:26]


class GoogleCalendar:
    """The Calendar port on Google Calendar."""

    invites_by_mail = False

    def __init__(
        self,
        access: GoogleAccess,
        mailbox: str,
        busy: GoogleBusy,
        *,
        organizer_peer: bool = False,
        meet: bool = True,
    ) -> None:
        self.access = access
        self.mailbox = mailbox
        self.times = busy
        self.organizer_peer = organizer_peer
        self.meet = meet

    # -- reading -------------------------------------------------------------------------

    def busy(self, emails: Sequence[str], window: Interval) -> dict[str, list[Interval]]:
        return self.times.busy(emails, window)

    def working_hours(self, emails: Sequence[str]) -> dict[str, WorkingHours]:
        return self.times.working_hours(emails)

    def changes(self, cursor: str | None) -> ChangeBatch:
        return read_changes(self.access, self.mailbox, cursor)

    # -- booking -------------------------------------------------------------------------

    def book(self, bookings: Sequence[Booking]) -> list[Booked]:
        results: dict[str, Booked] = {}
        moves = [b for b in bookings if b.event_id]
        for booking, answer in zip(moves, self._patch(moves), strict=True):
            results[booking.key] = self._booked(booking, answer, "moving")
        waiting = [b for b in bookings if not b.event_id and b.key not in results]
        generation = 0
        while waiting and generation < GENERATIONS:
            waiting = self._insert(waiting, generation, results)
            generation += 1
        for booking in waiting:
            error = provider_error(
                Failure(409, "duplicate", "every event id of this booking is taken"),
                f"booking {booking.key}",
            )
            results[booking.key] = Booked(booking.key, "", error=error)
        return [results[b.key] for b in bookings]

    def _insert(
        self, bookings: Sequence[Booking], generation: int, results: dict[str, Booked]
    ) -> list[Booking]:
        """Insert each booking under its id of this generation; return those to try again
        under the next. A 409 on our own live event is the booking, made before."""
        answers = self._calls(
            bookings,
            lambda service, b: service.events().insert(
                calendarId="primary",
                body={"id": event_id_for(b.key, generation), **self._body(b)},
                **self._options(b),
            ),
            "booking",
        )
        taken = [b for b in bookings if _status(answers[b.key]) == 409]
        found = self._calls(
            taken,
            lambda service, b: service.events().get(
                calendarId="primary", eventId=event_id_for(b.key, generation)
            ),
            "looking up",
        )
        again, stale = [], []
        for booking in bookings:
            answer = answers[booking.key]
            if _status(answer) != 409:
                results[booking.key] = self._booked(booking, answer, "booking")
                continue
            existing = found[booking.key]
            if isinstance(existing, Failure):
                results[booking.key] = self._booked(booking, existing, "looking up")
            elif _ours(existing, booking) and existing.get("status") != "cancelled":
                if _as_booked(existing, booking):
                    results[booking.key] = self._booked(booking, existing, "booking")
                else:
                    stale.append((booking, str(existing["id"])))
            else:
                again.append(booking)
        if stale:
            patched = [_with_id(b, event_id) for b, event_id in stale]
            for booking, answer in zip(patched, self._patch(patched), strict=True):
                results[booking.key] = self._booked(booking, answer, "moving")
        return again

    def _patch(self, bookings: Sequence[Booking]) -> list[Any]:
        answers = self._calls(
            bookings,
            lambda service, b: service.events().patch(
                calendarId="primary", eventId=b.event_id, body=self._body(b), **self._options(b)
            ),
            "moving",
        )
        return [answers[b.key] for b in bookings]

    def cancel(self, cancellations: Sequence[Cancellation]) -> list[Cancelled]:
        """Delete each event with updates sent; one already gone is cancelled. A booking
        whose event id Tandem never learnt is looked for under the ids its key may take: an
        id deleted before (410) sends it to the next, one that never was (404) ends it."""
        results: dict[str, Cancelled] = {}
        waiting = [c.booking for c in cancellations]
        generation = 0
        while waiting:
            answers = self._calls(
                waiting,
                lambda service, b, g=generation: service.events().delete(
                    calendarId="primary",
                    eventId=b.event_id or event_id_for(b.key, g),
                    sendUpdates="all",
                ),
                "cancelling",
            )
            again = []
            for booking in waiting:
                answer = answers[booking.key]
                if isinstance(answer, Failure) and answer.status not in GONE:
                    error = provider_error(answer, f"cancelling {booking.key}")
                    results[booking.key] = Cancelled(booking.key, error=error)
                elif (
                    _status(answer) == 410
                    and booking.event_id is None
                    and generation + 1 < GENERATIONS
                ):
                    again.append(booking)
                else:  # deleted now, or before: cancelling twice is harmless
                    results[booking.key] = Cancelled(booking.key)
            waiting, generation = again, generation + 1
        return [results[c.booking.key] for c in cancellations]

    # -- requests ------------------------------------------------------------------------

    def _calls(self, bookings: Sequence[Booking], make: Any, what: str) -> dict[str, Any]:
        """One call per booking, batched per organizer calendar; answers by booking key."""
        by_organizer: dict[str, list[Booking]] = {}
        for booking in bookings:
            by_organizer.setdefault(self._organizer(booking), []).append(booking)
        answers: dict[str, Any] = {}
        for organizer, group in by_organizer.items():
            service = self.access.service("calendar", organizer, [CALENDAR_EVENTS])
            requests = {b.key: (lambda b=b, s=service: make(s, b)) for b in group}
            answers.update(run_batch(self.access, "calendar", requests, f"{what} meetings"))
        return answers

    def _organizer(self, booking: Booking) -> str:
        if self.organizer_peer and booking.attendees:
            return booking.attendees[0].email.lower()
        return self.mailbox

    def _options(self, booking: Booking) -> dict[str, Any]:
        options: dict[str, Any] = {"sendUpdates": "all"}
        if self._wants_meet(booking):
            options["conferenceDataVersion"] = 1
        return options

    def _wants_meet(self, booking: Booking) -> bool:
        return self.meet and booking.video in ("auto", "meet")

    def _body(self, booking: Booking) -> dict[str, Any]:
        """The event as Tandem books it (the id aside)."""
        guests = [{"email": a.email, "displayName": a.name} for a in booking.attendees]
        if self.organizer_peer and self._organizer(booking) != self.mailbox:
            guests.append({"email": self.mailbox, "displayName": booking.organizer.name})
        body: dict[str, Any] = {
            "summary": booking.summary,
            "description": booking.description,
            "start": {"dateTime": _local(booking.start), "timeZone": booking.timezone},
            "end": {"dateTime": _local(booking.end), "timeZone": booking.timezone},
            "attendees": guests,
            "guestsCanModify": False,
            "reminders": {"useDefault": True},
            "extendedProperties": {
                "shared": {
                    "tandemKey": booking.key,
                    "tandemUid": booking.uid,
                    "tandemSequence": str(booking.sequence),
                    "tandemStart": _utc_text(booking.start),
                    "tandemEnd": _utc_text(booking.end),
                }
            },
        }
        if self._wants_meet(booking):
            body["conferenceData"] = {
                "createRequest": {
                    "requestId": event_id_for(booking.key),
                    "conferenceSolutionKey": {"type": "hangoutsMeet"},
                }
            }
        return body

    def _booked(self, booking: Booking, answer: Any, what: str) -> Booked:
        if isinstance(answer, Failure):
            return Booked(booking.key, "", error=provider_error(answer, f"{what} {booking.key}"))
        return Booked(booking.key, str(answer["id"]), join_url=_join_url(answer))


def _status(answer: Any) -> int:
    return answer.status if isinstance(answer, Failure) else 200


def _ours(event: dict[str, Any], booking: Booking) -> bool:
    shared = (event.get("extendedProperties") or {}).get("shared") or {}
    return bool(shared.get("tandemKey") == booking.key)


def _as_booked(event: dict[str, Any], booking: Booking) -> bool:
    """Whether an event already shows this very version of the booking."""
    shared = (event.get("extendedProperties") or {}).get("shared") or {}
    guests = {str(a.get("email", "")).lower() for a in event.get("attendees") or []}
    return (
        shared.get("tandemSequence") == str(booking.sequence)
        and shared.get("tandemStart") == _utc_text(booking.start)
        and shared.get("tandemEnd") == _utc_text(booking.end)
        and {a.email.lower() for a in booking.attendees} <= guests
    )


def _with_id(booking: Booking, event_id: str) -> Booking:
    from dataclasses import replace

    return replace(booking, event_id=event_id)


def _join_url(event: dict[str, Any]) -> str | None:
    if event.get("hangoutLink"):
        return str(event["hangoutLink"])
    for point in (event.get("conferenceData") or {}).get("entryPoints") or []:
        if point.get("entryPointType") == "video" and point.get("uri"):
            return str(point["uri"])
    return None


def _local(moment: datetime) -> str:
    return moment.isoformat()


def _utc_text(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
