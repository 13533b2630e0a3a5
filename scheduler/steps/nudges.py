"""The follow-up step: meetings whose time passed become held, skipped ones earn a gentle
nudge with a new slot, and pairs that keep skipping go on the owner's list."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from scheduler.core.followup import MeetingRecord, PairRecord, follow_up
from scheduler.core.model import Person
from scheduler.render.local_time import Reader
from scheduler.render.messages import meeting_shown as shown
from scheduler.render.messages import outside_hours
from scheduler.runtime import Report, Runtime
from scheduler.steps.moves import later_attempt
from scheduler.steps.queries import pair_names
from scheduler.store.models import Meeting, Pair


def keep_pairs(rt: Runtime, now: datetime) -> Report:
    """Apply the follow-up decision of every pair that is not over."""
    report = Report("follow-up")
    rules = rt.program.followup
    with rt.store.session() as s:
        # the pairs are locked for this transaction: a second follow-up waits, then sees ours
        pairs = select(Pair).where(Pair.state != "ended").order_by(Pair.id).with_for_update()
        for pair in s.scalars(pairs).all():
            meetings = s.scalars(select(Meeting).where(Meeting.pair_id == pair.id)).all()
            decision = follow_up(
                PairRecord(pair.state, pair.skips_in_row, pair.last_nudge_at, pair.on_owner_list),
                [
                    MeetingRecord(m.number, m.attempt, m.state, m.ends_at, _displaced(m))
                    for m in meetings
                ],
                now=now,
                nudge_after=rules.nudge_after_skips,
                tell_owner_after=rules.tell_owner_after_skips,
            )
            held, skipped = set(decision.held), set(decision.skipped)
            for meeting in meetings:
                if (meeting.number, meeting.attempt) in held:
                    meeting.state, meeting.updated_at = "held", now
                elif (meeting.number, meeting.attempt) in skipped:
                    meeting.state, meeting.updated_at = "skipped", now
            pair.skips_in_row = decision.skips_in_row
            if decision.tell_owner:
                pair.on_owner_list = True
                report.done.append(
                    f"On the owner's list: {pair_names(s, pair.id)} "
                    f"({decision.skips_in_row} conversations missed in a row)"
                )
            if decision.off_owner_list:
                pair.on_owner_list = False
                report.done.append(f"Off the owner's list: {pair_names(s, pair.id)} met again")
            if decision.nudge:
                report.done.append(_nudge(rt, s, pair, meetings, now))
    return report


def _nudge(rt: Runtime, s: Session, pair: Pair, meetings: Sequence[Meeting], now: datetime) -> str:
    """One short email with a new time already found: booked (the note waits for the booking)
    or proposed, as the program says. The time is found by the moves step, which reads
    calendars outside this transaction."""
    skipped = max(
        (m for m in meetings if m.state == "skipped"), key=lambda m: (m.number, m.attempt)
    )
    pair.last_nudge_at = now
    key = f"nudge:{pair.id}:{skipped.number}:{skipped.attempt}"
    names = pair_names(s, pair.id)
    if rt.program.followup.new_slot == "propose":
        skipped.move = "propose"
        return f"Nudging: {names}, a time for conversation {skipped.number} to propose"
    pair.pending_notice = {"kind": "nudge", "key": key, "skipped": str(skipped.id)}
    if later_attempt(s, skipped) is None:
        skipped.move = "rebook"
    return f"Nudging: {names}, conversation {skipped.number} to book again"


def meeting_shown(
    meeting: Meeting, readers: Sequence[Reader], peers: Sequence[Person] = ()
) -> dict[str, object]:
    """A stored meeting as the templates show it, in each reader's own time."""
    assert meeting.starts_at is not None
    outside = outside_hours(meeting.odd_minutes, peers)
    return shown(meeting.number, meeting.starts_at, meeting.join_url, readers, outside)


def _displaced(meeting: Meeting) -> bool:
    """Moved by a peer to more than a week away from its target date."""
    if meeting.state != "moved" or meeting.starts_at is None:
        return False
    return abs((meeting.starts_at.date() - meeting.target_date).days) > WINDOW_DAYS


WINDOW_DAYS = 7
