"""Whether a reply with no command gets the list of reply words back (the HELP email).

Most replies without a command are people being kind: "Thanks, looking forward to it!",
"Danke, freue mich!", "Merci, à bientôt", "¡Gracias!". Answering each of them with a list of
commands is noise that teaches people to ignore Tandem's mail, so the list goes only to:
- a question: a "?" or "¿" anywhere in the visible reply (links aside), or a sentence in its
  first lines that opens with a question word ("how do I", "wie kann ich", "comment", "cómo");
- something that looks like a command Tandem did not understand (scheduler.replies.grammar's
  near misses: "pause until the end of the quarter", "stop the meetings after March", "hold",
  "pasue for a month", a pause date that cannot be read), and a day and time proposed that
  Tandem cannot book ("16:00" with no day, "3/4 10:00"; scheduler.replies.times).
A day and time proposed is a reschedule, never a question; one turned down ("Tuesday 16:00
doesn't work for me, could we find another time?") is conversation between the peers, and its
line is no question either. Everything else is logged as ignored, with the reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from scheduler.replies import words
from scheduler.replies.grammar import FIRST_LINES, Found
from scheduler.replies.times import Proposal, Refusal
from scheduler.replies.tokens import tokens
from scheduler.replies.words import fold


@dataclass(frozen=True)
class Answer:
    """Whether to answer, why (for the log), and the words to quote back as not understood
    ("" for a question: the list of words is the answer, nothing was misread)."""

    send: bool
    why: str
    unclear: str = ""


def answer_for(text: str, found: Found, times: Proposal | Refusal | None = None) -> Answer:
    """The answer to a visible reply `text` in which `found` is no command and `times` is
    what scheduler.replies.times read in it."""
    if not text.strip():
        return Answer(False, "nothing is written above the quote, so no answer")
    if isinstance(times, Proposal):
        return Answer(False, "a day and time proposed is a reschedule, not a question")
    declined = times.line if isinstance(times, Refusal) and times.declined else None
    if isinstance(times, Refusal) and declined is None:
        why = "a day and time Tandem cannot book, answered with the list of words"
        return Answer(True, why, times.line[:60])
    if found.near and found.words != (declined or "")[:60]:
        return Answer(True, "it looks like a command Tandem did not understand", found.words)
    if declined is not None:
        text = "\n".join(line for line in text.splitlines() if line.strip() != declined)
    question = question_in(text)
    if question is not None:
        return Answer(True, f"a question ({question!r}), answered with the list of words")
    if declined is not None:
        return Answer(False, "a day and time turned down is conversation, so no answer")
    return Answer(False, "neither a question nor a command, so no answer")


def question_in(text: str) -> str | None:
    """The first question of a visible reply, shortened, or None."""
    plain = _LINK.sub(" ", text)
    marked = next((line for line in plain.splitlines() if "?" in line or "¿" in line), None)
    if marked is not None:
        return _shortened(marked.strip())
    for sentence in _sentences(plain):
        if sentence.endswith("!"):
            continue  # "What a great chat!", "Wie schön!"
        clauses = _CLAUSE.split(sentence)
        for index, clause in enumerate(clauses):
            said = clause.strip().lower().replace("’", "'")
            # "how", "wie", "comment" ask at the start of a sentence or after "Hi Ana,";
            # after a comma they usually do not ("I wrote something, which was ...")
            opening = index == 0 or (index == 1 and _greets(clauses[0]))
            asks = _OPENS_QUESTION.match(fold(said)) or _OPENS_SPANISH.match(said)
            if (opening and asks) or _ASKS.match(fold(said)):
                return _shortened(sentence)
    return None


def _sentences(text: str) -> list[str]:
    """The sentences of the first lines, with lines wrapped mid-sentence joined again."""
    pieces: list[str] = []
    for line in [line.strip() for line in text.splitlines() if line.strip()][:FIRST_LINES]:
        if pieces and line[:1].islower() and not pieces[-1].endswith(tuple(".!?:;,")):
            pieces[-1] += " " + line
        else:
            pieces.append(line)
    return [s.strip() for piece in pieces for s in _SENTENCE_END.split(piece) if s.strip()]


def _greets(clause: str) -> bool:
    """A short opening such as "Hi Ana", "Thanks", "Sorry", "Hallo zusammen"."""
    found = tokens(clause.lower())
    return bool(found) and found[0] in words.GREETINGS | words.POLITE and len(found) <= 3


def _shortened(text: str, length: int = 60) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"


_LINK = re.compile(r"(?:https?://|www\.)\S+|<address>")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_CLAUSE = re.compile(r"[,;:]")
_EN_AUX = (
    r"do|does|did|can|could|should|would|will|shall|may|might|must|is|are|was|were|am|"
    r"have|has|had"
)
_DE_VERBS = (
    r"kann|kannst|konnen|konnt|konnte|konnten|soll|sollen|sollte|sollten|muss|mussen|darf|"
    r"durfen|ist|sind|war|waren|gibt|geht|funktioniert|mache|machen|macht|habe|haben|hat|"
    r"hast|wird|werden|wurde|wurden|lauft|heisst|bedeutet|passiert|bekomme|komme|kommt|"
    r"lasst|melde|andere|andern|erreiche|erreicht|genau|lange|viel|oft"
)
# Accent-folded, so "können" is "konnen" and "où" is left out (it folds to "ou", "or").
# A question word before a verb: "how do I", "what's", "when is" (not "when I said"),
# "wie kann ich", "comment", "pourquoi".
_OPENS_QUESTION = re.compile(
    rf"(?:how|what|when|where|why|who|which|whom|whose)(?:'s|'re|\s+(?:{_EN_AUX}|to|come|"
    r"long|much|many|often|else|exactly|time|day|date|happens|happened|about|if)\b)"
    r"|i(?:'m|\s+am|\s+was)?\s+wondering\b|i\s+wonder\b"
    rf"|(?:wie|was|wann|wo|warum|wieso|weshalb|weswegen|wer|wen|wem|welche[rsnm]?|woher|"
    rf"wohin|womit|wozu|worum|woran|inwiefern)\s+(?:{_DE_VERBS})\b"
    r"|(?:comment|pourquoi|combien|quel|quelle|quels|quelles|qu'est-ce)(?:\W|$)"
    r"|quand\s+(?:est-ce|\w+-(?:je|tu|on|il|elle|nous|vous|t-il|t-on|t-elle))\b"
    r"|que\s+(?:dois|faut|faire|puis|peut|pouvons|pouvez|devons)\b"
)
# A verb before its subject asks wherever it stands: "..., can you tell me", "kann ich",
# "est-ce que", "puis-je".
_ASKS = re.compile(
    r"(?:can|could|may|should|shall|do|does|did|is|are|will|would|am|have|has)\s+"
    r"(?:i|we|you|he|she|they|it|there|this|that|someone|somebody|anyone|anybody|my|our)\b"
    rf"|(?:{_DE_VERBS})\s+(?:ich|wir|man|du|ihr|jemand)\b"
    r"|(?:ist|gibt|geht|klappt|passt)\s+(?:es|das)\b"
    r"|est-ce\s+qu"
    r"|(?:puis|peux|peut|pouvons|pouvez|dois|doit|devons|devez|faut|est|sont|avez|a)"
    r"-(?:je|tu|on|il|elle|nous|vous|t-il|t-on|t-elle)\b"
)
# es: accents tell question words from "como" (as), "que" (that), "cuando" (when)
_OPENS_SPANISH = re.compile(
    r"(?:cómo|qué|cuándo|dónde|por\s+qué|quién|quiénes|cuál|cuáles|cuánto|cuánta|cuántos|"
    r"cuántas)\b"
    r"|(?:como|que|cuando|donde)\s+(?:puedo|podemos|puede|se|hago|hacemos|funciona|es|son|"
    r"debo|debemos|tengo|tenemos|hay|va|cambio|cambiar|empieza|empezamos)\b"
)
