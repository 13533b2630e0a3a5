"""`tandem pair`: pair the people of a CSV under a program's pairing rules, offline, into a
pairs CSV. The program's provider is not used."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import click

from scheduler.cli.errors import EXISTING_FILE, user_errors
from scheduler.cli.people import pairing_summary, print_problems


@click.command()
@click.option("--people", "people_csv", type=EXISTING_FILE, required=True, help="The people CSV.")
@click.option(
    "--config", type=EXISTING_FILE, required=True, help="The program file (its pairing rules)."
)
@click.option("--history", type=EXISTING_FILE, help="Earlier pairs: a CSV with email_a,email_b.")
@click.option(
    "--seed",
    type=int,
    help="The same seed gives the same pairs. Default: the program's own for its first round.",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="Where to write pair,email.",
)
@user_errors
def pair(people_csv: Path, config: Path, history: Path | None, seed: int | None, out: Path) -> None:
    """Pair the people of a CSV under a program's pairing rules (its provider is not used)."""
    from scheduler.bootstrap import people_file
    from scheduler.cli.pair_files import read_history_csv, write_pairs_csv
    from scheduler.core.pairing import pair_people
    from scheduler.program.load import load_program
    from scheduler.program.participants import select_participants
    from scheduler.program.rounds import program_seed, rules_of

    program = load_program(config)
    roster = people_file(people_csv, program.levels)
    if roster.problems:
        print_problems(roster.problems, skipped=True)
    people = select_participants(roster.people, program.participants)
    past = read_history_csv(history) if history else []
    seed = seed if seed is not None else program_seed(program, 1)
    managers = {p.email: p.manager_email for p in roster.people}
    result = pair_people(people, rules_of(program), history=past, managers=managers, seed=seed)
    write_pairs_csv(out, result.groups, result.unpaired)
    click.echo(f"{len(people)} people: {pairing_summary(result)} (seed {seed})", err=True)
    for reason, count in Counter(u.reason for u in result.unpaired).most_common():
        click.echo(f"  unpaired, {reason}: {count}", err=True)
    if result.kept_apart_by_zones:
        click.echo(
            f"  kept apart by time zones: {result.kept_apart_by_zones} possible pair(s) of "
            "people whose hours share no meeting on the listed days (meetings.hours, "
            "meetings.stretch)",
            err=True,
        )
    if not result.maximum_proven:
        click.echo("  note: could not prove that no other pairing pairs more people", err=True)
