"""A reply that proposes a day and time (scheduler.replies.read with scheduler.replies.times): it
is a reschedule to that time when no other command stands in the first lines, a question that
proposes one is no HELP question, a time turned down gets nothing, a time that cannot be
booked stops the reschedule and goes back as not understood, and the quote never counts."""

from __future__ import annotations

from datetime import date, time
from email.message import EmailMessage

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scheduler.replies.answer import answer_for
from scheduler.replies.date_words import WEEKDAYS
from scheduler.replies.grammar import Found
from scheduler.replies.read import INVITATION, Command, read_reply
from scheduler.replies.times import Proposal

TODAY = date(2027, 3, 1)  # a Monday
TUE_16 = Proposal(date(2027, 3, 2), time(16), "")
THU_1030 = Proposal(date(2027, 3, 4), time(10, 30), "")


def reply(body: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = "Ana Lima <ana.lima@northwind.example>"
    message["To"] = "mentoring+p7k2m9q4.k3j9x0a1b2c3@northwind.example"
    message["Subject"] = "Re: Northwind Peer Mentoring: your next conversation"
    message.set_content(body)
    return message


def when(proposal: Proposal | None) -> tuple[date, time] | None:
    return None if proposal is None else (proposal.day, proposal.at)


@pytest.mark.parametrize(
    ("text", "proposed"),
    [
        ("Tuesday 16:00", TUE_16),
        ("how about Tue 4pm?", TUE_16),
        ("could we do Tuesday 16:00?", TUE_16),
        ("Hi Bo,\n\nwould Tuesday at 4pm work for you?\n\nAna", TUE_16),
        ("reschedule to Thursday 10:30", THU_1030),
        ("can we move the next one to Thursday 10:30?", THU_1030),
        ("können wir auf Donnerstag 10:30 verschieben?", THU_1030),
        ("Wie wäre es mit Dienstag 16 Uhr?", TUE_16),
        ("On peut déplacer à jeudi 10h30 ?", THU_1030),
        ("mardi à 16h, ça vous va ?", TUE_16),
        ("¿Podemos reprogramar al jueves a las 10:30?", THU_1030),
        ("¿Qué tal el martes a las 4 de la tarde?", TUE_16),
    ],
)
def test_a_day_and_time_is_a_reschedule_to_it(text: str, proposed: Proposal) -> None:
    reading = read_reply(reply(text), today=TODAY)
    assert (reading.command, reading.acts, reading.until) == (Command.RESCHEDULE, True, None)
    assert when(reading.proposal) == when(proposed), reading.reason


def test_the_reason_names_the_words_and_the_day() -> None:
    reading = read_reply(reply("How about Tue 4pm?"), today=TODAY)
    assert reading.reason == (
        "proposed 'tue 4pm' (Tuesday 2 March 2027, 16:00), read as reschedule"
    )
    reading = read_reply(reply("reschedule to Thursday 10:30"), today=TODAY)
    assert reading.reason == (
        "found 'reschedule to thursday 10' on the first line, to 'thursday 10:30' "
        "(Thursday 4 March 2027, 10:30)"
    )


@pytest.mark.parametrize(
    ("text", "command"),
    [
        ("pause until Tuesday", Command.PAUSE),  # a date without a time is no proposal
        ("let's reschedule to Tuesday", Command.RESCHEDULE),  # Tandem looks for a time
        ("skip, Tuesday 16:00 instead?", Command.SKIP),  # another command wins
        ("pause for 2 weeks\nTuesday 16:00 after that?", Command.PAUSE),
        ("resume\nTuesday 16:00", Command.RESUME),
    ],
)
def test_another_command_or_a_day_alone_gives_no_proposal(text: str, command: Command) -> None:
    reading = read_reply(reply(text), today=TODAY)
    assert (reading.command, reading.proposal) == (command, None), reading.reason


def test_a_time_beside_another_command_is_named_in_the_reason() -> None:
    reading = read_reply(reply("skip, Tuesday 16:00 instead?"), today=TODAY)
    assert reading.reason == (
        "found 'skip' on the first line; 'tuesday 16:00' is no proposal beside another command"
    )


def test_skip_with_a_weekday_is_not_read_as_a_time() -> None:
    # "Tuesday's meeting" names no time: no proposal; as before, the grammar does not read
    # it as a skip either ("tuesday's" is not one of its words), and answers it
    reading = read_reply(reply("skip Tuesday's meeting"), today=TODAY)
    assert (reading.command, reading.proposal, reading.answer) == (None, None, True)
    assert "'skip' stands among other words" in reading.reason


@pytest.mark.parametrize(
    "text",
    [
        "Tuesday 16:00 doesn't work for me",
        "Tuesday 16:00 doesn't work for me, could we find another time?",
        "Dienstag 16 Uhr geht leider nicht, hast du eine andere Idee?",
        "mardi 16h ne me convient pas",
        "el martes a las 16:00 no me va bien, ¿otra hora?",
    ],
)
def test_a_time_turned_down_gets_nothing(text: str) -> None:
    reading = read_reply(reply(text), today=TODAY)
    assert (reading.command, reading.proposal, reading.acts, reading.answer) == (
        None,
        None,
        True,
        False,
    ), reading.reason
    assert reading.reason.endswith("a day and time turned down is conversation, so no answer")


def test_a_question_on_another_line_than_a_time_turned_down_is_still_answered() -> None:
    body = "Tuesday 16:00 doesn't work.\nHow do I change my working hours?"
    reading = read_reply(reply(body), today=TODAY)
    assert (reading.command, reading.answer) == (None, True)
    assert "a question ('How do I change my working hours?')" in reading.reason


def test_a_turned_down_time_with_reschedule_is_a_plain_reschedule() -> None:
    reading = read_reply(reply("Can we reschedule? Tuesday 16:00 doesn't work"), today=TODAY)
    assert (reading.command, reading.proposal) == (Command.RESCHEDULE, None)


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("16:00", "'16:00' has no day: which day? Write one, such as Tuesday 16:00"),
        ("how about 3/4 at 16:00?", "'3/4' is ambiguous: write 2 March or 2027-03-02"),
        ("30 February 10:00", "'30 february 10:00' is not a date"),
        ("2027-02-26 10:00", "'2027-02-26 10:00' is in the past"),
        ("May 3 at 10:00", "'may 3 at 10:00' is more than 8 weeks ahead"),
        ("Tuesday 16:00 or Wednesday 10:00", "more than one day and time"),
    ],
)
def test_a_time_that_cannot_be_booked_is_answered_as_not_understood(text: str, why: str) -> None:
    reading = read_reply(reply(text), today=TODAY)
    assert (reading.command, reading.proposal, reading.answer) == (None, None, True)
    assert reading.reason.startswith(f"no command found in the first lines; {why}")
    assert reading.reason.endswith(
        "; a day and time Tandem cannot book, answered with the list of words"
    )
    assert reading.unclear == text, "the line goes back to its writer as not understood"


def test_a_time_that_cannot_be_booked_stops_the_reschedule_beside_it() -> None:
    reading = read_reply(reply("reschedule to 16:00 please"), today=TODAY)
    assert (reading.command, reading.proposal, reading.answer) == (None, None, True)
    assert reading.reason.startswith("found 'reschedule to 16' on the first line, but '16:00'")
    assert reading.unclear == "reschedule to 16:00 please"


def test_a_time_in_reply_to_the_invitation_is_no_proposal() -> None:
    reading = read_reply(reply("Tuesday 16:00"), today=TODAY, email=INVITATION)
    assert (reading.command, reading.proposal) == (None, None)


def test_answer_for_never_answers_a_proposal_as_a_question() -> None:
    answer = answer_for("could we do Tuesday 16:00?", Found(None), TUE_16)
    assert (answer.send, answer.why) == (
        False,
        "a day and time proposed is a reschedule, not a question",
    )


QUOTE = "\n\nOn Mon, 1 Mar 2027 at 09:00, Tandem <mentoring@northwind.example> wrote:\n> {}\n"
ABOVE = st.sampled_from(["Thanks!", "See you soon", "Danke, bis bald", "Merci", "¡Gracias!", ""])


@given(ABOVE, st.sampled_from(sorted(WEEKDAYS)), st.integers(7, 21), st.integers(0, 59))
def test_a_proposal_only_in_the_quote_never_counts(
    above: str, name: str, hour: int, minute: int
) -> None:
    body = above + QUOTE.format(f"{name} {hour:02d}:{minute:02d}")
    reading = read_reply(reply(body), today=TODAY)
    assert (reading.command, reading.proposal) == (None, None), reading.reason
