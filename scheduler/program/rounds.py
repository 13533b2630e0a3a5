"""The decisions of a pairing round that follow from the program file alone: its rules, its
seed, when its pairs start, their ids, and the pairs themselves given who waits. Pure: the
one decision `tandem run` and `tandem preview` share (issue 9, item 5)."""

from __future__ import annotations

import hashlib
from base64 import b32encode
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from scheduler.core.cadence import meeting_targets
from scheduler.core.model import Person, add_span
from scheduler.core.pairing import PairingResult, PairingRules, pair_people
from scheduler.core.zone_overlap import zones_meet_rule
from scheduler.program.schema import Program


@dataclass(frozen=True)
class RoundState:
    """What the next round depends on besides the people: which round it would be, when the
    last one opened, who is in a pair, who met whom, and everyone's manager so far."""

    number: int
    last_opened: datetime | None
    taken: frozenset[str]
    history: set[frozenset[str]]
    managers: dict[str, str | None]


EMPTY = RoundState(1, None, frozenset(), set(), {})


def next_round_date(program: Program, state: RoundState, zone: ZoneInfo) -> date | None:
    """The day the next round may open; None for the first round, which opens at once."""
    if state.last_opened is None:
        return None
    return add_span(state.last_opened.astimezone(zone).date(), program.rounds.every)


def decide_round(
    program: Program, waiting: Sequence[Person], state: RoundState, seed: int
) -> PairingResult:
    """The pairs of the next round: the one decision `tandem run` and `tandem preview` share,
    so that at the same moment they show the same pairs (issue 9, item 5)."""
    managers = {**state.managers, **{p.email: p.manager_email for p in waiting}}
    return pair_people(
        list(waiting), rules_of(program), history=state.history, managers=managers, seed=seed
    )


def program_seed(program: Program, number: int) -> int:
    """The default seed of round `number` of a program: fixed by the program and the round,
    never by the moment, so a preview and the run after it pair alike."""
    identity = f"{program.program.name}\n{program.program.start}\nround {number}"
    return int.from_bytes(hashlib.sha256(identity.encode()).digest()[:4])


def pairs_start(program: Program, today: date) -> date:
    """When the pairs of a round opened `today` start meeting."""
    return max(program.program.start, today)


def pair_id_of(number: int, group: Sequence[str]) -> str:
    """A pair's id, from its round's number and its members: the same in a preview."""
    digest = hashlib.sha256(f"{number}:{','.join(group)}".encode()).digest()
    return "p" + b32encode(digest).decode().lower()[:9]


def rules_of(program: Program) -> PairingRules:
    """The program file's pairing section as the pairing engine's rules, with the meetings'
    hours: people whose zones share no slot in them are not paired (issue 9, item 2)."""
    r, m = program.pairing, program.meetings
    return PairingRules(
        r.level_tolerance,
        r.avoid_reporting_line,
        r.avoid_same_department,
        r.avoid_repeats,
        r.odd_one_out,
        zones_meet_rule(
            hours=m.hours,
            days=m.days,
            length=m.length,
            stretch=m.stretch,
            start=program.program.start,
        ),
    )


def program_end(program: Program) -> date:
    """The program's last day: `program.end`, else the last meeting of the cadence counted
    from the program's start. No pair is made after it, and each pair still active then is
    closed (issue 10, item 4)."""
    if program.program.end is not None:
        return program.program.end
    return meeting_targets(program.program.start, program.cadence)[-1].target


def pair_end(program: Program, start: date) -> date:
    """The last day of a pair that started on `start`: its last meeting by the cadence, or the
    program's end when that comes first."""
    last = meeting_targets(start, program.cadence)[-1].target
    return min(last, program_end(program))
