"""Who takes part and who meets whom: the directory synced into the store, and pairing
rounds for the people who wait. Both are idempotent steps of the cycle."""

from __future__ import annotations

import hashlib
from base64 import b32encode
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from scheduler.core.model import Person, add_span
from scheduler.core.pairing import PairingResult, PairingRules, pair_people
from scheduler.core.zone_overlap import zones_meet_rule
from scheduler.faults import crash_point
from scheduler.ports import CursorExpired, PersonRecord
from scheduler.program.participants import select_participants
from scheduler.program.roster import build_roster
from scheduler.program.schema import Program
from scheduler.render.local_time import day_words
from scheduler.runtime import Report, Runtime
from scheduler.steps.queries import person_of
from scheduler.store import ops as store_ops
from scheduler.store.leases import holder_name, take_lease
from scheduler.store.models import Pair, PairMember, Round
from scheduler.store.models import Person as PersonRow

ROUND_LEASE = timedelta(minutes=10)


def sync_people(rt: Runtime, now: datetime) -> Report:
    """Bring the people table in line with the directory; bad rows are skipped and counted.
    Insert-or-update, so two syncs at once agree (issue 13, defect 3). A complete read is the
    whole directory (everyone else has left); a delta changes only the people it names, and is
    checked together with everyone already known (managers, aliases)."""
    report = Report("sync")
    records = _directory(rt, report)
    roster = build_roster(records, rt.program.levels)
    people = _with_zones(rt, roster.people, report)
    chosen = {p.email for p in select_participants(people, rt.program.participants)}
    rows = [_person_row(person, now, participating=person.email in chosen) for person in people]
    with rt.store.session() as s:
        store_ops.upsert_people(s, rows, now=now)
        store_ops.mark_removed(s, {person.email for person in roster.people}, now=now)
    report.notes.append(f"{len(roster.people)} people in the directory, {len(chosen)} taking part")
    if roster.problems:
        skipped = len({(p.source, p.line) for p in roster.problems if p.skipped})
        report.problems.append(f"{skipped} directory row(s) skipped")
        report.problems += [str(p) for p in roster.problems[:20]]
    return report


def _with_zones(rt: Runtime, people: Sequence[Person], report: Report) -> list[Person]:
    """Everyone with a time zone. Where the directory has none (a cloud directory often has
    not), the person's calendar setting, else the program's zone; `timezone_from` keeps which,
    and the report says how many (issue 8, item 7). A zone found once is kept."""
    missing = [p.email for p in people if not p.timezone]
    if not missing:
        return list(people)
    with rt.store.session() as s:
        known = {
            row.email: row.timezone
            for row in s.scalars(select(PersonRow).where(PersonRow.email.in_(missing)))
            if row.attributes.get("timezone_from") == "calendar"
        }
    asked = [email for email in missing if email not in known]
    hours = rt.providers.calendar.working_hours(asked) if asked else {}
    found = {email: h.timezone for email, h in hours.items() if _valid_zone(h.timezone)}
    found.update(known)
    filled = []
    for person in people:
        if person.timezone:
            filled.append(person)
            continue
        source = "calendar" if person.email in found else "program"
        zone = found.get(person.email, rt.program.program.timezone)
        attributes = {**person.attributes, "timezone_from": source}
        filled.append(replace(person, timezone=zone, attributes=attributes))
    from_calendar = sum(1 for email in missing if email in found)
    report.notes.append(
        f"{len(missing)} without a time zone in the directory: {from_calendar} from their "
        f"calendars, {len(missing) - from_calendar} in the program's "
        f"({rt.program.program.timezone})"
    )
    return filled


def _valid_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ValueError, KeyError):  # ZoneInfoNotFoundError is a KeyError
        return False
    return bool(name)


def _directory(rt: Runtime, report: Report) -> list[PersonRecord]:
    """Every record of the directory as it stands now, from a complete read or a delta."""
    with rt.store.session() as s:
        cursor = store_ops.get_cursor(s, "directory")
    try:
        batch = rt.providers.directory.read(cursor)
    except CursorExpired as expired:
        report.notes.append(f"the directory's cursor expired ({expired}); read it whole")
        batch = rt.providers.directory.read(None)
    records = list(batch.records)
    if not batch.complete:
        changed = {r.fields.get("email", "").strip().lower() for r in records}
        gone = {email.strip().lower() for email in batch.removed} | changed
        with rt.store.session() as s:
            known = s.scalars(select(PersonRow).where(PersonRow.removed_at.is_(None))).all()
            records += [_record_of(row) for row in known if row.email not in gone]
    if batch.cursor is not None:
        with rt.store.session() as s:
            store_ops.set_cursor(s, "directory", batch.cursor)
    return records


def _record_of(row: PersonRow) -> PersonRecord:
    """A person as the directory gave them before, for checking a delta with everyone."""
    fields = {
        "email": row.email,
        "name": row.name,
        "title": row.title,
        "department": row.department,
        "level": "" if row.level is None else str(row.level),
        "manager_email": row.manager_email or "",
        "timezone": row.timezone,
        "aliases": ";".join(row.aliases),
        **row.attributes,
    }
    return PersonRecord("directory", 0, fields)


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


def round_state(s: Session) -> RoundState:
    count, last = s.execute(select(func.count(Round.id), func.max(Round.opened_at))).one()
    taken = frozenset(s.scalars(select(PairMember.email).join(Pair).where(Pair.state != "ended")))
    rows = s.execute(select(PersonRow.email, PersonRow.manager_email))
    managers = {email: manager for email, manager in rows}
    return RoundState(count + 1, last, taken, store_ops.partners_history(s), managers)


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
