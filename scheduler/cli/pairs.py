"""`tandem pairs`: HR lists the pairs and steers one by hand, with the same effects as the
peers' email replies."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import click
from sqlalchemy import func, select

from scheduler.cli.errors import EXISTING_FILE, NOW_HELP, moment, user_errors
from scheduler.errors import UserError


@click.group()
def pairs() -> None:
    """List pairs, or pause, resume, end or skip one as HR."""


@pairs.command("list")
@click.argument("config", type=EXISTING_FILE)
@click.option("--state", type=click.Choice(["active", "paused", "ended", "all"]), default="all")
@user_errors
def list_pairs(config: Path, state: str) -> None:
    """One line per pair: id, state, members, meetings held and skipped."""
    from scheduler.bootstrap import build_runtime
    from scheduler.steps.queries import pair_peers
    from scheduler.store.models import Meeting, Pair

    rt = build_runtime(config)
    with rt.store.session() as s:
        query = select(Pair).order_by(Pair.created_at, Pair.id)
        if state != "all":
            query = query.where(Pair.state == state)
        for pair in s.scalars(query):
            counts = dict(
                s.execute(
                    select(Meeting.state, func.count())
                    .where(Meeting.pair_id == pair.id)
                    .group_by(Meeting.state)
                ).all()
            )
            names = " & ".join(p.display_name for p in pair_peers(s, pair.id))
            extra = f" until {pair.paused_until}" if pair.paused_until else ""
            risk = " AT RISK" if pair.on_owner_list and pair.state != "ended" else ""
            click.echo(
                f"{pair.id}  {pair.state}{extra}{risk}  {names}  "
                + ", ".join(
                    f"{state} {counts.get(state, 0)}" for state in ("held", "skipped", "booked")
                )
            )


def _steer(
    command: str, config: Path, pair_id: str, until: date | None, now_text: str | None
) -> None:
    from scheduler.bootstrap import build_runtime
    from scheduler.steps.lifecycle import apply_command
    from scheduler.store.models import Pair

    rt = build_runtime(config)
    now = moment(now_text)
    with rt.store.session() as s:
        pair = s.get(Pair, pair_id, with_for_update=True)
        if pair is None:
            raise UserError(f"no pair {pair_id!r}; `tandem pairs list {config}` shows the ids")
        done = apply_command(
            rt, s, pair, command, until=until, by=None, cause=f"cli:{now.isoformat()}", now=now
        )
    click.echo(done)
    click.echo(f"The emails go out with the next `tandem run {config}` (or at once with a worker).")


for name, helptext in (
    ("pause", "Pause a pair (its booked meetings are cancelled)."),
    ("resume", "Resume a paused pair; its next meetings are booked."),
    ("end", "End a pair; both peers get a closing note."),
    ("skip", "Skip a pair's next meeting."),
):

    def make(command: str, helptext: str) -> None:
        @pairs.command(command, help=helptext)
        @click.argument("config", type=EXISTING_FILE)
        @click.argument("pair_id")
        @click.option(
            "--until",
            type=click.DateTime(["%Y-%m-%d"]),
            help="With pause: resume on this date.",
        )
        @click.option("--now", "now_text", help=NOW_HELP)
        @user_errors
        def steer(config: Path, pair_id: str, until: datetime | None, now_text: str | None) -> None:
            _steer(command, config, pair_id, until.date() if until else None, now_text)

    make(name, helptext)
