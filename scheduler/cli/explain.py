"""`tandem explain CONFIG EMAIL`: what Tandem knows of one person, in plain sentences, for HR
(issue 10, item 5): selected or not and by which rule, their answer to the invitation, their
pair and why that partner is allowed, or why they wait (which rule kept each candidate away,
counted), their meetings, skips and pauses, and the emails sent to them. Of their replies it
shows only the command that was read, never their words."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from scheduler.cli.errors import EXISTING_FILE, NOW_HELP, moment, user_errors
from scheduler.errors import UserError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from scheduler.core.model import Person
    from scheduler.program.rounds import RoundState
    from scheduler.runtime import Runtime


@click.command()
@click.argument("config", type=EXISTING_FILE)
@click.argument("email")
@click.option("--now", "now_text", help=NOW_HELP)
@user_errors
def explain(config: Path, email: str, now_text: str | None) -> None:
    """Why a person is paired with whom, or why they wait; their meetings and emails."""
    from scheduler.bootstrap import build_runtime

    rt = build_runtime(config)
    now = moment(now_text)
    with rt.store.session() as s:
        for line in explanation(rt, s, email.strip().lower(), now):
            click.echo(line)


def explanation(rt: Runtime, s: Session, email: str, now: datetime) -> list[str]:
    """The lines `tandem explain` prints."""
    from sqlalchemy import func, select

    from scheduler.core.compatibility import reasons_apart
    from scheduler.program.participants import selection_reason
    from scheduler.program.rounds import rules_of
    from scheduler.render.local_time import day_words
    from scheduler.runtime import said_when
    from scheduler.steps.queries import pair_peers, person_of
    from scheduler.steps.rounds import round_state
    from scheduler.steps.waiting import in_pairs, standing_of, who_waits
    from scheduler.store.models import Inbound, Meeting, Outbox, Pair, PairMember
    from scheduler.store.models import Person as PersonRow

    row = s.scalars(select(PersonRow).where(func.lower(PersonRow.email) == email)).first()
    if row is None:
        raise UserError(
            f"{email} is not among the people Tandem has read from the directory; "
            "check the address, or run `tandem run` to read the directory first"
        )
    locale = rt.program.program.locale
    person = person_of(row)
    lines = [f"{person.display_name} <{row.email}>"]
    if row.removed_at is not None:
        lines.append(f"Not in the directory since {day_words(rt.today(row.removed_at), locale)}.")
    selected, why = selection_reason(person, rt.program.participants)
    lines.append(f"Selected: {'yes' if selected else 'no'}, {why}.")
    if row.level is None:
        lines.append("Level: unknown (their title matches no line of levels:), so not paired.")
    else:
        lines.append(f"Level: {row.level}; time zone: {row.timezone}.")
    standing = standing_of(rt, row, now)
    rule = rt.program.participants.consent
    asked = f"invited on {day_words(rt.today(row.invited_at), locale)}" if row.invited_at else ""
    answer = {"invited": "no answer yet", None: "not asked"}.get(row.consent, row.consent)
    lines.append(
        f"Consent: participants.consent is {rule}; {', '.join(filter(None, [asked, answer]))}; "
        f"{standing.why}."
    )
    state = round_state(s)
    rules = rules_of(rt.program)
    managers = state.managers
    memberships = s.execute(
        select(Pair, PairMember)
        .join(PairMember)
        .where(PairMember.email == row.email)
        .order_by(Pair.created_at)
    ).all()
    current = [(p, m) for p, m in memberships if p.state != "ended" and m.left_at is None]
    for pair, _ in current:
        others = [p for p in pair_peers(s, pair.id) if p.email != row.email]
        lines.append(
            f"Pair {pair.id} ({pair.state}, from {day_words(pair.start_date, locale)}) with "
            + " and ".join(o.display_name for o in others)
            + "."
        )
        members = set(s.scalars(select(PairMember.email).where(PairMember.pair_id == pair.id)))
        past = [g for g in state.history if not set(g) <= members]  # their own meeting is no repeat
        for other in others:
            apart = reasons_apart(person, other, rules, past, managers)
            lines.append(
                f"  {other.display_name}: levels {row.level} and {other.level} within "
                f"{rules.level_tolerance}, outside each other's reporting line"
                + (", their hours meet" if rules.zones_meet else "")
                + (", never paired before" if rules.avoid_repeats else "")
                + (f" (today the rules would keep them apart: {'; '.join(apart)})" if apart else "")
                + "."
            )
    if not current:
        waiting = {w.email: w.reason for w in who_waits(rt, s, now, state)}
        if row.email in waiting:
            lines.append(f"Waiting for a peer: {waiting[row.email]}.")
            lines.extend(_kept_apart(rt, s, person, state, in_pairs(s)))
        else:
            lines.append("Not in a pair, and not waiting for one.")
    for pair, member in memberships:
        if (pair, member) in current:
            continue
        ended = pair.ended_reason or pair.ended_why or "ended"
        left = " (they left it)" if member.left_at else ""
        lines.append(f"Earlier pair {pair.id}{left}: {ended}.")
    pair_ids = [p.id for p, _ in memberships]
    meetings = s.scalars(
        select(Meeting)
        .where(Meeting.pair_id.in_(pair_ids))
        .order_by(Meeting.starts_at, Meeting.number)
    ).all()
    if meetings:
        lines.append("Meetings:")
        for meeting in meetings:
            when = said_when(rt, meeting.starts_at) if meeting.starts_at else "no time yet"
            lines.append(f"  {meeting.pair_id} #{meeting.number}: {when}, {meeting.state}")
        skipped = sum(1 for m in meetings if m.state == "skipped")
        lines.append(f"Skipped: {skipped}.")
    replies = s.execute(
        select(Inbound.received_at, Inbound.command, Inbound.outcome)
        .where(func.lower(Inbound.sender) == row.email)
        .order_by(Inbound.received_at)
    ).all()
    pauses = [r for r in replies if r.command == "pause" and r.outcome == "acted"]
    lines.append(f"Pauses asked for: {len(pauses)}.")
    for received, command, outcome in replies:
        day = day_words(rt.today(received), locale)
        lines.append(f"  Reply on {day}: read as {command or 'no command'}, {outcome or 'pending'}")
    sent = s.execute(
        select(Outbox.kind, Outbox.created_at, Outbox.state, Outbox.recipients).order_by(
            Outbox.created_at, Outbox.id
        )
    ).all()
    theirs = [(k, at, st) for k, at, st, to in sent if row.email in (to or [])]
    lines.append(f"Emails to them: {len(theirs)}.")
    for kind, created, state_ in theirs:
        lines.append(f"  {day_words(rt.today(created), locale)}: {kind} ({state_})")
    return lines


def _kept_apart(
    rt: Runtime, s: Session, person: Person, state: RoundState, taken: set[str]
) -> list[str]:
    """Why nobody was a match: for each other selected person, the rules that keep them
    apart, counted; and how many could meet but are in pairs already."""
    from sqlalchemy import select

    from scheduler.core.compatibility import reasons_apart
    from scheduler.program.rounds import rules_of
    from scheduler.steps.queries import person_of
    from scheduler.store.models import Person as PersonRow

    rules = rules_of(rt.program)
    counted: Counter[str] = Counter()
    free, busy = 0, 0
    others = s.scalars(
        select(PersonRow).where(
            PersonRow.removed_at.is_(None),
            PersonRow.participating.is_(True),
            PersonRow.email != person.email,
        )
    )
    for other in others:
        reasons = reasons_apart(person, person_of(other), rules, state.history, state.managers)
        if reasons:
            counted.update(reasons)
        elif other.email in taken:
            busy += 1
        else:
            free += 1
    lines = [f"  {n} kept apart by: {reason}" for reason, n in counted.most_common()]
    lines.append(f"  {busy} could meet them but are in pairs already; {free} free now.")
    return lines
