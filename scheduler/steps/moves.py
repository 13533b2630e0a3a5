"""A declined meeting moves (issue 9, item 4): the same event goes to another time that suits
both peers, with the declined slot busy for whoever declined it, so each calendar keeps one
event per meeting. The declined attempt stays as a skip for the follow-up to count.

When no other time is free, or the program proposes new times instead of booking them, the
declined event comes off both calendars and the pair is at risk until a meeting is booked.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from scheduler.core.model import Interval, MeetingTarget
from scheduler.core.planning import DueMeeting, plan_slots, window_of
from scheduler.core.slots import NoSlot
from scheduler.ports import Cancellation
from scheduler.steps.plan import (
    Report,
    Runtime,
    booking_of,
    enqueue_invitation,
    pair_peers,
    tell_unbookable,
)
from scheduler.store import ops as store_ops
from scheduler.store.models import Meeting, Pair


def move_declined(rt: Runtime, now: datetime) -> Report:
    """Move each meeting declined before its time to a new slot, as the same event.

    1. Read the declined meetings that have no later attempt yet (a short transaction).
    2. Read busy times, outside any transaction; the declined slot is busy for the decliner.
    3. Record the move as the next attempt with the same UID and event id and a higher
       SEQUENCE, unless another worker recorded it first; or take the event off calendars.
    """
    report = Report("moves")
    declined = _declined(rt, now)
    if not declined:
        return report
    due = [item for item, _, _ in declined]
    busy = rt.providers.calendar.busy(
        sorted({p.email for item in due for p in item.peers}), window_of(due, rt.zone)
    )
    for _, meeting, decliner in declined:
        if decliner and meeting.starts_at and meeting.ends_at:
            busy.setdefault(decliner, []).append(Interval(meeting.starts_at, meeting.ends_at))
    book = rt.program.followup.new_slot == "book"
    plans = plan_slots(rt.program.meetings, due, busy, zone=rt.zone, now=now) if book else []
    slots = {item.pair_id: slot for item, slot in plans}
    with rt.store.session() as s:
        for item, meeting, _ in declined:
            pair = s.get_one(Pair, item.pair_id, with_for_update=True)
            old = s.get_one(Meeting, meeting.id)
            if pair.state != "active" or later_attempt(s, old) is not None:
                continue
            slot = slots.get(item.pair_id)
            if slot is not None and not isinstance(slot, NoSlot):
                _record_move(rt, s, old, slot.start, slot.end, slot.odd_minutes, now)
                when = f"{slot.start:%Y-%m-%d %H:%M} UTC"
                report.done.append(f"pair {pair.id}, meeting {old.number}: moved to {when}")
                continue
            withdraw_event(rt, s, old, "declined", now)
            if isinstance(slot, NoSlot):
                target = MeetingTarget(old.number, old.phase, old.target_date)
                tell_unbookable(rt, s, pair, target, old.attempt + 1, slot.reason, now)
                report.problems.append(f"pair {pair.id}, meeting {old.number}: {slot.reason}")
    return report


def _declined(rt: Runtime, now: datetime) -> list[tuple[DueMeeting, Meeting, str | None]]:
    """Meetings of active pairs declined before they took place, whose event is still on
    calendars, with no later attempt yet; one per pair (the earliest)."""
    found: dict[str, tuple[DueMeeting, Meeting, str | None]] = {}
    with rt.store.session() as s:
        rows = s.scalars(
            select(Meeting)
            .join(Pair, Pair.id == Meeting.pair_id)
            .where(
                Pair.state == "active",
                Meeting.state == "skipped",
                Meeting.skipped_by.is_not(None),
                Meeting.event_id.is_not(None),
                Meeting.starts_at > now,
            )
            .order_by(Meeting.starts_at)
        ).all()
        for meeting in rows:
            if meeting.pair_id in found or later_attempt(s, meeting) is not None:
                continue
            pair = s.get_one(Pair, meeting.pair_id)
            target = MeetingTarget(meeting.number, meeting.phase, meeting.target_date)
            item = DueMeeting(
                pair.id, pair.start_date, pair_peers(s, pair.id), target, None, pair.odd_minutes
            )
            found[pair.id] = (item, meeting, meeting.skipped_by)
        s.expunge_all()
    return list(found.values())


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


def _record_move(
    rt: Runtime,
    s: Session,
    old: Meeting,
    start: datetime,
    end: datetime,
    odd_minutes: Mapping[str, int],
    now: datetime,
) -> bool:
    """The next attempt of `old`: the same event (UID, event id) at a new time, one SEQUENCE
    on; booking it updates the event on every calendar rather than adding one."""
    key = f"{old.pair_id}-{old.number}-{old.attempt + 1}"
    minutes = dict(odd_minutes)
    inserted = store_ops.insert_meeting(
        s,
        pair_id=old.pair_id,
        number=old.number,
        attempt=old.attempt + 1,
        phase=old.phase,
        target_date=old.target_date,
        starts_at=start,
        ends_at=end,
        uid=old.uid,
        booking_key=key,
        now=now,
        odd_minutes=minutes,
        sequence=old.sequence + 1,
        event_id=old.event_id,
        join_url=old.join_url,
    )
    return inserted


def withdraw_event(rt: Runtime, s: Session, meeting: Meeting, reason: str, now: datetime) -> None:
    """Take a meeting's event off every calendar without changing what the meeting counts as
    (a skip stays a skip): a CANCEL one SEQUENCE on, by email or through the calendar."""
    meeting.sequence += 1
    meeting.updated_at = now
    booking = booking_of(rt, s, meeting)
    if rt.books_by_mail:
        enqueue_invitation(rt, s, meeting, booking, now, method="CANCEL")
    else:
        rt.providers.calendar.cancel([Cancellation(booking, reason)])
    meeting.event_id = None
