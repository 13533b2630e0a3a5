"""`tandem parse-reply EML`: what Tandem reads in one email, as JSON, for HR and support."""

from __future__ import annotations

from datetime import UTC, datetime
from email.message import Message
from email.utils import parsedate_to_datetime
from pathlib import Path

import click

from scheduler.cli.errors import EXISTING_FILE, user_errors
from scheduler.errors import UserError


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
    day and time a pair proposed.

    A proposal is shown as "proposal": {"day", "time"}, only when there is one.

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
