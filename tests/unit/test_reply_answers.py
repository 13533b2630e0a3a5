"""Which replies without a command get the list of reply words (issue 9, item 7): questions
and what looks like a command Tandem did not understand, in four languages; thank-yous,
pleasantries and small talk get nothing, with the reason in the log."""

from __future__ import annotations

from datetime import date
from email.message import EmailMessage

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scheduler.replies.read import Command, read_reply

TODAY = date(2027, 1, 5)  # a Tuesday


def reply(body: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = "Ana Lima <ana.lima@northwind.example>"
    message["To"] = "mentoring+p7k2m9q4.k3j9x0a1b2c3@northwind.example"
    message["Subject"] = "Re: Ana and Bo, meet each other"
    message.set_content(body)
    return message


THANKS = [
    "Thanks, looking forward to it!",
    "Sounds great, see you then",
    "Great, see you Tuesday.",
    "Thank you!",
    "Thanks, see you at the end of the month",
    "Happy to help!",
    "Awesome, thanks so much 🙏",
    "👍",
    "Danke, freue mich!",
    "Super, danke dir!",
    "Vielen Dank, bis bald",
    "Merci, à bientôt",
    "Parfait, merci beaucoup !",
    "¡Gracias!",
    "Perfecto, nos vemos el lunes",
    "Muchas gracias, hasta pronto",
]


@pytest.mark.parametrize("text", THANKS)
def test_thanks_and_small_talk_get_no_answer(text: str) -> None:
    reading = read_reply(reply(text), today=TODAY)
    assert (reading.command, reading.acts, reading.answer) == (None, True, False), reading.reason
    assert reading.reason.endswith("neither a question nor a command, so no answer")


def test_nothing_written_above_the_quote_gets_no_answer() -> None:
    body = "\n\nOn Mon, 4 Jan 2027 at 10:00, Tandem <mentoring@northwind.example> wrote:\n> hi\n"
    reading = read_reply(reply(body), today=TODAY)
    assert (reading.answer, reading.text) == (False, "")
    assert reading.reason.endswith("nothing is written above the quote, so no answer")


@pytest.mark.parametrize(
    "text",
    [
        "What do I do now?",
        "How do I change the time?",
        "how do I move our meeting",
        "Hi Ana, how do I move our meeting",
        "Is there a way to change the time",
        "Thanks! One question: could you send me the dates again",
        "Wie kann ich den Termin ändern",
        "Wann ist das nächste Treffen",
        "Hallo, gibt es eine Möglichkeit, das zu ändern",
        "Comment changer l'heure",
        "Est-ce que je peux changer la date",
        "Bonjour, pourquoi le rendez-vous a changé",
        "¿Cómo cambio la hora?",
        "Cómo cambio la hora",
        "Hola, como puedo cambiar la fecha",
    ],
)
def test_a_question_gets_the_list_of_words(text: str) -> None:
    reading = read_reply(reply(text), today=TODAY)
    assert (reading.command, reading.answer) == (None, True), reading.reason
    assert "a question (" in reading.reason
    assert reading.unclear == "", "a question was not misread: nothing to quote back"


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("pause until the end of the quarter", "'pause' stands among other words"),
        ("stop the meetings after March", "'stop' stands among other words"),
        ("hold", "'hold' is not a word Tandem knows"),
        ("please delete me", "'delete' is not a word Tandem knows"),
        ("pasue for a month", "'pasue' is not 'pause'"),
        ("cancel", "'cancel' alone does not say what to cancel"),
        ("pause till 3/2", "'3/2' is ambiguous"),
        ("skip for 2 weeks", "a date does not fit 'skip'"),
        ("bis Ende des Quartals pausieren", "'pausieren' stands among other words"),
        ("bitte stornieren", "'stornieren' is not a word Tandem knows"),
        ("suspendre jusqu'à la fin du trimestre", "'suspendre' stands among other words"),
        ("pausa hasta fin de trimestre", "'pausa' stands among other words"),
        ("Hi Bo, thanks for the chat last week. I'm afraid I need to pause for a month.", "prose"),
    ],
)
def test_what_looks_like_a_command_not_understood_gets_the_list_of_words(
    text: str, why: str
) -> None:
    reading = read_reply(reply(text), today=TODAY)
    assert (reading.command, reading.answer) == (None, True), reading.reason
    assert why in reading.reason
    assert reading.reason.endswith("it looks like a command Tandem did not understand")
    assert reading.unclear == text[:60], "the line goes back to its author as not understood"


@pytest.mark.parametrize(
    "text",
    [
        "I don't want to pause, thanks",  # negated: they say what they do not want
        "Thanks, no need to reschedule",
        "We had to pause the call because of the noise.",  # a story, not a request
        "welcome back",
        "Yes please!",  # consent words belong to the invitation email
        "Count me in!",
        "No thanks needed, see you Monday",
    ],
)
def test_negations_stories_and_consent_words_in_a_pair_s_email_get_no_answer(text: str) -> None:
    reading = read_reply(reply(text), today=TODAY)
    assert (reading.command, reading.answer) == (None, False), reading.reason


def test_a_command_still_gets_its_confirmation() -> None:
    reading = read_reply(reply("Thanks!\n\npause for 2 weeks"), today=TODAY)
    assert (reading.command, reading.answer) == (Command.PAUSE, True)


QUESTIONS = [
    "How do I change the time?",
    "What happens next",
    "Wie kann ich das ändern",
    "Comment ça marche",
    "¿Qué hago ahora?",
    "Can we meet on Friday instead",
]
GREETINGS = ["", "Hi Ana,\n\n", "Hallo Bo,\n", "Bonjour,\n\n", "Hola:\n"]
SIGNATURES = ["", "\n\nBest,\nAna", "\n\n-- \nAna Lima\nNorthwind", "\n\nSent from my iPhone"]
QUOTE = "\n\nOn Mon, 4 Jan 2027 at 10:00, Tandem <mentoring@northwind.example> wrote:\n> {q}\n"


@given(
    st.sampled_from(GREETINGS),
    st.sampled_from(THANKS),
    st.sampled_from(SIGNATURES),
    st.sampled_from(["help", "What do I do now?", "pause for 3 weeks", "hold"]),
)
def test_a_thank_you_never_gets_an_answer_whatever_the_quote_holds(
    greeting: str, thanks: str, signature: str, quoted: str
) -> None:
    body = greeting + thanks + signature + QUOTE.format(q=quoted)
    reading = read_reply(reply(body), today=TODAY)
    assert (reading.command, reading.answer) == (None, False), reading.reason


@given(
    st.sampled_from(GREETINGS),
    st.sampled_from(THANKS),
    st.sampled_from(QUESTIONS),
    st.sampled_from(SIGNATURES),
)
def test_a_question_after_thanks_always_gets_an_answer(
    greeting: str, thanks: str, question: str, signature: str
) -> None:
    body = f"{greeting}{thanks}\n{question}{signature}" + QUOTE.format(q="Thanks!")
    reading = read_reply(reply(body), today=TODAY)
    assert reading.command is None and reading.answer, reading.reason
