"""A reply about taking part (to an invitation, or to an answer about it) -> the person's
answer kept: join, no thanks, leave, or the list of words; acted on only for the person it
was sent to, from their own address (or alias), when authentication does not fail."""

from __future__ import annotations

import logging
from datetime import datetime
from email.message import EmailMessage

from sqlalchemy import select
from sqlalchemy.orm import Session

from scheduler.render.messages import person_mail
from scheduler.replies.address import is_person_tag, person_tag
from scheduler.replies.commands import INVITATION
from scheduler.replies.mail_checks import sender_addresses
from scheduler.replies.read import Command, read_reply
from scheduler.runtime import Runtime
from scheduler.steps.departures import leave_pair
from scheduler.steps.outbox import queue
from scheduler.steps.queries import person_of
from scheduler.steps.reply_thread import (
    AUTHENTICATION_FAILED,
    addressed_tag,
    authentication_fails,
    record_outcome,
    thread_mails,
)
from scheduler.store.models import Inbound, Pair, PairMember
from scheduler.store.models import Person as PersonRow

log = logging.getLogger(__name__)


ANSWERS = {Command.JOIN: "joined", Command.NO_THANKS: "declined", Command.LEAVE: "left"}


def consent_reply(
    rt: Runtime, s: Session, message: EmailMessage, row: PersonRow, logged: Inbound, now: datetime
) -> None:
    """A reply to an invitation (or to its answers): join, no thanks, leave, or help; only
    from the person it was sent to."""
    reading = read_reply(message, today=rt.today(now), email=INVITATION)
    logged.command = reading.command.name.lower() if reading.command else None
    if not reading.acts:
        record_outcome(logged, "ignored", reading.reason)
        return
    senders = sender_addresses(message)
    if len(senders) != 1 or senders[0] not in {row.email, *(a.lower() for a in row.aliases)}:
        record_outcome(
            logged, "rejected", "the sender is not the person the invitation was sent to"
        )
        log.info("reply about taking part from someone else ignored")
        return
    if authentication_fails(rt, message):
        record_outcome(logged, "rejected", AUTHENTICATION_FAILED)
        return
    if reading.command is None and not reading.answer:
        record_outcome(logged, "ignored", reading.reason)
        return
    answer = ANSWERS.get(reading.command) if reading.command else None
    if answer is None:
        asked = "help" if reading.command is Command.HELP else "unclear"
        sent = _consent_mail(rt, s, row, asked, reading.unclear, f"{logged.id}", now)
        outcome = "answered" if sent else "ignored"
        record_outcome(logged, outcome, reading.reason)
        return
    done = take_part(rt, s, row, answer, logged, now)
    record_outcome(logged, "acted", f"{reading.reason}: {done}")


def take_part(
    rt: Runtime, s: Session, row: PersonRow, answer: str, logged: Inbound, now: datetime
) -> str:
    """Keep a person's answer ("joined", "declined", "left"), take them out of their pair when
    it takes them out, and confirm it to them; what was done, for the log. Saying the same
    twice changes nothing and is confirmed once."""
    if row.consent == answer:
        return f"already {answer}: nothing changes"
    row.consent, row.consent_at = answer, now  # type: ignore[assignment]
    if answer != "joined":
        for pair in _pairs_of(s, row.email):
            leave_pair(rt, s, pair, row.email, now)
    _consent_mail(rt, s, row, answer, "", f"{logged.id}", now)
    return {"joined": "joins the program", "declined": "not paired", "left": "left the program"}[
        answer
    ]


def _pairs_of(s: Session, email: str) -> list[Pair]:
    return list(
        s.scalars(
            select(Pair)
            .join(PairMember)
            .where(PairMember.email == email, PairMember.left_at.is_(None), Pair.state != "ended")
            .with_for_update()
        )
    )


def _consent_mail(
    rt: Runtime, s: Session, row: PersonRow, outcome: str, unclear: str, cause: str, now: datetime
) -> bool:
    """The answer to a reply about taking part, to that person only; an unclear reply gets
    the list of words at most once a day, and so does a "help"."""
    tag = person_tag(row.email)
    key = (
        f"consent:{tag}:{outcome}:{rt.today(now)}"
        if outcome in ("unclear", "help")
        else f"consent:{tag}:mail:{cause}"
    )
    mail = person_mail(
        rt.kits,
        rt.program,
        person_of(row),
        kind="consent_reply",
        key=key,
        extra={"outcome": outcome, "not_understood": unclear},
        secret=rt.secret,
        now=now,
    )
    return queue(s, mail, pair_id=None, now=now)


def person_asked(rt: Runtime, s: Session, message: EmailMessage) -> PersonRow | None:
    """The person a reply about taking part is for: by the person's reply address, or by the
    thread of an email that asked them (an invitation, or an answer to one); None for a
    reply about a pair."""
    tag = addressed_tag(rt, message)
    if tag is None:
        for key, pair_id in thread_mails(s, message):
            kind, _, rest = key.partition(":")
            if pair_id is None and kind in ("invitation", "consent"):
                tag = rest.partition(":")[0]
                break
    if tag is None or not is_person_tag(tag):
        return None
    return s.scalars(select(PersonRow).where(PersonRow.tag == tag)).first()
