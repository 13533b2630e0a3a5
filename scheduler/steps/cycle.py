"""One full cycle of a program, inline: the order `tandem run` and the clock follow."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from scheduler.runtime import Report, Runtime
from scheduler.steps import (
    book,
    calendar_sync,
    closing,
    consent,
    departures,
    digest,
    inbox,
    kits,
    lifecycle,
    moves,
    notices,
    nudges,
    people_sync,
    plan,
    rounds,
    send,
)

Step = Callable[[Runtime, datetime], Report]
STEPS: tuple[tuple[str, Step], ...] = (
    ("Reading the directory", people_sync.sync_people),
    ("Reading the program mailbox", inbox.read_inbox),
    ("Reading calendar changes", calendar_sync.read_changes),
    ("Seeing who left", departures.see_departures),
    ("Inviting people", consent.invite_people),
    ("Pairing people who wait", rounds.pair_round),
    ("Ending pauses that are due", lifecycle.resume_due),
    ("Following up on skipped meetings", nudges.keep_pairs),
    ("Closing the program", closing.close_program),
    ("Moving meetings", moves.move_meetings),
    ("Finding slots", plan.plan_meetings),
    ("Updating calendars", book.book_meetings),
    ("Writing launch kits", kits.send_launch_kits),
    ("Writing notices", notices.send_pending_notices),
    ("Writing the owner's digest", digest.send_owner_digest),
    ("Sending mail", send.send_mail),
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
