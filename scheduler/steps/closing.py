"""The end of the program (issue 10, item 4): the day after `program.end` (else the last
meeting of the cadence counted from the program's start), each pair still going gets a closing
email that thanks them and says they are welcome to keep meeting on their own; nothing more is
booked, dates after the end are cancelled, and the owner's last digest sums the program up."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from scheduler.program.rounds import program_end
from scheduler.runtime import Report, Runtime
from scheduler.steps.lifecycle import cancel_meetings
from scheduler.steps.outbox import queue_pair_mail
from scheduler.steps.queries import pair_names, upcoming
from scheduler.store.models import Meeting, Pair


def program_over(rt: Runtime, now: datetime) -> bool:
    """Whether the program's last day has passed."""
    return rt.today(now) > program_end(rt.program)


def close_program(rt: Runtime, now: datetime) -> Report:
    """Once the program is over: each active or paused pair ends, with thanks. Once per pair,
    whatever the number of cycles or processes."""
    report = Report("closing")
    if not program_over(rt, now):
        return report
    with rt.store.session() as s:
        pairs = s.scalars(
            select(Pair)
            .where(Pair.state.in_(("active", "paused")))
            .order_by(Pair.id)
            .with_for_update()
        ).all()
        for pair in pairs:
            held = s.scalar(
                select(func.count()).where(Meeting.pair_id == pair.id, Meeting.state == "held")
            )
            pair.state, pair.ended_at, pair.ended_why = "ended", now, "completed"
            pair.ended_reason, pair.pending_notice = "the program has ended", None
            cancel_meetings(upcoming(s, pair, now), now)
            extra: dict[str, object] = {"held": held or 0, "meetings": []}
            queue_pair_mail(rt, s, pair, "closing", f"closing:{pair.id}", extra, now)
            report.done.append(f"Closed: {pair_names(s, pair.id)}")
    return report
