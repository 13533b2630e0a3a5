"""`tandem validate CONFIG`: the program file, its people file where the provider has one, and
its templates checked and summed up. Nothing is contacted."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

import click

from scheduler.cli.errors import EXISTING_FILE, user_errors
from scheduler.cli.people import pairing_summary, print_problems
from scheduler.errors import UserError

if TYPE_CHECKING:
    from scheduler.program.schema import Program


@click.command()
@click.argument("config", type=EXISTING_FILE)
@user_errors
def validate(config: Path) -> None:
    """Check a program file (and, for a local provider, its people CSV) and summarise it.

    Nothing is contacted: for a cloud provider the file is checked offline (`tandem check`
    contacts the provider)."""
    from scheduler.bootstrap import offline_roster
    from scheduler.core.cadence import meeting_targets
    from scheduler.core.pairing import pair_people
    from scheduler.program.load import load_program
    from scheduler.program.participants import select_participants
    from scheduler.program.rounds import rules_of

    program = load_program(config)
    roster = offline_roster(program)
    if roster is None:
        _validate_offline(config, program)
        return
    if roster.problems:
        print_problems(roster.problems, skipped=False)
        raise UserError(
            f"{len(roster.problems)} problem(s) in the people file; fix them and run again"
        )
    _check_templates(program)
    people = select_participants(roster.people, program.participants)
    result = pair_people(people, rules_of(program), seed=0)
    details = program.program
    click.echo(f"{config} is valid.")
    click.echo(
        f"  Program:  {details.name}, owner {details.owner}, starts {details.start:%a %d %b %Y}"
    )
    click.echo(f"  People:   {len(roster.people)} in the directory, {len(people)} take part")
    levels = Counter(p.level for p in people)
    click.echo(
        "  Levels:   "
        + (
            ", ".join(f"{lv}: {levels[lv]}" for lv in sorted(levels, key=lambda lv: lv or 0))
            or "none"
        )
    )
    click.echo(f"  Pairs:    {pairing_summary(result)}")
    dates = [t.target for t in meeting_targets(details.start, program.cadence)]
    shown = ", ".join(f"{d:%a %d %b}" for d in dates[:4])
    click.echo(f"  Emails:   every template renders ({program.templates or 'built-in templates'})")
    click.echo(f"  Meetings: {len(dates)} per pair from {details.start}: {shown}, ... {dates[-1]}")


def _validate_offline(config: Path, program: Program) -> None:
    """A program whose directory is online: the file and the templates, checked offline."""
    from scheduler.core.cadence import meeting_targets

    _check_templates(program)
    details, kind = program.program, program.provider.kind
    dates = [t.target for t in meeting_targets(details.start, program.cadence)]
    click.echo(f"{config} is valid (checked offline: nothing was contacted).")
    click.echo(
        f"  Program:  {details.name}, owner {details.owner}, starts {details.start:%a %d %b %Y}"
    )
    click.echo(f"  People:   read from the {kind} directory at each run;")
    click.echo(f"            `tandem check {config}` contacts it and tries every permission")
    click.echo(f"  Emails:   every template renders ({program.templates or 'built-in templates'})")
    click.echo(f"  Meetings: {len(dates)} per pair from {details.start}")


def _check_templates(program: Program) -> None:
    from scheduler.render.kits import Kits

    template_problems = Kits(program.templates).check_all()
    if template_problems:
        for problem in template_problems:
            click.echo(f"  {problem}", err=True)
        raise UserError(f"{len(template_problems)} problem(s) in the email templates")
