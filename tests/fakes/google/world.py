"""Seeding and steering of the fake's world: users, groups, events, mail, and their changes.

These are the test's hands: what a person or an administrator would do in the Google UIs
(invite, accept, decline, move, cancel, receive mail), done directly on the fake's state with
the same bookkeeping as the API (``updated`` stamps, sync feeds, history records).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from . import calendar_model as cm
from . import events, gmail
from .calendar import working_hours as parse_working_hours
from .state import Calendar, Entry, EventData, Group, Mailbox, Message, State, User

JsonObject = dict[str, Any]


def when(value: datetime | date | str) -> JsonObject:
    """An EventDateTime from an aware datetime, a date (all-day) or an RFC 3339 string."""
    if isinstance(value, str):
        return {"dateTime": value} if "T" in value else {"date": value}
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("event times need an aware datetime")
        return {"dateTime": value.isoformat()}
    return {"date": value.isoformat()}


class World:
    """Mixin of :class:`GoogleFake`: everything here works on ``self.state`` under its lock."""

    state: State

    # -- seeding -------------------------------------------------------------------------------

    def add_user(
        self,
        email: str,
        *,
        name: str | tuple[str, str] | None = None,
        title: str | None = None,
        department: str | None = None,
        cost_center: str | None = None,
        manager: str | None = None,
        org_unit: str = "/",
        suspended: bool = False,
        archived: bool = False,
        is_admin: bool = False,
        custom: dict[str, JsonObject] | None = None,
        timezone: str = "UTC",
        working_hours: JsonObject | tuple[str, str] | None = None,
        aliases: Iterable[str] = (),
    ) -> User:
        """A Workspace user with a primary calendar and a mailbox."""
        email = email.lower()
        local = email.split("@")[0]
        if name is None:
            given, family = local.capitalize(), ""
        elif isinstance(name, tuple):
            given, family = name
        else:
            given, _, family = name.partition(" ")
        cm.zone(timezone)
        user = User(
            email, given, family, title=title, department=department, cost_center=cost_center,
            manager=manager.lower() if manager else None, org_unit=org_unit, suspended=suspended,
            archived=archived, is_admin=is_admin, custom=dict(custom or {}), aliases=tuple(aliases),
            timezone=timezone, working_hours=parse_working_hours(working_hours),
            created=self.state.clock.now(),
        )  # fmt: skip
        with self.state.lock:
            self.state.users[email] = user
            self.state.calendars.setdefault(email, Calendar(email))
            self.state.mailboxes.setdefault(email, Mailbox(email))
        return user

    def delete_user(self, email: str) -> None:
        with self.state.lock:
            self.state.users[email.lower()].deleted = True

    def add_group(
        self,
        email: str,
        members: Iterable[str] = (),
        *,
        name: str | None = None,
        roles: dict[str, str] | None = None,
    ) -> Group:
        roles = {k.lower(): v for k, v in (roles or {}).items()}
        group = Group(
            email.lower(),
            name or email,
            {m.lower(): roles.get(m.lower(), "MEMBER") for m in members},
        )
        with self.state.lock:
            self.state.groups[group.email] = group
        return group

    def share_calendar(self, owner: str, grantee: str, role: str = "reader") -> None:
        """Give ``grantee`` more than the domain's default free/busy access to a calendar."""
        if role not in cm.ROLES:
            raise ValueError(role)
        with self.state.lock:
            self.state.calendars[owner.lower()].acl[grantee.lower()] = role

    def add_event(
        self,
        owner: str,
        start: datetime | date | str,
        end: datetime | date | str,
        *,
        summary: str = "Busy",
        attendees: Iterable[str] = (),
        transparency: str | None = None,
        event_type: str = "default",
        event_id: str | None = None,
        description: str | None = None,
    ) -> str:
        """Put an event on ``owner``'s calendar (copies go to attendees); return its id."""
        with self.state.lock:
            now, calendar = self.state.clock.now(), self.state.calendars[owner.lower()]
            event_id = event_id or cm.new_event_id()
            data = EventData(
                event_id, f"{event_id}@google.com", calendar.owner, calendar.owner,
                when(start), when(end), now, summary=summary, description=description,
                transparency=transparency, event_type=event_type,
            )  # fmt: skip
            data.attendees = (
                [{"email": calendar.owner, "organizer": True, "responseStatus": "accepted"}]
                if attendees
                else []
            )
            data.attendees += [
                {"email": a.lower(), "responseStatus": "needsAction"} for a in attendees
            ]
            entry = Entry(calendar.owner, data, 0, now)
            calendar.entries[event_id] = entry
            calendar.touch(entry, now)
            cm.sync_copies(self.state, data, now)
        return event_id

    def add_busy(
        self, owner: str, start: datetime | str, end: datetime | str, **kwargs: Any
    ) -> str:
        return self.add_event(owner, start, end, **kwargs)

    def add_out_of_office(self, owner: str, start: datetime | str, end: datetime | str) -> str:
        return self.add_event(owner, start, end, summary="Out of office", event_type="outOfOffice")

    def deliver(self, mailbox: str, raw: bytes, labels: Iterable[str] = ("INBOX", "UNREAD")) -> str:
        """An incoming mail lands in ``mailbox``; returns the Gmail message id."""
        with self.state.lock:
            return gmail.deliver(self.state, mailbox, raw, tuple(labels)).id

    # -- steering ------------------------------------------------------------------------------

    def respond(self, owner: str, event_id: str, attendee: str, status: str) -> None:
        """A guest accepts/declines/tentatively accepts (as in the Calendar UI)."""
        with self.state.lock:
            events.respond(self.state, owner, event_id, attendee, status)

    def move_event(
        self, owner: str, event_id: str, start: datetime | str, end: datetime | str
    ) -> None:
        """Someone (a guest with guestsCanModify, or the organizer in the UI) moves a meeting."""
        with self.state.lock:
            data = self.state.calendars[owner.lower()].entries[event_id].data
            data.start, data.end = when(start), when(end)
            data.sequence += 1
            cm.touch_all(self.state, data, self.state.clock.now())

    def cancel_event(self, owner: str, event_id: str) -> None:
        """The organizer deletes the meeting in the UI: every copy becomes cancelled."""
        with self.state.lock:
            data = self.state.calendars[owner.lower()].entries[event_id].data
            data.status = "cancelled"
            cm.touch_all(self.state, data, self.state.clock.now())

    def expire_sync_tokens(self, owner: str | None = None) -> None:
        """Every sync token issued so far (for one calendar, or all) answers 410 from now on."""
        with self.state.lock:
            for calendar in self.state.calendars.values():
                if owner is None or calendar.owner == owner.lower():
                    calendar.generation += 1

    def expire_history(self, mailbox: str | None = None) -> None:
        """Older history ids fall out of the retained window: history.list answers 404."""
        with self.state.lock:
            for box in self.state.mailboxes.values():
                if mailbox is None or box.address == mailbox.lower():
                    box.history_floor = box.history_id

    def event(self, owner: str, event_id: str) -> JsonObject:
        """An event as its calendar's owner would get it from events.get."""
        with self.state.lock:
            return cm.render(self.state, self.state.calendars[owner.lower()].entries[event_id])

    def messages(self, mailbox: str) -> list[Message]:
        with self.state.lock:
            return list(self.state.mailboxes[mailbox.lower()].messages.values())
