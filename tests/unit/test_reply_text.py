"""Finding the words a peer typed: above the quote, or below it when bottom-posted; without
signatures and the banners mail gateways put on top; from text/plain, else from HTML."""

from __future__ import annotations

from datetime import date
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scheduler.replies.html import QUOTE_LINE, html_to_text
from scheduler.replies.read import parse_command
from scheduler.replies.text import (
    MAX_CHARS,
    body_text,
    subject_text,
    visible_reply,
    visible_text,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "replies"
TODAY = date(2027, 3, 1)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # top-posting, each client's attribution
        ("pause\n\nOn Mon, 1 Mar 2027 at 10:00, Tandem <t@x.example> wrote:\n> end", "pause"),
        ("pause\nOn Mon, Mar 1, 2027 at 10:00 AM Tandem <\nt@x.example> wrote:\n\n> end", "pause"),
        ("pause\n\nOn 2027-03-01 10:00, Tandem wrote:\n> end", "pause"),
        ("pause\n\nAm 01.03.2027 um 10:00 schrieb Tandem <t@x.example>:\n> end", "pause"),
        ("pause\n\nLe lun. 1 mars 2027 à 10:00, Tandem <t@x.example> a écrit :\n> end", "pause"),
        (
            "pausa\n\nEl lun, 1 mar 2027 a las 10:00, Tandem (<t@x.example>) escribió:\n> end",
            "pausa",
        ),
        ("pause\n\nOp ma 1 mrt. 2027 om 10:00 schreef Tandem <t@x.example>:\n> end", "pause"),
        ("pause\n\nDen mån 1 mars 2027 kl 10:00 skrev Tandem <t@x.example>:\n> end", "pause"),
        ("pause\n\n2027年3月1日(月) 10:00 Tandem <t@x.example>:\n> end", "pause"),
        ("pause\n\nTandem <t@x.example> 于2027年3月1日周一 10:00写道：\n> end", "pause"),
        ("pause\n\n-----Original Message-----\nFrom: Tandem\nend", "pause"),
        ("pause\n\n-----Ursprüngliche Nachricht-----\nVon: Tandem\nend", "pause"),
        ("pause\n________________________________\nFrom: Tandem\nSent: today\nend", "pause"),
        ("pause\n\nFrom: Tandem <t@x.example>\nSent: Monday\nTo: Ana\nSubject: Hi\n\nend", "pause"),
        ("pausa\n\nDe: Tandem\nEnviado: lunes\nPara: Ana\nAsunto: Hola\n\nend", "pausa"),
        ("pause\n\nDe : Tandem\nEnvoyé : lundi\nÀ : Ana\nObjet : Salut\n\nend", "pause"),
        ("pause\n\nBegin forwarded message:\n\nFrom: Tandem\nend", "pause"),
        ("pause\n\n---------- Forwarded message ---------\nFrom: Tandem\nend", "pause"),
        # signatures
        ("skip\n\nSent from my iPhone\nend", "skip"),
        ("skip\n\nGet Outlook for Android\nend", "skip"),
        ("skip\n\nEnvoyé de mon iPhone\nend", "skip"),
        ("skip\n\nVon meinem iPhone gesendet\nend", "skip"),
        ("skip\n\nEnviado desde mi iPhone\nend", "skip"),
        ("skip\n-- \nAna\nend", "skip"),
        (
            "skip\n\nSent from my desk, which is easier than my phone.",
            "skip\n\nSent from my desk, which is easier than my phone.",
        ),
        # bottom-posting and answers between quoted lines
        ("On Mon, 1 Mar 2027, Tandem wrote:\n> pause\n> end\n\nskip\n\n-- \nAna", "skip"),
        ("> What about the next one?\nskip it\n> And the one after?\nkeep it", "skip it\nkeep it"),
        ("On Mon, 1 Mar 2027, Tandem wrote:\n> end\n\nskip\n\nOn Sun, 2027, X wrote:\nend", "skip"),
        # a quote without '>' that opens the message shows nothing
        ("---------- Forwarded message ---------\nFrom: Tandem\n\npause", ""),
        ("From: Tandem <t@x.example>\nSent: Monday\nTo: Ana\nSubject: Hi\n\npause", ""),
        ("> only a quote\n> pause", ""),
        # words that look like headers but are not
        (
            "On the other hand, let's skip.\nOne question I had:",
            "On the other hand, let's skip.\nOne question I had:",
        ),
        ("Here is what I wrote:\nskip", "Here is what I wrote:\nskip"),
    ],
)
def test_the_visible_reply_is_found(text: str, expected: str) -> None:
    assert visible_reply(text) == expected


@pytest.mark.parametrize(
    "banner",
    [
        "CAUTION: This email originated from outside of the organization. Do not click links or "
        "open attachments unless you recognize the sender and know the content is safe.",
        "CAUTION: This email originated from outside of the organization. Do not click\n"
        "links or open attachments unless you recognize the sender and know the content\n"
        "is safe.",
        "[EXTERNAL]",
        "EXTERNAL EMAIL",
        "This message came from outside your organization.",
        "WARNING: External email. Be careful with links and attachments.",
        "You don't often get email from bo@partner.example. Learn why this is important",
        "[EXTERNAL]\n\nCAUTION: This email originated from outside the organization.",
        "[EXTERNAL] This email originated from outside the organization.",
        "ZjQcmQRYFpfptBannerStart\nThis Message Is From an External Sender\n"
        "This message came from outside your organization.\n \nZjQcmQRYFpfptBannerEnd",
    ],
)
@pytest.mark.parametrize("gap", ["\n", "\n\n"])
def test_a_gateway_banner_above_the_reply_is_dropped(banner: str, gap: str) -> None:
    text = f"{banner}{gap}pause for 3 weeks\n\nOn Mon, 1 Mar 2027, Tandem wrote:\n> end"
    assert visible_reply(text) == "pause for 3 weeks"


def test_an_external_tag_on_the_reply_line_is_dropped() -> None:
    assert visible_reply("[EXTERNAL] resume please\n\n> end") == "resume please"


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("Re: pause", "pause"),
        ("RE: AW: Fwd: skip", "skip"),
        ("TR: SV: Re[2]: end", "end"),
        ("[EXTERNAL] Re: resume", "resume"),
        ("EXTERNAL: RE: help", "help"),
        ("Re:  Northwind:  your pairing", "Northwind: your pairing"),
    ],
)
def test_the_subject_loses_reply_prefixes_and_external_tags(subject: str, expected: str) -> None:
    assert subject_text(subject) == expected


def test_html_quotes_become_one_quote_line_and_blocks_become_lines() -> None:
    html = (
        "<html><head><style>p {color: red}</style><title>t</title></head><body>"
        "<div>pause</div><div><br></div><p>for<br>now</p>"
        '<div class="gmail_signature">Ana<br>end</div>'
        '<div class="gmail_quote">On Mon wrote:<blockquote>end<blockquote>end</blockquote>'
        "end</blockquote></div><div>after</div></body></html>"
    )
    lines = [line for line in html_to_text(html).split("\n") if line]
    assert lines == ["pause", "for", "now", QUOTE_LINE, "after"]


@pytest.mark.parametrize("marker", ['id="divRplyFwdMsg"', 'id="appendonsend"'])
def test_everything_after_outlook_s_reply_marker_is_the_quote(marker: str) -> None:
    html = f"<p>skip</p><div {marker}></div><hr><div><b>From:</b> Tandem</div><p>end</p>"
    assert html_to_text(html) == f"skip\n\n{QUOTE_LINE}"


def test_apple_mail_s_cited_blockquote_is_a_quote() -> None:
    html = 'end it<br><blockquote type="cite"><div>pause</div></blockquote>'
    assert visible_reply(html_to_text(html)) == "end it"


def test_text_plain_is_read_before_html() -> None:
    message = EmailMessage()
    message.set_content("skip")
    message.add_alternative("<p>end</p>", subtype="html")
    assert body_text(message) == "skip\n"


def test_html_is_read_when_the_text_part_is_empty() -> None:
    message = EmailMessage()
    message.set_content("   \n")
    message.add_alternative("<p>end</p>", subtype="html")
    assert body_text(message) == "end"


def test_an_unknown_charset_is_read_with_replacements() -> None:
    raw = b"Content-Type: text/plain; charset=x-unknown\n\nskip \xff\n"
    message = BytesParser(policy=policy.default).parsebytes(raw)
    assert visible_text(message).startswith("skip")


def test_a_message_without_text_has_no_visible_reply() -> None:
    message = EmailMessage()
    message.set_content(b"\x89PNG", maintype="image", subtype="png")
    assert visible_text(message) == ""


def two_part_fixtures() -> list[Path]:
    """The fixtures that carry both a text and an HTML version of the reply."""
    chosen = []
    for path in sorted(FIXTURES.glob("*.eml")):
        message = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
        assert isinstance(message, EmailMessage)
        parts = [message.get_body(preferencelist=(kind,)) for kind in ("plain", "html")]
        if None not in parts and message.get_content_type() != "multipart/report":
            chosen.append(path)
    return chosen


@pytest.mark.parametrize("path", two_part_fixtures(), ids=lambda p: p.name)
def test_the_html_part_gives_the_same_command_as_the_text_part(path: Path) -> None:
    message = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
    assert isinstance(message, EmailMessage)
    plain, html = (message.get_body(preferencelist=(kind,)) for kind in ("plain", "html"))
    assert plain is not None and html is not None
    from_plain = parse_command(visible_reply(plain.get_content()), today=TODAY)
    from_html = parse_command(visible_reply(html_to_text(html.get_content())), today=TODAY)
    assert from_plain is not None and from_html is not None
    assert from_plain[:2] == from_html[:2]


def test_a_megabyte_of_quote_is_cut_to_the_reply() -> None:
    # how fast: python -m bench.bench_replies
    text = "pause\n\nOn Mon, 1 Mar 2027, Tandem wrote:\n" + "> end of the quote\n" * 60_000
    assert visible_reply(text) == "pause"
    assert visible_reply("> x\n" + "x" * 1_000_000) == "x" * (MAX_CHARS - 4)


@given(st.text())
def test_no_quoted_line_is_ever_visible(text: str) -> None:
    visible = visible_reply(text)
    assert not any(line.lstrip().startswith(">") for line in visible.split("\n"))


def test_a_message_parsed_with_the_compat32_policy_is_read_too() -> None:
    raw = (FIXTURES / "outlook_desktop.eml").read_bytes()
    assert visible_text(message_from_bytes(raw)).startswith("Can we move the next meeting?")
