"""Names for what Tandem writes, in people's words: "launch kit to Ana Lima & Bo Chen" for the
summary of `tandem run`, and file names a person can read in any alphabet for the outbox's .eml
copies and the preview's folders. Pure: everything comes from the outbox key and the message's
own headers, so the same mail always gets the same name.
"""

from __future__ import annotations

import functools
import hashlib
import re
import unicodedata
from email import policy
from email.headerregistry import AddressHeader
from email.parser import BytesParser
from email.utils import parsedate_to_datetime

KIND_WORDS = {
    "kit": "launch kit",
    "nudge": "nudge",
    "paused": "paused note",
    "resumed": "resumed note",
    "ended": "ended note",
    "skip": "confirmation",
    "reschedule": "confirmation",
    "help": "help",
    "digest": "owner's digest",
    "owner-ended": "note to the owner",
    "invite": "invitation",
    "cancel": "cancellation",
}
"""The kind of a mail by the first part of its outbox key (see the jobs that make them)."""

MAX_NAME_BYTES = 200
"""Well under the 255 bytes that most file systems allow a name, in UTF-8."""


def kind_words(key: str) -> str:
    """The kind of mail in words: "launch kit" for "kit:p7k2m9q4", "invitation 1" for the
    first conversation's ("invite:p7k2m9q4-1-0:0", whose middle is the booking key
    pair-number-attempt); an unknown kind is named by its key's first part."""
    prefix = key.split(":", 1)[0]
    words = KIND_WORDS.get(prefix, prefix or "mail")
    meeting = _BOOKING.fullmatch(key)
    return f"{words} {meeting.group(1)}" if meeting else words


_BOOKING = re.compile(r"(?:invite|cancel):[^:]+-(\d+)-\d+:\d+")


def to_names(raw: bytes) -> list[str]:
    """The display names of the To header (the address where there is none)."""
    return list(_header_facts(_header_block(raw))[0])


def mail_label(key: str, raw: bytes) -> str:
    """What a mail is and whom it is for: "launch kit to Ana Lima & Bo Chen"."""
    names = " & ".join(to_names(raw))
    return f"{kind_words(key)} to {names}" if names else kind_words(key)


def eml_name(key: str, message_id: str, raw: bytes) -> str:
    """A name for a mail's .eml copy, "2026-12-01 launch kit - Ana Lima & Bo Chen - 3f9a1c.eml":
    the day of its Date header, its kind, whom it is for, and a short hash of its Message-ID,
    so that two mails never share a name and a resent mail finds the name it had."""
    to, day = _header_facts(_header_block(raw))
    digest = hashlib.sha256(message_id.strip().encode()).hexdigest()[:6]
    names = " & ".join(to)
    middle = f"{day}{kind_words(key)}" + (f" - {names}" if names else "")
    tail = f" - {digest}.eml"
    return readable_name(middle, MAX_NAME_BYTES - len(tail.encode())) + tail


def _header_block(raw: bytes) -> bytes:
    """The header lines of a mail, up to the first empty line: all a label reads, and what
    the parser would read of them anyway (a kit's body is 20 times longer)."""
    end = _BLANK_LINE.search(raw)
    return raw if end is None else raw[: end.end()]


_BLANK_LINE = re.compile(rb"\r?\n\r?\n")


@functools.lru_cache(maxsize=256)
def _header_facts(block: bytes) -> tuple[tuple[str, ...], str]:
    """The To names and the "2026-12-01 " day of the Date header ("" without one) of a header
    block. Cached: the Maildir copy's name and the summary of `tandem run` read the same mail."""
    headers = BytesParser(policy=_COMPAT).parsebytes(block, headersonly=True)
    try:
        day = f"{parsedate_to_datetime(str(headers['Date'])):%Y-%m-%d} "
    except (TypeError, ValueError):
        day = ""
    to_values = headers.get_all("To") or []
    if len(to_values) == 1 and (names := _plain_names(str(to_values[0]))) is not None:
        return names, day
    parsed = BytesParser(policy=policy.default).parsebytes(block, headersonly=True)["To"]
    if not isinstance(parsed, AddressHeader):
        return (), day
    return tuple(a.display_name or a.addr_spec for a in parsed.addresses), day


def _plain_names(value: str) -> tuple[str, ...] | None:
    """The names of a To header written as plain `Name Words <address>` entries (what Tandem
    writes for ASCII names), read without the full address parser; None for anything else
    (quotes, encoded words, comments, folded lines), which the parser reads."""
    entries = value.split(", ")
    if "=?" in value or not all(_PLAIN_ENTRY.fullmatch(entry) for entry in entries):
        return None
    return tuple(entry.rpartition(" <")[0] for entry in entries)


_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_PLAIN_ENTRY = re.compile(rf"{_ATOM}(?: {_ATOM})* <{_ATOM}(?:\.{_ATOM})*@{_ATOM}(?:\.{_ATOM})*>")
_COMPAT = policy.compat32


def readable_name(text: str, max_bytes: int = MAX_NAME_BYTES, fallback: str = "mail") -> str:
    """`text` as a file or folder name on any file system: letters of every alphabet kept
    (NFC, so "Zoë" is one name on every machine), no path separators, no characters Windows
    refuses (<>:"|?*), no control or invisible formatting characters, single spaces, no
    leading or trailing dots or spaces, at most `max_bytes` of UTF-8."""
    text = unicodedata.normalize("NFC", text)
    kept = "".join(
        "_" if c in _REFUSED else " " if c.isspace() else c
        for c in text
        if not unicodedata.category(c).startswith("C") or c.isspace()
    )
    kept = re.sub(r" +", " ", kept).strip(" .")
    while len(kept.encode()) > max_bytes:
        kept = kept[:-1]
    return kept.rstrip(" .") or fallback


_REFUSED = frozenset('/\\:*?"<>|')
