"""The meeting and mail steps of a program, each a small idempotent function of
(runtime, now): run any of them again at any time, after a crash or on a second worker, and it
does only what is left to do. With rounds, mailroom, lifecycle, nudges, inbound and digest,
these job modules are the only place where the store, the ports and the pure core meet.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from email.policy import SMTP
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from scheduler.core.cadence import meeting_targets, next_to_book
from scheduler.core.model import Interval, MeetingTarget, Person
from scheduler.core.planning import DueMeeting, choose_slot, plan_slots, window_of
from scheduler.core.slots import NoSlot, Slot, days_text
from scheduler.faults import crash_point
from scheduler.ports import Attendee, Booking, Calendar, Providers
from scheduler.program.schema import Program
from scheduler.render.kits import Kits
from scheduler.render.local_time import short_time
from scheduler.render.messages import MeetingView, pair_context, pair_mail
from scheduler.replies.address import reply_address
from scheduler.store import ops as store_ops
from scheduler.store.models import Meeting, Outbox, Pair, PairMember, Store
from scheduler.store.models import Person as PersonRow

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    """What every job needs, built once by scheduler.bootstrap."""

    program: Program
    store: Store
    providers: Providers
    kits: Kits
    secret: bytes
    database_configured: bool = False
    round_seed: int | None = None  # `tandem run --seed`: a round opened now uses it

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.program.program.timezone)

    @property
    def books_by_mail(self) -> bool:
        """True when the calendar has no API and meetings travel as iMIP invitations."""
        return bool(getattr(self.providers.calendar, "invites_by_mail", False))

    def today(self, now: datetime) -> date:
        return now.astimezone(self.zone).date()


@dataclass
class Report:
    """What one step did, in words for the summary of `tandem run`: pair names and local
    times, never internal keys. `notes` say how things stand (the directory's size, the next
    round); they are not news, so a run with notes only is a run where nothing new happened."""

    step: str
    done: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def said_when(rt: Runtime, start: datetime) -> str:
    """A meeting time for a report line, in the program's zone and locale:
    "Tue, Jan 12, 10:00 AM (Eastern Time)"."""
    details = rt.program.program
    return short_time(start, details.timezone, details.locale)


def pair_names(s: Session, pair_id: str) -> str:
    """A pair as a report line names it: "Ana Lima & Bo Chen"."""
    return " & ".join(p.display_name for p in pair_peers(s, pair_id))


def person_of(row: PersonRow) -> Person:
    """A stored person as the domain's Person."""
    return Person(
        email=row.email,
        name=row.name,
        title=row.title,
        department=row.department,
        level=row.level,
        manager_email=row.manager_email,
        timezone=row.timezone,
        aliases=tuple(row.aliases),
        attributes=dict(row.attributes or {}),
    )


def plan_meetings(rt: Runtime, now: datetime) -> Report:
    """Choose a slot for every meeting that is due to be booked, and record it as planned.

    Three short stages, so that no calendar call runs inside a database transaction: read
    what is due, read busy times, then record each plan unless another planner recorded that
    meeting first (insert-or-ignore on pair, number and attempt)."""
    report = Report("plan")
    due = _due_meetings(rt, now)
    if not due:
        return report
    busy = _busy(rt, due)
    plans = plan_slots(rt.program.meetings, due, busy, zone=rt.zone, now=now)
    with rt.store.session() as s:
        for item, slot in plans:
            pair = s.get_one(Pair, item.pair_id, with_for_update=True)
            if pair.state != "active":
                continue
            if isinstance(slot, NoSlot):
                names = " & ".join(p.display_name for p in item.peers)
                report.problems.append(f"{names}, conversation {item.target.number}: {slot.reason}")
                tell_unbookable(rt, s, pair, item.target, 0, slot.reason, now)
                continue
            if not _record_plan(rt, s, pair, item.target, slot, now):
                continue
            crash_point("plan")
            names = " & ".join(p.display_name for p in item.peers)
            report.done.append(
                f"Planned: {names}, conversation {item.target.number}, {said_when(rt, slot.start)}"
            )
    return report


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
    notify(rt, s, pair, "no_time", key, extra, now)


def _due_meetings(rt: Runtime, now: datetime) -> list[DueMeeting]:
    today = rt.today(now)
    due = []
    with rt.store.session() as s:
        for pair, peers in _active_pairs(s):
            meetings = s.scalars(select(Meeting).where(Meeting.pair_id == pair.id)).all()
            targets = meeting_targets(pair.start_date, rt.program.cadence)
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


def _record_plan(
    rt: Runtime,
    s: Session,
    pair: Pair,
    target: MeetingTarget,
    slot: Slot,
    now: datetime,
    *,
    attempt: int = 0,
) -> bool:
    """Keep a slot as the planned meeting, unless that meeting is there already; True if new."""
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
        ledger = dict(pair.odd_minutes)
        for email, minutes in slot.odd_minutes.items():
            ledger[email] = ledger.get(email, 0) + minutes
        pair.odd_minutes = ledger
    return inserted


def _active_pairs(s: Session) -> list[tuple[Pair, list[Person]]]:
    pairs = s.scalars(select(Pair).where(Pair.state == "active").order_by(Pair.id)).all()
    members: dict[str, list[Person]] = defaultdict(list)
    rows = s.execute(select(PairMember, PersonRow).join(PersonRow).order_by(PairMember.position))
    for member, person in rows:
        members[member.pair_id].append(person_of(person))
    return [(p, members[p.id]) for p in pairs]


def _busy(rt: Runtime, due: Sequence[DueMeeting]) -> dict[str, list[Interval]]:
    emails = sorted({p.email for item in due for p in item.peers})
    return rt.providers.calendar.busy(emails, window_of(due, rt.zone))


def _plan_one(
    rt: Runtime,
    s: Session,
    pair: Pair,
    peers: list[Person],
    target: MeetingTarget,
    busy: dict[str, list[Interval]],
    now: datetime,
    report: Report,
    *,
    attempt: int = 0,
    not_before: datetime | None = None,
    record: bool = True,
) -> Slot | None:
    """Find a slot for one meeting and, with `record`, keep it as planned (a new attempt when
    rebooking)."""
    previous = s.scalars(
        select(Meeting.starts_at)
        .where(Meeting.pair_id == pair.id, Meeting.starts_at.is_not(None))
        .order_by(Meeting.number.desc())
        .limit(1)
    ).first()
    slot = choose_slot(
        rt.program.meetings,
        target.target,
        peers,
        busy,
        zone=rt.zone,
        now=now,
        pair_start=pair.start_date,
        previous=previous,
        burden=pair.odd_minutes,
        not_before=not_before,
    )
    names = " & ".join(p.display_name for p in peers)
    if isinstance(slot, NoSlot):
        report.problems.append(f"{names}, conversation {target.number}: {slot.reason}")
        return None
    if not record:
        return slot
    if not _record_plan(rt, s, pair, target, slot, now, attempt=attempt):
        return None
    report.done.append(
        f"Planned: {names}, conversation {target.number}, {said_when(rt, slot.start)}"
    )
    return slot


def replan(
    rt: Runtime,
    s: Session,
    pair: Pair,
    old: Meeting,
    *,
    not_before: datetime | None,
    now: datetime,
    record: bool = True,
) -> Slot | None:
    """Plan a new attempt of a meeting that was skipped or moved away from, near its target."""
    peers = pair_peers(s, pair.id)
    earliest = max(old.target_date, rt.today(now))
    if not_before is not None:
        earliest = max(earliest, not_before.astimezone(rt.zone).date())
    target = MeetingTarget(old.number, old.phase, earliest)
    item = DueMeeting(pair.id, pair.start_date, peers, target, None, pair.odd_minutes)
    busy = _busy(rt, [item])
    attempts = s.scalars(
        select(Meeting.attempt).where(Meeting.pair_id == pair.id, Meeting.number == old.number)
    )
    report = Report("replan")
    return _plan_one(
        rt,
        s,
        pair,
        peers,
        target,
        busy,
        now,
        report,
        attempt=max(attempts) + 1,
        not_before=not_before,
        record=record,
    )


def pair_peers(s: Session, pair_id: str) -> list[Person]:
    """The peers of a pair, in their order."""
    rows = s.scalars(
        select(PersonRow)
        .join(PairMember)
        .where(PairMember.pair_id == pair_id)
        .order_by(PairMember.position)
    )
    return [person_of(r) for r in rows]


def book_meetings(rt: Runtime, now: datetime) -> Report:
    """Put planned meetings on calendars. Booking is keyed, so a retry after a crash finds the
    event it made before; where the calendar books by email, the invitation goes to the outbox."""
    report = Report("book")
    with rt.store.session() as s:
        planned = s.scalars(
            select(Meeting).where(Meeting.state == "planned").order_by(Meeting.id)
        ).all()
        bookings = [booking_of(rt, s, m) for m in planned]
    if not bookings:
        return report
    booked = {b.key: b for b in rt.providers.calendar.book(bookings)}
    crash_point("booked")
    by_mail = rt.books_by_mail
    with rt.store.session() as s:
        for booking in bookings:
            made = booked.get(booking.key)
            meeting = s.scalars(select(Meeting).where(Meeting.booking_key == booking.key)).one()
            if made is None or meeting.state != "planned":
                continue
            meeting.event_id, meeting.join_url, meeting.state, meeting.updated_at = (
                made.event_id,
                made.join_url,
                "booked",
                now,
            )
            pair = s.get_one(Pair, meeting.pair_id)
            pair.booking_problem = pair.booking_problem_at = None
            if by_mail:
                enqueue_invitation(rt, s, meeting, booking, now, method="REQUEST")
            names = " & ".join(a.name or a.email for a in booking.attendees)
            report.done.append(
                f"Booked: {names}, conversation {meeting.number}, {said_when(rt, booking.start)}"
            )
    return report


def booking_of(
    rt: Runtime, s: Session, meeting: Meeting, *, sequence: int | None = None
) -> Booking:
    peers = [
        person_of(r)
        for r in s.scalars(
            select(PersonRow)
            .join(PairMember)
            .where(PairMember.pair_id == meeting.pair_id)
            .order_by(PairMember.position)
        )
    ]
    names = " & ".join(p.display_name for p in peers)
    program = rt.program
    reply_to = reply_address(program.provider.mailbox, meeting.pair_id, rt.secret)
    assert meeting.starts_at is not None and meeting.ends_at is not None
    return Booking(
        key=meeting.booking_key,
        uid=meeting.uid,
        sequence=meeting.sequence if sequence is None else sequence,
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
    )


def enqueue_invitation(
    rt: Runtime, s: Session, meeting: Meeting, booking: Booking, now: datetime, *, method: str
) -> None:
    """An iMIP REQUEST (a new or moved meeting) or CANCEL into the outbox, keyed by the
    meeting and its SEQUENCE so that each version of the event is mailed once."""
    from scheduler.invites import invitation_mail
    from scheduler.render.kits import make_message_id

    cancel = method == "CANCEL"
    kind = "cancel" if cancel else "invite"
    key = f"{kind}:{meeting.booking_key}:{meeting.sequence}"
    subject = f"Cancelled: {booking.summary}" if cancel else booking.summary
    text = (
        "This conversation is cancelled and off your calendars." if cancel else booking.description
    )
    message_id = make_message_id(key, rt.program.provider.mailbox.rpartition("@")[2])
    message = invitation_mail(
        booking,
        method=method,
        message_id=message_id,
        subject=subject,
        text=text,
        html=None,
        sender_name=rt.program.program.name,
        date=now,
        join_url=None if cancel else meeting.join_url,
    )
    store_ops.enqueue_mail(
        s,
        key=key,
        message_id=message_id,
        kind=kind,
        pair_id=meeting.pair_id,
        recipients=[a.email for a in booking.attendees],
        subject=subject,
        raw=message.as_bytes(policy=SMTP),
        now=now,
    )


def kit_extra(calendar: Calendar) -> dict[str, object]:
    """What the launch kit says of the dates: on the calendars already, or coming as separate
    invitations to accept (a calendar that books by email)."""
    return {"booked": not getattr(calendar, "invites_by_mail", False)}


def send_launch_kits(rt: Runtime, now: datetime) -> Report:
    """One launch kit per pair, once its first meetings are booked."""
    report = Report("kits")
    extra = kit_extra(rt.providers.calendar)
    with rt.store.session() as s:
        sent = set(s.scalars(select(Outbox.pair_id).where(Outbox.kind == "launch_kit")))
        for pair, peers in _active_pairs(s):
            if pair.id in sent or not any(m.state == "booked" for m in upcoming(s, pair, now)):
                continue
            if notify(rt, s, pair, "launch_kit", f"kit:{pair.id}", extra, now):
                crash_point("kit")
                report.done.append(f"Launch kit: {' & '.join(p.display_name for p in peers)}")
    return report


UPCOMING = ("planned", "booked", "moved")


def upcoming(s: Session, pair: Pair, now: datetime) -> list[Meeting]:
    rows = s.scalars(
        select(Meeting)
        .where(Meeting.pair_id == pair.id, Meeting.state.in_(UPCOMING))
        .order_by(Meeting.number, Meeting.attempt)
    )
    return [m for m in rows if m.starts_at is None or m.starts_at > now]


def notify(
    rt: Runtime,
    s: Session,
    pair: Pair,
    kind: str,
    key: str,
    extra: dict[str, object],
    now: datetime,
) -> bool:
    """Send `kind` to the pair with its upcoming booked meetings listed; once per key."""
    peers = pair_peers(s, pair.id)
    views = [
        MeetingView(m.number, m.starts_at, m.join_url, m.odd_minutes)
        for m in upcoming(s, pair, now)
        if m.state in ("booked", "moved") and m.starts_at is not None
    ]
    context = pair_context(rt.program, pair.id, peers, views, rt.secret, pair.start_date)
    context.update(extra)
    mail = pair_mail(
        rt.kits,
        rt.program,
        kind=kind,
        key=key,
        context=context,
        peers=peers,
        now=now,
        reply_to=reply_address(rt.program.provider.mailbox, pair.id, rt.secret),
    )
    return store_ops.enqueue_mail(
        s,
        key=mail.key,
        message_id=mail.message_id,
        kind=mail.kind,
        pair_id=pair.id,
        recipients=mail.recipients,
        subject=mail.subject,
        raw=mail.raw,
        now=now,
    )
