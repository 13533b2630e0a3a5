"""Calendar writes: each planned meeting put on calendars and each withdrawn one taken off,
through the calendar's API or by the invitations it hands back for the outbox.

Every call runs outside a database transaction (a slow API never holds a lock), in batches.
A booking is keyed, so a retry after a crash finds the event it made before. One failure is
one failure: a meeting the calendar refuses is marked failed with the calendar's reason (shown
by `tandem status` and the owner's digest) and the rest go on; a transient failure is tried
again at the next cycle, up to MAX_ATTEMPTS times.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import select, true
from sqlalchemy.orm import Session

from scheduler.crash_report import redact
from scheduler.faults import crash_point
from scheduler.ports import Attendee, Booked, Booking, Cancellation, Cancelled, ProviderError
from scheduler.replies.address import reply_address
from scheduler.runtime import Report, Runtime, said_when
from scheduler.steps.outbox import queue
from scheduler.steps.queries import pair_peers
from scheduler.store.models import Meeting, Pair

BATCH = 50
MAX_ATTEMPTS = 8


def book_meetings(rt: Runtime, now: datetime, *, pair_ids: Collection[str] | None = None) -> Report:
    """Book what is planned and cancel what is withdrawn, a batch at a time, until done; only
    the meetings of `pair_ids` when given (a worker books one pair per message)."""
    report = Report("book")
    after = 0
    while True:
        with rt.store.session() as s:
            rows = s.scalars(
                select(Meeting)
                .where(
                    Meeting.id > after,
                    (Meeting.state == "planned") | (Meeting.calendar_pending == "cancel"),
                    true() if pair_ids is None else Meeting.pair_id.in_(list(pair_ids)),
                )
                .order_by(Meeting.id)
                .limit(BATCH)
            ).all()
            if not rows:
                return report
            after = rows[-1].id
            bookings = [booking_of(rt, s, m, now) for m in rows if m.state == "planned"]
            cancellations = [
                Cancellation(booking_of(rt, s, m, now), m.state)
                for m in rows
                if m.state != "planned"
            ]
        try:
            booked = rt.providers.calendar.book(bookings) if bookings else []
            crash_point("booked")
            cancelled = rt.providers.calendar.cancel(cancellations) if cancellations else []
        except ProviderError as error:  # the calendar could not be reached: all wait
            report.problems.append(f"the calendar is not answering, tried again later: {error}")
            return report
        with rt.store.session() as s:
            s.autoflush = False  # each row's own; its updates go in one flush at the end
            _settle_bookings(rt, s, bookings, booked, now, report)
            _settle_cancellations(s, cancellations, cancelled, now, report)


def booking_of(rt: Runtime, s: Session, meeting: Meeting, now: datetime) -> Booking:
    """A stored meeting as the calendar port takes it."""
    peers = pair_peers(s, meeting.pair_id)
    names = " & ".join(p.display_name for p in peers)
    program = rt.program
    reply_to = reply_address(program.provider.mailbox, meeting.pair_id, rt.secret)
    assert meeting.starts_at is not None and meeting.ends_at is not None
    return Booking(
        key=meeting.booking_key,
        uid=meeting.uid,
        sequence=meeting.sequence,
        summary=f"{program.program.name}: {names} (conversation {meeting.number})",
        description=(
            f"Conversation {meeting.number} of your pairing in {program.program.name}.\n"
            f"To pause, skip or reschedule, reply to {reply_to} with one word."
        ),
        start=meeting.starts_at,
        end=meeting.ends_at,
        timezone=program.program.timezone,
        organizer=Attendee(program.provider.mailbox, program.program.name),
        attendees=tuple(Attendee(p.email, p.display_name) for p in peers),
        video=program.meetings.video,
        pair_id=meeting.pair_id,
        event_id=meeting.event_id,
        stamp=now,
        removed=tuple(Attendee(email, "") for email in meeting.removed_attendees or ()),
    )


def _settle_bookings(
    rt: Runtime,
    s: Session,
    bookings: Sequence[Booking],
    results: Sequence[Booked],
    now: datetime,
    report: Report,
) -> None:
    if not bookings:
        return
    # the batch's meetings locked and its pairs read in two queries, not two per meeting
    keys = [booking.key for booking in bookings]
    locked = s.scalars(
        select(Meeting).where(Meeting.booking_key.in_(keys)).order_by(Meeting.id).with_for_update()
    )
    meetings = {meeting.booking_key: meeting for meeting in locked}
    s.scalars(select(Pair).where(Pair.id.in_({m.pair_id for m in meetings.values()}))).all()
    for booking, made in zip(bookings, results, strict=True):
        meeting = meetings[booking.key]
        if made.error is not None:
            _failed(meeting, made.error, report, f"booking conversation {meeting.number}")
            continue
        meeting.event_id = made.event_id
        meeting.join_url = made.join_url or meeting.join_url
        for mail in made.mail:
            queue(s, mail, pair_id=meeting.pair_id, now=now)
        if meeting.state != "planned" or meeting.sequence != booking.sequence:
            if meeting.state == "cancelled":  # withdrawn while it was being booked
                meeting.calendar_pending = "cancel"
            continue  # changed meanwhile: the next pass books or cancels the new version
        meeting.state, meeting.updated_at = "booked", now
        meeting.calendar_error, meeting.calendar_attempts = None, 0
        meeting.removed_attendees = None  # off their calendars now
        pair = s.get_one(Pair, meeting.pair_id)
        pair.booking_problem = pair.booking_problem_at = None
        names = " & ".join(a.name or a.email for a in booking.attendees)
        report.done.append(
            f"Booked: {names}, conversation {meeting.number}, {said_when(rt, booking.start)}"
        )


def _settle_cancellations(
    s: Session,
    cancellations: Sequence[Cancellation],
    results: Sequence[Cancelled],
    now: datetime,
    report: Report,
) -> None:
    for cancellation, done in zip(cancellations, results, strict=True):
        meeting = s.scalars(
            select(Meeting).where(Meeting.booking_key == cancellation.booking.key)
        ).one()
        if done.error is not None:
            _failed(meeting, done.error, report, f"cancelling conversation {meeting.number}")
            continue
        for mail in done.mail:
            queue(s, mail, pair_id=meeting.pair_id, now=now)
        meeting.calendar_pending, meeting.calendar_error, meeting.calendar_attempts = None, None, 0
        meeting.event_id, meeting.updated_at = None, now  # gone: a rebooking is a new event


def _failed(meeting: Meeting, error: ProviderError, report: Report, doing: str) -> None:
    """A permanent refusal, or the last of the tries, ends the write: a booking is failed
    (its pair is shown at risk), a cancellation given up; else it waits for the next cycle."""
    reason = redact(str(error))
    meeting.calendar_error = reason
    meeting.calendar_attempts += 1
    if error.permanent or meeting.calendar_attempts >= MAX_ATTEMPTS:
        if meeting.state == "planned":
            meeting.state = "failed"
        meeting.calendar_pending = None
        report.problems.append(f"{doing} failed: {reason}")
    else:
        report.problems.append(f"{doing}: {reason}; tried again at the next cycle")
