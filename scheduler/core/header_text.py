"""Untrusted text (names from the directory, subjects made from them) made safe for a header.

The email package decodes RFC 2047 encoded words when it folds a header and writes what they
hold, line breaks included: a name "=?utf-8?q?Admin=0D=0ABcc:_x@evil.example?=" became a real
Bcc header (issue 13, defect 4). So text is decoded first, as a mail reader would, until
nothing is left to decode, and only then cleaned of line breaks and controls.
"""

from __future__ import annotations

import re
import unicodedata
from email.errors import HeaderParseError
from email.header import decode_header, make_header

_PASSES = 5  # an encoded word inside an encoded word, and so on, a few levels deep
_BREAKS = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})  # controls, format, surrogates, separators
_OPENER = re.compile(r"=\?")


def header_text(value: str) -> str:
    """`value` as one clean line: encoded words decoded, every control, format character and
    line separator a space, spaces collapsed, and any "=?" left (a malformed encoded word)
    broken apart so that no reader decodes it later."""
    text = value
    for _ in range(_PASSES):
        decoded = _decode(text)
        if decoded == text:
            break
        text = decoded
    text = unicodedata.normalize("NFC", text)
    kept = (" " if unicodedata.category(c) in _BREAKS else c for c in text)
    return _OPENER.sub("= ?", " ".join("".join(kept).split()))


def _decode(text: str) -> str:
    if "=?" not in text:
        return text
    try:
        return str(make_header(decode_header(text)))
    except (HeaderParseError, LookupError, UnicodeError, ValueError):
        return text  # not decodable: the opener is broken apart afterwards
