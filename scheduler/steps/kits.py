"""The launch kit: one per pair, once its first meetings are booked."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from scheduler.faults import crash_point
from scheduler.ports import Calendar
from scheduler.runtime import Report, Runtime
from scheduler.steps.outbox import queue_pair_mail
from scheduler.steps.queries import active_pairs, upcoming
from scheduler.store.models import Outbox


def kit_extra(calendar: Calendar) -> dict[str, object]:
    """What the launch kit says of the dates: on the calendars already, or coming as separate
    invitations to accept (a calendar that books by email)."""
    return {"booked": not calendar.invites_by_mail}


def send_launch_kits(rt: Runtime, now: datetime) -> Report:
    """One launch kit per pair, once its first meetings are booked."""
    report = Report("kits")
    extra = kit_extra(rt.providers.calendar)
    with rt.store.session() as s:
        sent = set(s.scalars(select(Outbox.pair_id).where(Outbox.kind == "launch_kit")))
        for pair, peers in active_pairs(s):
            if pair.id in sent or not any(m.state == "booked" for m in upcoming(s, pair, now)):
                continue
            if queue_pair_mail(rt, s, pair, "launch_kit", f"kit:{pair.id}", extra, now):
                crash_point("kit")
                report.done.append(f"Launch kit: {' & '.join(p.display_name for p in peers)}")
    return report
