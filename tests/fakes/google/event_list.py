"""Calendar events.list: full listing, paging, and incremental sync with sync tokens.

Behaviours followed, with sources:
- ``nextSyncToken`` only on the last page, ``nextPageToken`` on the others (events.list
  reference); a page token replays the first page's snapshot so no change is lost between pages.
- ``syncToken`` cannot be combined with iCalUID, orderBy, privateExtendedProperty, q,
  sharedExtendedProperty, timeMin, timeMax or updatedMin (events.list reference); the exact 400
  wording is assumed.
- A stale or unknown token is 410 ``fullSyncRequired`` "Sync token is no longer valid, a full
  sync is required." ("Synchronize resources efficiently" guide).
- Incremental results contain every event changed since the token, deleted ones as
  ``cancelled`` with only id/status guaranteed unless ``showDeleted`` (Event.status in the
  discovery document); a full listing hides cancelled events unless ``showDeleted``.
- ``orderBy=startTime`` needs ``singleEvents=true`` (events.list reference).
"""

from __future__ import annotations

import base64
import json
from typing import Any

from . import calendar_model as cm
from .discovery import parse_rfc3339
from .dispatch import Call, Reply
from .errors import ApiError, bad_request
from .state import Calendar, Entry
from .util import etag, fingerprint, page_token, read_page_token, rfc3339

JsonObject = dict[str, Any]
SYNC_EXCLUSIVE = (
    "iCalUID",
    "orderBy",
    "privateExtendedProperty",
    "q",
    "sharedExtendedProperty",
    "timeMin",
    "timeMax",
    "updatedMin",
)


def _full_sync() -> ApiError:
    message = "Sync token is no longer valid, a full sync is required."
    return ApiError(410, message, "fullSyncRequired", with_status=False)


def _sync_state(token: str, calendar: Calendar) -> int:
    try:
        owner, seq, generation = json.loads(base64.urlsafe_b64decode(token[2:] + "==="))
    except (ValueError, TypeError) as exc:
        raise _full_sync() from exc
    if owner != calendar.owner or generation != calendar.generation or seq > calendar.seq:
        raise _full_sync()
    return int(seq)


def _sync_token(calendar: Calendar, seq: int) -> str:
    raw = json.dumps([calendar.owner, seq, calendar.generation]).encode()
    return "CP" + base64.urlsafe_b64encode(raw).decode().rstrip("=")


def list_events(call: Call) -> Reply:
    state, query = call.state, call.query
    calendar = cm.resolve_calendar(state, call.params["calendarId"], call.subject)
    role = cm.require(state, calendar, call.subject, "reader")
    sync = query.get("syncToken")
    for name in SYNC_EXCLUSIVE if sync else ():
        if name in query:
            raise bad_request(f"The {name} parameter cannot be used together with syncToken.")
    if query.get("orderBy") == "startTime" and not query.get("singleEvents"):
        raise bad_request(
            "The requested ordering is not available for the particular query.", "badRequest"
        )
    since = _sync_state(sync, calendar) if sync else None
    mark = fingerprint(query)
    offset, high = (
        read_page_token(query["pageToken"], mark) if query.get("pageToken") else (0, calendar.seq)
    )
    low = parse_rfc3339(query["timeMin"]) if query.get("timeMin") else None
    top = parse_rfc3339(query["timeMax"]) if query.get("timeMax") else None
    updated_min = parse_rfc3339(query["updatedMin"]) if query.get("updatedMin") else None
    show_deleted = bool(query.get("showDeleted")) or since is not None or updated_min is not None
    items = [
        e
        for e in calendar.entries.values()
        if e.seq <= high
        and (since is None or e.seq > since)
        and (show_deleted or not e.cancelled)
        and (updated_min is None or e.updated >= updated_min)
        and cm.window_overlaps(e, state, low, top)
        and _text_match(e, query.get("q"))
        and (not query.get("iCalUID") or e.data.ical_uid == query["iCalUID"])
    ]
    tz = cm.timezone_of(state, calendar.owner)
    if query.get("orderBy") == "startTime":
        items.sort(key=lambda e: cm.instant(e.data.start, tz))
    else:
        items.sort(key=lambda e: e.seq if since is not None else e.updated.timestamp())
    limit = min(int(query["maxResults"]), 2500)
    page = items[offset : offset + limit]
    minimal = since is not None and not query.get("showDeleted")
    body: JsonObject = {
        "kind": "calendar#events",
        "summary": calendar.owner,
        "updated": rfc3339(
            max((e.updated for e in calendar.entries.values()), default=state.clock.now())
        ),
        "timeZone": tz,
        "accessRole": role,
        "defaultReminders": [{"method": "popup", "minutes": 10}] if role == "owner" else [],
        "items": [
            cm.render(state, e, minimal=minimal and e.cancelled, tz=query.get("timeZone"))
            for e in page
        ],
    }
    if offset + limit < len(items):
        body["nextPageToken"] = page_token(offset + limit, mark, high)
    else:
        body["nextSyncToken"] = _sync_token(calendar, high)
    body["etag"] = etag(body)
    return Reply(body)


def _text_match(entry: Entry, text: str | None) -> bool:
    if not text:
        return True
    data = entry.data
    haystack = " ".join(
        [
            data.summary or "",
            data.description or "",
            data.location or "",
            *[a["email"] for a in data.attendees],
        ]
    ).lower()
    return all(word in haystack for word in text.lower().split())
