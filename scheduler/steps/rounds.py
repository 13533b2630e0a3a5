"""Who meets whom: pairing rounds for the people who wait, each opened once however many
processes try at the same moment (a lease), and the guard against a first run on the wrong
store."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from scheduler.faults import crash_point
from scheduler.program.rounds import (
    RoundState,
    decide_round,
    next_round_date,
    pair_id_of,
    pairs_start,
    program_seed,
)
from scheduler.render.local_time import day_words
from scheduler.runtime import Report, Runtime
from scheduler.steps.queries import person_of
from scheduler.store import ops as store_ops
from scheduler.store.leases import holder_name, take_lease
from scheduler.store.models import Pair, PairMember, Round
from scheduler.store.models import Person as PersonRow

ROUND_LEASE = timedelta(minutes=10)


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
    state = round_state(s)
    today = rt.today(now)
    due = next_round_date(rt.program, state, rt.zone)
    if due is not None and due > today:
        report.notes.append(f"next round on {day_words(due, rt.program.program.locale)}")
        return
    rows = s.scalars(select(PersonRow).where(PersonRow.removed_at.is_(None))).all()
    waiting = [
        person_of(r)
        for r in rows
        if r.participating and r.email not in state.taken and r.level is not None
    ]
    if len(waiting) < 2 and state.number > 1:
        report.notes.append(f"{len(waiting)} waiting for a peer: no round needed")
        return
    if seed is None:
        seed = (
            rt.round_seed if rt.round_seed is not None else program_seed(rt.program, state.number)
        )
    result = decide_round(rt.program, waiting, state, seed)
    round_ = Round(opened_at=now, seed=seed, pairs_made=len(result.groups))
    round_.waiting = [{"email": u.email, "reason": u.reason} for u in result.unpaired]
    s.add(round_)
    s.flush()
    start = pairs_start(rt.program, today)
    for group in result.groups:
        pair_id = pair_id_of(state.number, group)
        s.add(
            Pair(id=pair_id, round_id=round_.id, start_date=start, state="active", created_at=now)
        )
        s.add_all(PairMember(pair_id=pair_id, email=e, position=i) for i, e in enumerate(group))
    crash_point("round")
    trios = f" ({result.trios} of them trios)" if result.trios else ""
    report.done.append(
        f"Round {state.number}: {len(result.groups)} pairs{trios}, {len(result.unpaired)} waiting"
    )


def round_state(s: Session) -> RoundState:
    count, last = s.execute(select(func.count(Round.id), func.max(Round.opened_at))).one()
    taken = frozenset(s.scalars(select(PairMember.email).join(Pair).where(Pair.state != "ended")))
    rows = s.execute(select(PersonRow.email, PersonRow.manager_email))
    managers = {email: manager for email, manager in rows}
    return RoundState(count + 1, last, taken, store_ops.partners_history(s), managers)


def check_first_run(rt: Runtime, now: datetime, *, first_run: bool) -> str | None:
    """Why a cycle must not start, or None. An empty default store for a program whose start
    has passed is most likely the wrong store (a command run from another folder, a lost
    file): pairing everyone again would send every launch kit twice. So it takes --first-run,
    or a database configured on purpose (issue 9, item 1)."""
    start = rt.program.program.start
    if first_run or rt.database_configured or start >= rt.today(now):
        return None
    with rt.store.session() as s:
        if s.scalar(select(Round.id).limit(1)) is not None:
            return None
    where = rt.store.engine.url.render_as_string(hide_password=True)
    return (
        f"the store {where} is empty, but {rt.program.program.name} started on {start}. "
        "If the program ran before, its state is elsewhere: by default tandem.db beside the "
        "program file, or the database TANDEM_DATABASE_URL names. If this really is its first "
        "run, run again with --first-run: everyone is paired and emailed now."
    )
