"""``GoogleFake``: the object tests hold -- start/stop, seeding, steering, faults, counters.

Point the real client at it::

    with GoogleFake() as fake:
        account = fake.create_service_account(tmp_path / "key.json", scopes=[...])
        fake.add_user("ada@example.com", name="Ada Lovelace", is_admin=True)
        creds = service_account.Credentials.from_service_account_file(account.path, scopes=[...])
        directory = build("admin", "directory_v1", credentials=creds.with_subject(admin),
                          client_options={"api_endpoint": fake.root}, static_discovery=True)
        calendar = build("calendar", "v3", ..., client_options={"api_endpoint": fake.calendar_root})
        batch = BatchHttpRequest(batch_uri=fake.batch_uri("calendar"))
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any

from . import calendar_model as cm
from . import directory, events, gmail
from .auth import (
    ServiceAccount,
    TokenAuthority,
    make_service_account_info,
    write_service_account_file,
)
from .calendar import HANDLERS as CALENDAR_HANDLERS
from .calendar import working_hours as parse_working_hours
from .discovery import Registry
from .dispatch import Dispatcher, Handler
from .errors import FAULT_KINDS
from .mail import upload_body
from .server import HttpServer
from .state import (
    Calendar,
    Entry,
    EventData,
    Fault,
    Group,
    Mailbox,
    Message,
    Notification,
    SentMail,
    State,
    User,
)

JsonObject = dict[str, Any]
BATCH_URIS = {
    "calendar": "batch/calendar/v3",
    "gmail": "batch/gmail/v1",
    "admin": "batch/admin/directory_v1",
}


@functools.lru_cache(maxsize=1)
def _registry() -> Registry:
    """Discovery documents are read once per test session."""
    return Registry()


def _when(value: datetime | date | str) -> JsonObject:
    if isinstance(value, str):
        return {"dateTime": value} if "T" in value else {"date": value}
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("event times need an aware datetime")
        return {"dateTime": value.isoformat()}
    return {"date": value.isoformat()}


class GoogleFake:
    """A strict, stateful stand-in for Directory, Calendar, Gmail and the OAuth2 token endpoint."""

    def __init__(
        self, *, token_lifetime: timedelta = timedelta(seconds=3599), daily_send_limit: int = 2000
    ) -> None:
        self.registry = _registry()
        self._authority = TokenAuthority("", token_lifetime)
        self.state = State(self._authority)
        self.state.daily_send_limit = daily_send_limit
        handlers: dict[str, Handler] = {
            **directory.HANDLERS, **CALENDAR_HANDLERS, **events.HANDLERS, **gmail.HANDLERS
        }  # fmt: skip
        self._server = HttpServer(Dispatcher(self.state, self.registry, handlers, upload_body))
        self._authority.token_uri = self.token_uri

    # -- lifecycle and addresses ---------------------------------------------------------------

    def start(self) -> GoogleFake:
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()

    def __enter__(self) -> GoogleFake:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def root(self) -> str:
        """``api_endpoint`` for Directory and Gmail (their paths carry their own prefix)."""
        return f"http://127.0.0.1:{self._server.port}/"

    @property
    def calendar_root(self) -> str:
        """``api_endpoint`` for Calendar, whose method paths lack the ``calendar/v3/`` prefix."""
        return self.root + "calendar/v3/"

    @property
    def token_uri(self) -> str:
        return self.root + "token"

    def batch_uri(self, api: str) -> str:
        """``calendar``, ``gmail`` or ``admin``: the ``batch_uri`` for BatchHttpRequest."""
        return self.root + BATCH_URIS[api]

    # -- service accounts and delegation -------------------------------------------------------

    def create_service_account(
        self,
        path: Path,
        scopes: Iterable[str],
        *,
        client_email: str = "tandem@tandem-test.iam.gserviceaccount.com",
    ) -> ServiceAccount:
        """Write a key file whose token_uri is this fake, register it, grant DWD ``scopes``."""
        info, public_pem = make_service_account_info(self.token_uri, client_email=client_email)
        write_service_account_file(path, info)
        account = ServiceAccount(
            info["client_email"], info["client_id"], info["private_key_id"], public_pem, path
        )
        with self.state.lock:
            self._authority.register(account, tuple(scopes))
        return account

    def authorize(self, client_id: str, scopes: Iterable[str]) -> None:
        """Add scopes to a client id's domain-wide delegation (the Admin console table)."""
        with self.state.lock:
            self._authority.delegation.setdefault(client_id, set()).update(scopes)

    def revoke(self, client_id: str, scopes: Iterable[str] | None = None) -> None:
        with self.state.lock:
            granted = self._authority.delegation.setdefault(client_id, set())
            granted.difference_update(set(scopes) if scopes is not None else set(granted))

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
                _when(start), _when(end), now, summary=summary, description=description,
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
            data.start, data.end = _when(start), _when(end)
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

    @property
    def now(self) -> datetime:
        return self.state.clock.now()

    @now.setter
    def now(self, when: datetime) -> None:
        with self.state.lock:
            self.state.clock.set(when)

    def advance(self, **delta: float) -> None:
        """Move the fake clock: ``fake.advance(days=1)`` resets Gmail's rolling sending limit."""
        with self.state.lock:
            self.state.clock.advance(timedelta(**delta))

    @property
    def daily_send_limit(self) -> int:
        return self.state.daily_send_limit

    @daily_send_limit.setter
    def daily_send_limit(self, value: int) -> None:
        self.state.daily_send_limit = value

    # -- faults --------------------------------------------------------------------------------

    def fault(
        self,
        method_id: str,
        status: int | str,
        *,
        times: int = 1,
        retry_after: float | None = None,
        in_batch: bool | None = None,
    ) -> None:
        """The next ``times`` calls of a method answer an error in Google's shape.

        ``status``: 429, 500, 503, 403 (= ``"403-rateLimitExceeded"``),
        ``"403-userRateLimitExceeded"`` or ``"403-quotaExceeded"``; ``in_batch`` limits the
        fault to batch parts (True) or direct calls (False). ``method_id="token"`` fails grants.
        """
        kind = (
            {403: "403-rateLimitExceeded"}.get(status, str(status))
            if isinstance(status, int)
            else status
        )
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault {status!r}; use one of {sorted(FAULT_KINDS)}")
        with self.state.lock:
            self.state.faults.append(
                Fault(self.registry.normalise(method_id), kind, times, retry_after, in_batch)
            )

    def slow(self, method_id: str, seconds: float) -> None:
        with self.state.lock:
            self.state.slow[self.registry.normalise(method_id)] = seconds

    def clear_faults(self) -> None:
        with self.state.lock:
            self.state.faults.clear()
            self.state.slow.clear()

    def expire_tokens(self) -> None:
        """Every access token stops working; the client's next call gets 401 and refreshes."""
        with self.state.lock:
            self._authority.expire_all()

    # -- counters ------------------------------------------------------------------------------

    @property
    def requests(self) -> Counter[str]:
        """Calls by method id (batch parts one by one), plus ``token`` and ``batch``."""
        return self.state.requests

    @property
    def rejected(self) -> list[tuple[str, str]]:
        """(method id or path, message) for every call refused as invalid or not modelled."""
        return self.state.rejected

    @property
    def token_grants(self) -> Counter[str]:
        return self.state.token_grants

    @property
    def notifications(self) -> list[Notification]:
        return self.state.notifications

    @property
    def sent(self) -> list[SentMail]:
        return self.state.sent

    def reset_counters(self) -> None:
        with self.state.lock:
            self.state.requests.clear()
            self.state.token_grants.clear()
            self.state.rejected.clear()
            self.state.notifications.clear()
            self.state.sent.clear()
