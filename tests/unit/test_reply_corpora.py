"""Replies as real mail clients write them (../shared/corpora/replies): a command typed at the
top is found in every one, the same word standing only in the quote never acts, and the visible
reply matches the expected answer of each corpus (see its README)."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from email.message import EmailMessage
from email.parser import Parser
from email.policy import default
from functools import cache
from pathlib import Path

import pytest

from scheduler.replies.read import Command, parse_command, read_reply
from scheduler.replies.text import visible_reply
from scheduler.replies.times import Proposal, Refusal, find_proposal

CORPORA = Path(
    os.environ.get("TANDEM_CORPORA", Path(__file__).resolve().parents[3] / "shared" / "corpora")
)
REPLIES = CORPORA / "replies"
TODAY = date(2027, 3, 1)


@dataclass(frozen=True)
class Sample:
    """One corpus message: its name ("folder/file"), its body text and, where the corpus
    gives one, the exact visible reply expected."""

    name: str
    text: str
    expected: str | None


def _skip_or_fail() -> None:
    reason = f"the reply corpora are not at {REPLIES} (set TANDEM_CORPORA to their folder)"
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


# The crisp-oss corpus: most messages open with this paragraph, which is their whole reply.
COMMON_FIRST_FRAGMENT = """\
Fusce bibendum, quam hendrerit sagittis tempor, dui turpis tempus erat, pharetra sodales ante sem sit amet metus.
Nulla malesuada, orci non vulputate lobortis, massa felis pharetra ex, convallis consectetur ex libero eget ante.
Nam vel turpis posuere, rhoncus ligula in, venenatis orci. Duis interdum venenatis ex a rutrum.
Duis ut libero eu lectus consequat consequat ut vel lorem. Vestibulum convallis lectus urna,
et mollis ligula rutrum quis. Fusce sed odio id arcu varius aliquet nec nec nibh."""  # noqa: E501

FULL = "<the whole message>"
RIAK = (
    "Hi folks\n\nWhat is the best way to clear a Riak bucket of all key, values after\n"
    "running a test?\nI am currently using the Java HTTP API.\n\n-Abhishek Kona"
)
BULLETS = (
    "test 2 this should list second\n\nand have spaces\n\nand retain this formatting\n\n\n"
    "   - how about bullets\n   - and another"
)
# The github and crisp messages that do not open with COMMON_FIRST_FRAGMENT: the reply above
# the first quote header, without the signature ("-- ", "Sent from my ..."), as the github
# corpus's README and crisp's own tests (email_1, _3, _emoji, _sent_from, _zoho) define it.
EXPECTED: dict[str, str | None] = {
    "github-email_reply_parser/correct_sig.txt": "this is an email with a correct -- signature.",
    "github-email_reply_parser/email_1_1.txt": RIAK,
    "github-email_reply_parser/email_1_2.txt": "Hi,",
    "github-email_reply_parser/email_1_3.txt": "Oh thanks.\n\nHaving the function would be "
    "great.\n\n-Abhishek Kona",
    "github-email_reply_parser/email_1_4.txt": "Awesome! I haven't had another problem with it.",
    "github-email_reply_parser/email_1_5.txt": FULL,
    "github-email_reply_parser/email_1_6.txt": "I get proper rendering as well.",
    "github-email_reply_parser/email_1_7.txt": ":+1:",
    "github-email_reply_parser/email_1_8.txt": "I will reply under this one\n\nand under this.",
    "github-email_reply_parser/email_2_1.txt": "Outlook with a reply",
    "github-email_reply_parser/email_2_2.txt": "Outlook with a reply directly above line",
    "github-email_reply_parser/email_2_3.txt": "Outlook with a reply directly above line",
    "github-email_reply_parser/email_BlackBerry.txt": "Here is another email",
    "github-email_reply_parser/email_bullets.txt": BULLETS,
    "github-email_reply_parser/email_iPhone.txt": "Here is another email",
    "github-email_reply_parser/email_long_quote.txt": RIAK.split("\nI am")[0],
    "github-email_reply_parser/email_multi_word_sent_from_my_mobile_device.txt": "Here is "
    "another email",
    "github-email_reply_parser/email_one_is_not_on.txt": "Thank, this is really helpful.\n\n"
    "One outstanding question I had:\n\nLocally (on development), when I run...",
    "github-email_reply_parser/email_sent_from_my_not_signature.txt": FULL,
    "github-email_reply_parser/email_sig_delimiter_in_middle_of_line.txt": FULL,
    "github-email_reply_parser/greedy_on.txt": "On your remote host you can run:\n\n     telnet "
    "127.0.0.1 52698\n\nThis should connect to TextMate (on your Mac, via the tunnel). If that\n"
    "fails, the tunnel is not working.",
    "github-email_reply_parser/pathological.txt": "I think you're onto something. I will try to "
    "fix the problem as soon as I\nget back to a computer.",
    "crisp-email-reply-parser/correct_sig.txt": "this is an email with a correct -- signature.",
    "crisp-email-reply-parser/email_1.txt": RIAK,
    "crisp-email-reply-parser/email_19.txt": "On Thursday, I get proper rendering.",
    "crisp-email-reply-parser/email_2.txt": "Hi,",
    "crisp-email-reply-parser/email_20.txt": "On Thursday.",
    "crisp-email-reply-parser/email_21.txt": FULL,
    "crisp-email-reply-parser/email_2_1.txt": "Outlook with a reply",
    "crisp-email-reply-parser/email_3.txt": "Oh thanks.\n\nHaving the function would be great.\n\n"
    "-Abhishek Kona",
    "crisp-email-reply-parser/email_4.txt": "Awesome! I haven't had another problem with it.",
    "crisp-email-reply-parser/email_5.txt": FULL,
    "crisp-email-reply-parser/email_6.txt": "I get proper rendering as well.\n\nSent a "
    "magnificent torch of pixels",
    "crisp-email-reply-parser/email_blackberry.txt": "Here is another email",
    "crisp-email-reply-parser/email_bullets.txt": BULLETS,
    "crisp-email-reply-parser/email_custom_quote_header.txt": "Thank you!",
    "crisp-email-reply-parser/email_customer_quote_header_2.txt": "Thank you very much.",
    "crisp-email-reply-parser/email_customer_quote_header_3.txt": "bonjour,\nje n'ai pas eu de "
    "retour sur ma précision..\nmerci d'avance",
    "crisp-email-reply-parser/email_emoji.txt": "🎉\n\n—\nJohn Doe\nCEO at Pandaland\n\n@pandaland",
    "crisp-email-reply-parser/email_iphone.txt": "Here is another email",
    "crisp-email-reply-parser/email_multi_word_sent_from_my_mobile_device.txt": "Here is "
    "another email",
    "crisp-email-reply-parser/email_not_a_signature.txt": FULL,
    "crisp-email-reply-parser/email_not_a_signature_2.txt": FULL,
    "crisp-email-reply-parser/email_one_is_not_on.txt": "Thank, this is really helpful.\n\n"
    "One outstanding question I had:\n\nLocally (on development), when I run...",
    "crisp-email-reply-parser/email_reply_header.txt": "This is the latest reply.\n\nThe thread "
    "contains two previous replies, and the most recent reply header has a line break in it.\n\n"
    "If we don't patch the line break, the reply header ends up in THIS fragment, instead of "
    "in the quoted fragment.\n\nOn the one hand, there could be a line in the reply starting "
    "with the word 'On.'\n\nOn the other hand, it could happen TWICE!\n\nStranger",
    "crisp-email-reply-parser/email_sent_from.txt": "Hi it can happen to any texts you type, as "
    "long as you type in between words or paragraphs.",
    "crisp-email-reply-parser/email_sent_from_my_not_signature.txt": FULL,
    "crisp-email-reply-parser/email_thread.txt": "This is new email reply in thread from bellow.",
    "crisp-email-reply-parser/email_tricky_11_double_signature.txt": "Thanks for your help!\n\n"
    "Best regards,\nJohn",
    "crisp-email-reply-parser/email_tricky_13_timestamp_variations.txt": FULL,
    "crisp-email-reply-parser/email_tricky_16_unicode_signatures.txt": FULL,
    "crisp-email-reply-parser/email_tricky_17_forward_header.txt": "See the forwarded message "
    "below.",
    "crisp-email-reply-parser/email_tricky_18_inline_reply.txt": "I think option A is great.\n\n"
    "Option B has some drawbacks.\n\nOption C is not suitable for our use case.",
    "crisp-email-reply-parser/email_tricky_19_quote_without_header.txt": "I wanted to respond to "
    "your points:",
    "crisp-email-reply-parser/email_tricky_1_on_false_positive.txt": FULL,
    "crisp-email-reply-parser/email_tricky_20_html_entities.txt": "The data should be &gt; 100 "
    "and &lt; 200.\n\nWe need to ensure that &amp; symbols are handled correctly.",
    "crisp-email-reply-parser/email_tricky_2_url_with_wrote.txt": FULL,
    "crisp-email-reply-parser/email_tricky_3_code_block.txt": FULL,
    "crisp-email-reply-parser/email_tricky_4_from_in_body.txt": FULL,
    "crisp-email-reply-parser/email_tricky_6_regards_in_sentence.txt": FULL,
    "crisp-email-reply-parser/email_tricky_7_multiple_dashes.txt": FULL,
    "crisp-email-reply-parser/email_tricky_8_sent_from_in_content.txt": FULL,
    "crisp-email-reply-parser/email_tricky_9_nested_quotes.txt": "I agree with the points below.",
    "crisp-email-reply-parser/email_unquoted_reply.txt": "This is my reply.",
    # Templates with "[DATE]" and "[FROM]" where a quote header once stood: no answer to check.
    "crisp-email-reply-parser/email_with_date_headers.txt": None,
    "crisp-email-reply-parser/email_with_from_headers.txt": None,
    "crisp-email-reply-parser/email_with_regards.txt": "Hi,\n\nI still have the same "
    "problem....\n\nCan you help?",
    "crisp-email-reply-parser/email_zoho.txt": "What is the best way to clear a Riak bucket of "
    "all key, values after\nrunning a test?",
    "crisp-email-reply-parser/sig_no_empty_line.txt": "this is an email with a signature with "
    "no empty line above.",
}

# Where Tandem's visible reply differs from the corpus answer on purpose: quoted lines are
# never part of it, and a message that opens with a quote without '>' (a forward, a Gmail
# attribution above unprefixed text) shows no reply at all, so that nothing quoted can act.
DELIBERATE = {
    "discourse-email_reply_trimmer/embedded_email_7.txt": "keeps quoted lines and the text "
    "after them; Tandem reads the reply above the quote only",
    "discourse-email_reply_trimmer/embedded_email_16.txt": "keeps the '>' quote above the reply",
    "discourse-email_reply_trimmer/embedded_email_17.txt": "keeps unprefixed text after an "
    "attribution that opens the message, and '>' lines",
    "discourse-email_reply_trimmer/embedded_email_18.txt": "keeps unprefixed text after an "
    "attribution that opens the message",
    "discourse-email_reply_trimmer/forwarded_message.txt": "keeps the body of a forward with "
    "nothing written above it",
    "discourse-email_reply_trimmer/quote_and_text.txt": "keeps the '>' quote above the reply",
    "discourse-email_reply_trimmer/quote_only.txt": "keeps a message that is only a quote",
    "crisp-email-reply-parser/email_with_regards.txt": "cuts at 'Regards,' where the discourse "
    "corpus keeps 'Best regards,' (email_headers_5); Tandem keeps both",
}


@cache
def samples() -> tuple[Sample, ...]:
    """Every message of every corpus, in name order."""
    if not REPLIES.is_dir():
        return ()
    found: list[Sample] = []
    for path in sorted(REPLIES.glob("*/*/*.txt")):
        folder, kind = path.parts[-3], path.parts[-2]
        if kind == "trimmed":
            continue
        name = f"{folder}/{path.name}"
        text = _read(path)
        expected: str | None
        if kind == "emails" and (path.parent.parent / "trimmed" / path.name).exists():
            expected = _read(path.parent.parent / "trimmed" / path.name)
        elif text.startswith("Fusce bibendum"):
            expected = COMMON_FIRST_FRAGMENT
        else:
            expected = EXPECTED.get(name)
            expected = text if expected == FULL else expected
        found.append(Sample(name, text, expected))
    return tuple(found)


def _read(path: Path) -> str:
    return path.read_bytes().decode("utf-8", "replace").replace("\r\n", "\n")


def normalized(text: str | None) -> str:
    """The text's lines, stripped, without blank ones: the libraries differ in whitespace."""
    lines = (line.strip() for line in (text or "").replace("\r\n", "\n").split("\n"))
    return "\n".join(line for line in lines if line)


def as_message(text: str, subject: str = "Re: Your Tandem pairing") -> EmailMessage:
    """The corpus body as a reply to Tandem (a corpus file that is a whole message is parsed)."""
    if re.match(r"(?:[\w-]+: .*\n)+\n", text) and re.search(r"^From: ", text, re.M):
        parsed = Parser(policy=default).parsestr(text)
        assert isinstance(parsed, EmailMessage)
        return parsed
    message = EmailMessage()
    message["From"] = "ana@example.com"
    message["To"] = "mentoring+p1.abcdefabcdef@example.com"
    message["Subject"] = subject
    message.set_content(text)
    return message


def sample_ids() -> list[str]:
    return [sample.name for sample in samples()] or ["no-corpora"]


@pytest.fixture(params=sample_ids())
def sample(request: pytest.FixtureRequest) -> Sample:
    if not samples():
        _skip_or_fail()
    return next(s for s in samples() if s.name == request.param)


def test_the_corpora_hold_all_three_folders() -> None:
    if not samples():
        _skip_or_fail()
    folders = {s.name.split("/")[0] for s in samples()}
    assert len(folders) == 3 and len(samples()) >= 170


def test_a_command_typed_at_the_top_is_found(sample: Sample) -> None:
    reading = read_reply(as_message("pause for 3 weeks\n\n" + sample.text), today=TODAY)
    assert (reading.command, reading.until, reading.acts) == (
        Command.PAUSE,
        TODAY + timedelta(weeks=3),
        True,
    ), reading.reason


def with_word_in_quote(text: str, word: str) -> str | None:
    """`text` with `word` added inside its first quote, found here independently of the code
    under test: "> word" after the first '>' line, else `word` as the first line of the quoted
    body after the first quote header (an attribution, a From: block, a separator, or the
    "Sent from my phone" line that mobile clients put above a quote without header)."""
    lines = text.split("\n")
    prefixed = next((i for i, line in enumerate(lines) if line.lstrip().startswith(">")), None)
    header = next((i for i, line in enumerate(lines) if _QUOTE_HEADER.search(line)), None)
    if header is not None and (prefixed is None or header < prefixed):
        body = next((i for i in range(header + 1, len(lines)) if not lines[i].strip()), None)
        if body is None or (prefixed is not None and prefixed < body):
            body = prefixed if prefixed is not None else header
            return "\n".join([*lines[: body + 1], f"> {word}", *lines[body + 1 :]])
        return "\n".join([*lines[: body + 1], word, *lines[body + 1 :]])
    if prefixed is None:
        return None
    return "\n".join([*lines[: prefixed + 1], f"> {word}", *lines[prefixed + 1 :]])


_QUOTE_HEADER = re.compile(
    r"(wrote|schrieb|écrit|escribió|scritto|escreveu|schreef|geschreven|skrev|kirjoitti|"
    r"napisał(\(a\))?|написал|пише|写道|írta)\s*:?\s*-*\s*$|>\s*:\s*$"
    r"|^(sent from|gesendet von) [^,]{0,40}$"
    r"|^\W*-{2,} ?(original message|ursprüngliche|message d'origine|mensaje original|oprindelig|"
    r"forwarded message)|^_{20,}\s*$"
    r"|^\s*\*?(from|von|de|da|van|från|fra)\s*\*?\s*:|^\d{4}[-/]\d{1,2}[-/]\d{1,2} .*(gmt|>)",
    re.I,
)


def quoting_ids() -> list[str]:
    """The messages that quote something (the others have no quote to hide a command in)."""
    chosen = [s.name for s in samples() if with_word_in_quote(s.text, "pause") is not None]
    return chosen or ["no-corpora"]


def answered_ids() -> list[str]:
    """The messages whose corpus gives an answer Tandem is meant to match."""
    chosen = [s.name for s in samples() if s.expected is not None and s.name not in DELIBERATE]
    return chosen or ["no-corpora"]


def pick(name: str) -> Sample:
    if not samples():
        _skip_or_fail()
    return next(s for s in samples() if s.name == name)


@pytest.mark.parametrize("word", ["pause", "end", "pause for 3 weeks"])
@pytest.mark.parametrize("name", quoting_ids())
def test_a_command_standing_only_in_the_quote_never_acts(name: str, word: str) -> None:
    sample = pick(name)
    quoted = with_word_in_quote(sample.text, word)
    assert quoted is not None
    before = read_reply(as_message(sample.text), today=TODAY).command
    after = read_reply(as_message(quoted), today=TODAY)
    assert after.command == before, f"{after.reason}\n---\n{after.text}"


@pytest.mark.parametrize("name", answered_ids())
def test_the_visible_reply_is_the_expected_one(name: str) -> None:
    sample = pick(name)
    assert sample.expected is not None
    assert normalized(visible_reply(sample.text)) == normalized(sample.expected)


def test_libraries_compared() -> None:
    """Prints how many corpus messages each reply parser gets exactly right (whitespace and
    blank lines aside) and which it gets wrong (see them with -s), and checks that Tandem's own
    rules do at least as well as both libraries and never act on a command in the quote."""
    if not samples():
        _skip_or_fail()
    from email_reply_parser import EmailReplyParser as Zapier  # type: ignore[import-untyped]
    from mailparser_reply import EmailReplyParser as Rausys  # type: ignore[import-untyped]

    languages = ["en", "de", "fr", "es", "it", "nl", "sv", "da", "pl", "ja", "zh", "cs", "ko"]
    rausys = Rausys(languages=languages)

    def rausys_body(text: str) -> str:
        replies = rausys.read(text).replies
        return str(replies[0].body) if replies else ""

    parsers: dict[str, Callable[[str], str | None]] = {
        "email-reply-parser parse_reply": Zapier.parse_reply,
        "mail-parser-reply parse_reply": rausys.parse_reply,
        "mail-parser-reply replies[0].body": rausys_body,
        "tandem (own rules)": visible_reply,
    }
    checked = [s for s in samples() if s.expected is not None]
    scores: dict[str, int] = {}
    for label, parse in parsers.items():
        wrong = [s.name for s in checked if normalized(parse(s.text)) != normalized(s.expected)]
        scores[label] = len(checked) - len(wrong)
        by_corpus = {
            corpus: sum(name.startswith(corpus) for name in wrong)
            for corpus in sorted({s.name.split("/")[0] for s in checked})
        }
        print(f"\n{label}: {scores[label]}/{len(checked)} exactly right; wrong {by_corpus}:")
        for name in wrong:
            print(f"  {name}{'  (deliberate)' if name in DELIBERATE else ''}")
        acting = _quoted_commands_acting(parse)
        print(f"  as the visible-text step, a command only in the quote acts on {acting}")
    assert scores["tandem (own rules)"] >= max(scores.values())
    assert _quoted_commands_acting(visible_reply) == "0 of 142 messages"


def _quoted_commands_acting(visible: Callable[[str], str | None]) -> str:
    """On how many of the messages that quote something a command put in the quote acts."""
    acting, quoting = set(), set()
    for sample in samples():
        for word in ("pause", "end", "pause for 3 weeks"):
            quoted = with_word_in_quote(sample.text, word)
            if quoted is None:
                continue
            quoting.add(sample.name)
            before = parse_command(visible(sample.text) or "", today=TODAY)
            after = parse_command(visible(quoted) or "", today=TODAY)
            if (after and after[0]) != (before and before[0]):
                acting.add(sample.name)
    return f"{len(acting)} of {len(quoting)} messages"


# Issue 9 item 7: who gets the HELP list back. Labelled here from the visible reply itself,
# independently of the rules under test: a thank-you or pleasantry, or a question ("?").
THANK_YOU = re.compile(
    r"\b(?:thanks?|thanx|thank you|merci|danke|gracias|awesome|super)\b|спасибо|:\+1:|🎉"
    r"|^(?:ok|okay|yes|hey)\b",
    re.I | re.M,
)


def test_help_goes_to_questions_and_never_to_a_thank_you() -> None:
    """Prints how many corpus replies with no command get the HELP list: before issue 9
    item 7 every one a person wrote did (176 of 176); now 9: the 7 with a "?" (one of them
    "Can you help?", the HELP command), one question without it ("If there are some other
    endpoints, can you please tell the endpoints") and, since proposed times are read
    (scheduler.replies.times), email_tricky_13, whose lines are timestamps alone: refused as
    more than one day and time. No thank-you-style reply gets it (30 of them, labelled by
    THANK_YOU), every question does."""
    if not samples():
        _skip_or_fail()
    readings = {s.name: read_reply(as_message(s.text), today=TODAY) for s in samples()}
    people = {
        name: r for name, r in readings.items() if r.acts and r.command in (None, Command.HELP)
    }
    questions = {name for name, r in people.items() if "?" in r.text}
    thanks = {name for name, r in people.items() if THANK_YOU.search(r.text)} - questions
    answered = {name for name, r in people.items() if r.answer}
    print(
        f"\nHELP answers: before {len(people)} of {len(people)} replies with no command, "
        f"after {len(answered)}; questions {len(questions)} (all answered: "
        f"{questions <= answered}), thank-you-style {len(thanks)} (answered: "
        f"{len(thanks & answered)})"
    )
    for name in sorted(answered):
        print(f"  answered: {name}: {people[name].reason}")
    assert questions and questions <= answered
    assert len(thanks) >= 20 and not thanks & answered, sorted(thanks & answered)
    assert (len(people), len(answered)) == (176, 9)


# Replies that propose no meeting time: none of them may be read as a proposal, whatever the
# day it is read on (2024-01-10: the corpus's own dates, mostly January 2024, lie ahead).
@pytest.mark.parametrize("today", [TODAY, date(2024, 1, 10)])
def test_no_corpus_reply_is_read_as_a_proposed_time(today: date) -> None:
    """Prints the corpus replies in which a day and time is read at all: no proposal; one
    refusal, email_tricky_13 ("Here are different timestamp formats", then "15.01.2024
    14:30", "01/15/2024 at 2:30 PM", "Jan 15, 2024 at 14:30" on lines of their own)."""
    if not samples():
        _skip_or_fail()
    readings = {s.name: read_reply(as_message(s.text), today=today) for s in samples()}
    read = {name: find_proposal(r.text, today) for name, r in readings.items() if r.acts}
    for name, found in sorted(read.items()):
        if found is not None:
            print(f"\n  {name}: {found}")
    assert not [name for name, r in readings.items() if r.proposal is not None]
    assert not [name for name, found in read.items() if isinstance(found, Proposal)]
    refused = [name for name, found in read.items() if isinstance(found, Refusal)]
    assert refused == ["crisp-email-reply-parser/email_tricky_13_timestamp_variations.txt"]


@pytest.mark.parametrize("name", quoting_ids())
def test_a_time_standing_only_in_the_quote_never_counts(name: str) -> None:
    sample = pick(name)
    quoted = with_word_in_quote(sample.text, "Tuesday 16:00")
    assert quoted is not None
    before = read_reply(as_message(sample.text), today=TODAY)
    after = read_reply(as_message(quoted), today=TODAY)
    assert (after.command, after.proposal) == (before.command, None), after.reason
