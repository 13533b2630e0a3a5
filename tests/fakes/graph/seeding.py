"""Seeding the fake tenant: app registrations, people, groups, calendar items.

Kept apart from FakeGraph's steering and observation so each part stays readable; FakeGraph
inherits these methods. Every change goes through the state lock and bumps the change journal,
so seeded changes after a delta round surface in the next one, as directory changes do.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from . import events
from .dispatch import Service
from .identity import thumbprints
from .state import App, Group, State, Tombstone, User, WorkingHours


class Seeding:
    """Methods that populate the tenant; `state` and `service` come from FakeGraph."""

    state: State
    service: Service

    def add_app(
        self,
        client_id: str,
        *,
        secret: str | None = None,
        certificate: str | None = None,
        permissions: Iterable[str] = (),
    ) -> App:
        app = App(client_id=client_id, secret=secret, permissions=frozenset(permissions))
        if certificate:
            app.certificates.update(dict.fromkeys(thumbprints(certificate), certificate))
        with self.state.lock:
            self.state.apps[client_id.lower()] = app
        return app

    def limit_mailboxes(self, client_id: str, mailboxes: Iterable[str]) -> None:
        """An application access policy / RBAC scope: the app reaches only these mailboxes."""
        with self.state.lock:
            allowed = frozenset(self._user(m).id.lower() for m in mailboxes)
            self.state.apps[client_id.lower()].mailbox_scope = allowed

    def add_user(
        self,
        mail: str | None,
        *,
        name: str | None = None,
        title: str | None = None,
        department: str | None = None,
        manager: str | None = None,
        employee_type: str | None = None,
        extension: dict[str, str] | None = None,
        enabled: bool = True,
        guest: bool = False,
        timezone: str = "Pacific Standard Time",
        working_hours: tuple[Iterable[str], str, str, str] | None = None,
        upn: str | None = None,
        mailbox: bool = True,
        custom_timezone: bool = False,
        share_details: bool = False,
        user_id: str | None = None,
    ) -> str:
        """Create a user; returns its id. `working_hours` is (days, "08:00", "17:00", zone)."""
        with self.state.lock:
            principal = (
                upn or mail or f"{uuid.uuid4().hex[:8]}@{sorted(self.service.config.domains)[0]}"
            )
            display = name or (mail or principal).split("@")[0].replace(".", " ").title()
            given, _, surname = display.partition(" ")
            hours = WorkingHours(zone=timezone)
            if working_hours is not None:
                days, start, end, zone = working_hours
                hours = WorkingHours(tuple(d.lower() for d in days), start, end, zone)
            user = User(
                id=user_id or str(uuid.uuid4()),
                display_name=display,
                mail=mail,
                upn=principal,
                given_name=given or None,
                surname=surname or None,
                job_title=title,
                department=department,
                employee_type=employee_type,
                account_enabled=enabled,
                user_type="Guest" if guest else "Member",
                extension=dict(extension or {}),
                timezone=timezone,
                custom_timezone=custom_timezone,
                working_hours=hours,
                has_mailbox=mailbox and not guest,
                share_details=share_details,
            )
            if manager is not None:
                user.manager_id = self._user(manager).id
            self.state.users[user.id] = user
            self._changed(user, "*created*")
            return user.id

    def update_user(self, key: str, **changes: Any) -> None:
        """Change users' directory properties (by their Graph names or add_user's names)."""
        names = {
            "name": "displayName",
            "title": "jobTitle",
            "enabled": "accountEnabled",
            "employee_type": "employeeType",
            "department": "department",
            "mail": "mail",
        }
        with self.state.lock:
            user = self._user(key)
            for raw, value in changes.items():
                graph_name = names.get(raw, raw)
                if graph_name == "manager":
                    user.manager_id = self._user(value).id if value else None
                elif graph_name == "extension":
                    user.extension.update(value)
                    graph_name = "onPremisesExtensionAttributes"
                else:
                    attribute = {
                        "displayName": "display_name",
                        "jobTitle": "job_title",
                        "accountEnabled": "account_enabled",
                        "employeeType": "employee_type",
                    }.get(graph_name, graph_name)
                    if not hasattr(user, attribute):
                        raise AttributeError(f"users have no property {raw!r}")
                    setattr(user, attribute, value)
                self._changed(user, graph_name)

    def remove_user(self, key: str, *, permanent: bool = False) -> None:
        """Delete a user: soft (restorable, delta reason "changed") or permanent ("deleted")."""
        with self.state.lock:
            user = self._user(key)
            del self.state.users[user.id]
            reason = "deleted" if permanent else "changed"
            self.state.user_tombstones.append(Tombstone(user.id, self.state.bump(), reason=reason))

    def add_group(
        self, mail: str | None, *, name: str | None = None, members: Iterable[str] = ()
    ) -> str:
        with self.state.lock:
            ids = []
            for member in members:
                group = self.state.find_group(member)
                ids.append(group.id if group else self._user(member).id)
            group_id = str(uuid.uuid4())
            display = name or (mail or group_id).split("@")[0]
            self.state.groups[group_id] = Group(group_id, display, mail, ids)
            return group_id

    def add_busy(
        self,
        mailbox: str,
        start: str,
        end: str,
        *,
        status: str = "busy",
        subject: str = "Busy",
        zone: str = "UTC",
        private: bool = False,
    ) -> str:
        """Put an item on someone's calendar (status busy/tentative/oof/workingElsewhere/free)."""
        body = {
            "subject": subject,
            "showAs": status,
            "start": {"dateTime": start, "timeZone": zone},
            "end": {"dateTime": end, "timeZone": zone},
            "sensitivity": "private" if private else "normal",
        }
        with self.state.lock:
            fields = events.validate(body, creating=True)
            return events.create(self.service, self._user(mailbox), fields).id

    def _user(self, key: str) -> User:
        user = self.state.find_user(key)
        if user is None:
            raise KeyError(f"no user {key!r}")
        return user

    def _changed(self, user: User, name: str) -> None:
        user.changed_seq = self.state.bump()
        user.changed_props[name] = user.changed_seq
