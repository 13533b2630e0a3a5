"""Mail endpoints of a mailbox: drafts, send, sendMail, lists, one message, its MIME, and the
delta of a folder.

* POST /messages and /sendMail take JSON, or MIME as base64 with `Content-Type: text/plain`
  (user-sendmail.md, message-send.md); both sends answer 202 with no body;
* sendMail takes `message` and `saveToSentItems`; other parameters are refused like any action
  parameter;
* `internetMessageHeaders` and `uniqueBody` come back only when selected (message resource:
  "Returned only on applying a $select query option");
* folder lists and delta page at 10 by default (`$top`, `Prefer: odata.maxpagesize`); delta
  reports messages that left the folder as `@removed` with reason `deleted`
  (delta-query-messages.md) and honours $select.
"""

from __future__ import annotations

import functools
import urllib.parse
from typing import Any

from . import messages, mime, odata, paging
from .dispatch import EXCHANGE, Route, Service, json_body, route
from .errors import GraphError, Request, Response, bad_request
from .state import Message

ROUTES: list[Route] = []
READ = {"Mail.Read", "Mail.ReadWrite", "Mail.ReadBasic", "Mail.ReadBasic.All"}
WRITE = {"Mail.ReadWrite"}
SEND = {"Mail.Send"}
WELL_KNOWN = {"inbox", "drafts", "sentitems", "deleteditems"}
DEFAULT_SELECT = sorted(messages.MESSAGE_PROPERTIES - messages.SELECT_ONLY - messages.NAVIGATION)


def render(message: Message, selected: list[str] | None) -> dict[str, Any]:
    document = {"@odata.etag": f'W/"{message.data["changeKey"]}"', "id": message.id, **message.data}
    return odata.project(document, selected, DEFAULT_SELECT)


def _is_mime(request: Request) -> bool:
    return (request.header("content-type") or "").lower().startswith("text/plain")


def _find(service: Service, mailbox: str, raw_id: str) -> Message:
    message = service.state.messages.get(urllib.parse.unquote(raw_id))
    if message is None or message.mailbox != mailbox:
        raise GraphError(
            404, "ErrorItemNotFound", "The specified object was not found in the store."
        )
    return message


def _folder(service: Service, mailbox: str, key: str) -> str:
    name = urllib.parse.unquote(key).lower()
    if name in WELL_KNOWN:
        return name
    for folder, folder_id in service.state.folders.get(mailbox, {}).items():
        if folder_id == urllib.parse.unquote(key):
            return folder
    raise GraphError(404, "ErrorItemNotFound", "The specified object was not found in the store.")


@route(ROUTES, "POST", "/users/{user}/messages", "messages.create", WRITE, EXCHANGE)
def create_message(service: Service, request: Request, params: dict[str, str]) -> Response:
    owner = service.state.users[params["mailbox"]]
    if _is_mime(request):
        raw = mime.decode_base64_mime(request.body)
        message = messages.new_message(service, owner, "drafts", mime.parse(raw), raw)
    else:
        message = messages.new_message(
            service, owner, "drafts", messages.validate(json_body(request))
        )
    document = render(message, None)
    document["@odata.context"] = (
        f"{service.graph_url}/$metadata#users('{owner.id}')/messages/$entity"
    )
    return Response(status=201, json=document)


@route(ROUTES, "POST", "/users/{user}/messages/{id}/send", "messages.send", SEND, EXCHANGE)
def send_message(service: Service, request: Request, params: dict[str, str]) -> Response:
    if json_body(request, allow_empty=True):
        raise bad_request("BadRequest", "The send action takes no parameters.")
    message = _find(service, params["mailbox"], params["id"])
    if message.folder != "drafts" or not message.data.get("isDraft"):
        raise bad_request("ErrorInvalidOperation", "Only draft messages can be sent.")
    messages.send(service, service.state.users[params["mailbox"]], message)
    return Response(status=202, content_type="")


@route(ROUTES, "POST", "/users/{user}/sendMail", "sendMail", SEND, EXCHANGE)
def send_mail(service: Service, request: Request, params: dict[str, str]) -> Response:
    owner = service.state.users[params["mailbox"]]
    if _is_mime(request):
        raw = mime.decode_base64_mime(request.body)
        message = messages.new_message(service, owner, "drafts", mime.parse(raw), raw)
        messages.send(service, owner, message)
        return Response(status=202, content_type="")
    body = json_body(request)
    found: dict[str, Any] = {}
    for key, value in body.items():
        if key.lower() not in ("message", "savetosentitems"):
            raise bad_request(
                "RequestBodyRead",
                f"The parameter '{key}' in the request payload is not a valid parameter for the "
                "operation 'sendMail'.",
            )
        found[key.lower()] = value
    if not isinstance(found.get("message"), dict):
        raise bad_request("ErrorInvalidParameter", "The parameter 'message' is required.")
    save = found.get("savetosentitems", True)
    if not isinstance(save, bool):
        raise bad_request(
            "RequestBodyRead",
            f"Cannot convert the literal '{save}' to the expected type 'Edm.Boolean'.",
        )
    fields = messages.validate(found["message"])
    message = messages.new_message(service, owner, "drafts", fields)
    try:
        messages.send(service, owner, message, save=save)
    except GraphError:
        messages.remove_draft(service, message)
        raise
    return Response(status=202, content_type="")


def _list(
    service: Service, request: Request, mailbox: str, folder: str | None, base: str
) -> Response:
    odata.reject_options(request, {"$select", "$top", "$skip", "$filter", "$orderby"})
    selected = odata.parse_select(
        request, messages.MESSAGE_PROPERTIES, messages.MESSAGE_TYPE, outlook=True
    )
    items = sorted(
        service.state.mailbox_messages(mailbox, folder),
        key=lambda m: m.data["createdDateTime"],
        reverse=True,
    )
    if "$filter" in request.query:
        node = odata.parse_filter(request.query["$filter"])
        allowed = {
            "internetmessageid",
            "subject",
            "conversationid",
            "isdraft",
            "isread",
            "receiveddatetime",
            "sentdatetime",
        }
        for prop, _ in odata.filter_uses(node):
            if prop.lower() not in allowed:
                raise odata.unknown_property(prop, messages.MESSAGE_TYPE, outlook=True)
        items = [m for m in items if odata.evaluate(node, functools.partial(odata.field, m.data))]
    top = odata.parse_top(request, 1000) or 10
    skip = int(request.query.get("$skip", "0") or 0)
    document: dict[str, Any] = {
        "@odata.context": f"{service.graph_url}/$metadata#users('{mailbox}')/messages",
        "value": [render(m, selected) for m in items[skip : skip + top]],
    }
    if skip + top < len(items):
        query = {k: v for k, v in request.query.items() if k != "$skip"}
        query.update({"$top": str(top), "$skip": str(skip + top)})
        document["@odata.nextLink"] = f"{base}?{urllib.parse.urlencode(query, safe='$,')}"
    return Response(json=document)


@route(ROUTES, "GET", "/users/{user}/messages", "messages.list", READ, EXCHANGE)
def list_messages(service: Service, request: Request, params: dict[str, str]) -> Response:
    base = f"{service.graph_url}/users/{params['user']}/messages"
    return _list(service, request, params["mailbox"], None, base)


@route(
    ROUTES, "GET", "/users/{user}/mailFolders/inbox/messages/delta", "inbox.delta", READ, EXCHANGE
)
@route(
    ROUTES,
    "GET",
    "/users/{user}/mailFolders/{folder}/messages/delta",
    "messages.delta",
    READ,
    EXCHANGE,
)
def folder_delta(service: Service, request: Request, params: dict[str, str]) -> Response:
    state = service.state
    mailbox = params["mailbox"]
    folder = _folder(service, mailbox, params.get("folder", "inbox"))
    scope = f"{mailbox}:{folder}"
    odata.reject_options(request, {"$select", "$deltatoken", "$skiptoken"})
    size = odata.max_page_size(request, 10)
    base = f"{service.graph_url}/users/{params['user']}/mailFolders/{folder}/messages/delta"
    token = request.query.get("$skiptoken") or request.query.get("$deltatoken")
    if token:
        kind = "messages" if "$skiptoken" in request.query else "messages.delta"
        cursor = paging.resume(state, kind, scope, token, paging.outlook_expired)
        selected = cursor.options.get("select")
        if kind == "messages":
            items, seq = cursor.pending, cursor.seq
        else:
            items, seq = _changes(service, mailbox, folder, cursor.seq, selected), state.seq
    else:
        selected = odata.parse_select(
            request, messages.MESSAGE_PROPERTIES, messages.MESSAGE_TYPE, outlook=True
        )
        items = [render(m, selected) for m in state.mailbox_messages(mailbox, folder)]
        seq = state.seq
    page = paging.serve(
        state,
        "messages",
        scope,
        items,
        size,
        {"select": selected},
        lambda t: f"{base}?$skiptoken={t}",
        lambda t: f"{base}?$deltatoken={t}",
        round_seq=seq,
    )
    context = f"{service.graph_url}/$metadata#Collection(message)"
    return Response(json=page.annotate({"@odata.context": context}))


def _changes(
    service: Service, mailbox: str, folder: str, since: int, selected: list[str] | None
) -> list[Any]:
    items: list[Any] = [
        render(m, selected)
        for m in service.state.mailbox_messages(mailbox, folder)
        if m.changed_seq > since
    ]
    for stone in service.state.message_tombstones.get(f"{mailbox}:{folder}", []):
        if stone.seq > since:
            items.append(
                {
                    "@odata.type": "#microsoft.graph.message",
                    "id": stone.id,
                    "@removed": {"reason": "deleted"},
                }
            )
    return items


@route(
    ROUTES, "GET", "/users/{user}/mailFolders/{folder}/messages", "messages.list", READ, EXCHANGE
)
def list_folder(service: Service, request: Request, params: dict[str, str]) -> Response:
    folder = _folder(service, params["mailbox"], params["folder"])
    base = f"{service.graph_url}/users/{params['user']}/mailFolders/{params['folder']}/messages"
    return _list(service, request, params["mailbox"], folder, base)


@route(ROUTES, "GET", "/users/{user}/messages/{id}", "message.get", READ, EXCHANGE)
def get_message(service: Service, request: Request, params: dict[str, str]) -> Response:
    odata.reject_options(request, {"$select"})
    message = _find(service, params["mailbox"], params["id"])
    selected = odata.parse_select(
        request, messages.MESSAGE_PROPERTIES, messages.MESSAGE_TYPE, outlook=True
    )
    document = render(message, selected)
    document["@odata.context"] = (
        f"{service.graph_url}/$metadata#users('{message.mailbox}')/messages/$entity"
    )
    return Response(json=document)


@route(ROUTES, "GET", "/users/{user}/messages/{id}/$value", "message.value", READ, EXCHANGE)
def message_value(service: Service, request: Request, params: dict[str, str]) -> Response:
    message = _find(service, params["mailbox"], params["id"])
    return Response(raw=messages.mime_of(message), content_type="text/plain")


@route(ROUTES, "DELETE", "/users/{user}/messages/{id}", "message.delete", WRITE, EXCHANGE)
def delete_message(service: Service, request: Request, params: dict[str, str]) -> Response:
    message = _find(service, params["mailbox"], params["id"])
    messages.move(service, message, "deleteditems")
    return Response(status=204, content_type="")
