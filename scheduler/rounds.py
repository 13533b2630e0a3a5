"""Who takes part and who meets whom: the directory synced into the store, and pairing
rounds for the people who wait. Both are idempotent steps of the cycle."""

from __future__ import annotations

import hashlib
from base64 import b32encode
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from scheduler import store_ops
from scheduler.config_schema import Program
from scheduler.faults import crash_point
from scheduler.jobs import Report, Runtime, person_of
from scheduler.leases import holder_name, take_lease
from scheduler.local_time import day_words
from scheduler.model import Person, add_span
from scheduler.pairing import PairingRules, pair_people
from scheduler.participants import select_participants
from scheduler.roster import build_roster
from scheduler.store import Pair, PairMember, Round
from scheduler.store import Person as PersonRow

ROUND_LEASE = timedelta(minutes=10)


def sync_people(rt: Runtime, now: datetime) -> Report:
    """Bring the people table in line with the directory; bad rows are skipped and counted.
    Insert-or-update, so two syncs at once agree (issue 13, defect 3)."""
    report = Report("sync")
    roster = build_roster(rt.providers.directory.fetch_people(), rt.program.levels)
    chosen = {p.email for p in select_participants(roster.people, rt.program.participants)}
    rows = [
        _person_row(person, now, participating=person.email in chosen) for person in roster.people
    ]
    with rt.store.session() as s:
        store_ops.upsert_people(s, rows, now=now)
        store_ops.mark_removed(s, {person.email for person in roster.people}, now=now)
    report.notes.append(f"{len(roster.people)} people in the directory, {len(chosen)} taking part")
    if roster.problems:
        skipped = len({(p.source, p.line) for p in roster.problems if p.skipped})
        report.problems.append(f"{skipped} directory row(s) skipped")
        report.problems += [str(p) for p in roster.problems[:20]]
    return report


def _person_row(person: Person, now: datetime, *, participating: bool) -> dict[str, object]:
    return {
        "email": person.email,
        "name": person.name,
        "title": person.title,
        "department": person.department,
        "level": person.level,
        "manager_email": person.manager_email,
        "timezone": person.timezone,
        "aliases": list(person.aliases),
        "attributes": dict(person.attributes),
        "participating": participating,
        "last_seen": now,
        "removed_at": None,
    }


def pair_round(rt: Runtime, now: datetime, *, seed: int | None = None) -> Report:
    """Open a round for the people without a pair, when one is due: the first round at once,
    later ones every `rounds.every` while at least two people wait."""
    report = Report("round")
    holder = holder_name()
    with rt.store.session() as s:
        if not take_lease(s, "round", holder, ttl=ROUND_LEASE):
            report.notes.append("another worker is pairing")
            return report
    try:
        with rt.store.session() as s:
            _open_round(rt, s, now, seed, report)
    finally:
        with rt.store.session() as s:
            store_ops.release_lease(s, "round", holder)
    return report


def _open_round(rt: Runtime, s: Session, now: datetime, seed: int | None, report: Report) -> None:
    last = s.scalars(select(Round).order_by(Round.opened_at.desc()).limit(1)).first()
    today = rt.today(now)
    if last is not None and add_span(rt.today(last.opened_at), rt.program.rounds.every) > today:
        due = add_span(rt.today(last.opened_at), rt.program.rounds.every)
        report.notes.append(f"next round on {day_words(due, rt.program.program.locale)}")
        return
    taken = set(s.scalars(select(PairMember.email).join(Pair).where(Pair.state != "ended")))
    rows = s.scalars(select(PersonRow).where(PersonRow.removed_at.is_(None))).all()
    waiting = [
        person_of(r)
        for r in rows
        if r.participating and r.email not in taken and r.level is not None
    ]
    if len(waiting) < 2 and last is not None:
        report.notes.append(f"{len(waiting)} waiting for a peer: no round needed")
        return
    seed = seed if seed is not None else round_seed(now)
    result = pair_people(
        waiting,
        rules_of(rt.program),
        history=store_ops.partners_history(s),
        managers={r.email: r.manager_email for r in rows},
        seed=seed,
    )
    round_ = Round(opened_at=now, seed=seed, pairs_made=len(result.groups))
    round_.waiting = [{"email": u.email, "reason": u.reason} for u in result.unpaired]
    s.add(round_)
    s.flush()
    start = max(rt.program.program.start, today)
    for group in result.groups:
        pair_id = _pair_id(round_.id, group)
        s.add(
            Pair(id=pair_id, round_id=round_.id, start_date=start, state="active", created_at=now)
        )
        s.add_all(PairMember(pair_id=pair_id, email=e, position=i) for i, e in enumerate(group))
    crash_point("round")
    trios = f" ({result.trios} of them trios)" if result.trios else ""
    report.done.append(
        f"Round {round_.id}: {len(result.groups)} pairs{trios}, {len(result.unpaired)} waiting"
    )


def round_seed(now: datetime) -> int:
    """The seed of a round opened at `now`: 4 unsigned bytes, so up to 2**32 - 1."""
    return int.from_bytes(hashlib.sha256(now.isoformat().encode()).digest()[:4])


def _pair_id(round_id: int, group: Sequence[str]) -> str:
    digest = hashlib.sha256(f"{round_id}:{','.join(group)}".encode()).digest()
    return "p" + b32encode(digest).decode().lower()[:9]


def rules_of(program: Program) -> PairingRules:
    """The program file's pairing section as the pairing engine's rules."""
    r = program.pairing
    return PairingRules(
        r.level_tolerance,
        r.avoid_reporting_line,
        r.avoid_same_department,
        r.avoid_repeats,
        r.odd_one_out,
    )
