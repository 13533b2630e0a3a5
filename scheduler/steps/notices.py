"""The emails owed once the meetings they list are booked: resumed, rescheduled, nudged. A
step records what it owes on the pair (`pending_notice`); this step sends it when the
booking step has put the new dates on calendars."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import select, true

from scheduler.render.messages import readers_of
from scheduler.runtime import Report, Runtime
from scheduler.steps.lifecycle import as_it_was
from scheduler.steps.nudges import meeting_shown
from scheduler.steps.outbox import queue_pair_mail
from scheduler.steps.queries import pair_names, pair_peers, upcoming
from scheduler.store.models import Meeting, Pair


def send_pending_notices(
    rt: Runtime, now: datetime, *, pair_ids: Collection[str] | None = None
) -> Report:
    """The emails owed once the meetings they list are booked: resumed, rescheduled, nudged;
    only to the pairs of `pair_ids` when given (a worker writes a batch of pairs per message)."""
    report = Report("notices")
    chosen = true() if pair_ids is None else Pair.id.in_(list(pair_ids))
    with rt.store.session() as s:
        for pair in s.scalars(
            select(Pair)
            .where(Pair.pending_notice.is_not(None), chosen)
            .order_by(Pair.id)
            .with_for_update()
        ).all():
            notice = dict(pair.pending_notice or {})
            if not notice:
                continue  # JSON null: nothing is owed
            if any(m.state == "planned" or m.move for m in upcoming(s, pair, now)):
                continue  # a move or a booking under way: the note waits for the dates
            kind, key = notice.pop("kind"), notice.pop("key")
            was, was_number = notice.pop("was", None), notice.pop("was_number", "0")
            extra: dict[str, object] = dict(notice)
            if kind == "confirmation":  # a move shows the time it had (older notes did not)
                extra["about"] = (
                    as_it_was(rt, s, pair, int(was_number), datetime.fromisoformat(was))
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
                    "booked": bool(booked) and not rt.providers.calendar.invites_by_mail,
                }
            queue_pair_mail(rt, s, pair, kind, key, extra, now)
            pair.pending_notice = None
            report.done.append(f"{_NOTICES.get(kind, kind)}: {pair_names(s, pair.id)}")
    return report


def pairs_owed_a_notice(rt: Runtime) -> list[str]:
    """The pairs that owe a notice, in order (send_pending_notices sees whether it is due)."""
    with rt.store.session() as s:
        return list(
            s.scalars(select(Pair.id).where(Pair.pending_notice.is_not(None)).order_by(Pair.id))
        )


_NOTICES = {"resumed": "Resumed notice", "confirmation": "Confirmation", "nudge": "Nudge"}
