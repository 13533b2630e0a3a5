"""A pair's lifecycle: pause, resume, end, skip and reschedule, whether a peer asked by email
or HR from the command line. Each action is keyed by its cause (the message or the command
that asked for it), so doing it again sends nothing new."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from email.policy import SMTP

from sqlalchemy import select
from sqlalchemy.orm import Session

from scheduler.core.planning import start_of_day
from scheduler.ports import Cancellation
from scheduler.render.kits import make_message_id
from scheduler.render.local_time import day_words
from scheduler.render.messages import meeting_shown as shown
from scheduler.render.messages import readers_of
from scheduler.steps.nudges import meeting_shown
from scheduler.steps.plan import (
    Report,
    Runtime,
    booking_of,
    enqueue_invitation,
    notify,
    pair_names,
    pair_peers,
    person_of,
    said_when,
    upcoming,
)
from scheduler.store import ops as store_ops
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
) -> str:
    """Carry out `command` on `pair` and return what was done, in words for the log."""
    by_name = _name(s, by)
    if pair.state == "ended":
        return f"{pair_names(s, pair.id)}: the pairing has ended, so {command} does nothing"
    if command == "pause":
        return _pause(rt, s, pair, until, by_name, cause, now)
    if command == "resume":
        return resume(rt, s, pair, by_name, cause, now)
    if command == "end":
        return _end(rt, s, pair, by_name, cause, now)
    if command in ("skip", "reschedule"):
        return _next_meeting(rt, s, pair, command, by_name, cause, now)
    raise ValueError(f"unknown command {command!r}")


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


def cancel_meetings(
    rt: Runtime, s: Session, meetings: Sequence[Meeting], reason: str, now: datetime
) -> None:
    """Take meetings off every calendar: through the calendar's API, or by an iCalendar
    CANCEL by email where the calendar books by email."""
    by_mail = rt.books_by_mail
    cancellations = []
    for meeting in meetings:
        was_booked = meeting.state in ("booked", "moved")
        meeting.state, meeting.updated_at = "cancelled", now
        if not was_booked or meeting.starts_at is None:
            continue
        meeting.sequence += 1
        booking = booking_of(rt, s, meeting)
        if by_mail:
            enqueue_invitation(rt, s, meeting, booking, now, method="CANCEL")
        else:
            cancellations.append(Cancellation(booking, reason))
    if cancellations:
        rt.providers.calendar.cancel(cancellations)


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
    cancel_meetings(rt, s, inside, "paused", now)
    words = day_words(until, rt.program.program.locale) if until else ""
    notify(
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
    pair.pending_notice = None
    cancel_meetings(rt, s, upcoming(s, pair, now), "ended", now)
    notify(
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
        about = _as_it_was(rt, s, pair, meeting.number, meeting.starts_at)
        cancel_meetings(rt, s, [meeting], command, now)
        done = (
            f"conversation {meeting.number} is skipped and off your calendars; "
            "the others stay as booked."
        )
        notify(
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
    """Move the meeting itself: same UID, a new time and a higher SEQUENCE, so calendars
    update the event they have (RFC 5546 3.2.2) rather than add a second one."""
    from scheduler.steps.plan import replan

    assert meeting.starts_at is not None
    next_day = meeting.starts_at.astimezone(rt.zone).date() + timedelta(days=1)
    another_day = start_of_day(next_day, rt.zone)
    slot = replan(rt, s, pair, meeting, not_before=another_day, now=now, record=False)
    was = said_when(rt, meeting.starts_at)
    if slot is None:
        near = day_words(meeting.starts_at.astimezone(rt.zone).date(), rt.program.program.locale)
        done = (
            f"no other time that suits you both was free near {near}, "
            f"so conversation {meeting.number} stays as booked."
        )
        notify(
            rt,
            s,
            pair,
            "confirmation",
            f"reschedule:{pair.id}:{cause}",
            {"by_name": by_name, "done": done, "about": None},
            now,
        )
        return f"{pair_names(s, pair.id)}: no other time for conversation {meeting.number} ({was})"
    meeting_was = meeting.starts_at
    meeting.starts_at, meeting.ends_at = slot.start, slot.end
    meeting.odd_minutes = {who: minutes for who, minutes in slot.odd_minutes.items() if minutes}
    meeting.sequence += 1
    meeting.state, meeting.updated_at = "planned", now
    done = f"conversation {meeting.number} has moved to a new time that suits you both."
    pair.pending_notice = {
        "kind": "confirmation",
        "key": f"reschedule:{pair.id}:{cause}",
        "by_name": by_name,
        "done": done,
        "was": meeting_was.isoformat(),  # the note, sent once the move is booked, shows it
        "was_number": str(meeting.number),
    }
    moved = f"{was} to {said_when(rt, slot.start)}"
    return f"Moving: {pair_names(s, pair.id)}, conversation {meeting.number}, {moved}"


def _tell_owner_of_end(
    rt: Runtime, s: Session, pair: Pair, by_name: str, cause: str, now: datetime
) -> None:
    from scheduler.render.kits import Rendered, build_email

    names = " and ".join(p.display_name for p in pair_peers(s, pair.id))
    who = f"{by_name} ended the pairing" if by_name else "The pairing was ended"
    day = day_words(now.astimezone(rt.zone).date(), rt.program.program.locale, year=True)
    text = f"{names}: {who} on {day}.\n\nNo reason is asked for or given.\n"
    html = (
        f"<p>{_escape(names)}: {_escape(who)} on {day}.</p><p>No reason is asked for or given.</p>"
    )
    key = f"owner-ended:{pair.id}:{cause}"
    mailbox = rt.program.provider.mailbox
    message_id = make_message_id(key, mailbox.rpartition("@")[2])
    message = build_email(
        Rendered(f"A pairing has ended: {names}", text, html),
        sender_name=rt.program.program.name,
        sender=mailbox,
        to=[("", rt.program.program.owner)],
        reply_to=mailbox,
        message_id=message_id,
        date=now,
    )
    store_ops.enqueue_mail(
        s,
        key=key,
        message_id=message_id,
        kind="owner_note",
        pair_id=pair.id,
        recipients=[rt.program.program.owner],
        subject=str(message["Subject"]),
        raw=message.as_bytes(policy=SMTP),
        now=now,
    )


def _name(s: Session, email: str | None) -> str:
    if email is None:
        return ""
    row = s.get(PersonRow, email)
    return person_of(row).display_name if row is not None else email


def _escape(text: str) -> str:
    from html import escape

    return escape(text)


def send_pending_notices(rt: Runtime, now: datetime) -> Report:
    """The emails owed once the meetings they list are booked: resumed, rescheduled, nudged."""
    report = Report("notices")
    with rt.store.session() as s:
        for pair in s.scalars(
            select(Pair).where(Pair.pending_notice.is_not(None)).order_by(Pair.id).with_for_update()
        ).all():
            notice = dict(pair.pending_notice or {})
            if not notice:
                continue  # JSON null: nothing is owed
            if any(m.state == "planned" for m in upcoming(s, pair, now)):
                continue  # booking still under way: the note waits for the dates
            kind, key = notice.pop("kind"), notice.pop("key")
            was, was_number = notice.pop("was", None), notice.pop("was_number", "0")
            extra: dict[str, object] = dict(notice)
            if kind == "confirmation":  # a move shows the time it had (older notes did not)
                extra["about"] = (
                    _as_it_was(rt, s, pair, int(was_number), datetime.fromisoformat(was))
                    if was is not None
                    else None
                )
            if kind == "nudge":
                skipped = s.get(Meeting, int(notice["skipped"]))
                peers = pair_peers(s, pair.id)
                readers = readers_of(peers, rt.program.program.locale)
                booked = [
                    m
                    for m in upcoming(s, pair, now)
                    if m.state == "booked" and m.number == getattr(skipped, "number", -1)
                ]
                extra = {
                    "skipped_meeting": meeting_shown(skipped, readers) if skipped else None,
                    "new_slot": meeting_shown(booked[0], readers, peers) if booked else None,
                    "booked": bool(booked) and not rt.books_by_mail,
                }
            notify(rt, s, pair, kind, key, extra, now)
            pair.pending_notice = None
            report.done.append(f"{_NOTICES.get(kind, kind)}: {pair_names(s, pair.id)}")
    return report


_NOTICES = {"resumed": "Resumed notice", "confirmation": "Confirmation", "nudge": "Nudge"}


def _as_it_was(
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
