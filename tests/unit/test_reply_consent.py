"""The consent words (join, leave, no thanks) for the invitation email: read there in four
languages, never acted on negated, "no thanks" only as the whole first line, and never read
nor listed in a paired peer's emails."""

from __future__ import annotations

from datetime import date
from email.message import EmailMessage

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scheduler.replies.commands import entry_of
from scheduler.replies.read import (
    COMMANDS,
    EMAILS,
    INVITATION,
    LANGUAGES,
    PAIR,
    Command,
    help_rows,
    parse_command,
    read_reply,
)

TODAY = date(2027, 1, 5)
CONSENT = (Command.JOIN, Command.LEAVE, Command.NO_THANKS)


def reply(body: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = "ana.lima@northwind.example"
    message["To"] = "mentoring@northwind.example"
    message["Subject"] = "Re: Would you like a peer-mentoring partner?"
    message.set_content(body)
    return message


def invitation(text: str) -> Command | None:
    found = parse_command(text, today=TODAY, email=INVITATION)
    return None if found is None else found[0]


@pytest.mark.parametrize(
    ("text", "command"),
    [
        ("Count me in!", Command.JOIN),
        ("I'm in", Command.JOIN),
        ("Yes please", Command.JOIN),
        ("I'd like to join the program", Command.JOIN),
        ("opt in", Command.JOIN),
        ("Ich bin dabei!", Command.JOIN),
        ("Ich möchte gerne mitmachen", Command.JOIN),
        ("Ich möchte am Programm teilnehmen", Command.JOIN),
        ("bitte anmelden", Command.JOIN),
        ("Je participe volontiers", Command.JOIN),
        ("Je voudrais m'inscrire", Command.JOIN),
        ("participer", Command.JOIN),
        ("¡Me apunto!", Command.JOIN),
        ("Quiero participar", Command.JOIN),
        ("unirme", Command.JOIN),
        ("I want to leave the program", Command.LEAVE),
        ("opt out", Command.LEAVE),
        ("stop all emails please", Command.LEAVE),
        ("Ich möchte austreten", Command.LEAVE),
        ("abmelden", Command.LEAVE),
        ("Je veux quitter le programme", Command.LEAVE),
        ("me désinscrire", Command.LEAVE),
        ("Quiero darme de baja", Command.LEAVE),
        ("salir del programa", Command.LEAVE),
        ("No thanks.", Command.NO_THANKS),
        ("No thank you!", Command.NO_THANKS),
        ("Not now, sorry.", Command.NO_THANKS),
        ("I'm not interested in the program", Command.NO_THANKS),
        ("Hi Ana,\n\nNo thanks.\n\nBest,\nAna", Command.NO_THANKS),
        ("Nein danke.", Command.NO_THANKS),
        ("Kein Interesse, danke.", Command.NO_THANKS),
        ("Non merci.", Command.NO_THANKS),
        ("Pas intéressée, désolée.", Command.NO_THANKS),
        ("No gracias.", Command.NO_THANKS),
        ("No me interesa, gracias.", Command.NO_THANKS),
        # a no that opens the line alone, with a reason after it
        ("No thanks, too busy", Command.NO_THANKS),
        ("No thanks, happy to chat another time", Command.NO_THANKS),
        ("No thanks, I am on leave from March", Command.NO_THANKS),
        ("Not now - swamped with the launch. Best, Ana", Command.NO_THANKS),
        ("Nein danke, keine Zeit", Command.NO_THANKS),
        ("Non merci, pas le temps en ce moment", Command.NO_THANKS),
        ("No gracias, no tengo tiempo", Command.NO_THANKS),
    ],
)
def test_a_consent_word_is_read_in_a_reply_to_the_invitation(text: str, command: Command) -> None:
    assert invitation(text) is command


@pytest.mark.parametrize(
    "text",
    [
        "I don't want to leave",
        "I don't want to join",
        "Ich will nicht austreten",
        "Je ne veux pas quitter le programme",
        "No quiero salir",
        "I'm not in",
        "I'll leave it to you",  # only the program may stand around a consent word
        "I'll join the call at 3",
        "no thanks needed, see you Monday",  # "no thanks" is weak: only the whole first line
        "no thanks needed, I have time",  # a reason needs the no alone at the line's start
        "Happy to help, not too busy, no thanks needed",
        "Thanks for this, not now I guess",
        "Thanks!\nno thanks",
        "Great chat.\n\nNot now, but maybe later",
    ],
)
def test_negations_and_other_uses_of_the_words_never_act(text: str) -> None:
    assert invitation(text) is None


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("count me in", False),
        ("Yes please!", False),
        ("No thanks", False),
        ("Not interested", False),
    ],
)
def test_join_and_no_thanks_never_act_in_a_pair_s_emails(text: str, answer: bool) -> None:
    reading = read_reply(reply(text), today=TODAY)
    assert (reading.command, reading.acts, reading.answer) == (None, True, answer), reading.reason
    assert "a reply to the invitation email; in a reply to the pair email" in reading.reason
    assert reading.unclear == (text if answer else "")


@pytest.mark.parametrize(
    "text",
    ["Leave the program", "leave the programme please", "Ich möchte austreten",
     "quitter le programme", "Quiero darme de baja"],
)  # fmt: skip
def test_a_person_may_leave_the_program_from_a_pair_s_emails(text: str) -> None:
    """Issue 10: "leave" at any time, in each language, from whichever email they have."""
    reading = read_reply(reply(text), today=TODAY)
    assert (reading.command, reading.acts) == (Command.LEAVE, True), reading.reason


def test_leave_as_an_absence_does_not_take_anyone_out_of_the_program() -> None:
    """In a pair's emails only "leave the program" leaves: "leave" alone is too often an
    absence ("on leave next week")."""
    for text in ("I'm on leave next week", "leave", "Sorry, parental leave until June"):
        reading = read_reply(reply(text), today=TODAY)
        assert reading.command is not Command.LEAVE, text


def test_words_keep_their_meaning_in_a_pair_s_emails() -> None:
    # "abmelden" and "opt-out" ended a pairing before the consent words came, and still do
    for word in ("abmelden", "opt-out", "stop all"):
        found = parse_command(word, today=TODAY)
        assert found is not None and found[0] is Command.END, word
    found = parse_command("Yes please, skip the next one", today=TODAY)
    assert found is not None and found[0] is Command.SKIP


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_paired_peer_s_help_list_offers_leave_but_not_join_or_no_thanks(language: str) -> None:
    shown = {row["word"] for row in help_rows(language)}
    asking = {e.words[language][0] for e in COMMANDS if e.command in CONSENT[::2]}
    assert shown and not shown & asking
    leave = entry_of(Command.LEAVE)
    assert leave.words_in(PAIR)[language][0] in shown
    invited = {row["word"] for row in help_rows(language, INVITATION)}
    consent = {e.words[language][0] for e in COMMANDS if e.command in CONSENT}
    assert consent <= invited and "pause" not in invited


def test_every_consent_entry_speaks_all_four_languages_and_is_offered_in_the_invitation() -> None:
    for entry in COMMANDS:
        assert entry.offered_in and entry.offered_in <= set(EMAILS)
        for language in LANGUAGES:
            assert entry.words[language] and entry.examples[language]
            assert entry.descriptions[language].strip()
        if entry.command in (Command.JOIN, Command.NO_THANKS):
            assert entry.offered_in == {INVITATION}, entry.command
        if entry.command is Command.LEAVE:
            assert entry.offered_in == {INVITATION, PAIR}


QUOTE = "\n\nOn Mon, 4 Jan 2027 at 10:00, Tandem <mentoring@northwind.example> wrote:\n{quote}\n"
EXAMPLES = [
    (email, entry.command, entry.examples[language])
    for entry in COMMANDS
    for email in sorted(entry.offered_in)
    for language in LANGUAGES
]


@given(
    st.sampled_from(EXAMPLES),
    st.sampled_from(["Thanks!", "Sounds good.", "", "Hi Ana,\n\nok"]),
    st.sampled_from(EMAILS),
)
def test_a_command_only_in_the_quoted_part_never_acts(
    example: tuple[str, Command, str], top: str, email: str
) -> None:
    _, _, said = example
    body = top + QUOTE.format(quote="\n".join(f"> {line}" for line in said.split("\n")))
    reading = read_reply(reply(body), today=TODAY, email=email)
    assert reading.command is None, reading.reason


@given(
    st.sampled_from(EXAMPLES),
    st.sampled_from(
        ["", " thanks!", ", thanks!", "! Thanks", "\nThanks!", ", merci", ", danke", ", gracias"]
    ),
    st.sampled_from(["", "\n\nBest,\nAna", "\n\nSent from my iPhone"]),
)
def test_thanks_after_a_command_keeps_it(
    example: tuple[str, Command, str], thanks: str, signature: str
) -> None:
    email, command, said = example
    alone = parse_command(said, today=TODAY, email=email)
    found = parse_command(said + thanks + signature, today=TODAY, email=email)
    assert alone is not None and alone[0] is command
    assert found is not None and found[:2] == alone[:2], said + thanks


def test_a_reply_is_read_as_one_to_a_pair_s_email_by_default() -> None:
    for text in ("pause for 3 weeks", "count me in", "abmelden", "no thanks"):
        by_default = parse_command(text, today=TODAY)
        assert by_default == parse_command(text, today=TODAY, email=PAIR), text
