"""How a command stands in a reply: within the first lines, as a short clause of its own in
which every other word is a polite or small word (scheduler.replies.words) or a pause length
(scheduler.replies.dates), not negated, and not next to a different command.

Commands are named here by their lower-case names ("pause", "skip"...), which
scheduler.replies.read maps to its Command enum, so that the table and the grammar stay apart.
A `Vocabulary` holds the words of one kind of Tandem email (the pair's emails, the
invitation), so that "stop all" can mean leaving the program in one and not in the other.

When no command is found, `Found.near` says whether the nearest candidate still looks like a
command (a command word at the head of its clause with words around it that do not parse, a
date that cannot be read, a misspelt command word): scheduler.replies.answer answers those.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date

from scheduler.replies import words
from scheduler.replies.dates import DATE, RETURN, Until, find_untils
from scheduler.replies.misses import unknown_request
from scheduler.replies.tokens import TOKEN, Phrases, merged, phrase_index, tokens

FIRST_LINES = 5
PROSE_WORDS = 12
"""A line longer than this is prose, unless it opens with the command word."""


@dataclass(frozen=True)
class Vocabulary:
    """The commands of one kind of email: `verbs` maps each accent-folded word or phrase
    ("no thanks") to its command, `verb_last` holds the words that close their clause
    (German: "können wir das Treffen verschieben?"), `objects` the words that may stand
    around a command (the pair's OBJECTS when a command has none of its own), `weak` the
    commands that count only as the whole first line, and `cancel` whether "cancel" is read
    (as skip or end) at all."""

    verbs: Mapping[str, str]
    verb_last: frozenset[str] = frozenset()
    objects: Mapping[str, frozenset[str]] = field(default_factory=dict)
    weak: frozenset[str] = frozenset()
    cancel: bool = False
    phrases: Phrases = field(init=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "phrases", phrase_index(self.verbs))


@dataclass(frozen=True)
class Found:
    """A command read from `words` (as written, lower-case), found `where`, with a `note` on
    how its pause end was chosen; or no command and, in `miss`, why the nearest candidate did
    not count, `near` when it still looks like a command (then `words` is its line)."""

    command: str | None
    until: date | None = None
    words: str = ""
    where: str = ""
    miss: str = ""
    near: bool = False
    note: str = ""


def first_command(text: str, vocabulary: Vocabulary, today: date) -> Found:
    """The command of the first of the first lines that gives one, else the first near miss
    (or the first miss). A weak command counts only on the first line after a greeting."""
    lines = first_lines(text)
    first = 1 if len(lines) > 1 and is_greeting(lines[0]) else 0
    missed = Found(None)
    for number, line in enumerate(lines):
        found = read_line(line, vocabulary, today, whole_line=number == first)
        if found.command is not None:
            return replace(found, where=f"on the {_ORDINALS[number]} line")
        if (found.near and not missed.near) or not missed.miss:
            missed = found if found.miss else missed
    return missed


def first_lines(text: str) -> list[str]:
    """The lines that can give a command (or a proposed time, scheduler.replies.times): the
    first FIRST_LINES that are not blank, stripped."""
    return [line.strip() for line in text.splitlines() if line.strip()][:FIRST_LINES]


def read_line(
    line: str,
    vocabulary: Vocabulary,
    today: date,
    first_clause_only: bool = False,
    whole_line: bool = False,
) -> Found:
    """The command one line gives, if its clauses give exactly one; "?" alone asks for help.
    A weak command counts only when `whole_line` and the rest of the line is polite words.
    A near miss carries its line in `words`, to be quoted back."""
    found = _read_line(line, vocabulary, today, first_clause_only, whole_line)
    if found.near and not found.words:
        return replace(found, words=line.strip()[:60])
    return found


def _read_line(
    line: str, vocabulary: Vocabulary, today: date, first_clause_only: bool, whole_line: bool
) -> Found:
    if line.strip() and not line.strip(" ?¿"):
        return Found("help", words=line.strip())
    lowered = line.lower().replace("’", "'")
    size = len(lowered.split())
    opens = False
    if size > PROSE_WORDS:
        if first_clause_only:
            return Found(None)
        opening = merged(tokens(lowered[:40]), vocabulary.phrases)
        opens = bool(opening) and opening[0] in vocabulary.verbs
        if not opens and size > 2 * PROSE_WORDS:
            return _in_prose(line, vocabulary, today)
    untils = find_untils(lowered, today)
    marked = _with_holders(lowered, untils)
    # a date or a length is one word: "Sorry, I need to pause for 2 weeks - back on Feb 8"
    if size > PROSE_WORDS and not opens and len(TOKEN.findall(marked)) > PROSE_WORDS:
        return _in_prose(line, vocabulary, today)
    clauses = [c for c in CLAUSE_BREAK.split(marked) if c.strip()]
    found: list[tuple[Found, Until | None, str]] = []
    alone: list[Until] = []
    missed = Found(None)
    for clause in clauses[:1] if first_clause_only else clauses:
        reading, own = _read_clause(clause, untils, vocabulary)
        if reading.command is not None:
            written = " ".join(_HOLDER.sub(_put_back(lowered, untils), clause).split())
            found.append((replace(reading, words=_shortened(written)), own, clause))
        elif (until := _length_alone(clause, untils)) is not None:
            alone.append(until)
        if (reading.near and not missed.near) or not missed.miss:
            missed = reading if reading.miss else missed
    weak = [f for f in found if f[0].command in vocabulary.weak]
    if weak and not (
        whole_line and len(found) == 1 and _weak_stands(clauses, weak[0][2], vocabulary)
    ):
        found = [f for f in found if f not in weak]
        missed = missed if found else Found(None, miss=f"{weak[0][0].words!r} counts only alone")
    if len({(f.command, f.until) for f, _, _ in found}) > 1:
        return Found(None, miss=f"more than one command in {line[:60]!r}", near=True)
    if not found:
        return missed
    first, own, _ = found[0]
    if first.command == "pause":
        return _pause_end(first, own, alone, lowered)
    return first


def is_greeting(line: str) -> bool:
    """A line that only greets: "Hi Ana,", "Hallo zusammen", "Bonjour à tous," (not "Hi, no
    thanks", whose "no" and "thanks" are no names)."""
    found = tokens(line.lower())
    if not found or found[0] not in words.GREETINGS or len(found) > 4:
        return False
    return not any(t in words.NEGATIONS or t in words.POLITE for t in found[1:])


_ORDINALS = ("first", "second", "third", "fourth", "fifth")
CLAUSE_BREAK = re.compile(r"[,;:!?¡¿()\[\]\"“”«»]|(?<!\d)\.(?!\d)|\s[-–—]+\s")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_HOLDER = re.compile(r"⟦(\d+)⟧")


def _read_clause(
    clause: str, untils: list[Until], vocabulary: Vocabulary
) -> tuple[Found, Until | None]:
    """The command of one clause and the pause length written in it, or why there is none."""
    said = " ".join(clause.split())
    found = merged(tokens(clause), vocabulary.phrases)
    cancels = words.CANCEL if vocabulary.cancel else frozenset()
    at = [i for i, token in enumerate(found) if token in vocabulary.verbs or token in cancels]
    if not at:
        miss = unknown_request(found, said, vocabulary.verbs)
        return Found(None, miss=miss or "", near=miss is not None), None
    verb = found[at[0]]
    # a miss looks like a command when its word opens the clause or, verb-last, closes it;
    # never for a weak command ("no thanks needed" is not a "no thanks" gone wrong)
    weak = vocabulary.verbs.get(verb) in vocabulary.weak
    head = not weak and all(token in words.FILLERS for token in found[: at[0]])
    closing = not weak and found[-1] in vocabulary.verb_last
    if len(at) > 1:
        miss = f"more than one command word in {said!r}"
        return Found(None, miss=miss, near=head or closing), None
    command = vocabulary.verbs.get(verb)
    objects = vocabulary.objects.get(command or "", words.OBJECTS)
    before, after = found[: at[0]], _without_reason(found[at[0] + 1 :], command)
    if any(token in words.NEGATIONS for token in before + after):
        return Found(None, miss=f"{verb!r} is negated in {said!r}"), None
    if command == "help" and set(before) & words.OFFERS:
        return Found(None, miss=f"help is offered, not asked for, in {said!r}"), None
    last = verb in vocabulary.verb_last
    allowed_before = words.FILLERS | (objects if last else frozenset())
    unknown = [t for t in before if t not in allowed_before and not (last and _HOLDER.match(t))]
    unknown += [t for t in after if t not in words.FILLERS | objects and not _HOLDER.match(t)]
    if unknown:
        miss = f"{verb!r} stands among other words in {said!r}"
        return Found(None, miss=miss, near=head or (closing and not after)), None
    if command is None:
        command = _cancelled(set(before) | set(after))
        if command is None:
            return Found(None, miss=f"{verb!r} alone does not say what to cancel", near=True), None
    holders = [untils[int(m[1])] for t in before + after if (m := _HOLDER.fullmatch(t))]
    if not holders:
        return Found(command), None
    if command != "pause" or len(holders) > 1:
        return Found(None, miss=f"a date does not fit {verb!r} in {said!r}", near=True), None
    if holders[0].problem:
        return Found(None, miss=holders[0].problem, near=True), None
    return Found(command, until=holders[0].day), holders[0]


def _in_prose(line: str, vocabulary: Vocabulary, today: date) -> Found:
    """A long line is prose and never acts, but a short sentence in it that would act on
    its own looks like a command that Tandem did not understand."""
    for sentence in _SENTENCE_END.split(line[:600]):
        if 0 < len(sentence.split()) <= PROSE_WORDS:
            found = read_line(sentence, vocabulary, today)
            if found.command is not None and found.command not in vocabulary.weak:
                miss = f"{found.words!r} stands in a long line of prose"
                return Found(None, words=line.strip()[:60], miss=miss, near=True)
    return Found(None)


def _pause_end(first: Found, own: Until | None, alone: list[Until], line: str) -> Found:
    """The day a pause ends: the day they say they are back wins over a date, and a date
    over a length ("pause for 2 weeks - back on Feb 8" ends on 8 February)."""
    written = ([own] if own is not None else []) + alone
    chosen = next((u for kind in (RETURN, DATE) for u in written if u.kind == kind), None)
    if chosen is None:
        chosen = own if own is not None else alone[0] if len(alone) == 1 else None
    if chosen is None:
        return first
    if chosen.problem:
        return Found(None, miss=chosen.problem, near=True)
    beaten = [line[u.start : u.end] for u in written if u is not chosen and u.day != chosen.day]
    what = "the day you are back" if chosen.kind == RETURN else "the date"
    note = f"{what} wins over {', '.join(map(repr, beaten))}" if beaten else ""
    whole = _shortened(" ".join(line.split()))
    return replace(
        first, until=chosen.day, words=whole if chosen is not own else first.words, note=note
    )


def _weak_stands(clauses: list[str], kept: str, vocabulary: Vocabulary) -> bool:
    """Whether a weak command's clause `kept` is meant: the rest of the line only greets or
    thanks; or the command opens the line alone and a reason follows ("No thanks, too busy",
    "Nein danke, ich bin ab März in Elternzeit"). "No thanks needed" is not alone."""
    if _polite_rest(clauses, kept):
        return True
    said = merged(tokens(kept), vocabulary.phrases)
    return clauses[0] == kept and all(
        t in vocabulary.verbs or t in words.POLITE | words.FILLERS for t in said
    )


def _polite_rest(clauses: list[str], kept: str) -> bool:
    """Whether every clause of a line but `kept` only greets or thanks."""
    for clause in clauses:
        if clause == kept:
            continue
        found = tokens(clause)
        greeting = bool(found) and found[0] in words.GREETINGS and len(found) <= 3
        if not greeting and any(t not in words.POLITE | words.FILLERS for t in found):
            return False
    return True


def _length_alone(clause: str, untils: list[Until]) -> Until | None:
    """The pause length a clause holds with nothing else but small words ("3 weeks",
    "I'm back on Feb 8 as I'm travelling")."""
    found = _without_reason(tokens(clause), None)
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
