"""One full cycle of a program, inline: the order `tandem run` and the clock follow."""

from __future__ import annotations

import logging
import random
import time
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
from scheduler.store.conflicts import is_retryable_conflict

log = logging.getLogger(__name__)

ATTEMPTS_PER_STEP = 4

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
        reports.append(run_step(step, rt, now))
    return reports


def run_step(step: Step, rt: Runtime, now: datetime) -> Report:
    """One step; when the database ends it to resolve a deadlock with an overlapping run (or a
    serialization failure), it runs again after a short random pause, a few times at most."""
    for attempt in range(1, ATTEMPTS_PER_STEP + 1):
        try:
            return step(rt, now)
        except Exception as error:
            if attempt == ATTEMPTS_PER_STEP or not is_retryable_conflict(error):
                raise
            log.warning(
                "step %s met a lock conflict with another run (attempt %d of %d); running it again",
                step.__name__,
                attempt,
                ATTEMPTS_PER_STEP,
            )
            time.sleep(random.uniform(0.05, 0.5) * attempt)
    raise AssertionError("unreachable")
