"""The Google provider's ports, built from its settings and the environment. The client
libraries load only here, when a program uses them."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from integrations.google.settings import GoogleSettings
from scheduler.errors import UserError
from scheduler.ports import Calendar, Check, Providers
from scheduler.program.schema import Program

if TYPE_CHECKING:
    from integrations.google.auth import GoogleAccess
    from integrations.google.calendar import GoogleCalendar

KEY_ENV = "GOOGLE_APPLICATION_CREDENTIALS"


def build(program: Program, env: Mapping[str, str]) -> Providers:
    from integrations.google.directory import GoogleDirectory
    from integrations.google.inbox import GmailInbox
    from integrations.google.mail import GmailMailer

    settings = GoogleSettings.of(program).google
    access = _access(program, env)
    mailbox = program.provider.mailbox
    directory = GoogleDirectory(
        access,
        settings.admin_email,
        customer=settings.customer,
        level_field=settings.level_field,
        timezone_field=settings.timezone_field,
        groups=_groups(program),
        mailbox=mailbox,
    )
    notes = [f"Google Workspace as {mailbox}, the directory as {settings.admin_email}"]
    return Providers(
        directory,
        _calendar(program, access),
        GmailMailer(access, mailbox, daily_limit=settings.daily_send_limit),
        GmailInbox(access, mailbox),
        notes,
        checks=lambda: check(program, env),
    )


def calendar(program: Program, env: Mapping[str, str]) -> Calendar:
    """Only the calendar, for a dry run (`tandem preview` reads busy times, books nothing)."""
    return _calendar(program, _access(program, env))


def check(program: Program, env: Mapping[str, str]) -> list[Check]:
    from integrations.google.check import checks

    settings = GoogleSettings.of(program).google
    try:
        access = _access(program, env)
        access.client_id  # noqa: B018 - reads and checks the key file
    except UserError as error:
        return [Check("service-account key", False, str(error))]
    key = Check(
        "service-account key",
        True,
        f"{access.key_file} (client id {access.client_id}, the number the Admin console's "
        "domain-wide delegation names)",
    )
    return [
        key,
        *checks(
            access,
            admin=settings.admin_email,
            mailbox=program.provider.mailbox,
            customer=settings.customer,
            groups=_groups(program),
        ),
    ]


def _access(program: Program, env: Mapping[str, str]) -> GoogleAccess:
    from integrations.google.auth import GoogleAccess

    settings = GoogleSettings.of(program).google
    key_file = settings.credentials_file
    if key_file is None:
        named = env.get(KEY_ENV)
        if not named:
            raise UserError(
                f"{program.source}: provider.google.credentials_file is not set, nor "
                f"{KEY_ENV}: name the service account's key file in one of them"
            )
        key_file = Path(named)
    return GoogleAccess(key_file, api_endpoint=settings.api_endpoint)


def _calendar(program: Program, access: GoogleAccess) -> GoogleCalendar:
    from integrations.google.busy import GoogleBusy
    from integrations.google.calendar import GoogleCalendar

    mailbox = program.provider.mailbox
    hours = program.meetings.hours
    busy = GoogleBusy(access, mailbox, default_hours=(hours.start, hours.end))
    return GoogleCalendar(
        access,
        mailbox,
        busy,
        organizer_peer=program.meetings.organizer == "peer",
        meet=program.meetings.video in ("auto", "meet"),
    )


def _groups(program: Program) -> tuple[str, ...]:
    """The groups `participants` names: only their members are read."""
    rules = program.participants
    return tuple(dict.fromkeys([*rules.include.groups, *rules.exclude.groups]))
