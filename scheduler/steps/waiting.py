"""Who may be paired now, and who waits for a peer and why: one answer for the round, the
owner's digest, `tandem status` and `tandem explain` (issue 10)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from scheduler.core.consent import Standing, standing
from scheduler.program.rounds import RoundState, next_round_date, program_end
from scheduler.render.local_time import day_words
from scheduler.runtime import Runtime
from scheduler.store.models import Pair, PairMember, Round
from scheduler.store.models import Person as PersonRow

NEW = "free since the last round: paired at the next cycle"
NO_LEVEL = "no level is known (their title matches no line of levels:)"


@dataclass(frozen=True)
class Waiter:
    """Someone selected, free to be paired, and without a pair; `reason` says why."""

    email: str
    name: str
    reason: str


def standing_of(rt: Runtime, row: PersonRow, now: datetime) -> Standing:
    """Where a stored person stands under the program's consent rule on the day of `now`."""
    invited = row.invited_at.astimezone(rt.zone).date() if row.invited_at else None
    participants = rt.program.participants
    return standing(participants.consent, row.consent, invited, participants.notice, rt.today(now))


def in_pairs(s: Session) -> set[str]:
    """Everyone in a pair that is not over (paused pairs included)."""
    rows = s.scalars(
        select(PairMember.email)
        .join(Pair)
        .where(Pair.state != "ended", PairMember.left_at.is_(None))
    )
    return set(rows)


def free_to_pair(rt: Runtime, s: Session, now: datetime) -> list[PersonRow]:
    """People the next round may pair: in the directory, selected, with a level, not in a
    pair, and willing by the consent rule; none once the program has ended."""
    return [r for r in _without_a_pair(rt, s, now) if r.level is not None]


def _without_a_pair(rt: Runtime, s: Session, now: datetime) -> list[PersonRow]:
    if rt.today(now) > program_end(rt.program):
        return []
    taken = in_pairs(s)
    rows = s.scalars(
        select(PersonRow).where(PersonRow.removed_at.is_(None)).order_by(PersonRow.email)
    )
    return [
        r
        for r in rows
        if r.participating and r.email not in taken and standing_of(rt, r, now).may_pair
    ]


def last_round_reasons(s: Session) -> dict[str, str]:
    """Why each person the newest round left unpaired waits, by email."""
    newest = select(Round.waiting).order_by(Round.opened_at.desc(), Round.id.desc()).limit(1)
    return {e["email"]: e["reason"] for e in s.scalars(newest).first() or []}


def who_waits(rt: Runtime, s: Session, now: datetime, state: RoundState) -> list[Waiter]:
    """Everyone free to be paired, with why they have no peer yet: the newest round's reason,
    or, for someone who came after it, when they will be paired."""
    reasons = last_round_reasons(s)
    if rt.program.pairing.joiners == "now":
        later = NEW
    else:
        due = next_round_date(rt.program, state, rt.zone)
        later = "free since the last round: paired at the next round" + (
            f", on {day_words(due, rt.program.program.locale)}" if due else ""
        )
    return [
        Waiter(
            r.email,
            r.name or r.email,
            NO_LEVEL if r.level is None else reasons.get(r.email, later),
        )
        for r in _without_a_pair(rt, s, now)
    ]


def consent_counts(s: Session) -> dict[str, int]:
    """{invited (no answer yet), joined, declined, left} over the people in the directory."""
    rows = s.scalars(
        select(PersonRow.consent).where(
            PersonRow.removed_at.is_(None), PersonRow.consent.is_not(None)
        )
    )
    counted = Counter(rows)
    return {answer: counted.get(answer, 0) for answer in ("invited", "joined", "declined", "left")}


def stored_answers(s: Session) -> dict[str, tuple[str | None, datetime | None]]:
    """Each person's answer to the invitation and when they were invited, by email: what a
    preview needs to pair only those `tandem run` would pair."""
    rows = s.execute(select(PersonRow.email, PersonRow.consent, PersonRow.invited_at))
    return {email: (consent, invited) for email, consent, invited in rows}
