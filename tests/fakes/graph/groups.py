"""GET /groups, /groups/{id}, /groups/{id}/members and /transitiveMembers.

Members are directoryObjects: each carries `@odata.type` (`#microsoft.graph.user` or
`#microsoft.graph.group`), and $select names are checked against the type the collection is
declared with, microsoft.graph.directoryObject, which Graph resolves through the derived types
(api-reference group-list-members.md). transitiveMembers flattens nested groups and lists the
nested groups themselves too (group-list-transitivemembers.md).
"""

from __future__ import annotations

import functools
import urllib.parse
from typing import Any

from . import odata, paging
from .directory import (
    GROUP_PROPERTIES,
    USER_PROPERTIES,
    group_document,
    resource_not_found,
    shape_group,
    shape_user,
)
from .dispatch import DIRECTORY, Route, Service, route
from .errors import Request, Response, bad_request
from .state import Group

ROUTES: list[Route] = []
GROUP_READ = {
    "GroupMember.Read.All",
    "Group.Read.All",
    "Group.ReadWrite.All",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
}
MEMBER_OPTIONS = {"$select", "$top", "$count", "$skiptoken", "$filter"}


def _require_group(service: Service, key: str) -> Group:
    group = service.state.find_group(urllib.parse.unquote(key))
    if group is None:
        raise resource_not_found(key)
    return group


def _page(
    service: Service,
    request: Request,
    kind: str,
    items: list[Any],
    base: str,
    size: int,
    context: str,
) -> Response:
    link_query = {k: v for k, v in request.query.items() if k != "$skiptoken"}

    def next_url(token: str) -> str:
        return f"{base}?{urllib.parse.urlencode({**link_query, '$skiptoken': token}, safe='$,')}"

    if "$skiptoken" in request.query:
        cursor = paging.resume(
            service.state,
            kind,
            base,
            request.query["$skiptoken"],
            lambda c: bad_request("Request_BadRequest", "The page token has expired."),
        )
        items, size = cursor.pending, int(cursor.options["size"])
    page = paging.serve(service.state, kind, base, items, size, {"size": size}, next_url)
    document: dict[str, Any] = {"@odata.context": context}
    if request.query.get("$count", "").lower() == "true":
        if (request.header("consistencylevel") or "").lower() != "eventual":
            raise bad_request("Request_BadRequest", "$count is not currently supported.")
        document["@odata.count"] = len(items)
    return Response(json=page.annotate(document))


@route(ROUTES, "GET", "/groups", "groups.list", GROUP_READ, DIRECTORY)
def groups_list(service: Service, request: Request, params: dict[str, str]) -> Response:
    odata.reject_options(request, {"$select", "$filter", "$top", "$count", "$skiptoken"})
    selected = odata.parse_select(request, GROUP_PROPERTIES, "microsoft.graph.group")
    size = odata.parse_top(request, 999) or service.config.page_size
    groups = list(service.state.groups.values())
    if "$filter" in request.query:
        node = odata.parse_filter(request.query["$filter"])
        for prop, _ in odata.filter_uses(node):
            if prop.lower() not in {name.lower() for name in GROUP_PROPERTIES}:
                raise odata.unknown_property(prop, "microsoft.graph.group")

        def value(group: Group, name: str) -> Any:
            document = group_document(group)
            return {k.lower(): v for k, v in document.items()}.get(name.lower())

        groups = [g for g in groups if odata.evaluate(node, functools.partial(value, g))]
    items = [shape_group(group, selected) for group in groups]
    base = f"{service.graph_url}/groups"
    return _page(
        service, request, "groups.list", items, base, size, f"{service.graph_url}/$metadata#groups"
    )


@route(ROUTES, "GET", "/groups/{key}", "groups.get", GROUP_READ, DIRECTORY)
def groups_get(service: Service, request: Request, params: dict[str, str]) -> Response:
    odata.reject_options(request, {"$select"})
    group = _require_group(service, params["key"])
    selected = odata.parse_select(request, GROUP_PROPERTIES, "microsoft.graph.group")
    document = shape_group(group, selected)
    document["@odata.context"] = f"{service.graph_url}/$metadata#groups/$entity"
    return Response(json=document)


def _members(service: Service, group: Group, transitive: bool, seen: set[str]) -> list[str]:
    found: list[str] = []
    for member in group.members:
        if member in seen:
            continue
        seen.add(member)
        found.append(member)
        nested = service.state.groups.get(member)
        if transitive and nested is not None:
            found.extend(_members(service, nested, transitive, seen))
    return found


def _list_members(service: Service, request: Request, key: str, transitive: bool) -> Response:
    odata.reject_options(request, MEMBER_OPTIONS)
    group = _require_group(service, key)
    selected = odata.parse_select(
        request, USER_PROPERTIES | GROUP_PROPERTIES, "microsoft.graph.directoryObject"
    )
    size = odata.parse_top(request, 999) or service.config.page_size
    items: list[Any] = []
    for member in _members(service, group, transitive, set()):
        if member in service.state.users:
            user = service.state.users[member]
            names = [n for n in selected if n in USER_PROPERTIES] if selected else None
            items.append({"@odata.type": "#microsoft.graph.user", **shape_user(user, names)})
        elif member in service.state.groups:
            nested = service.state.groups[member]
            names = [n for n in selected if n in GROUP_PROPERTIES] if selected else None
            items.append({"@odata.type": "#microsoft.graph.group", **shape_group(nested, names)})
    relation = "transitiveMembers" if transitive else "members"
    base = f"{service.graph_url}/groups/{group.id}/{relation}"
    return _page(
        service,
        request,
        f"groups.{relation}",
        items,
        base,
        size,
        f"{service.graph_url}/$metadata#directoryObjects",
    )


@route(ROUTES, "GET", "/groups/{key}/members", "groups.members", GROUP_READ, DIRECTORY)
def group_members(service: Service, request: Request, params: dict[str, str]) -> Response:
    return _list_members(service, request, params["key"], transitive=False)


@route(
    ROUTES,
    "GET",
    "/groups/{key}/transitiveMembers",
    "groups.transitiveMembers",
    GROUP_READ,
    DIRECTORY,
)
def group_transitive_members(
    service: Service, request: Request, params: dict[str, str]
) -> Response:
    return _list_members(service, request, params["key"], transitive=True)
