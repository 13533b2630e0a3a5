"""A pair's lifecycle: pause, resume, end, skip and reschedule, whether a peer asked by email
or HR from the command line. Each action is keyed by its cause (the message or the command
that asked for it), so doing it again sends nothing new."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from scheduler.core.cadence import meeting_targets
from scheduler.core.model import MeetingTarget
from scheduler.core.planning import LEAD_TIME
from scheduler.core.slots import Slot
from scheduler.render.kits import Rendered
from scheduler.render.local_time import day_words
from scheduler.render.messages import compose, readers_of
from scheduler.render.messages import meeting_shown as shown
from scheduler.replies.times import Proposal
from scheduler.runtime import Report, Runtime, said_when
from scheduler.steps.outbox import queue, queue_pair_mail
from scheduler.steps.plan import record_plan
from scheduler.steps.queries import pair_names, pair_peers, person_of, upcoming
from scheduler.store.models import Meeting, Pair
from scheduler.store.models import Person as PersonRow


def apply_command(
    rt: Runtime,
    s: Session,
    pair: Pair,
    command: str,
    *,
    until: date | None,
    by: str | None,
    cause: str,
    now: datetime,
    proposal: Proposal | None = None,
) -> str:
    """Carry out `command` on `pair` and return what was done, in words for the log. A
    reschedule with a `proposal` goes to the day and time the pair chose (in the zone of the
    peer `by` who proposed it)."""
    by_name = _name(s, by)
    if pair.state == "ended":
        return f"{pair_names(s, pair.id)}: the pairing has ended, so {command} does nothing"
    if command == "reschedule" and proposal is not None:
        return _at_their_time(rt, s, pair, proposal, by, by_name, cause, now)
    if command == "pause":
        return _pause(rt, s, pair, until, by_name, cause, now)
    if command == "resume":
        return resume(rt, s, pair, by_name, cause, now)
    if command == "end":
        return _end(rt, s, pair, by_name, cause, now)
    if command in ("skip", "reschedule"):
        return _next_meeting(rt, s, pair, command, by_name, cause, now)
    raise ValueError(f"unknown command {command!r}")


def _at_their_time(
    rt: Runtime,
    s: Session,
    pair: Pair,
    proposal: Proposal,
    by: str | None,
    by_name: str,
    cause: str,
    now: datetime,
) -> str:
    """The pair's next conversation at the day and time they proposed, whatever the hours
    and the calendars say (they chose it): the booked one moves there as the same event, or,
    for a pair with nothing booked (no time was found), the next one is booked there. The
    note goes out once the calendars have it."""
    row = s.get(PersonRow, by) if by else None
    zone = ZoneInfo(row.timezone if row is not None else rt.program.program.timezone)
    start = datetime.combine(proposal.day, proposal.at, zone).astimezone(UTC)
    names = pair_names(s, pair.id)
    if start <= now + LEAD_TIME:
        return f"{names}: {proposal.words} is too soon to book"
    end = start + rt.program.meetings.length
    booked = [m for m in upcoming(s, pair, now) if m.state in ("booked", "moved", "planned")]
    if booked:
        meeting = booked[0]
        meeting.starts_at, meeting.ends_at, meeting.odd_minutes = start, end, {}
        meeting.sequence += 1
        meeting.state, meeting.move, meeting.updated_at = "planned", None, now
        number = meeting.number
    else:
        number = _next_number(rt, s, pair, now)
        attempts = s.scalars(
            select(Meeting.attempt).where(Meeting.pair_id == pair.id, Meeting.number == number)
        ).all()
        target = MeetingTarget(number, 0, start.astimezone(rt.zone).date())
        record_plan(rt, s, pair, target, Slot(start, end, {}), now,
                    attempt=max(attempts, default=-1) + 1)  # fmt: skip
    pair.pending_notice = {
        "kind": "confirmation",
        "key": f"proposal:{pair.id}:{cause}",
        "by_name": by_name,
        "done": f"conversation {number} is booked at the time you proposed.",
    }
    return f"Booked as proposed: {names}, conversation {number}, {said_when(rt, start)}"


def _next_number(rt: Runtime, s: Session, pair: Pair, now: datetime) -> int:
    """The conversation to book next: the first still to come with no booking of its own."""
    taken = set(s.scalars(select(Meeting.number).where(Meeting.pair_id == pair.id)).all())
    targets = meeting_targets(pair.start_date, rt.program.cadence)
    today = rt.today(now)
    waiting = [t.number for t in targets if t.number not in taken and t.target >= today]
    return waiting[0] if waiting else max(taken, default=0) + 1


def resume(rt: Runtime, s: Session, pair: Pair, by_name: str, cause: str, now: datetime) -> str:
    """Active again; the next meetings are booked by the next planning step, and the note
    that lists them goes out once they are."""
    if pair.state != "paused":
        return f"{pair_names(s, pair.id)}: not paused, so there is nothing to resume"
    pair.state, pair.paused_until = "active", None
    pair.pending_notice = {
        "kind": "resumed",
        "key": f"resumed:{pair.id}:{cause}",
        "by_name": by_name,
    }
    return f"Resumed: {pair_names(s, pair.id)}"


def cancel_meetings(meetings: Sequence[Meeting], now: datetime) -> None:
    """Meetings off: cancelled, and those with an event on calendars marked so that the
    booking step takes it off (an iMIP CANCEL or the calendar's API, one SEQUENCE on),
    outside this transaction."""
    for meeting in meetings:
        had_event = meeting.state in ("booked", "moved") and meeting.starts_at is not None
        meeting.state, meeting.updated_at, meeting.move = "cancelled", now, None
        if had_event:
            meeting.sequence += 1
            meeting.calendar_pending = "cancel"


def _pause(
    rt: Runtime, s: Session, pair: Pair, until: date | None, by_name: str, cause: str, now: datetime
) -> str:
    pair.state, pair.paused_until = "paused", until
    pair.pending_notice = None
    inside = [
        m
        for m in upcoming(s, pair, now)
        if until is None or m.starts_at is None or m.starts_at.astimezone(rt.zone).date() < until
    ]
    readers = readers_of(pair_peers(s, pair.id), rt.program.program.locale)
    taken_off = [shown(m.number, m.starts_at, None, readers) for m in inside if m.starts_at]
    cancel_meetings(inside, now)
    words = day_words(until, rt.program.program.locale) if until else ""
    queue_pair_mail(
        rt,
        s,
        pair,
        "paused",
        f"paused:{pair.id}:{cause}",
        {"by_name": by_name, "until": words, "cancelled": taken_off},
        now,
    )
    count = len(taken_off)
    dates = f", {count} date{'s' if count != 1 else ''} taken off" if count else ""
    return f"Paused: {pair_names(s, pair.id)}" + (f" until {words}" if until else "") + dates


def _end(rt: Runtime, s: Session, pair: Pair, by_name: str, cause: str, now: datetime) -> str:
    pair.state, pair.ended_at, pair.ended_reason = (
        "ended",
        now,
        f"ended by {by_name or 'the program'}",
    )
    pair.ended_why = "peer" if by_name else "hr"
    pair.pending_notice = None
    cancel_meetings(upcoming(s, pair, now), now)
    queue_pair_mail(
        rt,
        s,
        pair,
        "ended",
        f"ended:{pair.id}:{cause}",
        {"by_name": by_name, "reason": "", "meetings": []},
        now,
    )
    _tell_owner_of_end(rt, s, pair, by_name, cause, now)
    return f"Ended: {pair_names(s, pair.id)}"


def _next_meeting(
    rt: Runtime, s: Session, pair: Pair, command: str, by_name: str, cause: str, now: datetime
) -> str:
    booked = [m for m in upcoming(s, pair, now) if m.state in ("booked", "moved")]
    if not booked:
        return f"{pair_names(s, pair.id)}: no upcoming conversation to {command}"
    meeting = booked[0]
    assert meeting.starts_at is not None
    if command == "skip":
        was = said_when(rt, meeting.starts_at)
        about = as_it_was(rt, s, pair, meeting.number, meeting.starts_at)
        cancel_meetings([meeting], now)
        done = (
            f"conversation {meeting.number} is skipped and off your calendars; "
            "the others stay as booked."
        )
        queue_pair_mail(
            rt,
            s,
            pair,
            "confirmation",
            f"skip:{pair.id}:{cause}",
            {"by_name": by_name, "done": done, "about": about},
            now,
        )
        return f"Skipped: {pair_names(s, pair.id)}, conversation {meeting.number}, {was}"
    return _reschedule(rt, s, pair, meeting, by_name, cause, now)


def _reschedule(
    rt: Runtime,
    s: Session,
    pair: Pair,
    meeting: Meeting,
    by_name: str,
    cause: str,
    now: datetime,
) -> str:
    """Ask for the meeting itself to move to another day: the moves step finds the time (it
    reads calendars, which this transaction must not wait for) and keeps the UID with a
    higher SEQUENCE, so calendars update the event they have (RFC 5546 3.2.2). The note goes
    out once the move is booked, or says that no other time was free."""
    assert meeting.starts_at is not None
    meeting.move = "reschedule"
    pair.pending_notice = {
        "kind": "confirmation",
        "key": f"reschedule:{pair.id}:{cause}",
        "by_name": by_name,
        "done": f"conversation {meeting.number} has moved to a new time that suits you both.",
        "was": meeting.starts_at.isoformat(),  # the note shows it
        "was_number": str(meeting.number),
    }
    was = said_when(rt, meeting.starts_at)
    return f"Moving: {pair_names(s, pair.id)}, conversation {meeting.number} from {was}"


def _tell_owner_of_end(
    rt: Runtime, s: Session, pair: Pair, by_name: str, cause: str, now: datetime
) -> None:
    names = " and ".join(p.display_name for p in pair_peers(s, pair.id))
    who = f"{by_name} ended the pairing" if by_name else "The pairing was ended"
    day = day_words(now.astimezone(rt.zone).date(), rt.program.program.locale, year=True)
    text = f"{names}: {who} on {day}.\n\nNo reason is asked for or given.\n"
    html = (
        f"<p>{_escape(names)}: {_escape(who)} on {day}.</p><p>No reason is asked for or given.</p>"
    )
    mail = compose(
        rt.program,
        Rendered(f"A pairing has ended: {names}", text, html),
        kind="owner_note",
        key=f"owner-ended:{pair.id}:{cause}",
        to=[("", rt.program.program.owner)],
        reply_to=rt.program.provider.mailbox,
        now=now,
    )
    queue(s, mail, pair_id=pair.id, now=now)


def _name(s: Session, email: str | None) -> str:
    if email is None:
        return ""
    row = s.get(PersonRow, email)
    return person_of(row).display_name if row is not None else email


def _escape(text: str) -> str:
    from html import escape

    return escape(text)


def as_it_was(
    rt: Runtime, s: Session, pair: Pair, number: int, start: datetime
) -> dict[str, object]:
    """A meeting as it was booked before a skip or a move, in each reader's time; without its
    link, which is not for joining any more."""
    readers = readers_of(pair_peers(s, pair.id), rt.program.program.locale)
    return shown(number, start, None, readers)


def resume_due(rt: Runtime, now: datetime) -> Report:
    """Pauses with an end date resume by themselves when that date comes."""
    report = Report("resume")
    today = rt.today(now)
    with rt.store.session() as s:
        paused = s.scalars(
            select(Pair)
            .where(Pair.state == "paused", Pair.paused_until.is_not(None))
            .with_for_update()
        )
        for pair in paused.all():
            if pair.paused_until is not None and pair.paused_until <= today:
                report.done.append(resume(rt, s, pair, "", f"until-{pair.paused_until}", now))
    return report
