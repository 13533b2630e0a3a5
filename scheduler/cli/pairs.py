"""`tandem pairs` and `tandem status`: HR looks at the program and steers pairs by hand, with
the same effects as the peers' email replies."""

from __future__ import annotations

from datetime import UTC, date, datetime
from email.message import Message
from email.utils import parsedate_to_datetime
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


@click.command()
@click.option("--processes", default=1, show_default=True, help="Worker processes.")
@click.option("--threads", default=2, show_default=True, help="Threads per process.")
def worker(processes: int, threads: int) -> None:
    """Run the dramatiq workers (TANDEM_REDIS_URL names the Redis)."""
    import sys

    from dramatiq.cli import main as dramatiq_main

    sys.argv = [
        "dramatiq",
        "scheduler.workers.actors",
        "--processes",
        str(processes),
        "--threads",
        str(threads),
    ]
    raise SystemExit(dramatiq_main())  # type: ignore[no-untyped-call]


@click.command()
@click.argument("config", type=EXISTING_FILE)
@click.option(
    "--every", "every_minutes", default=15, show_default=True, help="Minutes between cycles."
)
@user_errors
def clock(config: Path, every_minutes: int) -> None:
    """Enqueue a cycle every few minutes for the workers; safe to run on two machines."""
    import redis

    from scheduler.program.load import load_program
    from scheduler.settings import redis_url
    from scheduler.workers.clock import run_clock

    load_program(config)
    import os

    url = redis_url(os.environ)
    if not url:
        raise UserError("tandem clock needs TANDEM_REDIS_URL (or TANDEM_REDIS_URL_FILE)")
    run_clock(redis.Redis.from_url(url), config, every_seconds=every_minutes * 60)


@click.command("parse-reply")
@click.argument("eml", type=EXISTING_FILE)
@click.option(
    "--config", type=EXISTING_FILE, help="A program, to name the pair and check the sender."
)
@click.option(
    "--today",
    type=click.DateTime(["%Y-%m-%d"]),
    help="Read dates as if today were this day (default: the day in the email's Date header).",
)
@user_errors
def parse_reply(eml: Path, config: Path | None, today: datetime | None) -> None:
    """Print, as JSON, what Tandem reads in an email: why it did (or did not) pause, and the
    day and time a pair proposed ("proposal": {"day", "time"}, only when there is one).

    Dates such as "until Friday" or "Tuesday 16:00" are read from the day the email was
    written (its Date header), as `tandem run` read them when the email arrived; --today
    overrides that."""
    import json
    from email import policy
    from email.message import EmailMessage
    from email.parser import BytesParser

    from scheduler.steps.inbound import explain

    try:
        message = BytesParser(policy=policy.default).parsebytes(eml.read_bytes())
    except OSError as exc:
        raise UserError(f"{eml}: cannot read ({exc.strerror})") from exc
    assert isinstance(message, EmailMessage)
    runtime = None
    if config is not None:
        from scheduler.bootstrap import build_runtime

        runtime = build_runtime(config)
    written = _written(message)
    if today is not None:
        day, source = today.date(), "--today"
    elif written is not None:
        day = runtime.today(written) if runtime else written.date()
        source = "the Date header"
    else:
        now = datetime.now(UTC)
        day, source = (runtime.today(now) if runtime else now.date()), "today (no Date header)"
    from scheduler.bootstrap import calendar_facts

    result = explain(message, runtime, day, calendar_facts)
    result.update({"today": day.isoformat(), "today_from": source})
    click.echo(json.dumps(result, ensure_ascii=False))


def _written(message: Message) -> datetime | None:
    """When the email says it was written (its Date header), in the writer's own offset
    (UTC when it gives none); None without a readable Date header."""
    value = message.get("Date")
    if value is None:
        return None
    moment = getattr(value, "datetime", None)
    if not isinstance(moment, datetime):
        try:
            moment = parsedate_to_datetime(str(value))
        except (TypeError, ValueError, IndexError):
            return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
