"""The planning step: a slot for every meeting that is due to be booked, recorded as planned.

Three short stages, so that no calendar call runs inside a database transaction: read what is
due, read busy times, then record each plan unless another planner recorded that meeting first
(insert-or-ignore on pair, number and attempt). A meeting for which no time is found puts its
pair at risk, and the pair is asked for a time of its own.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import select, true
from sqlalchemy.orm import Session

from scheduler.core.cadence import meeting_targets, next_to_book
from scheduler.core.model import Interval, MeetingTarget
from scheduler.core.planning import DueMeeting, plan_slots, window_of
from scheduler.core.slots import NoSlot, Slot, days_text
from scheduler.faults import crash_point
from scheduler.program.rounds import program_end
from scheduler.runtime import Report, Runtime, said_when
from scheduler.steps.outbox import queue_pair_mail
from scheduler.steps.queries import UPCOMING, active_pairs
from scheduler.store import ops as store_ops
from scheduler.store.models import Meeting, Pair


def plan_meetings(rt: Runtime, now: datetime, *, pair_ids: Collection[str] | None = None) -> Report:
    """Choose a slot for every meeting that is due to be booked, and record it as planned;
    only the meetings of `pair_ids` when given (a worker plans a batch of pairs per message:
    no two active pairs share a peer, so a pair's slots do not depend on the other pairs)."""
    report = Report("plan")
    due = _due_meetings(rt, now, pair_ids)
    if not due:
        return report
    busy = busy_of(rt, due)
    plans = plan_slots(rt.program.meetings, due, busy, zone=rt.zone, now=now)
    with rt.store.session() as s:
        s.autoflush = False  # each row's own; its updates go in one flush at the end
        for item, slot in plans:
            pair = s.get_one(Pair, item.pair_id, with_for_update=True)
            if pair.state != "active":
                continue
            names = " & ".join(p.display_name for p in item.peers)
            if isinstance(slot, NoSlot):
                report.problems.append(f"{names}, conversation {item.target.number}: {slot.reason}")
                tell_unbookable(rt, s, pair, item.target, 0, slot.reason, now)
                continue
            if not record_plan(rt, s, pair, item.target, slot, now):
                continue
            crash_point("plan")
            report.done.append(
                f"Planned: {names}, conversation {item.target.number}, {said_when(rt, slot.start)}"
            )
    return report


def pairs_to_plan(rt: Runtime, now: datetime) -> list[str]:
    """The pairs with a meeting due to be planned, in order (a worker plans them in batches)."""
    return sorted({item.pair_id for item in _due_meetings(rt, now, None)})


def busy_of(rt: Runtime, due: Sequence[DueMeeting]) -> dict[str, list[Interval]]:
    """Every peer's busy time around the due meetings, in one calendar call."""
    emails = sorted({p.email for item in due for p in item.peers})
    return rt.providers.calendar.busy(emails, window_of(due, rt.zone))


def tell_unbookable(
    rt: Runtime,
    s: Session,
    pair: Pair,
    target: MeetingTarget,
    attempt: int,
    reason: str,
    now: datetime,
) -> None:
    """No time was found for a pair's meeting: the pair is at risk from this first miss until
    a meeting is booked again (issue 9, item 3), and gets one note asking for a time of their
    own at the start of that stretch, not one for every meeting that fails in it."""
    pair.booking_problem = reason
    if pair.booking_problem_at is not None:
        return
    pair.booking_problem_at = now
    meetings = rt.program.meetings
    minutes = int(meetings.length.total_seconds()) // 60
    extra: dict[str, object] = {
        "meeting_number": target.number,
        "around": f"{target.target:%A} {target.target.day} {target.target:%B}",
        "hours": f"{meetings.hours.start:%H:%M}-{meetings.hours.end:%H:%M}, "
        f"{days_text(meetings.days)}",
        "length": f"{minutes} minutes",
    }
    key = f"no-time:{pair.id}:{target.number}:{attempt}:{now:%Y%m%d%H%M}"
    queue_pair_mail(rt, s, pair, "no_time", key, extra, now)


def record_plan(
    rt: Runtime,
    s: Session,
    pair: Pair,
    target: MeetingTarget,
    slot: Slot,
    now: datetime,
    *,
    attempt: int = 0,
) -> bool:
    """Keep a slot as a new event for the meeting, unless that attempt is there already;
    True if it is new."""
    key = f"{pair.id}-{target.number}-{attempt}"
    domain = rt.program.provider.mailbox.rpartition("@")[2]
    inserted = store_ops.insert_meeting(
        s,
        pair_id=pair.id,
        number=target.number,
        attempt=attempt,
        phase=target.phase,
        target_date=target.target,
        starts_at=slot.start,
        ends_at=slot.end,
        uid=f"{key}@{domain}",
        booking_key=key,
        now=now,
        odd_minutes=slot.odd_minutes,
    )
    if inserted:
        add_odd_minutes(pair, slot)
    return inserted


def add_odd_minutes(pair: Pair, slot: Slot) -> None:
    """The pair's ledger of minutes outside each peer's hours, so that turns are shared."""
    ledger = dict(pair.odd_minutes)
    for email, minutes in slot.odd_minutes.items():
        ledger[email] = ledger.get(email, 0) + minutes
    pair.odd_minutes = ledger


def _due_meetings(rt: Runtime, now: datetime, pair_ids: Collection[str] | None) -> list[DueMeeting]:
    today = rt.today(now)
    due = []
    with rt.store.session() as s:
        pairs = active_pairs(s, pair_ids)
        meetings_of: dict[str, list[Meeting]] = defaultdict(list)
        for meeting in s.scalars(
            select(Meeting)
            .join(Pair)
            .where(
                Pair.state == "active",
                true() if pair_ids is None else Pair.id.in_(list(pair_ids)),
            )
            .order_by(Meeting.id)
        ):
            meetings_of[meeting.pair_id].append(meeting)
        for pair, peers in pairs:
            meetings = meetings_of[pair.id]
            end = program_end(rt.program)  # nothing is booked after the program ends
            targets = [
                t for t in meeting_targets(pair.start_date, rt.program.cadence) if t.target <= end
            ]
            numbers = {m.number for m in meetings}
            starts = [m for m in meetings if m.starts_at is not None]
            last = max(starts, key=lambda m: m.number).starts_at if starts else None
            ahead = sum(
                1
                for m in meetings
                if m.state in UPCOMING and (m.starts_at is None or m.starts_at > now)
            )  # by their real times: book_ahead is never exceeded (issue 9, item 4)
            book_ahead = rt.program.meetings.book_ahead
            for target in next_to_book(targets, numbers, today, book_ahead, ahead=ahead):
                due.append(
                    DueMeeting(pair.id, pair.start_date, peers, target, last, pair.odd_minutes)
                )
    return due
