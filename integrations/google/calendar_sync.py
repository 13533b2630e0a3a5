"""What happened to booked meetings, read by incremental sync of the organizer's calendar
(events.list with syncToken and showDeleted): declines, accepts, cancellations and moves made
in calendars, each as a MeetingFact keyed stably across reads so that the core applies it once.

The cursor is the sync token (or, mid-listing, the page token and the sync token it pages);
Google's 410 on it (`fullSyncRequired`) is CursorExpired: the core reads again from None, and
the facts of the full read carry the same keys as before, so none is lost or repeated.
Only Tandem's events count (those with its `tandemKey` shared property).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from integrations.google.auth import CALENDAR_EVENTS, GoogleAccess
from integrations.google.retry import GoogleError
from scheduler.core.model import Interval
from scheduler.ports import ChangeBatch, CursorExpired, FactKind, MeetingFact

PAGE = 250
ANSWERS = {"declined": FactKind.DECLINED, "accepted": FactKind.ACCEPTED}


def read_changes(access: GoogleAccess, mailbox: str, cursor: str | None) -> ChangeBatch:
    """One page of the calendar's changes since `cursor`."""
    sync, page = _parse(cursor)
    service = access.service("calendar", mailbox, [CALENDAR_EVENTS])
    options: dict[str, Any] = {"calendarId": "primary", "showDeleted": True, "maxResults": PAGE}
    if sync:
        options["syncToken"] = sync
    if page:
        options["pageToken"] = page
    try:
        answer = access.execute(service.events().list(**options), "reading calendar changes")
    except GoogleError as error:
        if error.status == 410:
            raise CursorExpired(f"the calendar's sync token expired: {error}") from error
        raise
    facts = [fact for event in answer.get("items") or [] for fact in facts_of(event, mailbox)]
    if answer.get("nextPageToken"):
        following = json.dumps({"sync": sync, "page": answer["nextPageToken"]})
        return ChangeBatch(facts, following, more=True)
    return ChangeBatch(facts, json.dumps({"sync": answer.get("nextSyncToken")}), more=False)


def facts_of(event: dict[str, Any], mailbox: str) -> list[MeetingFact]:
    """What one event, as the calendar shows it now, says about its meeting."""
    shared = (event.get("extendedProperties") or {}).get("shared") or {}
    if not shared.get("tandemKey"):
        return []
    event_id = str(event["id"])
    uid = str(shared.get("tandemUid") or "") or None
    sequence = _number(shared.get("tandemSequence"))
    seen = _instant(event.get("updated"))
    base = f"google:{event_id}:{sequence}"
    if event.get("status") == "cancelled":
        return [
            MeetingFact(uid, FactKind.CANCELLED, None, None, seen, sequence, event_id,
                        key=f"{base}:cancelled")
        ]  # fmt: skip
    facts = []
    organizer = str((event.get("organizer") or {}).get("email", "")).lower()
    for guest in event.get("attendees") or []:
        email = str(guest.get("email", "")).lower()
        kind = ANSWERS.get(str(guest.get("responseStatus", "")))
        if kind is None or email in (organizer, mailbox.lower()) or guest.get("resource"):
            continue
        facts.append(
            MeetingFact(uid, kind, email, None, seen, sequence, event_id,
                        key=f"{base}:{kind.value}:{email}")
        )  # fmt: skip
    start, end = _when(event.get("start")), _when(event.get("end"))
    booked = (_instant(shared.get("tandemStart")), _instant(shared.get("tandemEnd")))
    if start and end and booked[0] and (start, end) != booked:
        facts.append(
            MeetingFact(uid, FactKind.MOVED, None, Interval(start, end), seen, sequence, event_id,
                        key=f"{base}:moved:{start.isoformat()}:{end.isoformat()}")
        )  # fmt: skip
    return facts


def _parse(cursor: str | None) -> tuple[str | None, str | None]:
    if cursor is None:
        return None, None
    try:
        found = json.loads(cursor)
        return found.get("sync") or None, found.get("page") or None
    except (ValueError, AttributeError) as error:
        raise CursorExpired("the calendar's cursor is not one this provider gave") from error


def _when(value: dict[str, Any] | None) -> datetime | None:
    if not value or not value.get("dateTime"):
        return None  # an all-day event: not one Tandem books
    return _instant(value["dateTime"])


def _instant(text: object) -> datetime | None:
    if not isinstance(text, str) or not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)
    except ValueError:
        return None


def _number(text: object) -> int | None:
    try:
        return int(str(text))
    except ValueError:
        return None
