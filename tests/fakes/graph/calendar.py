"""Event endpoints of a mailbox: create, read, list, update, cancel, delete, calendarView and
calendarView/delta.

* ids that Exchange could not have issued answer 400 `ErrorInvalidIdMalformed` "Id is
  malformed."; ids of no item answer 404 `ErrorItemNotFound` "The specified object was not found
  in the store.";
* lists page with `$top`/`$skip` (default 10), as Outlook collections do;
* calendarView and its delta need `startDateTime` and `endDateTime` on the first call
  ("This request requires a time window specified by the query string parameters StartDateTime
  and EndDateTime."); the delta takes no `$select`, `$filter`, `$orderby` or `$expand`
  (event-delta.md), pages with `Prefer: odata.maxpagesize`, and reports deletions and events that
  left the window as `{"id", "@removed": {"reason": "deleted"}}` (event-delta.md, Response).
"""

from __future__ import annotations

import datetime
import functools
import re
import urllib.parse
from typing import Any

from . import events, meetings, odata, paging, timezones
from .dispatch import EXCHANGE, Route, Service, json_body, route
from .errors import GraphError, Request, Response, bad_request
from .state import Event

ROUTES: list[Route] = []
READ = {"Calendars.Read", "Calendars.ReadWrite"}
WRITE = {"Calendars.ReadWrite"}
ID_SHAPE = re.compile(r"^AAMk[A-Za-z0-9_\-]{40,}={0,2}$")


def render(
    service: Service, event: Event, request: Request, selected: list[str] | None = None
) -> dict[str, Any]:
    zone = odata.prefer(request).get("outlook.timezone", "UTC")
    document: dict[str, Any] = {"@odata.etag": f'W/"{event.data["changeKey"]}"', "id": event.id}
    document.update(event.data)
    if document.get("transactionId") is None:
        document.pop("transactionId", None)
    document["start"] = timezones.format_datetime(event.start, zone)
    document["end"] = timezones.format_datetime(event.end, zone)
    if selected is not None:
        document = odata.project(document, selected, ())
    return document


def find(service: Service, mailbox: str, raw_id: str) -> Event:
    event_id = urllib.parse.unquote(raw_id)
    if not ID_SHAPE.match(event_id):
        raise bad_request("ErrorInvalidIdMalformed", "Id is malformed.")
    event = service.state.events.get(event_id)
    if event is None or event.mailbox != mailbox:
        raise GraphError(
            404, "ErrorItemNotFound", "The specified object was not found in the store."
        )
    return event


def _context(service: Service, mailbox: str, suffix: str = "events") -> str:
    return f"{service.graph_url}/$metadata#users('{mailbox}')/{suffix}"


@route(ROUTES, "POST", "/users/{user}/events", "events.create", WRITE, EXCHANGE)
@route(ROUTES, "POST", "/users/{user}/calendar/events", "events.create", WRITE, EXCHANGE)
def create_event(service: Service, request: Request, params: dict[str, str]) -> Response:
    fields = events.validate(json_body(request), creating=True)
    owner = service.state.users[params["mailbox"]]
    transaction = fields.get("transactionId")
    if transaction:
        for existing in service.state.mailbox_events(owner.id):
            if existing.transaction_id != transaction:
                continue
            same = existing.transaction_body == fields
            if same and service.config.duplicate_transaction == "return":
                document = render(service, existing, request)
                document["@odata.context"] = _context(service, owner.id, "events/$entity")
                return Response(status=201, json=document)
            raise bad_request(
                "ErrorDuplicateTransactionId",
                "Your request can't be completed. The TransactionId specified in the request "
                "has already been used to create a different event.",
            )
    event = events.create(service, owner, fields)
    document = render(service, event, request)
    document["@odata.context"] = _context(service, owner.id, "events/$entity")
    location = f"{service.graph_url}/users/{owner.id}/events/{event.id}"
    return Response(status=201, json=document, headers={"Location": location})


def _list(
    service: Service, request: Request, items: list[Event], base: str, context: str
) -> Response:
    selected = odata.parse_select(request, events.EVENT_PROPERTIES, events.EVENT_TYPE, outlook=True)
    top = odata.parse_top(request, 1000) or 10
    skip_text = request.query.get("$skip", "0")
    if not skip_text.isdigit():
        raise bad_request("ErrorInvalidUrlQuery", f"Invalid $skip value '{skip_text}'.")
    skip = int(skip_text)
    page = items[skip : skip + top]
    document: dict[str, Any] = {
        "@odata.context": context,
        "value": [render(service, event, request, selected) for event in page],
    }
    if skip + top < len(items):
        query = {k: v for k, v in request.query.items() if k != "$skip"}
        query.update({"$top": str(top), "$skip": str(skip + top)})
        document["@odata.nextLink"] = f"{base}?{urllib.parse.urlencode(query, safe='$,')}"
    return Response(json=document)


@route(ROUTES, "GET", "/users/{user}/events", "events.list", READ, EXCHANGE)
@route(ROUTES, "GET", "/users/{user}/calendar/events", "events.list", READ, EXCHANGE)
def list_events(service: Service, request: Request, params: dict[str, str]) -> Response:
    odata.reject_options(request, {"$select", "$top", "$skip", "$filter", "$orderby"})
    items = sorted(service.state.mailbox_events(params["mailbox"]), key=lambda e: e.created)
    if "$filter" in request.query:
        node = odata.parse_filter(request.query["$filter"])
        for prop, _ in odata.filter_uses(node):
            if prop.lower() not in {"icaluid", "subject", "transactionid", "type", "iscancelled"}:
                raise odata.unknown_property(prop, events.EVENT_TYPE, outlook=True)
        items = [e for e in items if odata.evaluate(node, functools.partial(odata.field, e.data))]
    base = f"{service.graph_url}/users/{params['user']}/events"
    return _list(service, request, items, base, _context(service, params["mailbox"]))


@route(ROUTES, "GET", "/users/{user}/events/{id}", "events.get", READ, EXCHANGE)
@route(ROUTES, "GET", "/users/{user}/calendar/events/{id}", "events.get", READ, EXCHANGE)
def get_event(service: Service, request: Request, params: dict[str, str]) -> Response:
    odata.reject_options(request, {"$select"})
    event = find(service, params["mailbox"], params["id"])
    selected = odata.parse_select(request, events.EVENT_PROPERTIES, events.EVENT_TYPE, outlook=True)
    document = render(service, event, request, selected)
    document["@odata.context"] = _context(service, params["mailbox"], "events/$entity")
    return Response(json=document)


@route(ROUTES, "PATCH", "/users/{user}/events/{id}", "events.update", WRITE, EXCHANGE)
@route(ROUTES, "PATCH", "/users/{user}/calendar/events/{id}", "events.update", WRITE, EXCHANGE)
def update_event(service: Service, request: Request, params: dict[str, str]) -> Response:
    event = find(service, params["mailbox"], params["id"])
    meetings.update(service, event, events.validate(json_body(request), creating=False))
    document = render(service, event, request)
    document["@odata.context"] = _context(service, params["mailbox"], "events/$entity")
    return Response(json=document)


@route(ROUTES, "POST", "/users/{user}/events/{id}/cancel", "events.cancel", WRITE, EXCHANGE)
def cancel_event(service: Service, request: Request, params: dict[str, str]) -> Response:
    body = json_body(request, allow_empty=True)
    for key, value in body.items():
        if key.lower() != "comment":
            raise bad_request(
                "RequestBodyRead",
                f"The parameter '{key}' in the request payload is not a valid parameter for "
                "the operation 'cancel'.",
            )
        if not isinstance(value, str):
            raise events._literal_error(value, "Edm.String")
    event = find(service, params["mailbox"], params["id"])
    meetings.cancel(service, event, explicit=True)
    return Response(status=202, content_type="")


@route(ROUTES, "DELETE", "/users/{user}/events/{id}", "events.delete", WRITE, EXCHANGE)
def delete_event(service: Service, request: Request, params: dict[str, str]) -> Response:
    event = find(service, params["mailbox"], params["id"])
    meetings.cancel(service, event, explicit=False)
    return Response(status=204, content_type="")


def _window(request: Request) -> tuple[datetime.datetime, datetime.datetime]:
    lookup = {k.lower(): v for k, v in request.query.items()}
    if "startdatetime" not in lookup or "enddatetime" not in lookup:
        raise bad_request(
            "ErrorInvalidParameter",
            "This request requires a time window specified by the query string parameters "
            "StartDateTime and EndDateTime.",
        )
    start = timezones.parse_datetime(lookup["startdatetime"], "UTC", "startDateTime")
    end = timezones.parse_datetime(lookup["enddatetime"], "UTC", "endDateTime")
    return start, end


def _in_window(event: Event, start: datetime.datetime, end: datetime.datetime) -> bool:
    return event.start < end and event.end > start


@route(ROUTES, "GET", "/users/{user}/calendarView", "calendarView.list", READ, EXCHANGE)
def calendar_view(service: Service, request: Request, params: dict[str, str]) -> Response:
    odata.reject_options(request, {"$select", "$top", "$skip", "$filter", "$orderby"})
    start, end = _window(request)
    items = sorted(
        (e for e in service.state.mailbox_events(params["mailbox"]) if _in_window(e, start, end)),
        key=lambda e: e.start,
    )
    base = f"{service.graph_url}/users/{params['user']}/calendarView"
    return _list(service, request, items, base, _context(service, params["mailbox"]))


@route(ROUTES, "GET", "/users/{user}/calendarView/delta", "calendarView.delta", READ, EXCHANGE)
def calendar_view_delta(service: Service, request: Request, params: dict[str, str]) -> Response:
    state = service.state
    mailbox = params["mailbox"]
    odata.reject_options(request, {"$deltatoken", "$skiptoken"})
    size = odata.max_page_size(request, 10)
    base = f"{service.graph_url}/users/{params['user']}/calendarView/delta"
    token = request.query.get("$skiptoken") or request.query.get("$deltatoken")
    if token:
        kind = "calendarView" if "$skiptoken" in request.query else "calendarView.delta"
        cursor = paging.resume(state, kind, mailbox, token, paging.outlook_expired)
        start, end = cursor.options["window"]
        if kind == "calendarView":
            items, seq = cursor.pending, cursor.seq
        else:
            items, seq = _changes(service, request, mailbox, cursor.seq, start, end), state.seq
    else:
        start, end = _window(request)
        items = [
            render(service, e, request)
            for e in sorted(state.mailbox_events(mailbox), key=lambda e: e.start)
            if _in_window(e, start, end)
        ]
        seq = state.seq
    page = paging.serve(
        state,
        "calendarView",
        mailbox,
        items,
        size,
        {"window": (start, end)},
        lambda t: f"{base}?$skiptoken={t}",
        lambda t: f"{base}?$deltatoken={t}",
        round_seq=seq,
    )
    return Response(json=page.annotate({"@odata.context": _context(service, mailbox)}))


def _changes(
    service: Service,
    request: Request,
    mailbox: str,
    since: int,
    start: datetime.datetime,
    end: datetime.datetime,
) -> list[Any]:
    items: list[Any] = []
    for event in service.state.mailbox_events(mailbox):
        if event.changed_seq <= since:
            continue
        if _in_window(event, start, end):
            items.append(render(service, event, request))
        else:
            items.append(_removed(event.id))
    for stone in service.state.event_tombstones.get(mailbox, []):
        if stone.seq > since:
            items.append(_removed(stone.id))
    return items


def _removed(event_id: str) -> dict[str, Any]:
    return {
        "@odata.type": "#microsoft.graph.event",
        "id": event_id,
        "@removed": {"reason": "deleted"},
    }
