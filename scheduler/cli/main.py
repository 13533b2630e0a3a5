"""The `tandem` command. Exit codes: 0 done, 1 a user error (a reason on stderr), 2 bad usage.

Examples:
    tandem validate examples/program.yaml
    tandem pair --people org.csv --config program.yaml --history past.csv --seed 7 --out pairs.csv
    tandem preview examples/program.yaml --out preview/
    tandem run examples/program.yaml
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import click

from integrations.local.pairs_csv import read_history_csv, write_pairs_csv
from integrations.local.people_csv import load_roster
from scheduler.cli.errors import EXISTING_FILE, NOW_HELP, moment, user_errors
from scheduler.core.cadence import meeting_targets
from scheduler.core.pairing import PairingResult, pair_people
from scheduler.errors import UserError
from scheduler.program.load import load_program
from scheduler.program.participants import select_participants
from scheduler.program.roster import Roster, RowProblem
from scheduler.program.schema import Program
from scheduler.render.kits import Kits
from scheduler.runtime import Report
from scheduler.steps.rounds import program_seed, rules_of

EPILOG = """\b
Exit codes: 0 done, 1 a problem in your files or settings (the reason is on stderr), 2 a
mistyped command, 3 an unexpected failure (a traceback without personal data is on stderr).

\b
Examples:
  tandem validate examples/program.yaml
  tandem pair --people org.csv --config program.yaml --history past.csv --seed 7 --out pairs.csv
  tandem preview examples/program.yaml --out preview/
  tandem run examples/program.yaml
  tandem pairs pause examples/program.yaml p7k2m9q4 --until 2027-03-01
"""


@click.group(context_settings={"help_option_names": ["-h", "--help"]}, epilog=EPILOG)
@click.version_option(package_name="tandem")
def cli() -> None:
    """Tandem: peer mentoring that lives in email and calendars."""


@cli.command()
@click.argument("config", type=EXISTING_FILE)
@user_errors
def validate(config: Path) -> None:
    """Check a program file (and, for a local provider, its people CSV) and summarise it.

    Nothing is contacted: for a cloud provider the file is checked offline (`tandem check`
    contacts the provider)."""
    from scheduler.bootstrap import offline_roster

    program = load_program(config)
    roster = offline_roster(program)
    if roster is None:
        _validate_offline(config, program)
        return
    if roster.problems:
        _print_problems(roster.problems, skipped=False)
        raise UserError(
            f"{len(roster.problems)} problem(s) in the people file; fix them and run again"
        )
    template_problems = Kits(program.templates).check_all()
    if template_problems:
        for problem in template_problems:
            click.echo(f"  {problem}", err=True)
        raise UserError(f"{len(template_problems)} problem(s) in the email templates")
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
    click.echo(f"  Pairs:    {_pairing_summary(result)}")
    dates = [t.target for t in meeting_targets(details.start, program.cadence)]
    shown = ", ".join(f"{d:%a %d %b}" for d in dates[:4])
    click.echo(f"  Emails:   every template renders ({program.templates or 'built-in templates'})")
    click.echo(f"  Meetings: {len(dates)} per pair from {details.start}: {shown}, ... {dates[-1]}")


@cli.command()
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
    program = load_program(config)
    roster = load_roster(people_csv, program.levels)
    if roster.problems:
        _print_problems(roster.problems, skipped=True)
    people = select_participants(roster.people, program.participants)
    past = read_history_csv(history) if history else []
    seed = seed if seed is not None else program_seed(program, 1)
    managers = {p.email: p.manager_email for p in roster.people}
    result = pair_people(people, rules_of(program), history=past, managers=managers, seed=seed)
    write_pairs_csv(out, result.groups, result.unpaired)
    click.echo(f"{len(people)} people: {_pairing_summary(result)} (seed {seed})", err=True)
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


@cli.command()
@click.argument("config", type=EXISTING_FILE)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="The folder to write into.",
)
@click.option(
    "--seed", type=int, help="The pairing seed. Default: the program's own for the round."
)
@click.option("--now", "now_text", help=NOW_HELP)
@user_errors
def preview(config: Path, out: Path, seed: int | None, now_text: str | None) -> None:
    """A dry run: what `tandem run` would do now, written into OUT; nothing is sent or stored."""
    from scheduler.bootstrap import build_calendar
    from scheduler.cli.preview import PreviewSettings, write_preview
    from scheduler.settings import peek_settings
    from scheduler.steps.rounds import EMPTY, round_state
    from scheduler.store.models import peek_store

    program = load_program(config)
    roster = _roster(program)
    if roster.problems:
        _print_problems(roster.problems, skipped=True)
    settings = peek_settings(program.source.parent)
    store = peek_store(settings.database_url)
    state = EMPTY
    if store is not None:
        with store.session() as s:
            state = round_state(s)
        store.close()
    lines = write_preview(
        program,
        roster,
        build_calendar(program),
        out,
        PreviewSettings(moment(now_text), seed, state, settings.secret or None),
    )
    for line in lines:
        click.echo(line)


@cli.command()
@click.argument("config", type=EXISTING_FILE)
@click.option("--now", "now_text", help=NOW_HELP)
@click.option(
    "--first-run",
    is_flag=True,
    help="Start a program whose start date has passed on an empty store (pairs everyone).",
)
@click.option(
    "--seed", type=int, help="The seed of a round opened now. Default: the program's own."
)
@user_errors
def run(config: Path, now_text: str | None, first_run: bool, seed: int | None) -> None:
    """Run one full cycle now, inline: sync, pair, book, send, read replies."""
    from scheduler.bootstrap import build_runtime
    from scheduler.steps.cycle import STEPS, run_cycle
    from scheduler.steps.rounds import check_first_run

    runtime = build_runtime(config)
    now = moment(now_text)
    refusal = check_first_run(runtime, now, first_run=first_run)
    if refusal is not None:
        raise UserError(refusal)
    runtime.round_seed = seed
    for note in runtime.providers.notes:
        click.echo(f"note: {note}", err=True)
    if sys.stderr.isatty():
        from rich.progress import Progress

        with Progress(transient=True) as progress:
            task = progress.add_task("Starting", total=len(STEPS))
            reports = run_cycle(
                runtime, now, lambda title: progress.update(task, description=title, advance=1)
            )
    else:
        reports = run_cycle(runtime, now, lambda title: click.echo(f"{title}...", err=True))
    _print_reports(reports)


def _print_reports(reports: Sequence[Report]) -> None:
    """What the run did, in people's words: for each step that did something, one summary line
    that scripts may rely on ("book: 58 done"), then what it did, by pair names and local
    times; a step with only notes gets one line. A run that did nothing says "nothing new",
    with any problems below it."""
    if not any(report.done for report in reports):
        click.echo("nothing new")
        for report in reports:
            for line in report.problems[:10]:
                click.echo(f"  problem: {line}")
        return
    for report in reports:
        if not report.done and not report.problems:
            for note in report.notes:
                click.echo(f"{report.step}: {note}")
            continue
        problems = f", {len(report.problems)} problem(s)" if report.problems else ""
        click.echo(f"{report.step}: {len(report.done)} done{problems}")
        more = [f"... and {len(report.done) - 5} more"] if len(report.done) > 5 else []
        for line in [*report.notes, *report.done[:5], *more]:
            click.echo(f"  {line}")
        for line in report.problems[:10]:
            click.echo(f"  problem: {line}")


def _validate_offline(config: Path, program: Program) -> None:
    """A program whose directory is online: the file and the templates, checked offline."""
    template_problems = Kits(program.templates).check_all()
    if template_problems:
        for problem in template_problems:
            click.echo(f"  {problem}", err=True)
        raise UserError(f"{len(template_problems)} problem(s) in the email templates")
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


def _roster(program: Program) -> Roster:
    """The people of a program: its file where the provider has one, else its directory."""
    import os

    from scheduler.bootstrap import build_providers, offline_roster
    from scheduler.program.roster import build_roster

    roster = offline_roster(program)
    if roster is not None:
        return roster
    directory = build_providers(program, os.environ).directory
    return build_roster(directory.read(None).records, program.levels)


def _pairing_summary(result: PairingResult) -> str:
    pairs = len(result.groups) - result.trios
    return f"{pairs} pairs, {result.trios} trios, {len(result.unpaired)} unpaired"


def _print_problems(problems: tuple[RowProblem, ...], *, skipped: bool, limit: int = 50) -> None:
    rows = len({(p.source, p.line) for p in problems if p.skipped})
    if skipped:
        click.echo(f"skipped {rows} row(s) of the people file:", err=True)
    for problem in problems[:limit]:
        click.echo(f"  {problem}", err=True)
    if len(problems) > limit:
        click.echo(f"  ... and {len(problems) - limit} more", err=True)


def _add_commands() -> None:
    from scheduler.cli import check as cli_check
    from scheduler.cli import pairs as cli_pairs
    from scheduler.cli import status as cli_status

    for command in (
        cli_check.check,
        cli_status.status,
        cli_pairs.pairs,
        cli_pairs.worker,
        cli_pairs.clock,
        cli_pairs.parse_reply,
    ):
        cli.add_command(command)


_add_commands()


def main() -> None:
    """The `tandem` command. A failure that is not the user's to fix exits 3 with a traceback
    whose messages carry no personal data."""
    _log_safely()
    try:
        cli(prog_name="tandem")
    except Exception as error:  # anything click did not turn into an exit code
        from scheduler.crash_report import safe_traceback

        sys.stderr.write(safe_traceback(error))
        sys.stderr.write(
            "tandem: an unexpected error stopped this command; nothing done before it is lost, "
            "and running it again continues the work.\n"
        )
        raise SystemExit(3) from None


def _log_safely() -> None:
    """Warnings and errors to stderr, their tracebacks redacted."""
    import logging

    from scheduler.crash_report import RedactingFormatter

    handler = logging.StreamHandler()
    handler.setFormatter(RedactingFormatter("%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    if not root.handlers:
        root.addHandler(handler)
        root.setLevel(logging.WARNING)


if __name__ == "__main__":  # pragma: no cover
    main()
