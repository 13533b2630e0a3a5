"""What the commands that read people share: a program's roster, its problems printed, and a
pairing summed up in one line."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from scheduler.core.pairing import PairingResult
    from scheduler.program.roster import Roster, RowProblem
    from scheduler.program.schema import Program


def roster_of(program: Program) -> Roster:
    """The people of a program: its file where the provider has one, else its directory."""
    from scheduler.bootstrap import build_providers, offline_roster
    from scheduler.program.roster import build_roster

    roster = offline_roster(program)
    if roster is not None:
        return roster
    providers = build_providers(program, os.environ)
    roster = build_roster(providers.directory.read(None).records, program.levels)
    missing = [person.email for person in roster.people if not person.timezone]
    if not missing:
        return roster
    # a cloud directory has no time zones: each person's calendar's, else the program's
    # (as the directory sync does), read only
    from dataclasses import replace

    hours = providers.calendar.working_hours(missing)
    people = tuple(
        person
        if person.timezone
        else replace(
            person,
            timezone=hours[person.email].timezone
            if person.email in hours
            else program.program.timezone,
        )
        for person in roster.people
    )
    return replace(roster, people=people)


def pairing_summary(result: PairingResult) -> str:
    pairs = len(result.groups) - result.trios
    return f"{pairs} pairs, {result.trios} trios, {len(result.unpaired)} unpaired"


def print_problems(problems: tuple[RowProblem, ...], *, skipped: bool, limit: int = 50) -> None:
    rows = len({(p.source, p.line) for p in problems if p.skipped})
    if skipped:
        click.echo(f"skipped {rows} row(s) of the people file:", err=True)
    for problem in problems[:limit]:
        click.echo(f"  {problem}", err=True)
    if len(problems) > limit:
        click.echo(f"  ... and {len(problems) - limit} more", err=True)
