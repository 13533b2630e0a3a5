"""`tandem preview`: a dry run that reads, pairs, plans and renders what `tandem run` would
send, and writes it into one folder. It writes nothing anywhere else and sends nothing."""

from __future__ import annotations

import csv
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from scheduler.cadence import meeting_targets
from scheduler.config_schema import Program
from scheduler.kits import Kits
from scheduler.mail_labels import readable_name
from scheduler.messages import MeetingView, pair_context, pair_mail
from scheduler.model import Person
from scheduler.pairing import pair_people
from scheduler.participants import select_participants
from scheduler.planning import busy_window, choose_slot
from scheduler.ports import Calendar
from scheduler.reply_address import reply_address
from scheduler.roster import Roster
from scheduler.rounds import rules_of
from scheduler.slots import NoSlot


def write_preview(
    program: Program,
    roster: Roster,
    calendar: Calendar,
    out: Path,
    *,
    now: datetime,
    seed: int,
    secret: bytes,
) -> list[str]:
    """Write pairs.csv, plan.csv and one folder per pair with its launch kit; return a summary."""
    people = select_participants(roster.people, program.participants)
    managers = {p.email: p.manager_email for p in roster.people}
    result = pair_people(people, rules_of(program), managers=managers, seed=seed)
    by_email = {p.email: p for p in people}
    zone = ZoneInfo(program.program.timezone)
    start = max(program.program.start, now.astimezone(zone).date())
    kits = Kits(program.templates)
    out.mkdir(parents=True, exist_ok=True)
    plan_rows: list[list[str]] = []
    targets = meeting_targets(start, program.cadence)[: program.meetings.book_ahead]
    busy = calendar.busy(sorted(by_email), busy_window(targets[0].target, targets[-1].target, zone))
    for number, group in enumerate(result.groups, start=1):
        peers = [by_email[e] for e in group]
        views: list[MeetingView] = []
        burden: dict[str, int] = {}
        for target in targets:
            slot = choose_slot(
                program.meetings,
                target.target,
                peers,
                busy,
                zone=zone,
                now=now,
                pair_start=start,
                previous=views[-1].start if views else None,
                burden=burden,
            )
            if isinstance(slot, NoSlot):
                plan_rows.append(
                    [str(number), str(target.number), str(target.target), "", slot.reason]
                )
                continue
            views.append(MeetingView(target.number, slot.start, None))
            for email, minutes in slot.odd_minutes.items():
                burden[email] = burden.get(email, 0) + minutes
            plan_rows.append(
                [str(number), str(target.number), str(target.target), slot.start.isoformat(), ""]
            )
        _write_pair(out, number, peers, program, kits, views, start, now, secret)
    _write_csv(
        out / "pairs.csv",
        ["pair", "email", "reason"],
        [[str(n), e, ""] for n, g in enumerate(result.groups, start=1) for e in g]
        + [["", u.email, u.reason] for u in result.unpaired],
    )
    _write_csv(out / "plan.csv", ["pair", "meeting", "target", "start_utc", "problem"], plan_rows)
    return [
        f"{len(result.groups)} groups ({result.trios} trios), {len(result.unpaired)} waiting",
        f"plan of the first {len(targets)} meeting(s) of each pair in {out / 'plan.csv'}",
        f"each pair's launch kit in {out}/pair-NNN <names>/",
    ]


def _write_pair(
    out: Path,
    number: int,
    peers: list[Person],
    program: Program,
    kits: Kits,
    views: list[MeetingView],
    start: date,
    now: datetime,
    secret: bytes,
) -> None:
    pair_id = f"preview{number}"
    names = " & ".join(p.display_name for p in peers)
    folder = out / readable_name(f"pair-{number:03d} {names}", fallback=f"pair-{number:03d}")
    folder.mkdir(exist_ok=True)
    context = pair_context(program, pair_id, peers, views, secret, start)
    context["booked"] = True
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
        now=now,
        reply_to=reply_address(program.provider.mailbox, pair_id, secret),
    )
    (folder / "launch_kit.eml").write_bytes(mail.raw)


def _write_csv(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
