"""Admin SDK Directory: users.list, users.get, members.list.

Behaviours followed (Directory API reference and "Search for users" guide):
- users.list needs ``customer`` (``my_customer`` or the customer id) or ``domain``; neither is
  400. A caller who is not an administrator gets 403 "Not Authorized to access this
  resource/api" for ``viewType=admin_view`` (the default) and may use ``domain_public``, which
  shows no suspended users and no admin-only fields.
- ``users`` is absent, not empty, when nothing matches; ``nextPageToken`` only when more follow.
- ``customSchemas`` appear only with ``projection=full``, or ``custom`` with the schema named in
  ``customFieldMask`` (``custom`` without a mask is 400).
- query: ``orgUnitPath='/x'`` matches /x and the units below it; ``email:`` and ``name:`` are
  prefix matches, ``=`` exact; ``isSuspended``/``isArchived``/``isAdmin``; ``manager=``;
  custom fields ``Schema.field=value``. Other terms answer 501 so a gap in the fake is loud.
- members.list: 200 per page at most; ``includeDerivedMembership`` flattens nested groups.
"""

from __future__ import annotations

import re
from typing import Any

from .dispatch import Call, Handler, Reply
from .errors import ApiError, bad_request, forbidden, unimplemented
from .state import State, User
from .util import etag, paginate, rfc3339

JsonObject = dict[str, Any]

TERM = re.compile(r"""([A-Za-z][\w.]*)\s*([=:])\s*('([^']*)'|"([^"]*)"|\S+)""")


def user_resource(state: State, user: User, query: JsonObject) -> JsonObject:
    """A User as Google shows it for the requested projection and view."""
    emails: list[JsonObject] = [{"address": user.email, "primary": True}]
    emails += [{"address": alias} for alias in user.aliases]
    organizations: list[JsonObject] = []
    if user.title or user.department or user.cost_center:
        org: JsonObject = {"primary": True, "customType": ""}
        org.update({"title": user.title} if user.title else {})
        org.update({"department": user.department} if user.department else {})
        org.update({"costCenter": user.cost_center} if user.cost_center else {})
        organizations.append(org)
    name = {
        "givenName": user.given_name,
        "familyName": user.family_name,
        "fullName": user.full_name,
    }
    body: JsonObject = {"kind": "admin#directory#user", "id": user.id, "primaryEmail": user.email}
    body["name"] = name
    body["emails"] = emails
    if organizations:
        body["organizations"] = organizations
    if query.get("viewType", "admin_view") == "admin_view":
        body.update(
            {
                "isAdmin": user.is_admin,
                "isDelegatedAdmin": False,
                "lastLoginTime": "1970-01-01T00:00:00.000Z",
                "creationTime": rfc3339(user.created),
                "agreedToTerms": True,
                "suspended": user.suspended,
                "archived": user.archived,
                "changePasswordAtNextLogin": False,
                "ipWhitelisted": False,
                "customerId": state.customer_id,
                "orgUnitPath": user.org_unit,
                "isMailboxSetup": True,
                "isEnrolledIn2Sv": False,
                "isEnforcedIn2Sv": False,
                "includeInGlobalAddressList": True,
            }
        )
        if user.suspended:
            body["suspensionReason"] = "ADMIN"
        if user.aliases:
            body["aliases"] = list(user.aliases)
        if user.manager:
            body["relations"] = [{"value": user.manager, "type": "manager"}]
        schemas = _visible_schemas(user, query)
        if schemas:
            body["customSchemas"] = schemas
    body["etag"] = etag(body)
    return body


def _visible_schemas(user: User, query: JsonObject) -> JsonObject:
    projection = query.get("projection", "basic")
    if projection == "full":
        return {k: dict(v) for k, v in user.custom.items()}
    if projection == "custom":
        mask = {name.strip() for name in str(query.get("customFieldMask", "")).split(",")}
        return {k: dict(v) for k, v in user.custom.items() if k in mask}
    return {}


def _custom_mask_check(state: State, query: JsonObject) -> None:
    if query.get("projection") == "custom" and not query.get("customFieldMask"):
        raise bad_request("Invalid Input: customFieldMask is required for custom projection")
    if query.get("customFieldMask") and query.get("projection") != "custom":
        raise bad_request("Invalid Input: customFieldMask requires projection=custom")


def _matches(user: User, term: re.Match[str]) -> bool:
    field, operator = term.group(1), term.group(2)
    value = next(v for v in (term.group(4), term.group(5), term.group(3)) if v is not None)
    lowered = value.lower()
    if field == "email":
        emails = [user.email, *user.aliases]
        return any(
            e.lower() == lowered if operator == "=" else e.lower().startswith(lowered)
            for e in emails
        )
    if field in ("name", "givenName", "familyName"):
        names = {"name": [user.full_name, user.given_name, user.family_name]}.get(
            field, [user.given_name if field == "givenName" else user.family_name]
        )
        if operator == "=":
            return any(n.lower() == lowered for n in names)
        return any(w.lower().startswith(lowered) for n in names for w in n.split())
    if field == "orgUnitPath" and operator == "=":
        root = value.rstrip("/") or "/"
        return root == "/" or user.org_unit == root or user.org_unit.startswith(root + "/")
    if field in ("isSuspended", "isArchived", "isAdmin") and operator == "=":
        actual = {
            "isSuspended": user.suspended,
            "isArchived": user.archived,
            "isAdmin": user.is_admin,
        }
        return str(actual[field]).lower() == lowered
    if field in ("manager", "directManager") and operator == "=":
        return (user.manager or "").lower() == lowered
    if "." in field:
        schema, _, key = field.partition(".")
        stored = user.custom.get(schema, {}).get(key)
        if stored is None:
            return False
        text = str(stored).lower()
        return text == lowered if operator == "=" else text.startswith(lowered)
    raise unimplemented(f"users.list query term {term.group(0)!r}")


def _filter(users: list[User], query_text: str) -> list[User]:
    rest = TERM.sub("", query_text).strip()
    if rest:
        raise unimplemented(f"users.list free-text query {rest!r}")
    terms = list(TERM.finditer(query_text))
    return [u for u in users if all(_matches(u, t) for t in terms)]


def users_list(call: Call) -> Reply:
    state, query = call.state, call.query
    caller = state.active_user(call.subject)
    if caller is None or (query["viewType"] == "admin_view" and not caller.is_admin):
        raise forbidden()
    customer, domain = query.get("customer"), query.get("domain")
    if not customer and not domain:
        raise bad_request("Bad Request", "badRequest")
    if customer and customer not in ("my_customer", state.customer_id):
        raise bad_request("Bad Request", "badRequest")
    if domain and domain.lower() not in state.domains:
        raise forbidden()
    _custom_mask_check(state, query)
    show_deleted = str(query.get("showDeleted", "false")).lower() == "true"
    users = [u for u in state.users.values() if u.deleted == show_deleted]
    if domain:
        users = [u for u in users if u.email.endswith("@" + domain.lower())]
    if query["viewType"] == "domain_public":
        users = [u for u in users if not u.suspended]
    users = _filter(users, str(query.get("query", "")))
    order = query.get("orderBy", "email")
    keys = {"email": lambda u: u.email, "givenName": lambda u: u.given_name.lower()}
    users.sort(key=keys.get(order, lambda u: u.family_name.lower()))
    if query.get("sortOrder") == "DESCENDING":
        users.reverse()
    page, token = paginate(users, query, int(query["maxResults"]))
    body: JsonObject = {"kind": "admin#directory#users"}
    if page:
        body["users"] = [user_resource(state, u, query) for u in page]
    if token:
        body["nextPageToken"] = token
    body["etag"] = etag(body)
    return Reply(body)


def users_get(call: Call) -> Reply:
    state, query = call.state, call.query
    caller = state.active_user(call.subject)
    user = state.user(call.params["userKey"])
    if caller is None:
        raise forbidden()
    if user is None or user.deleted:
        raise ApiError(404, "Resource Not Found: userKey", "notFound")
    if query["viewType"] == "admin_view" and not caller.is_admin and user is not caller:
        raise forbidden()
    _custom_mask_check(state, query)
    return Reply(user_resource(state, user, query))


def _expanded(state: State, group_email: str, seen: set[str]) -> list[tuple[str, str]]:
    members: list[tuple[str, str]] = []
    for email, role in state.groups[group_email].members.items():
        if email in state.groups and email not in seen:
            seen.add(email)
            members += _expanded(state, email, seen)
        elif email not in state.groups:
            members.append((email, role))
    return members


def members_list(call: Call) -> Reply:
    state, query = call.state, call.query
    caller = state.active_user(call.subject)
    if caller is None or not caller.is_admin:
        raise forbidden()
    key = call.params["groupKey"].lower()
    group = state.groups.get(key) or next((g for g in state.groups.values() if g.id == key), None)
    if group is None:
        raise ApiError(404, "Resource Not Found: groupKey", "notFound")
    if query.get("includeDerivedMembership"):
        unique = dict(_expanded(state, group.email, {group.email}))
        members = sorted(unique.items())
    else:
        members = sorted(group.members.items())
    roles = {r.strip().upper() for r in str(query.get("roles", "")).split(",") if r.strip()}
    if roles:
        members = [m for m in members if m[1] in roles]
    page, token = paginate(members, query, min(int(query["maxResults"]), 200))
    body: JsonObject = {"kind": "admin#directory#members"}
    if page:
        body["members"] = [_member(state, email, role) for email, role in page]
    if token:
        body["nextPageToken"] = token
    body["etag"] = etag(body)
    return Reply(body)


def _member(state: State, email: str, role: str) -> JsonObject:
    group = state.groups.get(email)
    user = state.user(email)
    member: JsonObject = {
        "kind": "admin#directory#member",
        "id": group.id if group else (user.id if user else str(abs(hash(email)))[:21]),
        "email": email,
        "role": role,
        "type": "GROUP" if group else "USER",
    }
    if not group:
        member["status"] = "SUSPENDED" if user and user.suspended else "ACTIVE"
    member["etag"] = etag(member)
    return member


HANDLERS: dict[str, Handler] = {
    "admin.directory.users.list": users_list,
    "admin.directory.users.get": users_get,
    "admin.directory.members.list": members_list,
}
