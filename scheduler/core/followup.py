"""Meeting states -> what to do for a pair: close to them without hovering.

A meeting whose time passed with nobody declining counts as held; nobody is asked to prove it.
A meeting a peer moved is followed to its new time, unless it was moved out of its window (more
than a week from its target) and not back: then, once that time passes, it counts as skipped.
Skips in a row (declined, cancelled by the calendar) earn one gentle nudge; more of them put
the pair on the owner's list. A pair that meets again comes off that list.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

CONCLUDED = ("held", "skipped")
NUDGE_GAP = timedelta(days=7)


@dataclass(frozen=True, slots=True)
class MeetingRecord:
    number: int
    attempt: int
    state: str
    ends_at: datetime | None
    displaced: bool = False


@dataclass(frozen=True, slots=True)
class PairRecord:
    state: str
    skips_in_row: int
    last_nudge_at: datetime | None
    on_owner_list: bool


@dataclass(frozen=True, slots=True)
class FollowUp:
    """The decision for one pair: meetings now held, the skip count, and what to send."""

    held: tuple[tuple[int, int], ...]
    skipped: tuple[tuple[int, int], ...]
    skips_in_row: int
    nudge: bool
    tell_owner: bool
    off_owner_list: bool


def follow_up(
    pair: PairRecord,
    meetings: Sequence[MeetingRecord],
    *,
    now: datetime,
    nudge_after: int,
    tell_owner_after: int,
) -> FollowUp:
    """Decide for one pair.

    1. Booked meetings whose end has passed are held (skipped, if moved out of their window).
    2. Count the skips at the end of the concluded meetings, in the order they took place.
    3. A new skip (the count grew) at or past `nudge_after` earns a nudge, unless the owner is
       to be told instead, the pair is paused or ended, or a nudge went out in the last week.
    """
    passed = [
        m
        for m in meetings
        if m.state in ("booked", "moved") and m.ends_at is not None and m.ends_at <= now
    ]
    held = tuple((m.number, m.attempt) for m in passed if not m.displaced)
    skipped = tuple((m.number, m.attempt) for m in passed if m.displaced)
    states = {(m.number, m.attempt): m.state for m in meetings}
    states.update(dict.fromkeys(held, "held"))
    states.update(dict.fromkeys(skipped, "skipped"))
    ends = {
        (m.number, m.attempt): m.ends_at or datetime.min.replace(tzinfo=now.tzinfo)
        for m in meetings
    }
    in_time = sorted(states, key=lambda key: (ends[key], key))
    concluded = [states[key] for key in in_time if states[key] in CONCLUDED]
    skips = 0
    for state in reversed(concluded):
        if state != "skipped":
            break
        skips += 1
    active = pair.state == "active"
    new_skip = skips > pair.skips_in_row
    tell_owner = active and new_skip and skips >= tell_owner_after and not pair.on_owner_list
    recent = pair.last_nudge_at is not None and now - pair.last_nudge_at < NUDGE_GAP
    nudge = active and new_skip and nudge_after <= skips < tell_owner_after and not recent
    off_list = pair.on_owner_list and skips == 0 and bool(concluded)
    return FollowUp(held, skipped, skips, nudge, tell_owner, off_list)
