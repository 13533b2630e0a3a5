"""The Google Workspace directory (Admin SDK users.list, 500 a page), read as the
administrator the program names. Suspended and archived users are left out; title and
department come from the primary organization, the manager from `relations` (type manager),
level and time zone from custom schema fields when the program names them. Group membership
is read only for the groups the program's `participants` name. The program's own mailbox is
an account, not a person: it is left out too."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from integrations.google.auth import DIRECTORY_GROUPS, DIRECTORY_USERS, GoogleAccess
from scheduler.ports import DirectoryBatch, PersonRecord

PAGE = 500
USER_FIELDS = (
    "nextPageToken,users(primaryEmail,name/fullName,suspended,archived,organizations,"
    "relations,orgUnitPath,aliases,customSchemas)"
)


class GoogleDirectory:
    """A complete read at every call: users.list has no deltas."""

    def __init__(
        self,
        access: GoogleAccess,
        admin: str,
        *,
        customer: str = "my_customer",
        level_field: str | None = None,
        timezone_field: str | None = None,
        groups: Sequence[str] = (),
        mailbox: str | None = None,
    ) -> None:
        self.access = access
        self.admin = admin
        self.customer = customer
        self.level_field = level_field
        self.timezone_field = timezone_field
        self.groups = tuple(sorted({g.strip().lower() for g in groups if g.strip()}))
        self.mailbox = mailbox.strip().lower() if mailbox else None

    def read(self, cursor: str | None) -> DirectoryBatch:
        users = self.users()
        member_of = self.memberships()
        records = []
        for user in users:
            if user.get("suspended") or user.get("archived"):
                continue
            fields = self.fields_of(user)
            if not fields.get("email") or self._is_mailbox(fields):
                continue
            joined = sorted(g for g, members in member_of.items() if fields["email"] in members)
            if joined:
                fields["groups"] = ";".join(joined)
            records.append(PersonRecord("Google directory", 0, fields))
        return DirectoryBatch(records, complete=True)

    def _is_mailbox(self, fields: Mapping[str, str]) -> bool:
        addresses = {fields["email"], *fields.get("aliases", "").split(";")}
        return self.mailbox is not None and self.mailbox in addresses

    def users(self) -> list[dict[str, Any]]:
        service = self.access.service("admin", self.admin, [DIRECTORY_USERS])
        schemas = sorted(
            {f.split(".")[0] for f in (self.level_field, self.timezone_field) if f is not None}
        )
        options: dict[str, Any] = {"projection": "basic"}
        if schemas:
            options = {"projection": "custom", "customFieldMask": ",".join(schemas)}

        def page(token: str | None) -> Any:
            return service.users().list(
                customer=self.customer,
                maxResults=PAGE,
                orderBy="email",
                pageToken=token,
                fields=USER_FIELDS,
                **options,
            )

        return self.access.pages(page, "reading the directory (users.list)", "users")

    def memberships(self) -> dict[str, set[str]]:
        """The members (nested groups flattened) of each group `participants` names."""
        if not self.groups:
            return {}
        service = self.access.service("admin", self.admin, [DIRECTORY_GROUPS])
        found: dict[str, set[str]] = {}
        for group in self.groups:

            def page(token: str | None, group: str = group) -> Any:
                return service.members().list(
                    groupKey=group, maxResults=200, includeDerivedMembership=True, pageToken=token
                )

            members = self.access.pages(page, "reading a group (members.list)", "members")
            found[group] = {str(m.get("email", "")).lower() for m in members}
        return found

    def fields_of(self, user: Mapping[str, Any]) -> dict[str, str]:
        """A user as the people file's columns (issue 8, item 7)."""
        organization = _primary(user.get("organizations") or [])
        fields = {
            "email": str(user.get("primaryEmail", "")).strip().lower(),
            "name": str((user.get("name") or {}).get("fullName", "")).strip(),
            "title": str(organization.get("title", "")).strip(),
            "department": str(organization.get("department", "")).strip(),
            "manager_email": _manager(user.get("relations") or []),
            "org_unit": str(user.get("orgUnitPath", "")),
        }
        aliases = [str(a).lower() for a in user.get("aliases") or []]
        if aliases:
            fields["aliases"] = ";".join(aliases)
        level = _custom(user, self.level_field)
        if level is not None:
            fields["level"] = level
        zone = _custom(user, self.timezone_field)
        if zone:
            fields["timezone"] = zone
        return fields


def _primary(organizations: Sequence[Mapping[str, Any]]) -> Mapping[str, Any]:
    for organization in organizations:
        if organization.get("primary"):
            return organization
    return organizations[0] if organizations else {}


def _manager(relations: Sequence[Mapping[str, Any]]) -> str:
    for relation in relations:
        if relation.get("type") == "manager" and relation.get("value"):
            return str(relation["value"]).strip().lower()
    return ""


def _custom(user: Mapping[str, Any], name: str | None) -> str | None:
    """A custom schema field (Schema.field) as text; a multi-valued field gives its first."""
    if name is None:
        return None
    schema, _, field = name.partition(".")
    value = ((user.get("customSchemas") or {}).get(schema) or {}).get(field)
    if isinstance(value, list):
        value = value[0].get("value") if value and isinstance(value[0], dict) else None
    return None if value is None else str(value).strip()
