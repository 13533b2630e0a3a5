"""The jobs the workers run, each a few steps of the cycle in the cycle's order, and which job
each one hands on to when it has made work for it.

Every step of `scheduler.steps.cycle.STEPS` belongs to exactly one job (a test checks it).
Two jobs fan out instead of running their step in one message: `book` sends one message per
pair with meetings to book or cancel, `send` one per batch of due emails; each message takes
ids only and is idempotent (a lease per pair; the outbox's claims), so N workers share them.
"""

from __future__ import annotations

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
    "meetings": ("book", "send"),  # and the notes, invitations and closings it queued
    "book": (),  # each pair's booking message hands on to `mail`
    "mail": ("send",),
    "digest": ("send",),
    "send": (),
}


# Steps that wait until the directory has been read once: the first round opens at once
# whoever waits, so a pairing that ran before the first directory job had finished would
# open round 1 with nobody in it, and the next round only `rounds.every` later.
PAIRING_STEP = "Pairing people who wait"
AFTER_DIRECTORY = (PAIRING_STEP,)
JOBS = tuple(JOB_STEPS)


def steps_of(job: str, *, directory_read: bool = True) -> list[Step]:
    """The step functions of a job that runs in one message."""
    by_title = dict(STEPS)
    return [
        by_title[title]
        for title in JOB_STEPS[job]
        if directory_read or title not in AFTER_DIRECTORY
    ]
