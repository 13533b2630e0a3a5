"""A reply to a Tandem email -> the command a peer gave, or nothing, and whether it gets an
answer; pure, `today` passed in.

As in Mailman's command runner (src/mailman/runners/command.py), automatic mail is never read,
only the first lines and the Subject count, and one table (scheduler.replies.commands) both
reads commands and writes HELP. A day and time proposed in the first lines ("Tuesday 16:00",
"how about Tue 4pm?", scheduler.replies.times) is a reschedule to it. Calendar mail (an iMIP
reply, Google's "Declined: ..." notice) is the calendar's to read, never a command here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from email.message import Message

from scheduler.replies.answer import answer_for
from scheduler.replies.commands import (
    COMMANDS,
    EMAILS,
    INVITATION,
    LANGUAGES,
    PAIR,
    Command,
    CommandEntry,
    entry_of,
    help_rows,
)
from scheduler.replies.grammar import Found, Vocabulary, first_command, read_line
from scheduler.replies.mail_checks import automatic_reason, calendar_reason
from scheduler.replies.text import subject_text, visible_text
from scheduler.replies.times import Proposal, Refusal, find_proposal
from scheduler.replies.tokens import key

__all__ = [
    "COMMANDS",
    "EMAILS",
    "INVITATION",
    "LANGUAGES",
    "PAIR",
    "Command",
    "CommandEntry",
    "Proposal",
    "Reading",
    "help_rows",
    "parse_command",
    "read_reply",
]


@dataclass(frozen=True)
class Reading:
    """What one inbound email means. `acts` and `answer` are False for automatic and
    calendar mail (auto-replies, bounces, lists, invitation replies), which must never change
    a pair nor get an answer. With no command, `answer` says whether the HELP list goes back
    (a question, or what looks like a command Tandem did not understand; not a thank-you),
    and `unclear` holds the words to quote back as not understood. `proposal` is the day and
    time proposed for a RESCHEDULE, in the writer's time zone (None: Tandem looks for one).
    `reason` and `text` (the visible reply examined) show addresses as "<address>"."""

    command: Command | None
    until: date | None
    reason: str
    acts: bool
    answer: bool
    text: str
    unclear: str = ""
    proposal: Proposal | None = None


def read_reply(message: Message, *, today: date, email: str = PAIR) -> Reading:
    """What `message`, a reply to one of Tandem's `email`s (a pair's, or the invitation),
    asks for: the first command in the first lines of the visible reply, else in the
    Subject; a day and time proposed there, when no other command is, is a reschedule to it;
    automatic and calendar mail asks for nothing and gets no answer."""
    ignored = automatic_reason(message) or calendar_reason(message)
    if ignored is not None:
        return Reading(None, None, _redacted(ignored), acts=False, answer=False, text="")
    text = _redacted(visible_text(message))
    vocabulary = _VOCABULARIES[email]
    found = first_command(text, vocabulary, today)
    times = find_proposal(text, today) if email == PAIR else None
    if times is not None and found.command in (None, Command.RESCHEDULE.value):
        timed = _timed(text, found, times)
        if timed is not None:
            return timed
    if found.command is None:
        subject = subject_text(str(message.get("Subject") or ""))
        in_subject = read_line(subject, vocabulary, today, first_clause_only=True)
        if in_subject.command is not None:
            found = Found(in_subject.command, in_subject.until, in_subject.words, "in the Subject")
    if found.command is not None:
        note = f"; {found.note}" if found.note else ""
        if isinstance(times, Proposal):
            note += f"; {times.words!r} is no proposal beside another command"
        reason = _redacted(f"found {found.words!r} {found.where}{note}")
        return Reading(Command(found.command), found.until, reason, True, True, text)
    elsewhere = _out_of_place(text, email, today)
    if elsewhere is not None:
        return elsewhere
    answer = answer_for(text, found, times)
    missed = found.miss
    if isinstance(times, Refusal) and not (times.declined and found.near):
        missed = times.reason
    miss = f"; {missed}" if missed else ""
    reason = _redacted(f"no command found in the first lines{miss}; {answer.why}")
    return Reading(None, None, reason, True, answer.send, text, answer.unclear)


def parse_command(
    text: str, *, today: date, email: str = PAIR
) -> tuple[Command, date | None, str] | None:
    """The first command in the first lines of `text`, a reply to `email`: the command, the
    day a pause ends (None when open-ended or not a pause) and the words it was read from."""
    found = first_command(text, _VOCABULARIES[email], today)
    return None if found.command is None else (Command(found.command), found.until, found.words)


def _timed(text: str, found: Found, times: Proposal | Refusal) -> Reading | None:
    """A day and time proposed is a reschedule to it, with or without the word ("Tuesday
    16:00", "reschedule to Thursday 10:30"). A time that cannot be booked stops a reschedule
    written beside it, which would otherwise book another time: nothing acts, and the line
    goes back as not understood. None when the time was turned down (conversation)."""
    if isinstance(times, Proposal):
        when = (
            f"{times.words!r} ({times.day:%A} {times.day.day} {times.day:%B %Y}, {times.at:%H:%M})"
        )
        said = f"found {found.words!r} {found.where}, to" if found.command else "proposed"
        reason = f"{said} {when}" + ("" if found.command else ", read as reschedule")
        return Reading(Command.RESCHEDULE, None, _redacted(reason), True, True, text, "", times)
    if times.declined or found.command is None:
        return None
    answer = answer_for(text, Found(None), times)
    reason = f"found {found.words!r} {found.where}, but {times.reason}; {answer.why}"
    return Reading(None, None, _redacted(reason), True, answer.send, text, answer.unclear)


def _out_of_place(text: str, email: str, today: date) -> Reading | None:
    """A command of another email's words ("count me in" to a pair's email, "pause" to the
    invitation): it does nothing here, and gets the HELP list only if its entry says so."""
    for other in EMAILS:
        if other == email:
            continue
        found = first_command(text, _VOCABULARIES[other], today)
        if found.command is None:
            continue
        entry = entry_of(Command(found.command))
        if email in entry.offered_in:
            continue
        answer = entry.answered_elsewhere
        outcome = "answered with the list of words" if answer else "so no answer"
        reason = (
            f"found {found.words!r} {found.where}, a reply to the {other} email; "
            f"in a reply to the {email} email it does nothing, {outcome}"
        )
        unclear = text.strip().splitlines()[0][:60] if answer else ""
        return Reading(None, None, _redacted(reason), True, answer, text, unclear)
    return None


def _vocabulary(email: str) -> Vocabulary:
    """The words of the commands `email` offers, as the grammar reads them."""
    entries = [entry for entry in COMMANDS if email in entry.offered_in]
    commands = {entry.command for entry in entries}
    return Vocabulary(
        verbs={
            key(word): entry.command.value
            for entry in entries
            for language in LANGUAGES
            for word in entry.words_in(email)[language]
        },
        # German closes a clause with its verb ("können wir das Treffen verschieben?").
        verb_last=frozenset(key(word) for entry in entries for word in entry.words_in(email)["de"]),
        objects={e.command.value: e.objects for e in entries if e.objects is not None},
        weak=frozenset(entry.command.value for entry in entries if entry.weak),
        cancel=bool(commands & {Command.END, Command.SKIP}),
    )


_VOCABULARIES = {email: _vocabulary(email) for email in EMAILS}
_ADDRESS = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")


def _redacted(text: str) -> str:
    """Without email addresses, which the inbound log and the admin must not keep."""
    return _ADDRESS.sub("<address>", text)
