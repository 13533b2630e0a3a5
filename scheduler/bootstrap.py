"""Build the runtime of a program from its file and the environment: the one place where the
store, the provider's ports and the templates are put together, so that nothing connects to
anything at import time, and a command imports only what it uses. The provider is looked
up by kind (scheduler.providers)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from email.message import EmailMessage
from pathlib import Path
from typing import TYPE_CHECKING

from scheduler.errors import UserError
from scheduler.ports import Calendar, MeetingFact, Providers
from scheduler.program.load import load_program
from scheduler.program.roster import Roster
from scheduler.program.schema import Program
from scheduler.providers import spec_of

if TYPE_CHECKING:
    from scheduler.runtime import Runtime


def build_runtime(
    config: Path, env: Mapping[str, str] | None = None, *, migrate: bool = True
) -> Runtime:
    """The runtime of the program at `config`. With `migrate` (every command but the workers)
    the store's schema is brought up to date; a worker refuses a schema that is behind."""
    from scheduler.render.kits import Kits
    from scheduler.runtime import Runtime
    from scheduler.settings import load_settings
    from scheduler.store.engine import open_store

    env = os.environ if env is None else env
    program = load_program(config)
    settings = load_settings(program.source.parent, env)
    providers = build_providers(program, env)
    return Runtime(
        program,
        open_store(settings.database_url, migrate=migrate),
        providers,
        Kits(program.templates),
        settings.secret,
        settings.database_configured,
    )


def build_providers(program: Program, env: Mapping[str, str]) -> Providers:
    """The ports of the provider the program names."""
    spec = spec_of(program)
    try:
        return spec.build(program, env)
    except ImportError as error:
        raise UserError(missing_extra(program, error)) from error


def build_calendar(program: Program, env: Mapping[str, str] | None = None) -> Calendar:
    """Only the calendar of a program, for a dry run that must send and store nothing."""
    spec = spec_of(program)
    try:
        return spec.calendar(program, os.environ if env is None else env)
    except ImportError as error:
        raise UserError(missing_extra(program, error)) from error


def offline_roster(program: Program) -> Roster | None:
    """The program's people read without the network, where its provider can (a people
    file); None for a directory that is online only."""
    spec = spec_of(program)
    return spec.people(program) if spec.people is not None else None


def people_file(path: Path, levels: Mapping[str, int] | None) -> Roster:
    """The people of a CSV file in the local provider's format (for `tandem pair`)."""
    from integrations.local.people_csv import load_roster

    return load_roster(path, levels)


def calendar_facts(message: EmailMessage) -> list[MeetingFact]:
    """What the local calendar's iMIP reader finds in a message (for `tandem parse-reply`)."""
    from integrations.local.invitations import facts_from_mail

    return facts_from_mail(message)


def missing_extra(program: Program, error: ImportError) -> str:
    extra = spec_of(program).extra
    where = f"pip install 'tandem[{extra}]'" if extra else "pip install -e ."
    return (
        f"provider.kind: {program.provider.kind} needs a library that is not installed "
        f"({error.name or error}); install it with: {where}"
    )
