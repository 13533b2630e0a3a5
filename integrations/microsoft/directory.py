"""The directory from Microsoft Graph /users: a full read with $select (department,
employeeType, accountEnabled and the rest are absent unless selected) and $expand=manager
(pages of at most 100 then); /users/delta for the daily sync after it.

Left out: disabled accounts, guests, and accounts without mail. The level comes from
`level_attribute` (employeeType or an extensionAttribute), else from the title through the
program's `levels:`. People are selected by department in the program file; by group, the
provider names each person's groups (transitive members of the groups the file names).

The cursor holds the delta link and the id and address of everyone it has named, because a
deleted user comes back from /users/delta as an id alone."""

from __future__ import annotations

import base64
import json
import zlib
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from integrations.microsoft.graph import Call, Graph, GraphError, quoted
from scheduler.ports import CursorExpired, DirectoryBatch, PersonRecord

SELECT = (
    "id,mail,displayName,jobTitle,department,employeeType,accountEnabled,userType,"
    "onPremisesExtensionAttributes,proxyAddresses,userPrincipalName"
)
DELTA_SELECT = SELECT + ",manager"
EXPAND = "manager($select=id,mail)"
PAGE = 100  # the most Graph gives with $expand
CURSOR_PREFIX = "graph-users:"


def _encode(link: str, ids: Mapping[str, str]) -> str:
    packed = zlib.compress(json.dumps({"link": link, "ids": dict(ids)}).encode(), 9)
    return CURSOR_PREFIX + base64.urlsafe_b64encode(packed).decode()


def _decode(cursor: str) -> tuple[str, dict[str, str]]:
    if not cursor.startswith(CURSOR_PREFIX):
        raise CursorExpired("the directory cursor is not a Microsoft Graph delta cursor")
    try:
        data = json.loads(zlib.decompress(base64.urlsafe_b64decode(cursor[len(CURSOR_PREFIX) :])))
        return str(data["link"]), {str(k): str(v) for k, v in data["ids"].items()}
    except (ValueError, KeyError, zlib.error):
        raise CursorExpired("the directory cursor cannot be read") from None


def _level(user: Mapping[str, Any], attribute: str | None) -> str:
    if attribute is None:
        return ""
    if attribute == "employeeType":
        value = user.get("employeeType")
    else:
        value = (user.get("onPremisesExtensionAttributes") or {}).get(attribute)
    return str(value or "").strip()


def _included(user: Mapping[str, Any], mailbox: str) -> bool:
    """Enabled members with a mail address take part; guests, disabled accounts and the
    program mailbox itself (a shared mailbox is a disabled account anyway) do not."""
    return (
        bool(user.get("mail"))
        and str(user["mail"]).strip().lower() != mailbox
        and user.get("accountEnabled") is not False
        and str(user.get("userType") or "Member").lower() != "guest"
    )


def _aliases(user: Mapping[str, Any], mail: str) -> str:
    found = []
    for address in user.get("proxyAddresses") or []:
        scheme, _, value = str(address).partition(":")
        value = value.strip().lower()
        if scheme.lower() == "smtp" and value and value != mail and value not in found:
            found.append(value)
    return ";".join(found)


def record_of(
    user: Mapping[str, Any], level_attribute: str | None, groups: Iterable[str] = ()
) -> PersonRecord:
    """A Graph user as a directory record, in the people file's field names."""
    mail = str(user["mail"]).strip().lower()
    manager = user.get("manager") or {}
    fields = {
        "email": mail,
        "name": str(user.get("displayName") or "").strip(),
        "title": str(user.get("jobTitle") or "").strip(),
        "department": str(user.get("department") or "").strip(),
        "level": _level(user, level_attribute),
        "manager_email": str(manager.get("mail") or "").strip().lower(),
        "aliases": _aliases(user, mail),
    }
    named = sorted(set(groups))
    if named:
        fields["groups"] = ";".join(named)
    return PersonRecord("microsoft graph", 0, fields)


class GraphDirectory:
    """People from Entra ID through Graph; deltas when the program selects by department
    (or not at all), full reads when it selects by group (memberships have no user delta)."""

    def __init__(
        self,
        graph: Graph,
        mailbox: str,
        *,
        level_attribute: str | None,
        groups: Sequence[str] = (),
        page_size: int = PAGE,
    ) -> None:
        self.graph = graph
        self.page_size = page_size
        self.mailbox = mailbox.strip().lower()
        self.level_attribute = level_attribute
        self.groups = tuple(sorted({g.strip().lower() for g in groups}))

    def read(self, cursor: str | None) -> DirectoryBatch:
        if cursor is None or self.groups:
            return self._full()
        return self._delta(cursor)

    def _full(self) -> DirectoryBatch:
        start = self.graph.request(
            "GET", "/users/delta", params={"$deltatoken": "latest", "$select": DELTA_SELECT}
        )
        link = _delta_link(start)
        memberships = self._memberships()
        records, ids = [], {}
        params = {"$select": SELECT, "$expand": EXPAND, "$top": str(self.page_size)}
        for user in self.graph.items("/users", params):
            if not _included(user, self.mailbox):
                continue
            record = record_of(user, self.level_attribute, memberships.get(str(user["id"]), ()))
            records.append(record)
            ids[str(user["id"])] = record.fields["email"]
        return DirectoryBatch(records, complete=True, cursor=_encode(link, ids))

    def _delta(self, cursor: str) -> DirectoryBatch:
        link, ids = _decode(cursor)
        changed: list[str] = []
        removed: list[str] = []
        try:
            pages = list(self.graph.pages(link))
        except GraphError as error:
            if error.status == 410 or error.code in ("resyncRequired", "SyncStateNotFound"):
                raise CursorExpired(f"the directory's delta link expired ({error.code})") from None
            raise
        for page in pages:
            for item in page.get("value") or []:
                user_id = str(item.get("id"))
                if "@removed" in item:
                    if user_id in ids:
                        removed.append(ids.pop(user_id))
                elif user_id not in changed:
                    changed.append(user_id)
        records = []
        calls = [
            Call("GET", f"/users/{user_id}?$select={SELECT}&$expand={EXPAND}")
            for user_id in changed
        ]
        for user_id, answer in zip(changed, self.graph.batch(calls, lanes=20), strict=True):
            if answer.status == 404:
                if user_id in ids:
                    removed.append(ids.pop(user_id))
                continue
            if answer.error is not None:
                raise answer.error
            user = answer.body
            if _included(user, self.mailbox):
                record = record_of(user, self.level_attribute)
                previous = ids.get(user_id)
                if previous and previous != record.fields["email"]:
                    removed.append(previous)  # a changed address: the old one has left
                ids[user_id] = record.fields["email"]
                records.append(record)
            elif user_id in ids:
                removed.append(ids.pop(user_id))
        new_link = _delta_link(pages[-1])
        return DirectoryBatch(
            records, complete=False, removed=removed, cursor=_encode(new_link, ids)
        )

    def _memberships(self) -> dict[str, list[str]]:
        """For each user id, the named groups (by address) it belongs to, nested ones too."""
        found: dict[str, list[str]] = {}
        for address in self.groups:
            params = {"$filter": f"mail eq {quoted(address)}", "$select": "id,mail"}
            matches = list(self.graph.items("/groups", params))
            if not matches:
                raise GraphError(404, "GroupNotFound", "no group has this address", "/groups")
            for group in matches:
                members = self.graph.items(
                    f"/groups/{group['id']}/transitiveMembers",
                    {"$select": "id", "$top": "999"},
                )
                for member in members:
                    if member.get("@odata.type", "#microsoft.graph.user").endswith(".user"):
                        found.setdefault(str(member["id"]), []).append(address)
        return found


def _delta_link(document: Mapping[str, Any]) -> str:
    link = document.get("@odata.deltaLink")
    if not link:
        raise GraphError(502, "NoDeltaLink", "the delta round ended without a link", "/users/delta")
    return str(link)
