"""The moves step: meetings that must go to another time, found where calendars can be read
outside any transaction.

- A meeting declined before its time moves as the same event (issue 9, item 4): the declined
  attempt stays a skip for the follow-up, and the next attempt keeps its UID and event id with
  a higher SEQUENCE, at a time where the declined slot is busy for whoever declined it, so each
  calendar keeps one event per meeting. With `followup.new_slot: propose`, the declined event
  comes off both calendars instead, and the nudge proposes a time.
- A skipped meeting a nudge books again moves the same way (a new event if its own is gone).
- A meeting a peer asked to reschedule moves itself to another day.
- A time a nudge proposes is found here and sent with the nudge.
When no time is free, the pair is at risk and asked for a time of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from scheduler.core.model import Interval, MeetingTarget
from scheduler.core.planning import DueMeeting, choose_slot, start_of_day
from scheduler.core.slots import NoSlot, Slot
from scheduler.render.local_time import day_words
from scheduler.render.messages import meeting_shown as shown
from scheduler.render.messages import outside_hours, readers_of
from scheduler.runtime import Report, Runtime, said_when
from scheduler.steps.outbox import queue_pair_mail
from scheduler.steps.plan import add_odd_minutes, busy_of, record_plan, tell_unbookable
from scheduler.steps.queries import pair_names, pair_peers
from scheduler.store import ops as store_ops
from scheduler.store.models import Meeting, Pair


@dataclass(frozen=True)
class _Wanted:
    """A move to make: which, for which meeting, what its pair looked like, and the earliest
    time the new slot may start."""

    why: str  # "declined", "rebook", "reschedule" or "propose"
    meeting_id: int
    item: DueMeeting
    not_before: datetime
    declined: Interval | None
    decliner: str | None


def move_meetings(rt: Runtime, now: datetime) -> Report:
    """Make every move asked for, in three stages: read (a short transaction), find times
    (calendars read outside any transaction), then record each move under its pair's lock,
    unless another worker made it first."""
    report = Report("moves")
    wanted = _wanted(rt, now)
    if not wanted:
        return report
    busy = busy_of(rt, [w.item for w in wanted])
    slots: dict[int, Slot | NoSlot] = {}
    for move in wanted:
        taken = {email: list(found) for email, found in busy.items()}
        if move.decliner and move.declined:
            taken.setdefault(move.decliner, []).append(move.declined)
        slots[move.meeting_id] = _slot(rt, move, taken, now)
    with rt.store.session() as s:
        for move in wanted:
            pair = s.get_one(Pair, move.item.pair_id, with_for_update=True)
            meeting = s.get_one(Meeting, move.meeting_id)
            if pair.state != "active" or not _still_wanted(s, meeting, move.why):
                continue
            slot = slots[move.meeting_id]
            line = _make(rt, s, pair, meeting, move, slot, now)
            if isinstance(slot, NoSlot):
                report.problems.append(line)
            else:
                report.done.append(line)
    return report


def later_attempt(s: Session, meeting: Meeting) -> Meeting | None:
    """A later attempt of the same meeting, if there is one."""
    return s.scalars(
        select(Meeting)
        .where(
            Meeting.pair_id == meeting.pair_id,
            Meeting.number == meeting.number,
            Meeting.attempt > meeting.attempt,
        )
        .limit(1)
    ).first()


def _wanted(rt: Runtime, now: datetime) -> list[_Wanted]:
    """The declined meetings (one per pair, the earliest) and the moves asked for."""
    found: list[_Wanted] = []
    declined_pairs: set[str] = set()
    today = rt.today(now)
    with rt.store.session() as s:
        rows = s.scalars(
            select(Meeting)
            .join(Pair, Pair.id == Meeting.pair_id)
            .where(
                Pair.state == "active",
                (Meeting.move.is_not(None))
                | (
                    (Meeting.state == "skipped")
                    & Meeting.skipped_by.is_not(None)
                    & Meeting.event_id.is_not(None)
                    & Meeting.calendar_pending.is_(None)
                    & (Meeting.starts_at > now)
                ),
            )
            .order_by(Meeting.starts_at)
        ).all()
        for meeting in rows:
            why = meeting.move or "declined"
            if why == "declined" and (
                meeting.pair_id in declined_pairs or later_attempt(s, meeting) is not None
            ):
                continue
            declined_pairs.add(meeting.pair_id)
            pair = s.get_one(Pair, meeting.pair_id)
            target = MeetingTarget(meeting.number, meeting.phase, max(meeting.target_date, today))
            item = DueMeeting(
                pair.id, pair.start_date, pair_peers(s, pair.id), target, None, pair.odd_minutes
            )
            not_before = now
            if why == "reschedule" and meeting.starts_at is not None:
                next_day = meeting.starts_at.astimezone(rt.zone).date() + timedelta(days=1)
                not_before = start_of_day(next_day, rt.zone)
            declined = None  # a slot someone declined is busy for them, whatever the move
            if meeting.skipped_by and meeting.starts_at and meeting.ends_at:
                declined = Interval(meeting.starts_at, meeting.ends_at)
            found.append(_Wanted(why, meeting.id, item, not_before, declined, meeting.skipped_by))
        s.expunge_all()
    return found


def _slot(
    rt: Runtime, move: _Wanted, busy: dict[str, list[Interval]], now: datetime
) -> Slot | NoSlot:
    if move.why == "declined" and rt.program.followup.new_slot == "propose":
        return NoSlot("the program proposes new times rather than booking them")
    item = move.item
    return choose_slot(
        rt.program.meetings,
        item.target.target,
        item.peers,
        busy,
        zone=rt.zone,
        now=now,
        pair_start=item.start,
        previous=None,
        burden=item.ledger,
        not_before=move.not_before,
    )


def _still_wanted(s: Session, meeting: Meeting, why: str) -> bool:
    """Whether another worker has not made this move already."""
    if why == "declined":
        return (
            meeting.state == "skipped"
            and meeting.calendar_pending is None
            and meeting.move is None
            and later_attempt(s, meeting) is None
        )
    return meeting.move == why


def _make(
    rt: Runtime,
    s: Session,
    pair: Pair,
    meeting: Meeting,
    move: _Wanted,
    slot: Slot | NoSlot,
    now: datetime,
) -> str:
    """Record one move, or what happens when no time was found; a line for the report."""
    meeting.move = None
    names, number = pair_names(s, pair.id), meeting.number
    if move.why == "reschedule":
        return _reschedule(rt, s, pair, meeting, slot, now)
    if move.why == "propose":
        return _propose(rt, s, pair, meeting, slot, now)
    if isinstance(slot, NoSlot):
        propose = rt.program.followup.new_slot == "propose"
        if live_event(meeting, now):
            withdraw_event(meeting, now)  # nobody keeps a declined event
        if propose and move.why == "declined":
            return f"Declined: {names}, conversation {number} comes off the calendars"
        tell_unbookable(rt, s, pair, move.item.target, meeting.attempt + 1, slot.reason, now)
        return f"{names}, conversation {number}: {slot.reason}"
    _record_move(rt, s, pair, meeting, slot, now)
    return f"Moved: {names}, conversation {number}, to {said_when(rt, slot.start)}"


def _record_move(
    rt: Runtime, s: Session, pair: Pair, old: Meeting, slot: Slot, now: datetime
) -> None:
    """The next attempt of `old`: the same event (UID, event id) at a new time, one SEQUENCE
    on, so booking it updates the event on every calendar; a new event when `old`'s is gone
    (cancelled, or withdrawn)."""
    if old.event_id is None or old.calendar_pending is not None:
        record_plan(rt, s, pair, MeetingTarget(old.number, old.phase, old.target_date), slot,
                    now, attempt=old.attempt + 1)  # fmt: skip
        return
    inserted = store_ops.insert_meeting(
        s,
        pair_id=old.pair_id,
        number=old.number,
        attempt=old.attempt + 1,
        phase=old.phase,
        target_date=old.target_date,
        starts_at=slot.start,
        ends_at=slot.end,
        uid=old.uid,
        booking_key=f"{old.pair_id}-{old.number}-{old.attempt + 1}",
        now=now,
        odd_minutes=slot.odd_minutes,
        sequence=old.sequence + 1,
        event_id=old.event_id,
        join_url=old.join_url,
    )
    if inserted:
        add_odd_minutes(pair, slot)


def _reschedule(
    rt: Runtime, s: Session, pair: Pair, meeting: Meeting, slot: Slot | NoSlot, now: datetime
) -> str:
    """The meeting itself moves: same UID, a new time and a higher SEQUENCE (RFC 5546 3.2.2);
    or, with no other time free, it stays and the note says so."""
    names, number = pair_names(s, pair.id), meeting.number
    assert meeting.starts_at is not None
    if isinstance(slot, NoSlot):
        near = day_words(meeting.starts_at.astimezone(rt.zone).date(), rt.program.program.locale)
        if pair.pending_notice:
            notice = dict(pair.pending_notice)
            notice["done"] = (
                f"no other time that suits you both was free near {near}, "
                f"so conversation {number} stays as booked."
            )
            notice.pop("was", None)
            pair.pending_notice = notice
        was = said_when(rt, meeting.starts_at)
        return f"{names}: no other time for conversation {number} ({was})"
    meeting.starts_at, meeting.ends_at = slot.start, slot.end
    meeting.odd_minutes = {who: minutes for who, minutes in slot.odd_minutes.items() if minutes}
    meeting.sequence += 1
    meeting.state, meeting.updated_at = "planned", now
    add_odd_minutes(pair, slot)
    return f"Moved: {names}, conversation {number}, to {said_when(rt, slot.start)}"


def _propose(
    rt: Runtime, s: Session, pair: Pair, meeting: Meeting, slot: Slot | NoSlot, now: datetime
) -> str:
    """The nudge of a program that proposes times: the time found, not booked; a declined
    event still on calendars comes off them."""
    if live_event(meeting, now):
        withdraw_event(meeting, now)
    peers = pair_peers(s, pair.id)
    readers = readers_of(peers, rt.program.program.locale)
    proposal = None
    if not isinstance(slot, NoSlot):
        outside = outside_hours(slot.odd_minutes, peers)
        proposal = shown(meeting.number, slot.start, None, readers, outside)
    assert meeting.starts_at is not None
    skipped = shown(meeting.number, meeting.starts_at, meeting.join_url, readers)
    key = f"nudge:{pair.id}:{meeting.number}:{meeting.attempt}"
    extra: dict[str, object] = {"skipped_meeting": skipped, "new_slot": proposal, "booked": False}
    queue_pair_mail(rt, s, pair, "nudge", key, extra, now)
    names = pair_names(s, pair.id)
    if isinstance(slot, NoSlot):
        return f"Nudged: {names} (no free time found)"
    when = said_when(rt, slot.start)
    return f"Nudged: {names}, conversation {meeting.number} proposed for {when}"


def live_event(meeting: Meeting, now: datetime) -> bool:
    """Whether a skipped meeting's event is still on calendars, and still to come."""
    return (
        meeting.event_id is not None
        and meeting.calendar_pending is None
        and meeting.starts_at is not None
        and meeting.starts_at > now
    )


def withdraw_event(meeting: Meeting, now: datetime) -> None:
    """Take a meeting's event off every calendar without changing what the meeting counts as
    (a skip stays a skip): the booking step sends the cancellation, one SEQUENCE on."""
    meeting.sequence += 1
    meeting.updated_at = now
    meeting.calendar_pending = "cancel"
