"""One full cycle of a program, inline: the order `tandem run` and the clock follow."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from scheduler.steps import digest, lifecycle, moves, nudges, rounds
from scheduler.steps import mail as mailroom
from scheduler.steps import plan as jobs
from scheduler.steps.plan import Report, Runtime

Step = Callable[[Runtime, datetime], Report]
STEPS: tuple[tuple[str, Step], ...] = (
    ("Reading the directory", rounds.sync_people),
    ("Pairing people who wait", rounds.pair_round),
    ("Reading the program mailbox", mailroom.read_inbox),
    ("Applying calendar replies", mailroom.apply_facts),
    ("Moving declined meetings", moves.move_declined),
    ("Ending pauses that are due", lifecycle.resume_due),
    ("Following up on skipped meetings", nudges.keep_pairs),
    ("Finding slots", jobs.plan_meetings),
    ("Booking meetings", jobs.book_meetings),
    ("Writing launch kits", jobs.send_launch_kits),
    ("Writing notices", lifecycle.send_pending_notices),
    ("Writing the owner's digest", digest.send_owner_digest),
    ("Sending mail", mailroom.send_mail),
)


def run_cycle(
    rt: Runtime, now: datetime, on_step: Callable[[str], None] = lambda _: None
) -> list[Report]:
    """Every step once, in order; each is idempotent, so the next cycle finishes a cut-short one."""
    reports = []
    for title, step in STEPS:
        on_step(title)
        reports.append(step(rt, now))
    return reports
