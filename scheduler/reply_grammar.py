"""How a command stands in a reply: within the first lines, as a short clause of its own in
which every other word is a polite or small word (scheduler.reply_words) or a pause length
(scheduler.reply_dates), not negated, and not next to a different command.

Commands are named here by their lower-case names ("pause", "skip"...), which
scheduler.replies maps to its Command enum, so that the table and the grammar stay apart.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Set
from dataclasses import dataclass, replace
from datetime import date

from scheduler import reply_words as words
from scheduler.reply_dates import Until, find_untils

FIRST_LINES = 5
PROSE_WORDS = 12
"""A line longer than this is prose, unless it opens with the command word."""


@dataclass(frozen=True)
class Found:
    """A command read from `words` (as written, lower-case), found `where`; or no command
    and, in `miss`, why the nearest candidate did not count."""

    command: str | None
    until: date | None = None
    words: str = ""
    where: str = ""
    miss: str = ""


def first_command(text: str, verbs: Mapping[str, str], verb_last: Set[str], today: date) -> Found:
    """The command of the first of the first lines that gives one; `verbs` maps each
    accent-folded command word to its command, `verb_last` holds the words that close their
    clause (German: "können wir das Treffen verschieben?")."""
    lines = [line.strip() for line in text.splitlines() if line.strip()][:FIRST_LINES]
    miss = ""
    for number, line in enumerate(lines):
        found = read_line(line, verbs, verb_last, today)
        if found.command is not None:
            return replace(found, where=f"on the {_ORDINALS[number]} line")
        miss = miss or found.miss
    return Found(None, miss=miss)


def read_line(
    line: str,
    verbs: Mapping[str, str],
    verb_last: Set[str],
    today: date,
    first_clause_only: bool = False,
) -> Found:
    """The command one line gives, if its clauses give exactly one; "?" alone asks for help."""
    if line.strip() and not line.strip(" ?¿"):
        return Found("help", words=line.strip())
    lowered = line.lower().replace("’", "'")
    if len(lowered.split()) > PROSE_WORDS:
        opening = tokens(lowered[:40])
        if first_clause_only or not opening or opening[0] not in verbs:
            return Found(None)
    untils = find_untils(lowered, today)
    marked = _with_holders(lowered, untils)
    clauses = [c for c in _CLAUSE_BREAK.split(marked) if c.strip()]
    found: list[tuple[Found, bool]] = []
    alone: list[Until] = []
    miss = ""
    for clause in clauses[:1] if first_clause_only else clauses:
        reading = _read_clause(clause, untils, verbs, verb_last)
        if reading.command is not None:
            written = " ".join(_HOLDER.sub(_put_back(lowered, untils), clause).split())
            found.append((replace(reading, words=_shortened(written)), "⟦" in clause))
        elif (until := _length_alone(clause, untils)) is not None:
            alone.append(until)
        miss = miss or reading.miss
    if len({(f.command, f.until) for f, _ in found}) > 1:
        return Found(None, miss=f"more than one command in {line[:60]!r}")
    if not found:
        return Found(None, miss=miss)
    first, dated = found[0]
    if first.command == "pause" and not dated and len(alone) == 1:
        # "pause - 3 weeks", "pause (until 2 March)": the length stands in a clause of its own
        if alone[0].problem:
            return Found(None, miss=alone[0].problem)
        return replace(first, until=alone[0].day, words=_shortened(" ".join(lowered.split())))
    return first


def tokens(text: str) -> list[str]:
    """Accent-folded words, French elisions apart ("j'aimerais" -> "j'", "aimerais")."""
    found: list[str] = []
    for raw in _TOKEN.findall(text):
        token = words.fold(raw).strip("-")
        elided = _ELISION.match(token)
        found.extend([f"{elided[1]}'", elided[2]] if elided else [token])
    return found


_ORDINALS = ("first", "second", "third", "fourth", "fifth")
_CLAUSE_BREAK = re.compile(r"[,;:!?¡¿()\[\]\"“”«»]|(?<!\d)\.(?!\d)|\s[-–—]+\s")
_TOKEN = re.compile(r"⟦\d+⟧|[^\W\d_][\w'-]*|\d+")
_ELISION = re.compile(r"^(j|d|l|qu|n|s|c|m|t)'(.+)$")
_HOLDER = re.compile(r"⟦(\d+)⟧")


def _read_clause(
    clause: str, untils: list[Until], verbs: Mapping[str, str], verb_last: Set[str]
) -> Found:
    said = " ".join(clause.split())
    found = tokens(clause)
    at = [i for i, token in enumerate(found) if token in verbs or token in words.CANCEL]
    if not at:
        return Found(None)
    verb = found[at[0]]
    if len(at) > 1:
        return Found(None, miss=f"more than one command word in {said!r}")
    command = verbs.get(verb)
    before, after = found[: at[0]], _without_reason(found[at[0] + 1 :], command)
    if any(token in words.NEGATIONS for token in before + after):
        return Found(None, miss=f"{verb!r} is negated in {said!r}")
    last = verb in verb_last
    allowed_before = words.FILLERS | (words.OBJECTS if last else frozenset())
    unknown = [t for t in before if t not in allowed_before and not (last and _HOLDER.match(t))]
    unknown += [t for t in after if t not in words.FILLERS | words.OBJECTS and not _HOLDER.match(t)]
    if unknown:
        return Found(None, miss=f"{verb!r} stands among other words in {said!r}")
    if command is None:
        command = _cancelled(set(before) | set(after))
        if command is None:
            return Found(None, miss=f"{verb!r} alone does not say what to cancel")
    holders = [untils[int(m[1])] for t in before + after if (m := _HOLDER.fullmatch(t))]
    if not holders:
        return Found(command)
    if command != "pause" or len(holders) > 1:
        return Found(None, miss=f"a date does not fit {verb!r} in {said!r}")
    if holders[0].problem:
        return Found(None, miss=holders[0].problem)
    return Found(command, until=holders[0].day)


def _length_alone(clause: str, untils: list[Until]) -> Until | None:
    """The pause length a clause holds with nothing else but small words ("3 weeks")."""
    found = tokens(clause)
    holders = [untils[int(m[1])] for t in found if (m := _HOLDER.fullmatch(t))]
    rest = [t for t in found if not _HOLDER.fullmatch(t)]
    if len(holders) != 1 or any(t not in words.FILLERS | words.OBJECTS for t in rest):
        return None
    return holders[0]


def _without_reason(after: list[str], command: str | None) -> list[str]:
    """Up to a free reason ("because ..."), or a reschedule's wished time ("to Thursday")."""
    for index, token in enumerate(after):
        if token in words.REASONS or (command == "reschedule" and token in words.WISHED_TIME):
            return after[:index]
    return after


def _cancelled(around: set[str]) -> str | None:
    """ "cancel the pairing" ends it, "cancel the next meeting" skips it, "cancel" is neither."""
    if around & words.WHOLE_PAIRING:
        return "end"
    if around & words.NEXT_MEETING:
        return "skip"
    return None


def _with_holders(text: str, untils: list[Until]) -> str:
    """`text` with each pause length replaced by a token "⟦n⟧", so that the commas and
    periods inside dates ("March 2, 2027", "2. März") do not split clauses."""
    pieces, last = [], 0
    for index, until in enumerate(untils):
        pieces += [text[last : until.start], f" ⟦{index}⟧ "]
        last = until.end
    return "".join([*pieces, text[last:]])


def _shortened(text: str, length: int = 48) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"


def _put_back(text: str, untils: list[Until]) -> Callable[[re.Match[str]], str]:
    def put_back(match: re.Match[str]) -> str:
        until = untils[int(match[1])]
        return text[until.start : until.end]

    return put_back
