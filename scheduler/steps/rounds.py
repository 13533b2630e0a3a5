"""Who meets whom: pairing rounds for the people who wait, each opened once however many
processes try at the same moment (a lease), and the guard against a first run on the wrong
store."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from scheduler.core.consent import asks_first
from scheduler.core.joiners import third_for
from scheduler.core.model import Person
from scheduler.faults import crash_point
from scheduler.program.rounds import (
    RoundState,
    decide_round,
    next_round_date,
    pair_id_of,
    pairs_start,
    program_end,
    program_seed,
    rules_of,
)
from scheduler.render.local_time import day_words
from scheduler.render.messages import first_name
from scheduler.replies.address import person_tag
from scheduler.runtime import Report, Runtime
from scheduler.steps.outbox import queue_pair_mail
from scheduler.steps.queries import active_pairs, pair_names, person_of, upcoming
from scheduler.steps.waiting import free_to_pair, last_round_reasons
from scheduler.store import ops as store_ops
from scheduler.store.leases import hold_lease, holder_name, let_go
from scheduler.store.models import Pair, PairMember, Round
from scheduler.store.models import Person as PersonRow

ROUND_LEASE = timedelta(minutes=10)


def pair_round(rt: Runtime, now: datetime, *, seed: int | None = None) -> Report:
    """Open a round for the people without a pair, when one is due: the first round at once,
    later ones every `rounds.every` while at least two people wait."""
    report = Report("round")
    holder = holder_name()
    if not hold_lease(rt.store, "round", holder, ttl=ROUND_LEASE):
        report.notes.append("another worker is pairing")
        return report
    try:
        with rt.store.session() as s:
            _open_round(rt, s, now, seed, report)
    finally:
        let_go(rt.store, "round", holder)
    return report


def _open_round(rt: Runtime, s: Session, now: datetime, seed: int | None, report: Report) -> None:
    """A round opens when one is due (the first at once, then every `rounds.every`), or, with
    `pairing.joiners: now`, at the first cycle after someone new is free to be paired (issue
    10, item 1). A lone person may join a pair as its third when `odd_one_out: trio`."""
    state = round_state(s)
    today = rt.today(now)
    details = rt.program.program
    if today > program_end(rt.program):
        report.notes.append("the program has ended: no more pairs are made")
        return
    if asks_first(rt.program.participants.consent) and today < details.start:
        report.notes.append(f"pairs are made from {day_words(details.start, details.locale)}")
        return
    waiting = [person_of(r) for r in free_to_pair(rt, s, now)]
    due = next_round_date(rt.program, state, rt.zone)
    if due is not None and due > today:
        known = last_round_reasons(s)
        newcomers = [p for p in waiting if p.email not in known]
        if rt.program.pairing.joiners != "now" or not newcomers:
            report.notes.append(f"next round on {day_words(due, details.locale)}")
            return
    if not waiting:
        report.notes.append("nobody waits for a peer: no round needed")
        return
    if len(waiting) == 1 and state.number > 1:
        _one_waits(rt, s, waiting[0], state, now, report)
        return
    if seed is None:
        seed = (
            rt.round_seed if rt.round_seed is not None else program_seed(rt.program, state.number)
        )
    result = decide_round(rt.program, waiting, state, seed)
    unpaired = [(u.email, u.reason) for u in result.unpaired]
    round_id = _record_round(s, now, seed, len(result.groups), unpaired)
    start = pairs_start(rt.program, today)
    for group in result.groups:
        pair_id = pair_id_of(state.number, group)
        s.add(Pair(id=pair_id, round_id=round_id, start_date=start, state="active", created_at=now))
        s.add_all(PairMember(pair_id=pair_id, email=e, position=i) for i, e in enumerate(group))
    if state.number > 1:  # later rounds: whom nobody fits may join a pair as its third
        s.flush()
        for left_out in result.unpaired:
            lone = next(p for p in waiting if p.email == left_out.email)
            joined = _join_as_third(rt, s, lone, state, seed, now)
            if joined is not None:
                report.done.append(joined)
    crash_point("round")
    trios = f" ({result.trios} of them trios)" if result.trios else ""
    report.done.append(
        f"Round {state.number}: {len(result.groups)} pairs{trios}, {len(result.unpaired)} waiting"
    )


def _record_round(
    s: Session, now: datetime, seed: int, pairs_made: int, waiting: list[tuple[str, str]]
) -> int:
    round_ = Round(opened_at=now, seed=seed, pairs_made=pairs_made)
    round_.waiting = [{"email": email, "reason": reason} for email, reason in waiting]
    s.add(round_)
    s.flush()
    return round_.id


def _one_waits(
    rt: Runtime, s: Session, lone: Person, state: RoundState, now: datetime, report: Report
) -> None:
    """Nobody else waits: the one who does joins a pair that fits as its third (`odd_one_out:
    trio`), or waits with the reason, recorded once."""
    known = last_round_reasons(s)
    seed = program_seed(rt.program, state.number)
    joined = _join_as_third(rt, s, lone, state, seed, now)
    if joined is not None:
        report.done.append(joined)
        return
    if lone.email in known:
        report.notes.append("1 waiting for a peer: no round needed")
        return
    if rt.program.pairing.odd_one_out == "trio":
        reason = "nobody else waits, and no pair fits a third under the pairing rules"
    else:
        reason = "nobody else waits for a peer yet"
    _record_round(s, now, seed, 0, [(lone.email, reason)])
    report.done.append(f"Round {state.number}: 0 pairs, 1 waiting")


def _join_as_third(
    rt: Runtime, s: Session, joiner: Person, state: RoundState, seed: int, now: datetime
) -> str | None:
    """`joiner` joins a pair of two that fits as its third: their booked dates are written
    again with three attendees, the two get a note, the joiner their launch kit (kits step)."""
    if rt.program.pairing.odd_one_out != "trio":
        return None
    twos = [(pair.id, peers) for pair, peers in active_pairs(s) if len(peers) == 2]
    managers = {**state.managers, joiner.email: joiner.manager_email}
    pair_id = third_for(
        joiner, twos, rules_of(rt.program), history=state.history, managers=managers, seed=seed
    )
    if pair_id is None:
        return None
    pair = s.get_one(Pair, pair_id, with_for_update=True)
    positions = s.scalars(select(PairMember.position).where(PairMember.pair_id == pair_id))
    s.add(
        PairMember(pair_id=pair_id, email=joiner.email, position=max(positions) + 1, joined_at=now)
    )
    s.flush()
    for meeting in upcoming(s, pair, now):
        if meeting.state in ("booked", "moved") and meeting.starts_at is not None:
            meeting.state, meeting.updated_at, meeting.move = "planned", now, None
            meeting.sequence += 1
    done = (
        f"{first_name(joiner)} joins your conversations as a third, from the next one on; "
        "the dates stay as they are."
    )
    extra: dict[str, object] = {"by_name": "", "done": done, "about": None}
    key = f"joined:{pair_id}:{person_tag(joiner.email)}"
    queue_pair_mail(rt, s, pair, "confirmation", key, extra, now)
    return f"Joined as a third: {pair_names(s, pair_id)}"


def round_state(s: Session) -> RoundState:
    count, last = s.execute(select(func.count(Round.id), func.max(Round.opened_at))).one()
    taken = frozenset(
        s.scalars(
            select(PairMember.email)
            .join(Pair)
            .where(Pair.state != "ended", PairMember.left_at.is_(None))
        )
    )
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
