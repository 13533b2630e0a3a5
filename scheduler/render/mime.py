"""Emails written straight to bytes: the bytes that building an `EmailMessage` with
`policy.default` and calling `as_bytes(policy=SMTP)` gives (multipart boundaries are random
either way), without building the message objects, which cost a few milliseconds a message.

A header that is plain ASCII and fits on one line is written as it is, which is what the email
package writes for it; any other header (a name in another alphabet, an encoded word, a line
to fold, a quoted name) is made and folded by the email package's own header classes, so
that its encoding and its protection against header injection stay theirs. Bodies are encoded
by the rules of `email.contentmanager` (7bit or 8bit when every line fits, else the shorter of
quoted-printable and base64). tests/unit/test_mime.py holds the two ways side by side.
"""

from __future__ import annotations

import binascii
import functools
import random
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from email import quoprimime
from email.headerregistry import Address, HeaderRegistry, UnstructuredHeader
from email.policy import SMTP, default

from scheduler.core.header_text import header_text

MAX_LINE: int = default.max_line_length or 78
_CRLF = "\r\n"
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_PHRASE = re.compile(rf"{_ATOM}(?: {_ATOM})*")  # a display name that needs no quoting
_ADDR_SPEC = re.compile(rf"{_ATOM}(?:\.{_ATOM})*@{_ATOM}(?:\.{_ATOM})*")
_PLAIN = re.compile(r"[!-~]+(?: [!-~]+)*")  # printable ASCII, single spaces inside
_MESSAGE_ID = re.compile(rf"<{_ATOM}(?:\.{_ATOM})*@{_ATOM}(?:\.{_ATOM})*>")
_NEWLINES = re.compile(r"\r\n|\r|\n")
_BOUNDARY_WIDTH = len(repr(sys.maxsize - 1))


@dataclass
class Part:
    """A MIME part: its header lines, each folded and ending in CRLF, and either a body (text
    with LF line ends) or subparts; a multipart's Content-Type, which names the boundary
    chosen when it is written, comes after its other headers."""

    headers: list[str] = field(default_factory=list)
    body: str = ""
    parts: list[Part] = field(default_factory=list)
    subtype: str = ""  # "alternative", "mixed" for a multipart

    def add(self, name: str, value: str) -> None:
        self.headers.append(header(name, value))


def header(name: str, value: str) -> str:
    """`name: value` as the email package folds it for SMTP, CRLF included.

    Raises:
        ValueError: `value` holds a line break, as `message[name] = value` refuses it.
    """
    if len(value.splitlines()) > 1:
        raise ValueError("Header values may not contain linefeed or carriage return characters")
    is_unstructured = _unstructured(name.lower())
    plain = is_unstructured and "=?" not in value and _PLAIN.fullmatch(value)
    if (plain or (name.lower() == "message-id" and _MESSAGE_ID.fullmatch(value))) and (
        len(name) + 2 + len(value) <= MAX_LINE
    ):
        return f"{name}: {value}{_CRLF}"
    return _folded(name, value)


def address_header(name: str, addresses: Sequence[tuple[str, str]]) -> str:
    """An address header from (display name, address) pairs, the name already one clean line.

    Raises:
        ValueError: an address is malformed (from email.headerregistry.Address).
    """
    entries = []
    for display_name, addr_spec in addresses:
        if not _ADDR_SPEC.fullmatch(addr_spec) or (
            display_name and not _PHRASE.fullmatch(display_name)
        ):
            return _folded_addresses(name, addresses)
        entries.append(f"{display_name} <{addr_spec}>" if display_name else addr_spec)
    value = ", ".join(entries)
    if len(name) + 2 + len(value) > MAX_LINE:
        return _folded_addresses(name, addresses)
    return f"{name}: {value}{_CRLF}"


def date_header(name: str, moment: datetime) -> str:
    """A Date header; the same moment in the same offset is folded once."""
    return _folded_date(name, moment.isoformat(), moment)


def text_part(text: str, subtype: str) -> Part:
    """A text/<subtype> part in UTF-8, as `set_content(text, subtype=...)` makes it."""
    transfer, body = _text_body(text)
    part = Part()
    part.add("Content-Type", f'text/{subtype}; charset="utf-8"')
    part.add("Content-Transfer-Encoding", transfer)
    part.body = body
    return part


def base64_body(data: bytes) -> str:
    """`data` in base64 lines, as `set_content(bytes, ...)` encodes it."""
    per_line = MAX_LINE // 4 * 3
    return "".join(
        binascii.b2a_base64(data[i : i + per_line]).decode("ascii")
        for i in range(0, len(data), per_line)
    )


def to_bytes(message: Part) -> bytes:
    """The whole message as `as_bytes(policy=SMTP)` writes it."""
    return _flatten(message).encode("ascii", "surrogateescape")


def _flatten(part: Part) -> str:
    if not part.subtype:
        return "".join(part.headers) + _CRLF + _lines(part.body)
    texts = [_flatten(sub) for sub in part.parts]
    boundary = _boundary(_CRLF.join(texts))
    content_type = _boundary_header(part.subtype, len(boundary)).replace(
        "X" * len(boundary), boundary
    )
    closing = f"{_CRLF}--{boundary}--{_CRLF}"
    middle = f"{_CRLF}--{boundary}{_CRLF}".join(texts)
    return "".join(part.headers) + content_type + _CRLF + f"--{boundary}{_CRLF}{middle}{closing}"


def _lines(body: str) -> str:
    """The body with CRLF line ends, as the generator writes it (no end added)."""
    return _NEWLINES.sub(_CRLF, body)


def _boundary(text: str) -> str:
    """A random boundary that no line of `text` is, as email.generator chooses it."""
    token = random.randrange(sys.maxsize)
    boundary = "=" * 15 + f"{token:0{_BOUNDARY_WIDTH}d}" + "=="
    chosen, counter = boundary, 0
    while _is_a_line(text, chosen):
        chosen, counter = f"{boundary}.{counter}", counter + 1
    return chosen


def _is_a_line(text: str, boundary: str) -> bool:
    """Whether `--boundary` or `--boundary--` is a line of `text` (ending at a LF or at the
    end): what the email generator's `^--boundary(--)?$` multiline search finds, without
    compiling a pattern for every new boundary."""
    dashed = f"--{boundary}"
    return dashed in text and any(line in (dashed, f"{dashed}--") for line in text.split("\n"))


@functools.cache
def _boundary_header(subtype: str, width: int) -> str:
    """The Content-Type of a multipart with a boundary of `width` characters shown as X's:
    how it folds depends only on their number."""
    return _folded("Content-Type", f'multipart/{subtype}; boundary="{"X" * width}"')


def _text_body(text: str) -> tuple[str, str]:
    """The transfer encoding and body of a UTF-8 text, by email.contentmanager's rules."""
    lines = text.encode("utf-8").splitlines()
    body = b"\n".join(lines) + b"\n"
    if max((len(line) for line in lines), default=0) <= MAX_LINE:
        try:
            return "7bit", body.decode("ascii")
        except UnicodeDecodeError:
            return "8bit", body.decode("ascii", "surrogateescape")
    sniff = b"\n".join(lines[:10]) + b"\n"
    sniff_qp = quoprimime.body_encode(sniff.decode("latin-1"), MAX_LINE)
    if len(sniff_qp) > len(binascii.b2a_base64(sniff)):
        return "base64", base64_body(body)
    if len(lines) <= 10:
        return "quoted-printable", sniff_qp
    return "quoted-printable", quoprimime.body_encode(body.decode("latin-1"), MAX_LINE)


@functools.cache
def _unstructured(name: str) -> bool:
    registry = default.header_factory
    assert isinstance(registry, HeaderRegistry)
    return issubclass(registry[name], UnstructuredHeader)


@functools.lru_cache(maxsize=512)
def _folded(name: str, value: str) -> str:
    """The email package's own header, folded for SMTP; the same few (Content-Type,
    MIME-Version, the sender) are made once."""
    return str(SMTP.fold(name, SMTP.header_factory(name, value)))


def _folded_addresses(name: str, addresses: Sequence[tuple[str, str]]) -> str:
    value = [Address(display_name=n, addr_spec=a) for n, a in addresses]
    return str(SMTP.fold(name, SMTP.header_factory(name, value)))


@functools.lru_cache(maxsize=64)
def _folded_date(name: str, key: str, moment: datetime) -> str:
    return str(SMTP.fold(name, SMTP.header_factory(name, moment)))


def email_bytes(
    *,
    sender_name: str,
    sender: str,
    to: Sequence[tuple[str, str]],
    reply_to: str,
    subject: str,
    text: str,
    html: str,
    message_id: str,
    date: datetime,
    in_reply_to: str | None = None,
    references: Sequence[str] = (),
) -> bytes:
    """What scheduler.render.kits.build_email builds, without attachments or inline parts,
    as bytes for SMTP: multipart/alternative of the text and the HTML.

    Raises:
        ValueError: an address is malformed or `date` is naive.
    """
    if date.tzinfo is None:
        raise ValueError("the Date of an email must be time-zone aware")
    message = Part(subtype="alternative")
    message.headers.append(address_header("From", [(header_text(sender_name), sender)]))
    message.headers.append(address_header("To", [(header_text(n), a) for n, a in to]))
    message.headers.append(address_header("Reply-To", [("", reply_to)]))
    message.add("Subject", header_text(subject))
    message.headers.append(date_header("Date", date))
    message.add("Message-ID", header_text(message_id))
    if in_reply_to:
        message.add("In-Reply-To", header_text(in_reply_to))
    if references:
        message.add("References", " ".join(header_text(ref) for ref in references))
    message.add("Auto-Submitted", "auto-generated")
    message.add("MIME-Version", "1.0")
    html_part = text_part(html, "html")
    html_part.add("MIME-Version", "1.0")  # added by set_content on a part of its own
    message.parts = [text_part(text, "plain"), html_part]
    return to_bytes(message)
