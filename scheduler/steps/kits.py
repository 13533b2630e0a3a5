"""The launch kit: one per pair, once its first meetings are booked; and one for a third who
joins a pair later, to them only."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from scheduler.faults import crash_point
from scheduler.ports import Calendar
from scheduler.replies.address import person_tag
from scheduler.runtime import Report, Runtime
from scheduler.steps.outbox import queue_pair_mail
from scheduler.steps.queries import active_pairs, upcoming
from scheduler.store.models import Outbox, PairMember


def kit_extra(calendar: Calendar) -> dict[str, object]:
    """What the launch kit says of the dates: on the calendars already, or coming as separate
    invitations to accept (a calendar that books by email)."""
    return {"booked": not calendar.invites_by_mail}


def send_launch_kits(rt: Runtime, now: datetime) -> Report:
    """One launch kit per pair, once its first meetings are booked."""
    report = Report("kits")
    extra = kit_extra(rt.providers.calendar)
    with rt.store.session() as s:
        kits = select(Outbox.key, Outbox.created_at).where(Outbox.kind == "launch_kit")
        sent = {key: at for key, at in s.execute(kits)}
        joiners = s.execute(
            select(PairMember.pair_id, PairMember.email, PairMember.joined_at).where(
                PairMember.joined_at.is_not(None), PairMember.left_at.is_(None)
            )
        ).all()
        came_later = {(pair_id, email): at for pair_id, email, at in joiners}
        for pair, peers in active_pairs(s):
            if not any(m.state == "booked" for m in upcoming(s, pair, now)):
                continue
            key = f"kit:{pair.id}"
            if key not in sent and queue_pair_mail(rt, s, pair, "launch_kit", key, extra, now):
                crash_point("kit")
                report.done.append(f"Launch kit: {' & '.join(p.display_name for p in peers)}")
                continue
            for peer in peers:  # a third who joined after the kit gets one of their own
                joined = came_later.get((pair.id, peer.email))
                key = f"kit:{pair.id}:{person_tag(peer.email)}"
                if joined is None or key in sent or sent[f"kit:{pair.id}"] > joined:
                    continue
                if queue_pair_mail(rt, s, pair, "launch_kit", key, extra, now, only=peer.email):
                    report.done.append(f"Launch kit: {peer.display_name}, joining a pair")
    return report
