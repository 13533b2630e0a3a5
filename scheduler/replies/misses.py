"""Clauses with no command word that are still requests: they open with a word for a change
Tandem has no command for ("hold the meetings", "delete me", "stornieren"), or with a command
word mistyped by one letter among words Tandem knows ("pasue for a month", "resmue").

Such a reply gets the list of reply words (scheduler.replies.answer): silence would let the
peer believe that something was done.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from scheduler.replies import words

_HOLDER = re.compile(r"⟦\d+⟧")


def unknown_request(found: list[str], said: str, command_words: Iterable[str]) -> str | None:
    """Why the clause of tokens `found` (written `said`) looks like a request Tandem did not
    understand, or None."""
    rest = [token for token in found if token not in words.FILLERS]
    if not rest:
        return None
    opening = rest[0]
    if opening in words.UNKNOWN_REQUESTS:
        return f"{opening!r} is not a word Tandem knows in {said!r}"
    known = words.FILLERS | words.OBJECTS
    if all(t in known or _HOLDER.fullmatch(t) for t in rest[1:]):
        meant = misspelt(opening, command_words)
        if meant is not None:
            return f"{opening!r} is not {meant!r}"
    return None


def misspelt(token: str, command_words: Iterable[str]) -> str | None:
    """The command word `token` is one typing slip away from (a letter missing, extra,
    wrong, or swapped with the next), for words of five letters or more: shorter words have
    too many everyday neighbours ("skip" and "ship", "end" and "and")."""
    if len(token) < 5 or token in words.NOT_MISSPELT or token in words.OBJECTS:
        return None
    for word in command_words:
        if len(word) >= 5 and " " not in word and one_slip(token, word):
            return word
    return None


def one_slip(a: str, b: str) -> bool:
    """Whether `a` and `b` differ by exactly one typing slip."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        wrong = [i for i in range(len(a)) if a[i] != b[i]]
        if len(wrong) == 1:
            return True
        return (
            len(wrong) == 2
            and wrong[1] == wrong[0] + 1
            and (a[wrong[0]], a[wrong[1]]) == (b[wrong[1]], b[wrong[0]])
        )
    short, long = (a, b) if len(a) < len(b) else (b, a)
    return any(long[:i] + long[i + 1 :] == short for i in range(len(long)))
