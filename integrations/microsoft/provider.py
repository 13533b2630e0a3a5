"""The Microsoft provider's ports, built from its settings and the environment. Nothing is
contacted here: msal and requests load, and sign in, on the first call."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from integrations.microsoft.settings import MicrosoftSettings, endpoints
from scheduler.ports import Calendar, Check, Providers
from scheduler.program.schema import Program

if TYPE_CHECKING:
    from integrations.microsoft.graph import Graph


def graph_of(program: Program, env: Mapping[str, str]) -> Graph:
    """One Graph client (and one msal application, with its token cache) for a program."""
    import msal  # noqa: F401  (missing: `pip install 'tandem[microsoft]'`, said at once)
    import requests  # noqa: F401

    from integrations.microsoft.auth import TokenSource
    from integrations.microsoft.graph import Graph

    section = MicrosoftSettings.of(program).microsoft
    return Graph(TokenSource(section, env), endpoints(section)[1])


def groups_of(program: Program) -> tuple[str, ...]:
    """The groups the program selects people by (include or exclude), by address."""
    rules = program.participants
    return tuple(dict.fromkeys((*rules.include.groups, *rules.exclude.groups)))


def build(program: Program, env: Mapping[str, str]) -> Providers:
    from integrations.microsoft.calendar import GraphCalendar
    from integrations.microsoft.directory import GraphDirectory
    from integrations.microsoft.inbox import GraphInbox
    from integrations.microsoft.mail import GraphMailer

    section = MicrosoftSettings.of(program).microsoft
    graph = graph_of(program, env)
    mailbox = program.provider.mailbox
    notes = []
    if groups_of(program):
        notes.append("participants are selected by group: the directory is read whole each day")
    return Providers(
        GraphDirectory(
            graph, mailbox, level_attribute=section.level_attribute, groups=groups_of(program)
        ),
        GraphCalendar(graph, mailbox, organizer_peer=program.meetings.organizer == "peer"),
        GraphMailer(graph, mailbox),
        GraphInbox(graph, mailbox),
        notes,
        checks=lambda: check(program, env),
    )


def calendar(program: Program, env: Mapping[str, str]) -> Calendar:
    """Only the calendar, for a dry run: it reads free/busy times and writes nothing."""
    from integrations.microsoft.calendar import GraphCalendar

    return GraphCalendar(graph_of(program, env), program.provider.mailbox)


def check(program: Program, env: Mapping[str, str]) -> list[Check]:
    """What `tandem check` tries: sign-in, then each application permission, one by one."""
    from integrations.microsoft.check import checks

    return checks(program, env)
