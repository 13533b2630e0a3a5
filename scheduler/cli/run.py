"""`tandem run`: one full cycle now, inline; `tandem preview`: what it would do, written into a
folder, with nothing sent or stored."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from scheduler.cli.errors import EXISTING_FILE, NOW_HELP, moment, user_errors
from scheduler.cli.people import print_problems, roster_of
from scheduler.errors import UserError

if TYPE_CHECKING:
    from scheduler.runtime import Report


@click.command()
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


@click.command()
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
    from scheduler.program.load import load_program
    from scheduler.program.rounds import EMPTY
    from scheduler.settings import peek_settings
    from scheduler.steps.rounds import round_state
    from scheduler.steps.waiting import stored_answers
    from scheduler.store.engine import peek_store

    program = load_program(config)
    roster = roster_of(program)
    if roster.problems:
        print_problems(roster.problems, skipped=True)
    settings = peek_settings(program.source.parent)
    store = peek_store(settings.database_url)
    state = EMPTY
    now = moment(now_text)
    answers: dict[str, tuple[str | None, datetime | None]] = {}
    if store is not None:
        with store.session() as s:
            state = round_state(s)
            answers = stored_answers(s)
        store.close()
    lines = write_preview(
        program,
        roster,
        build_calendar(program),
        out,
        PreviewSettings(now, seed, state, settings.secret or None, answers),
    )
    for line in lines:
        click.echo(line)


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
