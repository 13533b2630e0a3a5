"""Where a pair's meeting goes: the one slot rule that `tandem run` books and `tandem preview`
shows, so the two can never disagree."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from scheduler.core.model import Interval, MeetingTarget, Person
from scheduler.core.slots import Availability, NoSlot, Slot, best_slot
from scheduler.program.schema import Meetings

LEAD_TIME = timedelta(hours=2)  # never book a meeting that starts sooner than this


def choose_slot(
    meetings: Meetings,
    target: date,
    peers: Sequence[Person],
    busy: Mapping[str, list[Interval]],
    *,
    zone: ZoneInfo,
    now: datetime,
    pair_start: date,
    previous: datetime | None,
    burden: Mapping[str, int],
    not_before: datetime | None = None,
) -> Slot | NoSlot:
    """The best slot near `target`: not within the lead time, never before the pair starts
    (a peer on holiday in the first week must not pull the first meeting before it), and not
    before `not_before` when a move asks for a later time."""
    earliest = max(now + LEAD_TIME, start_of_day(pair_start, zone), not_before or now)
    return best_slot(
        target,
        [Availability(p.email, p.timezone, busy.get(p.email, [])) for p in peers],
        length=meetings.length,
        days=meetings.days,
        hours=meetings.hours,
        not_before=earliest,
        previous=previous,
        burden=dict(burden),
        max_stretch=meetings.stretch,
    )


@dataclass(frozen=True)
class DueMeeting:
    """A meeting to plan, with what its pair looked like when it was read: when the pair
    started, its peers, its last meeting's time (for the rhythm) and its odd-hours ledger."""

    pair_id: str
    start: date
    peers: Sequence[Person]
    target: MeetingTarget
    previous: datetime | None
    ledger: Mapping[str, int]


def plan_slots(
    meetings: Meetings,
    due: Sequence[DueMeeting],
    busy: Mapping[str, list[Interval]],
    *,
    zone: ZoneInfo,
    now: datetime,
) -> list[tuple[DueMeeting, Slot | NoSlot]]:
    """A slot for each due meeting, in order: the one planning `tandem run` books and `tandem
    preview` shows. A chosen slot is busy for its peers afterwards, a pair's next meeting keeps
    the rhythm of the one before, and odd minutes add up on the pair's ledger."""
    taken = {email: list(intervals) for email, intervals in busy.items()}
    previous: dict[str, datetime | None] = {}
    ledgers: dict[str, dict[str, int]] = {}
    plans: list[tuple[DueMeeting, Slot | NoSlot]] = []
    for item in due:
        ledger = ledgers.setdefault(item.pair_id, dict(item.ledger))
        slot = choose_slot(
            meetings,
            item.target.target,
            item.peers,
            taken,
            zone=zone,
            now=now,
            pair_start=item.start,
            previous=previous.get(item.pair_id, item.previous),
            burden=ledger,
        )
        plans.append((item, slot))
        if isinstance(slot, NoSlot):
            continue
        previous[item.pair_id] = slot.start
        for email, minutes in slot.odd_minutes.items():
            ledger[email] = ledger.get(email, 0) + minutes
        for peer in item.peers:
            taken.setdefault(peer.email, []).append(Interval(slot.start, slot.end))
    return plans


def window_of(due: Sequence[DueMeeting], zone: ZoneInfo) -> Interval:
    """The stretch of calendars to read for all of `due`."""
    return busy_window(min(d.target.target for d in due), max(d.target.target for d in due), zone)


def busy_window(first: date, last: date, zone: ZoneInfo) -> Interval:
    """The stretch of calendars to read for targets from `first` to `last`: a slot may fall
    a week either side of its target."""
    return Interval(
        start_of_day(first - timedelta(days=8), zone), start_of_day(last + timedelta(days=9), zone)
    )


def start_of_day(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(), zone)
