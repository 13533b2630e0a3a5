"""The launch kit: one per pair, once its first meetings are booked; and one for a third who
joins a pair later, to them only."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import exists, or_, select, true

from scheduler.faults import crash_point
from scheduler.ports import Calendar
from scheduler.replies.address import person_tag
from scheduler.runtime import Report, Runtime
from scheduler.steps.outbox import queue_pair_mail
from scheduler.steps.queries import active_pairs, upcoming
from scheduler.store.models import Meeting, Outbox, Pair, PairMember


def kit_extra(calendar: Calendar) -> dict[str, object]:
    """What the launch kit says of the dates: on the calendars already, or coming as separate
    invitations to accept (a calendar that books by email)."""
    return {"booked": not calendar.invites_by_mail}


def send_launch_kits(
    rt: Runtime, now: datetime, *, pair_ids: Collection[str] | None = None
) -> Report:
    """One launch kit per pair, once its first meetings are booked; only to the pairs of
    `pair_ids` when given (a worker writes a batch of pairs per message)."""
    report = Report("kits")
    extra = kit_extra(rt.providers.calendar)
    with rt.store.session() as s:
        kits = select(Outbox.key, Outbox.created_at).where(
            Outbox.kind == "launch_kit",
            true() if pair_ids is None else Outbox.pair_id.in_(list(pair_ids)),
        )
        sent = {key: at for key, at in s.execute(kits)}
        joiners = s.execute(
            select(PairMember.pair_id, PairMember.email, PairMember.joined_at).where(
                PairMember.joined_at.is_not(None),
                PairMember.left_at.is_(None),
                true() if pair_ids is None else PairMember.pair_id.in_(list(pair_ids)),
            )
        ).all()
        came_later = {(pair_id, email): at for pair_id, email, at in joiners}
        for pair, peers in active_pairs(s, pair_ids):
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
                # (a pair's kit written meanwhile by another worker went to every peer)
                first = sent.get(f"kit:{pair.id}")
                if joined is None or key in sent or first is None or first > joined:
                    continue
                if queue_pair_mail(rt, s, pair, "launch_kit", key, extra, now, only=peer.email):
                    report.done.append(f"Launch kit: {peer.display_name}, joining a pair")
    return report


def pairs_owed_a_kit(rt: Runtime, now: datetime) -> list[str]:
    """The active pairs that may be owed a launch kit, in order: with a booked meeting to come
    and no kit yet, or with a peer who joined later (send_launch_kits decides for each)."""
    kit = exists().where(Outbox.pair_id == Pair.id, Outbox.kind == "launch_kit")
    joiner = exists().where(
        PairMember.pair_id == Pair.id,
        PairMember.joined_at.is_not(None),
        PairMember.left_at.is_(None),
    )
    booked = exists().where(
        Meeting.pair_id == Pair.id,
        Meeting.state == "booked",
        Meeting.starts_at.is_(None) | (Meeting.starts_at > now),
    )
    with rt.store.session() as s:
        return list(
            s.scalars(
                select(Pair.id)
                .where(Pair.state == "active", booked, or_(~kit, joiner))
                .order_by(Pair.id)
            )
        )
