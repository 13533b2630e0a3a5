"""`tandem preview`: a dry run that shows what `tandem run` would do at the same moment, and
writes it into one folder. It writes nothing anywhere else and sends nothing.

It takes every decision with the very functions `run` uses: the round's people and seed
(`program.rounds.decide_round`), the slots (`planning.plan_slots`) and the emails
(`messages.pair_context`, `jobs.kit_extra`); it reads the program's store, if there is one,
without changing it, so a preview of a running program pairs only the people who wait.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from scheduler.core.cadence import meeting_targets, next_to_book
from scheduler.core.consent import asks_first, standing
from scheduler.core.model import Person
from scheduler.core.planning import DueMeeting, plan_slots, window_of
from scheduler.core.slots import NoSlot, Slot
from scheduler.ports import Calendar
from scheduler.program.participants import select_participants
from scheduler.program.roster import Roster
from scheduler.program.rounds import (
    RoundState,
    decide_round,
    next_round_date,
    pair_id_of,
    pairs_start,
    program_seed,
)
from scheduler.program.schema import Program
from scheduler.render.kits import Kits
from scheduler.render.labels import readable_name
from scheduler.render.messages import MeetingView, pair_context, pair_mail
from scheduler.replies.address import reply_address
from scheduler.steps.kits import kit_extra


@dataclass(frozen=True)
class PreviewSettings:
    """What a preview runs with: the moment, the seed (None: the program's own for the
    round), the program's store as it is now, and its reply-address key if it has one."""

    now: datetime
    seed: int | None
    state: RoundState
    secret: bytes | None
    answers: Mapping[str, tuple[str | None, datetime | None]] = field(default_factory=dict)


PLACEHOLDER_SECRET = b"preview: the program has no reply-address key yet"


def write_preview(
    program: Program, roster: Roster, calendar: Calendar, out: Path, settings: PreviewSettings
) -> list[str]:
    """Write pairs.csv, plan.csv and one folder per pair with its launch kit; return a summary."""
    zone = ZoneInfo(program.program.timezone)
    today = settings.now.astimezone(zone).date()
    due_on = next_round_date(program, settings.state, zone)
    out.mkdir(parents=True, exist_ok=True)
    if due_on is not None and due_on > today:
        return [f"no round is due until {due_on}: `tandem run` would pair nobody now"]
    consent = program.participants
    if asks_first(consent.consent) and today < program.program.start:
        return [f"pairs are made from {program.program.start}: `tandem run` would pair nobody now"]
    people = [
        p
        for p in select_participants(roster.people, program.participants)
        if p.email not in settings.state.taken
        and p.level is not None
        and _willing(p.email, program, settings, zone, today)
    ]
    if asks_first(consent.consent) and not people:
        return [
            f"participants.consent is {consent.consent}: nobody may be paired yet "
            "(invitations go out first); `tandem run` would pair nobody now"
        ]
    number = settings.state.number
    seed = settings.seed if settings.seed is not None else program_seed(program, number)
    result = decide_round(program, people, settings.state, seed)
    by_email = {p.email: p for p in people}
    start = pairs_start(program, today)
    targets = next_to_book(
        meeting_targets(start, program.cadence), set(), today, program.meetings.book_ahead
    )
    due = [
        DueMeeting(pair_id_of(number, group), start, [by_email[e] for e in group], t, None, {})
        for group in result.groups
        for t in targets
    ]
    plans: list[tuple[DueMeeting, Slot | NoSlot]] = []
    if due:
        emails = sorted({p.email for item in due for p in item.peers})
        busy = calendar.busy(emails, window_of(due, zone))
        plans = plan_slots(program.meetings, due, busy, zone=zone, now=settings.now)
    kits = Kits(program.templates)
    secret = settings.secret or PLACEHOLDER_SECRET
    for index, group in enumerate(result.groups, start=1):
        pair_id = pair_id_of(number, group)
        views = [
            MeetingView(item.target.number, slot.start, None, slot.odd_minutes)
            for item, slot in plans
            if item.pair_id == pair_id and isinstance(slot, Slot)
        ]
        peers = [by_email[e] for e in group]
        _write_pair(out, index, pair_id, peers, program, kits, views, calendar, settings, secret)
    _write_csv(
        out / "pairs.csv",
        ["pair", "email", "reason"],
        [[str(n), e, ""] for n, g in enumerate(result.groups, start=1) for e in g]
        + [["", u.email, u.reason] for u in result.unpaired],
    )
    numbers = {pair_id_of(number, g): n for n, g in enumerate(result.groups, start=1)}
    _write_csv(out / "plan.csv", PLAN_COLUMNS, [_plan_row(numbers, i, s) for i, s in plans])
    lines = [
        f"round {number} (seed {seed}): {len(result.groups)} groups ({result.trios} trios), "
        f"{len(result.unpaired)} waiting",
        f"plan of the first {len(targets)} meeting(s) of each pair in {out / 'plan.csv'}",
        f"each pair's launch kit in {out}/pair-NNN <names>/",
    ]
    if settings.secret is None:
        lines.append("reply addresses are placeholders: the program has no reply-address key yet")
    return lines


def _willing(
    email: str, program: Program, settings: PreviewSettings, zone: ZoneInfo, today: date
) -> bool:
    """Whether `tandem run` may pair this person today, by the consent rule and what the
    store holds of their answer (nobody asked yet: not before their invitation's notice)."""
    answer, invited = settings.answers.get(email, (None, None))
    invited_on = invited.astimezone(zone).date() if invited else None
    rules = program.participants
    return standing(rules.consent, answer, invited_on, rules.notice, today).may_pair  # type: ignore[arg-type]


PLAN_COLUMNS = ["pair", "meeting", "target", "start_utc", "outside_hours", "problem"]


def _plan_row(numbers: dict[str, int], item: DueMeeting, slot: Slot | NoSlot) -> list[str]:
    base = [str(numbers[item.pair_id]), str(item.target.number), str(item.target.target)]
    if isinstance(slot, NoSlot):
        return [*base, "", "", slot.reason]
    odd = "; ".join(f"{who}: {minutes} min" for who, minutes in slot.odd_minutes.items() if minutes)
    return [*base, slot.start.isoformat(), odd, ""]


def _write_pair(
    out: Path,
    number: int,
    pair_id: str,
    peers: list[Person],
    program: Program,
    kits: Kits,
    views: list[MeetingView],
    calendar: Calendar,
    settings: PreviewSettings,
    secret: bytes,
) -> None:
    names = " & ".join(p.display_name for p in peers)
    folder = out / readable_name(f"pair-{number:03d} {names}", fallback=f"pair-{number:03d}")
    folder.mkdir(exist_ok=True)
    start = pairs_start(program, settings.now.astimezone(ZoneInfo(program.program.timezone)).date())
    context = pair_context(program, pair_id, peers, views, secret, start)
    context.update(kit_extra(calendar))
    rendered = kits.render("launch_kit", context)
    (folder / "launch_kit.txt").write_text(
        f"Subject: {rendered.subject}\n\n{rendered.text}", encoding="utf-8"
    )
    (folder / "launch_kit.html").write_text(rendered.html, encoding="utf-8")
    mail = pair_mail(
        kits,
        program,
        kind="launch_kit",
        key=f"kit:{pair_id}",
        context=context,
        peers=peers,
        now=settings.now,
        reply_to=reply_address(program.provider.mailbox, pair_id, secret),
    )
    (folder / "launch_kit.eml").write_bytes(mail.raw)


def _write_csv(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
