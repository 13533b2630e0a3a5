"""The jobs the workers run, each a few steps of the cycle in the cycle's order, and which job
each one hands on to when it has made work for it.

Every step of `scheduler.steps.cycle.STEPS` belongs to exactly one job (a test checks it).
The steps that do one pair's work at a time fan out instead of running in the job's message:
`meetings` sends its planning as one message per batch of pairs with meetings due, `book` one
per batch of pairs with meetings to book or cancel, `mail` one per batch of pairs owed a launch
kit or a notice, `send` one per batch of due emails. Each message takes ids only and is
idempotent (the planning's insert-or-ignore of each meeting, a lease per pair for booking,
the outbox's keys and claims), so N workers share them; the last message of a dispatch hands
on to the next job.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from scheduler.runtime import Report, Runtime
from scheduler.steps import kits, notices, plan
from scheduler.steps.cycle import STEPS, Step

# job: the titles of its steps in scheduler.steps.cycle.STEPS, in the cycle's order
JOB_STEPS: dict[str, tuple[str, ...]] = {
    "directory": ("Reading the directory",),
    "inbox": ("Reading the program mailbox",),
    "calendar": ("Reading calendar changes",),
    "meetings": (
        "Seeing who left",
        "Inviting people",
        "Pairing people who wait",
        "Ending pauses that are due",
        "Following up on skipped meetings",
        "Closing the program",
        "Moving meetings",
        "Finding slots",
    ),
    "book": ("Updating calendars",),
    "mail": ("Writing launch kits", "Writing notices"),
    "digest": ("Writing the owner's digest",),
    "send": ("Sending mail",),
}

# The jobs a job hands on to when it is done: what it made is their work.
THEN: dict[str, tuple[str, ...]] = {
    "directory": ("meetings",),
    "inbox": ("meetings", "send"),
    "calendar": ("meetings",),
    "meetings": ("send",),  # the notes, invitations and closings it queued; the last batch
    # of its planning hands on to `book`
    "book": (),  # the last pair's booking message hands on to `mail`
    "mail": (),  # the last batch of its kits and notices hands on to `send`
    "digest": ("send",),
    "send": (),
}


# Steps that wait until the directory has been read once: the first round opens at once
# whoever waits, so a pairing that ran before the first directory job had finished would
# open round 1 with nobody in it, and the next round only `rounds.every` later.
PAIRING_STEP = "Pairing people who wait"
AFTER_DIRECTORY = (PAIRING_STEP,)
JOBS = tuple(JOB_STEPS)


class PairStep(Protocol):
    """A step that does its work for the pairs of `pair_ids` only, when given."""

    def __call__(
        self, rt: Runtime, now: datetime, *, pair_ids: Collection[str] | None = None
    ) -> Report: ...


@dataclass(frozen=True)
class PerPairs:
    """Steps a job sends out in messages of pair ids, after the steps it runs itself."""

    kind: str  # names the messages' marks in Redis
    steps: tuple[tuple[str, PairStep], ...]  # titles and functions of STEPS, run in this order
    pairs: Callable[[Runtime, datetime], list[str]]  # the pairs with work for the steps
    then: str  # the job the last batch of a dispatch hands on to


def pairs_owed_mail(rt: Runtime, now: datetime) -> list[str]:
    """The pairs that may be owed a launch kit or a notice, in order."""
    return sorted({*kits.pairs_owed_a_kit(rt, now), *notices.pairs_owed_a_notice(rt)})


PER_PAIRS: dict[str, PerPairs] = {
    "meetings": PerPairs(
        "plan", (("Finding slots", plan.plan_meetings),), plan.pairs_to_plan, "book"
    ),
    "mail": PerPairs(
        "mail",
        (
            ("Writing launch kits", kits.send_launch_kits),
            ("Writing notices", notices.send_pending_notices),
        ),
        pairs_owed_mail,
        "send",
    ),
}


def steps_of(job: str, *, directory_read: bool = True) -> list[Step]:
    """The step functions a job runs in its own message (not those it sends out in batches)."""
    by_title = dict(STEPS)
    sent_out = {title for title, _ in PER_PAIRS[job].steps} if job in PER_PAIRS else set()
    return [
        by_title[title]
        for title in JOB_STEPS[job]
        if title not in sent_out and (directory_read or title not in AFTER_DIRECTORY)
    ]
