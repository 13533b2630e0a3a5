"""HTML-only replies to plain text, with each quote the client marked replaced by a '>' line.

Clients mark their quotes in HTML more reliably than in text (Gmail's div.gmail_quote, Apple
Mail's and Thunderbird's blockquote type=cite, Outlook's div#divRplyFwdMsg), so the quote
leaves here as one "> ..." line and scheduler.replies.text then finds the reply around it.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

QUOTE_LINE = "> ..."


def html_to_text(html: str) -> str:
    """The text a reader sees, one line per <br>, <p> or <div>; quotes become QUOTE_LINE."""
    reader = _Reader()
    reader.feed(html)
    reader.close()
    return reader.text()


def _tags(text: str) -> frozenset[str]:
    return frozenset(text.split())


_BLOCKS = _tags(
    "p div br tr li ul ol table h1 h2 h3 h4 h5 h6 pre hr section article header footer "
    "address center dl dt dd"
)
_VOID = _tags("br hr img meta link input area base col embed param source track wbr")
_HIDDEN = _tags("style script head title template")
_QUOTE_CLASSES = ("gmail_quote", "yahoo_quoted", "moz-forward-container")
_SIGNATURE_CLASSES = ("gmail_signature", "moz-signature")
# Outlook (desktop, web, mobile) puts the quoted message after these, each a sibling of what
# follows, so everything after them is the quote.
_OUTLOOK_REST = ("divrplyfwdmsg", "appendonsend", "mail-editor-reference-message-container")


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self._parts: list[str] = []
        self._skipping: str | None = None
        self._depth = 0
        self._pre = 0
        self._done = False

    def text(self) -> str:
        lines = "".join(self._parts).replace("\xa0", " ").split("\n")
        text = "\n".join(line.strip() for line in lines).strip("\n")
        return re.sub(r"\n{3,}", "\n\n", text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._done:
            return
        if self._skipping is not None:
            if tag == self._skipping and tag not in _VOID:
                self._depth += 1
            return
        found = {name: (value or "") for name, value in attrs}
        classes = found.get("class", "").lower().split()
        element_id = found.get("id", "").lower()
        if element_id in _OUTLOOK_REST:
            self._quote()
            self._done = True
            return
        if tag == "blockquote" or any(c in classes for c in _QUOTE_CLASSES):
            self._quote()
            self._skip(tag)
            return
        if tag in _HIDDEN or any(c in classes for c in _SIGNATURE_CLASSES):
            self._skip(tag)
            return
        if tag == "pre":
            self._pre += 1
        if tag in _BLOCKS:
            self._parts.append("\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._skipping is None and not self._done and tag in _BLOCKS:
            self._parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if self._done:
            return
        if self._skipping is not None:
            if tag == self._skipping:
                self._depth -= 1
                if self._depth == 0:
                    self._skipping = None
            return
        if tag == "pre":
            self._pre = max(0, self._pre - 1)
        if tag in _BLOCKS and tag not in _VOID:
            self._parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self._skipping is not None or self._done:
            return
        self._parts.append(data if self._pre else re.sub(r"\s+", " ", data))

    def _skip(self, tag: str) -> None:
        if tag in _VOID:
            return
        self._skipping, self._depth = tag, 1

    def _quote(self) -> None:
        self._parts.append(f"\n{QUOTE_LINE}\n")
