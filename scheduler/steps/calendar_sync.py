"""The calendar-sync step: what calendars say about booked meetings (declines, accepts,
cancellations, moves), read through the calendar's own cursor, recorded once and applied to
the meetings. An expired cursor means a full read, whose facts are recorded once again only
if they are new, so nothing is lost or repeated."""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from scheduler.ports import CursorExpired, FactKind, MeetingFact
from scheduler.runtime import Report, Runtime, said_when
from scheduler.steps.queries import pair_names
from scheduler.store import ops as store_ops
from scheduler.store.models import CalendarFact, Meeting
from scheduler.store.models import Person as PersonRow

CURSOR = "calendar"


def read_changes(rt: Runtime, now: datetime) -> Report:
    """Record what the calendar says happened to booked meetings since its cursor, then apply
    it: one step of every cycle, for every provider."""
    report = Report("calendar")
    with rt.store.session() as s:
        cursor = store_ops.get_cursor(s, CURSOR)
    while True:
        try:
            batch = rt.providers.calendar.changes(cursor)
        except CursorExpired as expired:
            if cursor is None:
                raise
            report.notes.append(f"the calendar's cursor expired ({expired}); read it again")
            cursor = None
            continue
        with rt.store.session() as s:
            for fact in batch.facts:
                _record(s, fact, now)
            if batch.cursor is not None and batch.cursor != cursor:
                store_ops.set_cursor(s, CURSOR, batch.cursor)
        cursor = batch.cursor
        if not batch.more:
            break
    applied = apply_facts(rt, now)
    report.done += applied.done
    return report


def _record(s: Session, fact: MeetingFact, now: datetime) -> None:
    """A fact, once: by the key its calendar gave it, else by its content."""
    key = (
        fact.key
        or hashlib.sha256(
            f"{fact.uid}|{fact.event_id}|{fact.kind.value}|{fact.by}|{fact.seen_at}|"
            f"{fact.sequence}|{fact.moved_to}".encode()
        ).hexdigest()
    )
    store_ops.record_fact(
        s,
        dedup_key=key,
        meeting_uid=fact.uid or "",
        event_id=fact.event_id,
        kind=fact.kind.value,
        by=fact.by,
        seen_at=fact.seen_at or now,
        moved_start=fact.moved_to.start if fact.moved_to else None,
        moved_end=fact.moved_to.end if fact.moved_to else None,
        sequence=fact.sequence,
    )


def apply_facts(rt: Runtime, now: datetime) -> Report:
    """Calendar facts onto meetings: a decline or a cancel marks the meeting skipped; a move
    is followed (scheduler.core.followup decides whether a move took it out of its window)."""
    report = Report("facts")
    with rt.store.session() as s:
        facts = s.scalars(
            select(CalendarFact)
            .where(CalendarFact.applied.is_(False))
            .order_by(CalendarFact.id)
            .with_for_update(skip_locked=True)  # another worker's facts are its own
        ).all()
        for fact in facts:
            fact.applied = True
            meeting = _meeting_of(s, fact)
            if meeting is None or meeting.state not in ("booked", "moved"):
                continue
            if fact.sequence is not None and fact.sequence < meeting.sequence:
                report.done.append(f"meeting {meeting.booking_key}: an answer to an earlier time")
                continue
            if fact.kind == FactKind.MOVED.value and fact.moved_start and fact.moved_end:
                if (fact.moved_start, fact.moved_end) == (meeting.starts_at, meeting.ends_at):
                    continue  # the time Tandem booked, reported back by the calendar
                meeting.starts_at, meeting.ends_at = fact.moved_start, fact.moved_end
                meeting.state, meeting.updated_at = "moved", now
                report.done.append(
                    f"Moved in a calendar: {pair_names(s, meeting.pair_id)}, conversation "
                    f"{meeting.number}, now {said_when(rt, fact.moved_start)}"
                )
            elif fact.kind in (FactKind.DECLINED.value, FactKind.CANCELLED.value):
                meeting.state, meeting.skipped_by, meeting.updated_at = "skipped", fact.by, now
                if fact.kind == FactKind.CANCELLED.value:
                    meeting.event_id = None  # gone from calendars: a rebooking is a new event
                who = _who(s, fact.by)
                report.done.append(
                    f"Skipped ({fact.kind} by {who}): {pair_names(s, meeting.pair_id)}, "
                    f"conversation {meeting.number}"
                )
    return report


def _meeting_of(s: Session, fact: CalendarFact) -> Meeting | None:
    """The meeting a fact names, by the calendar's event id or by UID: its latest attempt,
    since an event moved after a decline keeps both."""
    names = []
    if fact.event_id:
        names.append(Meeting.event_id == fact.event_id)
    if fact.meeting_uid:
        names.append(Meeting.uid == fact.meeting_uid)
    if not names:
        return None
    return s.scalars(
        select(Meeting).where(or_(*names)).order_by(Meeting.attempt.desc()).limit(1)
    ).first()


def _who(s: Session, email: str | None) -> str:
    """A peer by name for a report line; "someone" when the calendar did not say who."""
    row = s.get(PersonRow, email) if email else None
    return (row.name if row is not None and row.name else email) or "someone"
