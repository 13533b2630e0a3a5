"""The local provider's ports, built from its settings and the environment."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from integrations.local.settings import LocalSettings
from scheduler.errors import UserError
from scheduler.ports import Calendar, Check, Inbox, Providers
from scheduler.program.schema import Program
from scheduler.settings import read_secret

if TYPE_CHECKING:
    from scheduler.program.roster import Roster


def build(program: Program, env: Mapping[str, str]) -> Providers:
    from integrations.local.directory import CsvDirectory
    from integrations.local.mail_out import SmtpMailer
    from integrations.local.maildir import MaildirMailer

    settings = LocalSettings.of(program)
    folder = program.source.parent
    notes = []
    mailer: SmtpMailer | MaildirMailer
    if settings.smtp is not None:
        smtp = settings.smtp
        mailer = SmtpMailer(
            smtp.host,
            smtp.port,
            starttls=smtp.starttls,
            ssl=smtp.ssl,
            username=_env(env, smtp.username_env),
            password=_env(env, smtp.password_env),
            timeout=float(smtp.timeout_seconds),
            sent_log=folder / ".tandem-sent.log",
        )
    else:
        outbox = settings.outbox or folder / "outbox"
        mailer = MaildirMailer(outbox)
        notes.append(f"mail goes to the folder {outbox} (no smtp: section)")
    return Providers(
        CsvDirectory(settings.people),
        _calendar(program, replies=_inbox(program, env)),
        mailer,
        _inbox(program, env),
        notes,
        checks=lambda: check(program, env),
    )


def calendar(program: Program, env: Mapping[str, str]) -> Calendar:
    """Only the calendar, for a dry run: busy times; it reads and sends nothing."""
    return _calendar(program, replies=None)


def people(program: Program) -> Roster:
    """The people file, read without touching anything else."""
    from integrations.local.people_csv import load_roster

    settings = LocalSettings.of(program)
    if not settings.people.exists():
        raise UserError(f"{program.source}: provider.people: {settings.people} does not exist")
    return load_roster(settings.people, program.levels)


def check(program: Program, env: Mapping[str, str]) -> list[Check]:
    """What `tandem check` tries: the files are there, the mail servers answer and log in."""
    from integrations.local.check import checks

    return checks(program, env)


def _calendar(program: Program, *, replies: Inbox | None) -> Calendar:
    from integrations.local.busy import IcsFolderBusy
    from integrations.local.calendar import LocalCalendar
    from integrations.local.people_csv import load_roster

    settings = LocalSettings.of(program)
    zones: dict[str, str] = {}

    def zone_of(email: str) -> str:
        """A person's zone, for their all-day and floating events."""
        if not zones:
            roster = load_roster(settings.people, program.levels)
            zones.update({p.email: p.timezone for p in roster.people})
        return zones.get(email, program.program.timezone)

    busy = IcsFolderBusy(settings.busy, zone_of=zone_of) if settings.busy else None
    return LocalCalendar(busy, replies=replies, sender_name=program.program.name)


def _inbox(program: Program, env: Mapping[str, str]) -> Inbox:
    from integrations.local.mail_in import ImapInbox, MaildirInbox

    settings = LocalSettings.of(program)
    if settings.imap is None:
        return MaildirInbox(settings.inbox or program.source.parent / "inbox")
    imap = settings.imap
    return ImapInbox(
        imap.host,
        imap.port,
        ssl=imap.ssl,
        username=_env(env, imap.username_env) or "",
        password=_env(env, imap.password_env) or "",
        folder=imap.folder,
        timeout=30.0,
    )


def _env(env: Mapping[str, str], name: str | None) -> str | None:
    if name is None:
        return None
    value = read_secret(name, env)
    if value is None:
        raise UserError(f"the environment variable {name} (or {name}_FILE) is not set")
    return value
