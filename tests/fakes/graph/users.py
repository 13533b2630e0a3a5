"""GET /users, /users/{id}, /users/delta.

* $top: 1..999 (default page 100); with `$expand`, at most 100: Graph returns at most 100 objects
  when expanding a directory relationship (known issue 13635, microsoftgraph/microsoft-graph-docs
  PR #21506 "Max page size with $expand is 100"). The fake refuses $top above 100 with $expand
  rather than silently capping, so a client cannot depend on a page size Graph won't give.
* Only one relationship can be expanded on users ("The result of parsing $expand contained at
  least 2 items, but the maximum allowed is 1.", microsoftgraph/microsoft-graph-docs#96).
* /users/delta: $select only (no $top, $expand, $orderby: delta-query-overview.md); changes to
  unselected properties don't surface; removed users come back as `@removed` with reason
  `changed` (soft-deleted, restorable) or `deleted` (gone); `$deltatoken=latest` starts from now.
"""

from __future__ import annotations

import functools
import re
import urllib.parse
from typing import Any

from . import odata, paging
from .directory import (
    ADVANCED_OPERATORS,
    USER_DEFAULT,
    USER_FILTERABLE,
    USER_PROPERTIES,
    require_user,
    shape_user,
    user_value,
)
from .dispatch import DIRECTORY, Route, Service, route
from .errors import GraphError, Request, Response, bad_request
from .state import User

ROUTES: list[Route] = []
USER_READ = {"User.Read.All", "User.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"}
USER_TYPE = "microsoft.graph.user"


def _expand(request: Request) -> list[str] | bool | None:
    """The $select of an expanded manager, None for a bare `manager`, False without $expand."""
    text = request.query.get("$expand")
    if text is None:
        return False
    parts = [part for part in re.split(r",(?![^()]*\))", text) if part.strip()]
    if len(parts) > 1:
        raise bad_request(
            "Request_BadRequest",
            "The result of parsing $expand contained at least 2 items, but the maximum allowed "
            "is 1.",
        )
    found = re.fullmatch(r"\s*(\w+)\s*(?:\((.*)\))?\s*", parts[0])
    if not found or found.group(1).lower() != "manager":
        name = found.group(1) if found else parts[0]
        raise odata.unknown_property(name, USER_TYPE)
    inner = found.group(2)
    if not inner:
        return None
    options = dict(option.split("=", 1) for option in inner.split(";") if "=" in option)
    fake = Request("GET", "", {k.strip(): v for k, v in options.items()}, {}, b"")
    return odata.parse_select(fake, USER_PROPERTIES, USER_TYPE)


def _check_filter(request: Request, node: odata.Node) -> None:
    advanced = (request.header("consistencylevel") or "").lower() == "eventual" and (
        request.query.get("$count", "").lower() == "true"
    )
    for prop, operator in odata.filter_uses(node):
        head = prop.split("/")[0].lower()
        if head not in {name.lower() for name in USER_PROPERTIES}:
            raise odata.unknown_property(prop, USER_TYPE)
        needs_advanced = operator in ADVANCED_OPERATORS or head == "onpremisesextensionattributes"
        if head not in USER_FILTERABLE and head != "onpremisesextensionattributes":
            needs_advanced = True
        if needs_advanced and not advanced:
            raise bad_request(
                "Request_UnsupportedQuery",
                f"Unsupported or invalid query filter clause specified for property '{prop}' of "
                "resource 'User'.",
            )


def _document(
    service: Service, user: User, selected: list[str] | None, expand: Any
) -> dict[str, Any]:
    document = shape_user(user, selected)
    if expand is not False and user.manager_id in service.state.users:
        manager = service.state.users[user.manager_id]
        document["manager"] = {
            "@odata.type": "#microsoft.graph.user",
            **shape_user(manager, expand if isinstance(expand, list) else None),
        }
    return document


def _context(service: Service, selected: list[str] | None, suffix: str = "") -> str:
    shape = f"({','.join(selected)})" if selected else ""
    return f"{service.graph_url}/$metadata#users{shape}{suffix}"


@route(ROUTES, "GET", "/users/delta", "users.delta", USER_READ, DIRECTORY)
def users_delta(service: Service, request: Request, params: dict[str, str]) -> Response:
    state = service.state
    odata.reject_options(request, {"$select", "$deltatoken", "$skiptoken"})
    delta_url = f"{service.graph_url}/users/delta"
    token = request.query.get("$skiptoken") or request.query.get("$deltatoken")
    if request.query.get("$deltatoken", "").lower() == "latest":
        selected = odata.parse_select(request, USER_PROPERTIES | {"manager"}, USER_TYPE)
        page = paging.serve(
            state, "users", "", [], 1, {"select": selected}, str, _delta_link(service)
        )
        return Response(json=page.annotate({"@odata.context": _context(service, None)}))
    if token:
        kind = "users" if "$skiptoken" in request.query else "users.delta"
        location = delta_url
        cursor = paging.resume(state, kind, "", token, paging.directory_expired(location))
        selected = cursor.options.get("select")
        items = cursor.pending if kind == "users" else _changes(service, cursor.seq, selected)
        seq = cursor.seq if kind == "users" else state.seq
    else:
        selected = odata.parse_select(request, USER_PROPERTIES | {"manager"}, USER_TYPE)
        items = [_delta_item(user, selected) for user in state.users.values()]
        seq = state.seq
    page = paging.serve(
        state,
        "users",
        "",
        items,
        service.config.page_size,
        {"select": selected},
        lambda t: f"{delta_url}?$skiptoken={t}",
        _delta_link(service),
        round_seq=seq,
    )
    return Response(json=page.annotate({"@odata.context": _context(service, selected)}))


def _delta_link(service: Service) -> Any:
    return lambda token: f"{service.graph_url}/users/delta?$deltatoken={token}"


def _delta_item(user: User, selected: list[str] | None) -> dict[str, Any]:
    names = [name for name in selected or USER_DEFAULT if name != "manager"]
    document = shape_user(user, names)
    if selected and "manager" in selected and user.manager_id:
        document["manager@delta"] = [
            {"@odata.type": "#microsoft.graph.user", "id": user.manager_id}
        ]
    return document


def _changes(service: Service, since: int, selected: list[str] | None) -> list[Any]:
    watched = {name.lower() for name in selected} if selected else None
    items: list[Any] = []
    for user in service.state.users.values():
        if user.changed_seq <= since:
            continue
        changed = {name.lower() for name, seq in user.changed_props.items() if seq > since}
        if watched is None or "*created*" in changed or changed & watched:
            items.append(_delta_item(user, selected))
    for stone in service.state.user_tombstones:
        if stone.seq > since:
            items.append(
                {
                    "@odata.type": "#microsoft.graph.user",
                    "id": stone.id,
                    "@removed": {"reason": stone.reason},
                }
            )
    return items


@route(ROUTES, "GET", "/users", "users.list", USER_READ, DIRECTORY)
def users_list(service: Service, request: Request, params: dict[str, str]) -> Response:
    state = service.state
    odata.reject_options(
        request, {"$select", "$filter", "$top", "$count", "$expand", "$skiptoken", "$orderby"}
    )
    link_query = {k: v for k, v in request.query.items() if k != "$skiptoken"}
    base = f"{service.graph_url}/users"

    def next_url(token: str) -> str:
        query = urllib.parse.urlencode({**link_query, "$skiptoken": token}, safe="$,()=;'")
        return f"{base}?{query}"

    if "$skiptoken" in request.query:
        cursor = paging.resume(state, "users.list", "", request.query["$skiptoken"], _stale)
        size = int(cursor.options["size"])
        page = paging.serve(state, "users.list", "", cursor.pending, size, cursor.options, next_url)
        return Response(json=page.annotate({"@odata.context": _context(service, None)}))
    selected = odata.parse_select(request, USER_PROPERTIES, USER_TYPE)
    expand = _expand(request)
    maximum = 100 if expand is not False else 999
    size = odata.parse_top(request, maximum) or (
        100 if expand is not False else service.config.page_size
    )
    counting = request.query.get("$count", "").lower() == "true"
    if counting and (request.header("consistencylevel") or "").lower() != "eventual":
        raise bad_request("Request_BadRequest", "$count is not currently supported.")
    users = list(state.users.values())
    if "$filter" in request.query:
        node = odata.parse_filter(request.query["$filter"])
        _check_filter(request, node)
        users = [u for u in users if odata.evaluate(node, functools.partial(user_value, u))]
    order = request.query.get("$orderby")
    if order:
        field_name = order.split()[0]
        if field_name.lower() not in ("displayname", "userprincipalname"):
            raise bad_request(
                "Request_UnsupportedQuery", f"Sorting by '{field_name}' is not supported."
            )
        users.sort(
            key=lambda u: str(user_value(u, field_name) or "").lower(),
            reverse=order.lower().endswith(" desc"),
        )
    items = [_document(service, user, selected, expand) for user in users]
    page = paging.serve(state, "users.list", "", items, size, {"size": size}, next_url)
    document: dict[str, Any] = {"@odata.context": _context(service, selected)}
    if counting:
        document["@odata.count"] = len(items)
    return Response(json=page.annotate(document))


def _stale(cursor: Any) -> GraphError:
    return bad_request("Request_BadRequest", "The specified page token value has expired.")


@route(ROUTES, "GET", "/users/{key}", "users.get", USER_READ, DIRECTORY)
def users_get(service: Service, request: Request, params: dict[str, str]) -> Response:
    odata.reject_options(request, {"$select", "$expand"})
    user = require_user(service.state, urllib.parse.unquote(params["key"]))
    selected = odata.parse_select(request, USER_PROPERTIES, USER_TYPE)
    document = _document(service, user, selected, _expand(request))
    document["@odata.context"] = _context(service, selected, "/$entity")
    return Response(json=document)
