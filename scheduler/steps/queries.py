"""The reads every step shares: a pair's peers, its upcoming meetings, the active pairs."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from datetime import datetime

from sqlalchemy import bindparam, select, true
from sqlalchemy.orm import Session

from scheduler.core.model import Person
from scheduler.store.models import Meeting, Pair, PairMember
from scheduler.store.models import Person as PersonRow

UPCOMING = ("planned", "booked", "moved")
"""The states of a meeting that is still to come and on (or on its way to) the calendars."""


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


def pair_peers(s: Session, pair_id: str) -> list[Person]:
    """The peers of a pair, in their order; not those who left it."""
    return [person_of(r) for r in s.scalars(_PEERS, {"pair_id": pair_id})]


# built once and run with the pair as a parameter: a step asks for every pair in turn
_PEERS = (
    select(PersonRow)
    .join(PairMember)
    .where(PairMember.pair_id == bindparam("pair_id"), PairMember.left_at.is_(None))
    .order_by(PairMember.position)
)


def pair_names(s: Session, pair_id: str) -> str:
    """A pair as a report line names it: "Ana Lima & Bo Chen"."""
    return " & ".join(p.display_name for p in pair_peers(s, pair_id))


def upcoming(s: Session, pair: Pair, now: datetime) -> list[Meeting]:
    """The pair's meetings still to come, in order."""
    rows = s.scalars(_UPCOMING, {"pair_id": pair.id})
    return [m for m in rows if m.starts_at is None or m.starts_at > now]


_UPCOMING = (
    select(Meeting)
    .where(Meeting.pair_id == bindparam("pair_id"), Meeting.state.in_(UPCOMING))
    .order_by(Meeting.number, Meeting.attempt)
)


def active_pairs(
    s: Session, pair_ids: Collection[str] | None = None
) -> list[tuple[Pair, list[Person]]]:
    """Every active pair with its peers (only those of `pair_ids` when given), in two queries."""
    chosen = true() if pair_ids is None else Pair.id.in_(list(pair_ids))
    pairs = s.scalars(select(Pair).where(Pair.state == "active", chosen).order_by(Pair.id)).all()
    members: dict[str, list[Person]] = defaultdict(list)
    rows = s.execute(
        select(PairMember, PersonRow)
        .join(PersonRow)
        .where(
            PairMember.left_at.is_(None),
            true() if pair_ids is None else PairMember.pair_id.in_(list(pair_ids)),
        )
        .order_by(PairMember.position)
    )
    for member, person in rows:
        members[member.pair_id].append(person_of(person))
    return [(p, members[p.id]) for p in pairs]
