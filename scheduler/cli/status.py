"""`tandem status CONFIG`: how the program stands, for HR and the IT admin: pairs and meetings
by state, who is at risk and why, meetings outside someone's hours or that a calendar refused,
the outbox (failed mail, refused recipients, retries, and when a big launch will have gone
out at the mailbox's pace), and whose time zone came from elsewhere than the directory."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import click
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from scheduler.cli.errors import EXISTING_FILE, user_errors
from scheduler.runtime import Runtime

SHOWN = 20


@click.command()
@click.argument("config", type=EXISTING_FILE)
@user_errors
def status(config: Path) -> None:
    """Pairs, meetings, at-risk pairs, the outbox and the inbox, failures and their reasons."""
    from scheduler.bootstrap import build_runtime

    rt = build_runtime(config)
    with rt.store.session() as s:
        for line in [
            *_counts(s),
            *_people(rt, s),
            *_at_risk(s),
            *_failed_meetings(s),
            *_stretched(s),
            *_mail(rt, s),
            *_time_zones(s),
            *_workers(s),
        ]:
            click.echo(line)


def _counts(s: Session) -> list[str]:
    from scheduler.store.models import Inbound, Meeting, Outbox, Pair

    lines = []
    for title, column in (
        ("pairs", Pair.state),
        ("meetings", Meeting.state),
        ("outbox", Outbox.state),
    ):
        rows = s.execute(select(column, func.count()).group_by(column)).all()
        lines.append(f"{title}: " + (", ".join(f"{n} {k}" for k, n in sorted(rows)) or "none"))
    inbound = s.execute(select(Inbound.outcome, func.count()).group_by(Inbound.outcome)).all()
    shown = ", ".join(f"{n} {k or 'pending'}" for k, n in sorted(inbound, key=str))
    lines.append(f"inbox: {shown or 'none'}")
    return lines


def _people(rt: Runtime, s: Session) -> list[str]:
    """Answers to the invitations (issue 10), and who waits for a peer and why."""
    from scheduler.steps.rounds import round_state
    from scheduler.steps.waiting import consent_counts, who_waits

    counts = consent_counts(s)
    lines = []
    if rt.program.participants.consent != "none" or any(counts.values()):
        lines.append(
            f"invitations: invited {counts['invited']} (no answer yet), joined "
            f"{counts['joined']}, declined {counts['declined']}, left {counts['left']}"
        )
    waiters = who_waits(rt, s, datetime.now(UTC), round_state(s))
    lines.append(f"waiting for a peer: {len(waiters)}")
    lines.extend(f"  {w.name}: {w.reason}" for w in waiters[:SHOWN])
    if len(waiters) > SHOWN:
        lines.append(f"  and {len(waiters) - SHOWN} more")
    return lines


def _at_risk(s: Session) -> list[str]:
    from scheduler.steps.digest import at_risk_pairs

    risky = at_risk_pairs(s)
    return [f"at risk: {len(risky)} pair(s)", *(f"  {names}: {why}" for names, why in risky)]


def _failed_meetings(s: Session) -> list[str]:
    """Meetings a calendar refused for good, with its reason (issue 8, item 4)."""
    from scheduler.steps.queries import pair_names
    from scheduler.store.models import Meeting

    rows = s.scalars(
        select(Meeting).where(Meeting.calendar_error.is_not(None)).order_by(Meeting.id)
    ).all()
    lines = []
    for meeting in rows:
        what = "failed booking" if meeting.state == "failed" else "calendar retrying"
        lines.append(
            f"{what}: {pair_names(s, meeting.pair_id)}, conversation {meeting.number}: "
            f"{meeting.calendar_error}"
        )
    return lines[:SHOWN]


def _stretched(s: Session) -> list[str]:
    """Booked meetings outside someone's hours, as `meetings.stretch` allows (issue 9)."""
    from scheduler.store.models import Meeting

    rows = s.scalars(
        select(Meeting)
        .where(Meeting.state.in_(("planned", "booked", "moved")))
        .order_by(Meeting.starts_at)
    )
    lines = []
    for m in rows:
        if m.odd_minutes and m.starts_at is not None:
            odd = ", ".join(
                f"{n} min outside the hours of {who}" for who, n in m.odd_minutes.items()
            )
            lines.append(f"  {m.booking_key} on {m.starts_at:%Y-%m-%d %H:%M} UTC: {odd}")
    return [f"outside working hours: {len(lines)} upcoming meeting(s)", *lines[:SHOWN]]


def _mail(rt: Runtime, s: Session) -> list[str]:
    """Failed mail, refused recipients (issue 13, defect 5), retries, and the sending pace."""
    from scheduler.steps.send import pace_estimate
    from scheduler.store.models import Outbox

    lines = [
        f"failed mail: {row.key} to {', '.join(row.recipients)}: {row.last_error}"
        for row in s.scalars(
            select(Outbox).where(Outbox.state == "failed").order_by(Outbox.id).limit(SHOWN)
        )
    ]
    partly = select(
        Outbox.key, Outbox.state, Outbox.recipients, Outbox.delivered, Outbox.refused,
        Outbox.not_before, Outbox.last_error,
    ).where(Outbox.state != "failed").order_by(Outbox.id)  # fmt: skip
    more = []
    for key, state, recipients, delivered, refused, not_before, error in s.execute(partly):
        more += [f"refused recipient: {key} to {who}: {why}" for who, why in refused.items()]
        if state == "pending" and delivered and not_before is not None:
            owed = ", ".join(r for r in recipients if r not in delivered and r not in refused)
            said = f": {error}" if error else ""
            more.append(f"retrying: {key} to {owed} after {not_before:%Y-%m-%d %H:%M} UTC{said}")
    estimate = pace_estimate(rt, s, datetime.now(UTC))
    return [*lines, *more[:SHOWN], *([estimate] if estimate else [])]


def _workers(s: Session) -> list[str]:
    """With TANDEM_REDIS_URL: the workers' queue, its dead letters, and the last tick each
    job completed (issue 13, item 8)."""
    import os

    from scheduler.settings import redis_url
    from scheduler.store.models import Cursor

    url = redis_url(os.environ)
    ticks = s.execute(
        select(Cursor.name, Cursor.value).where(Cursor.name.like("tick:%")).order_by(Cursor.name)
    ).all()
    if not url and not ticks:
        return []
    lines = []
    if url:
        from scheduler.workers.queues import namespace_of, queue_lines

        lines += queue_lines(url, namespace_of(os.environ))
    done = ", ".join(f"{name.removeprefix('tick:')} {_when(value)}" for name, value in ticks)
    lines.append(f"last completed: {done or 'no job yet'}")
    return lines


def _when(value: str) -> str:
    try:
        return f"{datetime.fromisoformat(value).astimezone(UTC):%Y-%m-%d %H:%M} UTC"
    except ValueError:
        return value


def _time_zones(s: Session) -> list[str]:
    """Whose time zone is not the directory's (issue 8, item 7)."""
    from scheduler.store.models import Person

    sources = Counter(
        attributes.get("timezone_from", "directory")
        for attributes in s.scalars(select(Person.attributes).where(Person.removed_at.is_(None)))
    )
    calendar, program = sources.get("calendar", 0), sources.get("program", 0)
    if not calendar and not program:
        return []
    return [
        f"time zones: {calendar} from people's calendars, {program} the program's "
        "(the directory gives none for them)"
    ]
