"""A reply to the program mailbox -> an action on one pair, taken only for a verified member.

Order of checks: automatic mail never acts nor gets an answer (no mail loops); the pair comes
from the per-pair reply address or from the thread Tandem started; the sender must be a member
of that pair (address or directory alias), and where the message carries a trusted
Authentication-Results header, DMARC or aligned DKIM must pass.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, datetime
from email.message import EmailMessage

from sqlalchemy import select
from sqlalchemy.orm import Session

from scheduler.ports import MeetingFact
from scheduler.render.messages import compose, pair_context
from scheduler.replies.address import reply_address
from scheduler.replies.mail_checks import (
    sender_addresses,
)
from scheduler.replies.read import Command, read_reply
from scheduler.runtime import Runtime
from scheduler.steps.consent_replies import consent_reply, person_asked, take_part
from scheduler.steps.lifecycle import apply_command
from scheduler.steps.outbox import queue
from scheduler.steps.queries import pair_peers, person_of
from scheduler.steps.reply_thread import (
    AUTHENTICATION_FAILED,
    addressed_tag,
    authentication_fails,
    record_outcome,
    thread_mails,
)
from scheduler.store.models import Inbound, Meeting, Pair, PairMember
from scheduler.store.models import Person as PersonRow

log = logging.getLogger(__name__)


def handle_reply(
    rt: Runtime, s: Session, message: EmailMessage, logged: Inbound, now: datetime
) -> None:
    """Decide what one reply means and do it; record the outcome and why on `logged`. A
    reply about taking part (to an invitation or its answers) acts on the person; any other
    on their pair."""
    person = person_asked(rt, s, message)
    if person is not None:
        consent_reply(rt, s, message, person, logged, now)
        return
    reading = read_reply(message, today=rt.today(now))
    logged.command = reading.command.name.lower() if reading.command else None
    if not reading.acts:
        record_outcome(logged, "ignored", reading.reason)
        return
    senders = sender_addresses(message)
    if len(senders) != 1:
        record_outcome(logged, "rejected", "the message has no single From address")
        return
    sender = senders[0]
    pair = _pair_of(rt, s, message)
    if pair is None:
        record_outcome(
            logged, "ignored", "names no pair (no reply address of a pair, not in a Tandem thread)"
        )
        return
    logged.pair_id = pair.id
    if not _member(s, pair, sender):
        record_outcome(logged, "rejected", f"the sender is not a member of pair {pair.id}")
        log.info("reply for pair %s from a non-member ignored", pair.id)
        return
    if authentication_fails(rt, message):
        record_outcome(logged, "rejected", AUTHENTICATION_FAILED)
        return
    member = s.scalars(
        select(PairMember.email).where(
            PairMember.pair_id == pair.id,
            PairMember.email == sender,
            PairMember.left_at.is_(None),
        )
    ).first()
    actor = member or _member_email(s, pair, sender)
    if reading.command is None and not reading.answer:
        record_outcome(logged, "ignored", reading.reason)  # a thank-you: the reading says no answer
        return
    if reading.command in (None, Command.HELP):
        sent = _send_help(rt, s, pair, actor, reading.unclear, now)
        record_outcome(
            logged,
            "answered" if sent else "ignored",
            reading.reason + ("" if sent else "; help was sent today already"),
        )
        return
    if reading.command is Command.LEAVE and actor is not None:
        row = s.get_one(PersonRow, actor)
        done = take_part(rt, s, row, "left", logged, now)
        record_outcome(logged, "acted", f"{reading.reason}: {done}")
        return
    done = apply_command(
        rt,
        s,
        pair,
        reading.command.name.lower(),
        until=reading.until,
        by=actor,
        cause=f"mail:{logged.id}",
        now=now,
        proposal=reading.proposal,
    )
    record_outcome(logged, "acted", f"{reading.reason}: {done}")


def _pair_of(rt: Runtime, s: Session, message: EmailMessage) -> Pair | None:
    """The pair a reply is about: by the pair's reply address, else by the thread of an
    email Tandem sent to the pair."""
    tag = addressed_tag(rt, message)
    if tag is not None:
        return s.get(Pair, tag, with_for_update=True)
    for _, pair_id in thread_mails(s, message):
        if pair_id is not None:
            return s.get(Pair, pair_id, with_for_update=True)
    return None


def _member(s: Session, pair: Pair, sender: str) -> bool:
    return _member_email(s, pair, sender) is not None


def _member_email(s: Session, pair: Pair, sender: str) -> str | None:
    for person in pair_peers(s, pair.id):
        if sender == person.email or sender in {a.lower() for a in person.aliases}:
            return person.email
    return None


def _send_help(
    rt: Runtime, s: Session, pair: Pair, email: str | None, not_understood: str, now: datetime
) -> bool:
    """The list of reply words, to the one peer who wrote; at most one a day per sender."""
    row = s.get(PersonRow, email) if email else None
    if row is None:
        return False
    person = person_of(row)
    peers = pair_peers(s, pair.id)
    context = pair_context(rt.program, pair.id, peers, [], rt.secret, pair.start_date)
    context["recipient"] = next(p for p in context["peers"] if p["email"] == person.email)  # type: ignore[attr-defined]
    context["not_understood"] = not_understood
    mail = compose(
        rt.program,
        rt.kits.render("help", context),
        kind="help",
        key=f"help:{person.email}:{rt.today(now)}",
        to=[(person.display_name, person.email)],
        reply_to=reply_address(rt.program.provider.mailbox, pair.id, rt.secret),
        now=now,
    )
    return queue(s, mail, pair_id=pair.id, now=now)


def explain(
    message: EmailMessage,
    rt: Runtime | None,
    today: date,
    calendar_facts: Callable[[EmailMessage], list[MeetingFact]],
) -> dict[str, object]:
    """What Tandem reads in a message, for `tandem parse-reply`: the command, the pause's end,
    the day and time proposed (only when there is one), the pair it names (with a program),
    whether the HELP list goes back, and why; nothing is changed or sent. A calendar reply, as
    `calendar_facts` reads it (the iMIP reader the local calendar uses), is read for those
    facts only, as in `tandem run`."""
    facts = calendar_facts(message)
    if facts:
        return _calendar_reply(facts, rt)
    reading = read_reply(message, today=today)
    command = reading.command.name.lower() if reading.command and reading.acts else None
    until = reading.until.isoformat() if reading.until and reading.acts else None
    proposal = reading.proposal if reading.acts else None
    help_list = reading.acts and reading.answer and reading.command in (None, Command.HELP)
    pair_id: str | None = None
    reason = reading.reason
    if rt is not None and reading.acts:
        senders = sender_addresses(message)
        with rt.store.session() as s:
            pair = _pair_of(rt, s, message)
            if pair is None:
                reason += "; names no pair of this program"
            else:
                pair_id = pair.id
                if len(senders) != 1 or not _member(s, pair, senders[0]):
                    command, help_list, proposal = None, False, None
                    reason += f"; but the sender is not a member of pair {pair.id}, so nothing acts"
                elif authentication_fails(rt, message):
                    command, help_list, proposal = None, False, None
                    reason += "; but DMARC and DKIM failed, so nothing acts"
    shown: dict[str, object] = {"command": command, "until": until}
    if proposal is not None:
        shown["proposal"] = {"day": proposal.day.isoformat(), "time": f"{proposal.at:%H:%M}"}
    return {**shown, "pair": pair_id, "reason": reason, "help": help_list}


def _calendar_reply(facts: list[MeetingFact], rt: Runtime | None) -> dict[str, object]:
    """A calendar reply as `explain` shows it: each fact, and the pair of its meeting."""
    pair_id: str | None = None
    if rt is not None:
        with rt.store.session() as s:
            uids = [fact.uid for fact in facts]
            pair_id = s.scalars(select(Meeting.pair_id).where(Meeting.uid.in_(uids))).first()
    said = "; ".join(f"{fact.by or 'someone'} {fact.kind.value} {fact.uid}" for fact in facts)
    reason = (
        f"a calendar reply: {said}; it is read for the calendar only, never as a command, "
        "and gets no answer" + ("" if rt is None or pair_id else "; no meeting of this program")
    )
    return {
        "command": None,
        "until": None,
        "pair": pair_id,
        "reason": reason,
        "help": False,
        "calendar": [{"uid": fact.uid, "kind": fact.kind.value, "by": fact.by} for fact in facts],
    }
