"""People who leave a pair (issue 10, item 2): someone gone from the directory, no longer
selected by `participants`, or who said "leave"; and pairs a new manager has put into one
reporting line. Nothing here calls a provider: calendar changes are marked on the meetings and
made by the booking step.

- In a pair of two, the pairing ends: its future meetings are cancelled, the partner gets a
  short kind note and waits to be paired again (at the next cycle, see rounds).
- In a trio, the other two carry on: each future event is written again without the one who
  left, which takes it off their calendar.
- Two members in one reporting line: the pairing ends for both, with a note that says why and
  blames nobody, and both are paired again (never with each other: they have met).
Nothing is counted as held after someone left: their pair's later meetings are cancelled, or
held by the two who stay.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from scheduler.core.joiners import ReportingLines
from scheduler.core.model import Person
from scheduler.program.rounds import rules_of
from scheduler.render.messages import first_name
from scheduler.replies.address import person_tag
from scheduler.runtime import Report, Runtime
from scheduler.steps.lifecycle import cancel_meetings
from scheduler.steps.outbox import queue_pair_mail
from scheduler.steps.queries import pair_names, pair_peers, person_of, upcoming
from scheduler.store.models import Pair, PairMember
from scheduler.store.models import Person as PersonRow

REPORTING_LINE = (
    "one of you now reports to the other, and the program pairs people outside their reporting line"
)


def see_departures(rt: Runtime, now: datetime) -> Report:
    """Take out of their pairs the people who left, and end the pairs a reporting line now
    joins. Runs before pairing, so the partners left alone are paired in the same cycle.
    Every open pair and its members are read at once; only a pair that has something to
    change is locked and read again, so a cycle with no departures locks nothing."""
    report = Report("departures")
    with rt.store.session() as s:
        rows = {row.email: row for row in s.scalars(select(PersonRow))}
        managers = {email: row.manager_email for email, row in rows.items()}
        lines = ReportingLines(rules_of(rt.program).avoid_reporting_line, managers)
        for pair_id, members in _open_pairs(s, rows).items():
            gone = [email for email in members if _gone(rows[email])]
            if not gone and not lines.any_together(members):
                continue
            pair = s.get(Pair, pair_id, with_for_update=True)
            if pair is None or _ended(pair):
                continue  # another run ended it meanwhile
            for email in gone:
                report.done.append(leave_pair(rt, s, pair, email, now))
            if _ended(pair):
                continue
            if lines.any_together([peer.email for peer in pair_peers(s, pair.id)]):
                report.done.append(end_for_reporting_line(rt, s, pair, now))
    return report


def _ended(pair: Pair) -> bool:
    return pair.state == "ended"


def _open_pairs(s: Session, rows: dict[str, PersonRow]) -> dict[str, list[str]]:
    """The members still in each pair that has not ended, by pair id, in order."""
    members: dict[str, list[str]] = {}
    found = s.execute(
        select(PairMember.pair_id, PairMember.email)
        .join(Pair)
        .where(Pair.state != "ended", PairMember.left_at.is_(None))
        .order_by(PairMember.pair_id, PairMember.position)
    )
    for pair_id, email in found:
        if email in rows:
            members.setdefault(pair_id, []).append(email)
    return members


def _gone(row: PersonRow) -> bool:
    """Whether a member may no longer be in a pair: gone from the directory, no longer
    selected, or out by their own word."""
    out_by_word = row.consent in ("left", "declined")
    return row.removed_at is not None or not row.participating or out_by_word


def leave_pair(rt: Runtime, s: Session, pair: Pair, email: str, now: datetime) -> str:
    """`email` leaves `pair`; returns what was done, for the log. Once only: a second call
    finds them gone and does nothing."""
    member = s.get(PairMember, (pair.id, email))
    if member is None or member.left_at is not None or pair.state == "ended":
        return f"{pair.id}: {email} is not in it any more"
    row = s.get_one(PersonRow, email)
    leaver = person_of(row)
    member.left_at = now
    staying = pair_peers(s, pair.id)
    if len(staying) >= 2:
        return _carry_on(rt, s, pair, leaver, now)
    pair.state, pair.ended_at, pair.ended_why = "ended", now, "left"
    pair.ended_reason = "a member no longer takes part"
    pair.pending_notice = None
    cancel_meetings(upcoming(s, pair, now), now)
    reason = f"{first_name(leaver)} is no longer taking part in {rt.program.program.name}"
    key = f"left:{pair.id}:{person_tag(email)}"
    queue_pair_mail(rt, s, pair, "ended", key, {"by_name": "", "reason": reason}, now)
    return f"Left: {leaver.display_name}; {pair_names(s, pair.id)} waits for a new peer"


def _carry_on(rt: Runtime, s: Session, pair: Pair, leaver: Person, now: datetime) -> str:
    """A trio goes on as a pair: each future event is written again for the two, and taken
    off the calendar of the one who left."""
    for meeting in upcoming(s, pair, now):
        if meeting.state in ("booked", "moved") and meeting.starts_at is not None:
            meeting.state, meeting.updated_at, meeting.move = "planned", now, None
            meeting.sequence += 1
            meeting.removed_attendees = [*(meeting.removed_attendees or []), leaver.email]
    done = (
        f"{first_name(leaver)} is no longer taking part, so your conversations carry on with "
        "the two of you; the dates stay as they are."
    )
    key = f"left:{pair.id}:{person_tag(leaver.email)}"
    extra: dict[str, object] = {"by_name": "", "done": done, "about": None}
    queue_pair_mail(rt, s, pair, "confirmation", key, extra, now)
    return f"Left: {leaver.display_name}; {pair_names(s, pair.id)} carry on as two"


def end_for_reporting_line(rt: Runtime, s: Session, pair: Pair, now: datetime) -> str:
    """A new manager puts two members into one reporting line: the pairing ends for all,
    kindly, and each waits to be paired again."""
    names = pair_names(s, pair.id)
    pair.state, pair.ended_at, pair.ended_why = "ended", now, "reporting_line"
    pair.ended_reason = "two members are now in one reporting line"
    pair.pending_notice = None
    cancel_meetings(upcoming(s, pair, now), now)
    extra: dict[str, object] = {"by_name": "", "reason": REPORTING_LINE}
    queue_pair_mail(rt, s, pair, "ended", f"reporting-line:{pair.id}", extra, now)
    return f"Ended, now in one reporting line: {names}"
