"""`tandem check` for Google: scope by scope, what the service account may do, tried with the
lightest read each allows (nothing is sent, booked or changed). A scope missing from the
domain-wide delegation shows as Google's refusal of that token grant."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from integrations.google.auth import (
    CALENDAR_EVENTS,
    CALENDAR_FREEBUSY,
    CALENDAR_SETTINGS,
    DIRECTORY_GROUPS,
    DIRECTORY_USERS,
    GMAIL_READ,
    GMAIL_SEND,
    GoogleAccess,
)
from integrations.google.retry import failure_of
from scheduler.ports import Check, ProviderError


def checks(
    access: GoogleAccess, *, admin: str, mailbox: str, customer: str, groups: tuple[str, ...]
) -> list[Check]:
    """One Check per scope the program needs."""

    def named(scope: str, who: str) -> str:
        return f"{scope.rsplit('/', 1)[1]} as {who}"

    found = [
        _tried(
            named(DIRECTORY_USERS, admin),
            lambda: _users(access, admin, customer),
        ),
        _tried(named(DIRECTORY_GROUPS, admin), lambda: _groups(access, admin, groups)),
        _tried(named(CALENDAR_EVENTS, mailbox), lambda: _events(access, mailbox)),
        _tried(named(CALENDAR_FREEBUSY, mailbox), lambda: _freebusy(access, mailbox)),
        _tried(named(CALENDAR_SETTINGS, mailbox), lambda: _settings(access, mailbox)),
        _tried(named(GMAIL_SEND, mailbox), lambda: _granted(access, mailbox, GMAIL_SEND)),
        _tried(named(GMAIL_READ, mailbox), lambda: _profile(access, mailbox)),
    ]
    return found


def _users(access: GoogleAccess, admin: str, customer: str) -> str:
    service = access.service("admin", admin, [DIRECTORY_USERS])
    answer = access.execute(service.users().list(customer=customer, maxResults=1), "users.list")
    return "the directory can be read" + ("" if answer.get("users") else " (no users found)")


def _groups(access: GoogleAccess, admin: str, groups: tuple[str, ...]) -> str:
    if not groups:
        _granted(access, admin, DIRECTORY_GROUPS)
        return "granted (participants names no group, so it is not used yet)"
    service = access.service("admin", admin, [DIRECTORY_GROUPS])
    for group in groups:
        access.execute(
            service.members().list(groupKey=group, maxResults=1), f"members.list of {group}"
        )
    return f"the members of {len(groups)} group(s) can be read"


def _events(access: GoogleAccess, mailbox: str) -> str:
    service = access.service("calendar", mailbox, [CALENDAR_EVENTS])
    access.execute(service.events().list(calendarId="primary", maxResults=1), "events.list")
    return "meetings can be booked on the mailbox's calendar (its events can be read)"


def _freebusy(access: GoogleAccess, mailbox: str) -> str:
    service = access.service("calendar", mailbox, [CALENDAR_FREEBUSY])
    now = datetime.now(UTC).replace(microsecond=0)
    body = {
        "timeMin": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "timeMax": (now + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "items": [{"id": mailbox}],
    }
    access.execute(service.freebusy().query(body=body), "freebusy.query")
    return "free/busy times can be read"


def _settings(access: GoogleAccess, mailbox: str) -> str:
    service = access.service("calendar", mailbox, [CALENDAR_SETTINGS])
    answer = access.execute(service.calendars().get(calendarId="primary"), "calendars.get")
    return f"calendar zones and working hours can be read (the mailbox's: {answer.get('timeZone')})"


def _profile(access: GoogleAccess, mailbox: str) -> str:
    service = access.service("gmail", mailbox, [GMAIL_READ])
    access.execute(service.users().getProfile(userId="me"), "getProfile")
    return "replies can be read and sent mail found again"


def _granted(access: GoogleAccess, subject: str, scope: str) -> str:
    """Only the token grant: a check never sends mail."""
    import google_auth_httplib2  # type: ignore[import-untyped]
    import httplib2  # type: ignore[import-untyped]

    credentials = access.credentials(subject, [scope])
    try:
        credentials.refresh(google_auth_httplib2.Request(httplib2.Http(timeout=access.timeout)))
    except Exception as error:
        found = failure_of(error)
        if found is None:
            raise
        raise ProviderError(f"Google refused the token: {found.message}", permanent=True) from error
    return "granted (not tried: a check sends nothing)"


def _tried(name: str, attempt: Callable[[], Any]) -> Check:
    try:
        return Check(name, True, str(attempt()))
    except ProviderError as error:
        return Check(name, False, str(error))
