"""Build the runtime of a program from its file and the environment: one explicit place, so
that nothing connects to anything at import time. Providers are imported lazily by kind."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from scheduler.errors import UserError
from scheduler.ports import Calendar, Providers
from scheduler.program.load import load_program
from scheduler.program.schema import Program
from scheduler.render.kits import Kits
from scheduler.settings import load_settings, read_secret
from scheduler.steps.plan import Runtime
from scheduler.store.models import open_store


def build_runtime(config: Path, env: Mapping[str, str] | None = None) -> Runtime:
    env = os.environ if env is None else env
    program = load_program(config)
    settings = load_settings(program.source.parent, env)
    providers = build_providers(program, env)
    return Runtime(
        program,
        open_store(settings.database_url),
        providers,
        Kits(program.templates),
        settings.secret,
        settings.database_configured,
    )


def build_providers(program: Program, env: Mapping[str, str]) -> Providers:
    kind = program.provider.kind
    if kind == "local":
        return _local(program, env)
    raise UserError(f"provider.kind: {kind} is not available in this version of Tandem; use local")


def build_calendar(program: Program) -> Calendar:
    """Only the calendar of a program, for a dry run that must touch nothing else."""
    if program.provider.kind != "local":
        raise UserError(
            f"provider.kind: {program.provider.kind} is not available in this version of Tandem"
        )
    return _local_calendar(program)


def _local_calendar(program: Program) -> Calendar:
    from integrations.local.busy import IcsFolderBusy
    from integrations.local.calendar import LocalCalendar
    from integrations.local.people_csv import load_roster

    provider = program.provider
    assert provider.people is not None
    people_file = provider.people
    zones: dict[str, str] = {}

    def zone_of(email: str) -> str:
        """A person's zone, for their all-day and floating events."""
        if not zones:
            zones.update(
                {p.email: p.timezone for p in load_roster(people_file, program.levels).people}
            )
        return zones.get(email, program.program.timezone)

    return LocalCalendar(IcsFolderBusy(provider.busy, zone_of=zone_of) if provider.busy else None)


def _local(program: Program, env: Mapping[str, str]) -> Providers:
    from integrations.local.directory import CsvDirectory
    from integrations.local.mail_in import ImapInbox, MaildirInbox
    from integrations.local.mail_out import MaildirMailer, SmtpMailer

    provider = program.provider
    assert provider.people is not None
    folder = program.source.parent
    notes = []
    mailer: SmtpMailer | MaildirMailer
    if provider.smtp is not None:
        smtp = provider.smtp
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
        outbox = provider.outbox or folder / "outbox"
        mailer = MaildirMailer(outbox)
        notes.append(f"mail goes to the folder {outbox} (no smtp: section)")
    inbox: ImapInbox | MaildirInbox
    if provider.imap is not None:
        imap = provider.imap
        inbox = ImapInbox(
            imap.host,
            imap.port,
            ssl=imap.ssl,
            username=_env(env, imap.username_env) or "",
            password=_env(env, imap.password_env) or "",
            folder=imap.folder,
            timeout=30.0,
        )
    else:
        inbox = MaildirInbox(provider.inbox or folder / "inbox")
    return Providers(CsvDirectory(provider.people), _local_calendar(program), mailer, inbox, notes)


def _env(env: Mapping[str, str], name: str | None) -> str | None:
    if name is None:
        return None
    value = read_secret(name, env)
    if value is None:
        raise UserError(f"the environment variable {name} (or {name}_FILE) is not set")
    return value
