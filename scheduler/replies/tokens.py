"""The words of a reply as the command grammar sees them: accent-folded tokens, with each
multi-word command ("count me in", "no thanks", "darme de baja") merged into one token, so
that a phrase reads like a single command word and the "no" inside "no thanks" is no negation.

Kept apart from scheduler.replies.grammar so that the table (scheduler.replies.read) and the answer
rules (scheduler.replies.answer) tokenise exactly as the grammar does.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from scheduler.replies.words import fold

Phrases = Mapping[str, tuple[tuple[str, ...], ...]]
"""Multi-word commands as their tokens, by first token, longest first."""


def tokens(text: str) -> list[str]:
    """Accent-folded words, French elisions apart ("j'aimerais" -> "j'", "aimerais"); a
    pause-length placeholder "⟦n⟧" is one token."""
    found: list[str] = []
    for raw in TOKEN.findall(text):
        token = fold(raw).strip("-")
        elided = _ELISION.match(token)
        found.extend([f"{elided[1]}'", elided[2]] if elided else [token])
    return found


def phrase_index(keys: Iterable[str]) -> Phrases:
    """The phrases among `keys` (command words as `key` writes them), for `merged`."""
    split = sorted((tuple(key.split(" ")) for key in keys if " " in key), key=len, reverse=True)
    return {first: tuple(p for p in split if p[0] == first) for first in {p[0] for p in split}}


def key(word: str) -> str:
    """A command word as `merged` writes it: its tokens joined by one space."""
    return " ".join(tokens(word))


def merged(found: list[str], phrases: Phrases) -> list[str]:
    """`found` with each phrase as one token ("no", "thanks" -> "no thanks")."""
    result: list[str] = []
    index = 0
    while index < len(found):
        for phrase in phrases.get(found[index], ()):
            if tuple(found[index : index + len(phrase)]) == phrase:
                result.append(" ".join(phrase))
                index += len(phrase)
                break
        else:
            result.append(found[index])
            index += 1
    return result


TOKEN = re.compile(r"⟦\d+⟧|[^\W\d_][\w'-]*|\d+")
_ELISION = re.compile(r"^(j|d|l|qu|n|s|c|m|t)'(.+)$")
