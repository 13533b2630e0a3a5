"""A day and time that a pair proposes for its next conversation, read from the first lines of
a reply ("Tuesday 16:00", "how about Tue 4pm?", "Dienstag 16 Uhr", "mardi à 16h30", "el martes
a las 16:00", "3 March 10:30", "tomorrow at 9"): Tandem asks for one when it finds no time in
both peers' working hours, and scheduler.replies.read reads it as a reschedule to that time.

A proposal books a meeting for two, so it is read as strictly as a command: the day and time
stand in a clause of their own among small and proposing words ("how about", "wie wäre es
mit", "qué tal"), never in prose ("see you Tuesday at 16:00"); a negation in that clause or
after it in its sentence ("Tuesday 16:00 doesn't work for me") makes it conversation.

Days mean what a pause's end means (scheduler.replies.dates): a weekday is the next one after
today, a date without a year the next one. Refused, with the reason: a time without a day, a
numeric date such as 3/4, a date that does not exist, a day in the past or more than 8 weeks
ahead, an hour from 1 to 6 with no am/pm (morning or afternoon?), two different times.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import date, time, timedelta

from scheduler.replies import words
from scheduler.replies.commands import Command, entry_of
from scheduler.replies.date_words import DAY, WEEKDAY, B, E
from scheduler.replies.dates import ambiguous, named_day, valid_date
from scheduler.replies.grammar import CLAUSE_BREAK, first_lines
from scheduler.replies.tokens import key, tokens

WEEKS_AHEAD = 8
LINE_CHARS = 600
"""Only the start of a line is read: a proposal is short, a long line must not cost seconds."""


@dataclass(frozen=True)
class Proposal:
    """A day and a time of day proposed, in the writer's own time zone; `words` as written
    (lower case), for the log."""

    day: date
    at: time
    words: str


@dataclass(frozen=True)
class Refusal:
    """A day or time written as a proposal that Tandem does not book, and why. `declined` when
    the writer turns it down ("Tuesday 16:00 doesn't work for me"): conversation between the
    peers, which gets no answer. Otherwise Tandem could not read one bookable time, and `line`
    goes back to the writer as not understood."""

    reason: str
    words: str
    line: str = ""
    declined: bool = False


def find_proposal(text: str, today: date) -> Proposal | Refusal | None:
    """The day and time proposed in the first lines of `text` (a visible reply), or why what
    was written as one cannot be booked, or None when no line proposes a time."""
    shaped: list[tuple[Proposal | Refusal, str]] = []
    declined: list[Refusal] = []
    for line in first_lines(text):
        for reading in _read_line(line, today):
            if isinstance(reading, Refusal) and reading.declined:
                declined.append(reading)
            else:
                shaped.append((reading, line))
    if len({(r.day, r.at) if isinstance(r, Proposal) else (r.reason,) for r, _ in shaped}) > 1:
        said = ", ".join(dict.fromkeys(repr(reading.words) for reading, _ in shaped))
        return Refusal(f"more than one day and time ({said}): write one", said, shaped[0][1])
    if shaped:
        reading, line = shaped[0]
        return replace(reading, line=line) if isinstance(reading, Refusal) else reading
    return declined[0] if declined else None


def _read_line(line: str, today: date) -> list[Proposal | Refusal]:
    """The days and times of one line that stand in a clause of their own (declined when a
    negation follows them in their sentence); the others are prose and are left out."""
    lowered = line[:LINE_CHARS].lower().replace("’", "'")
    found = _candidates(lowered, today)
    pieces, last = [], 0
    for index, (start, end, _, _) in enumerate(found):
        pieces += [lowered[last:start], f" ⟦{index}⟧ "]
        last = end
    masked = "".join([*pieces, lowered[last:]])
    readings: list[Proposal | Refusal] = []
    for sentence in _SENTENCE_END.split(masked):
        clauses = [tokens(c) for c in CLAUSE_BREAK.split(sentence) if c.strip()]
        for at, clause in enumerate(clauses):
            for holder in (m for token in clause if (m := _HOLDER.fullmatch(token))):
                _, _, reading, alone = found[int(holder[1])]
                after = _up_to_next_time(clauses[at + 1 :])
                negation = next((t for t in clause + after if t in words.NEGATIONS), None)
                if negation is not None:
                    why = f"{reading.words!r} is negated ({negation!r})"
                    readings.append(Refusal(why, reading.words, line, declined=True))
                elif _proposes(clause, alone):
                    readings.append(reading)
    return readings


def _up_to_next_time(clauses: list[list[str]]) -> list[str]:
    """The words of the clauses after a time, up to the next clause that holds a time."""
    rest: list[str] = []
    for clause in clauses:
        if any(_HOLDER.fullmatch(token) for token in clause):
            break
        rest += clause
    return rest


def _proposes(clause: list[str], alone: bool) -> bool:
    """Whether a clause holding a time proposes it: all its other words are small or
    proposing words, and one of them proposes when the time has no day ("how about 16:00",
    not "I have a meeting at 16:00") or a meeting or thanks stand beside it."""
    rest = [token for token in clause if not _HOLDER.fullmatch(token)]
    if not all(token in _ALLOWED for token in rest):
        return False
    told = (alone and bool(rest)) or any(token in _TELLING for token in rest)
    return not told or any(token in _PROPOSING | _RESCHEDULE for token in rest)


def _candidates(text: str, today: date) -> list[tuple[int, int, Proposal | Refusal, bool]]:
    """Every day and time (or time alone, flagged) in lower-case `text`, in order."""
    found: list[tuple[int, int, Proposal | Refusal, bool]] = []
    taken = bytearray(len(text))
    for pattern, read in _READERS:
        for match in pattern.finditer(text):
            if any(taken[match.start() : match.end()]):
                continue
            reading = read(match, today)
            if reading is not None:
                taken[match.start() : match.end()] = b"\x01" * (match.end() - match.start())
                found.append((match.start(), match.end(), reading, read is _time_alone))
    return sorted(found, key=lambda candidate: candidate[0])


def _day_and_time(match: re.Match[str], today: date) -> Proposal | Refusal | None:
    """A proposal, or why it cannot be booked; None for no single day ("end of March")."""
    said = " ".join(match[0].split())
    day = _day(match, today)
    if day is None:
        return None
    found, problem = day
    clock = _clock(match)
    if problem is not None or found is None:
        return Refusal(problem or f"{said!r} is not a date", said)
    if isinstance(clock, str):
        return Refusal(clock, said)
    if found < today:
        return Refusal(f"{said!r} is in the past", said)
    if found > today + timedelta(weeks=WEEKS_AHEAD):
        # "3 March" written on 5 March is the one just gone, not next year's
        yearless = (match["m1"] or match["m2"]) and not (match["y1"] or match["y2"])
        before = valid_date(found.year - 1, found.month, found.day) if yearless else None
        if before is not None and today - before < found - today:
            return Refusal(f"{said!r} is in the past", said)
        return Refusal(f"{said!r} is more than {WEEKS_AHEAD} weeks ahead", said)
    return Proposal(found, clock, said)


def _numeric(match: re.Match[str], today: date) -> Refusal:
    return Refusal(ambiguous(match["num"]), " ".join(match[0].split()))


def _time_alone(match: re.Match[str], today: date) -> Refusal:
    said = " ".join(match[0].split())
    return Refusal(f"{said!r} has no day: which day? Write one, such as Tuesday 16:00", said)


def _day(match: re.Match[str], today: date) -> tuple[date | None, str | None] | None:
    """The day `match` names: relative ("tomorrow"), a short weekday ("Di."), or reply_dates'
    DAY; None for a month or its end, which are no day to meet on."""
    if match["rel"]:
        return today + timedelta(days=_RELATIVE[match["rel"]]), None
    if match["short"]:
        ahead = (_SHORT[match["short"]] - today.weekday() - 1) % 7 + 1
        return today + timedelta(days=ahead), None
    if match["eom"] or match["m4"] or match["m3"]:
        return None
    return named_day(match, today)


def _clock(match: re.Match[str]) -> time | str:
    """The time of day of `match`'s TIME groups, or why it is none."""
    if match["noon"]:
        return time(12)
    written = " ".join(f"{match['prep'] or ''} {match['time']}".split())
    hour = int(match["h"])
    minute = int(match["m"] or match["hm"] or match["mu"] or 0)
    half = {"a": 0, "p": _PM}.get(match["ampm"] or "", _PARTS.get(match["part"] or ""))
    if match["ampm"]:
        if not 1 <= hour <= 12:
            return f"{written!r} is not a time"
        hour = hour % 12 + (12 if half == _PM else 0)
    elif half == _PM and hour < 12:
        hour += 12
    if hour > 23 or minute > 59:
        return f"{written!r} is not a time"
    if half is None and 1 <= hour <= 6 and not match["h"].startswith("0"):
        return (
            f"{written!r} could be morning or afternoon: write {hour + 12}:{minute:02d} "
            f"or {hour}:{minute:02d} am"
        )
    return time(hour, minute)


def _words_of(text: str) -> frozenset[str]:
    return frozenset(token for word in text.split() for token in tokens(word))


# Words that propose a time beside them: "how about", "could we do", "does ... work for you",
# "wie wäre es mit", "passt", "et si on disait", "ça vous va", "qué tal", "te va bien".
_PROPOSING = _words_of(
    "how what about does do would could can shall work works suit suits fine free available "
    "possible okay good perfect instead meet book try say "
    "wie wäre ware geht gehts passt passen ginge treffen statt gut prima frei "
    "diriez-vous dirais-tu pourrait-on pourrions-nous peut-on pouvons-nous va irait conviendrait "
    "convient disponible libre plutôt pourrait pourrions proposer propose disait dit peux "
    "qué tal viene vendría iría bien parece hacerlo vernos reunirnos podría sería quedamos puedo"
)
# Words that may stand beside a time without proposing it ("on", "mit", "pour moi", "para mí").
_LINKS = _words_of(
    "on at around or es mit mir dir euch ihnen auch vielleicht am um oder et si ça ca pour moi "
    "toi le à vers ou te os les para mí nosotros lo o"
)
# Beside these, a time tells of a meeting ("thanks for the chat on Tuesday at 16:00", "our
# meeting is Tuesday at 16:00, right?") unless a proposing word stands there too.
_TELLING = _words_of(
    "thanks thank meeting meetings session call chat conversation catch-up catchup "
    "termin gespräch sitzung danke merci réunion rencontre rendez-vous séance échange gracias "
    "reunión sesión cita llamada"
)
_RESCHEDULE = frozenset(key(w) for ws in entry_of(Command.RESCHEDULE).words.values() for w in ws)
_ALLOWED = words.FILLERS | words.OBJECTS | words.WISHED_TIME | _RESCHEDULE | _PROPOSING | _LINKS
_HOLDER = re.compile(r"⟦(\d+)⟧")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def _numbered(rows: str) -> dict[str, int]:
    """{name: n} for the names ("|" between them) of the n-th row ("/" between rows)."""
    return {name.strip(): n for n, row in enumerate(rows.split("/")) for name in row.split("|")}


_RELATIVE = _numbered(
    "today|heute|aujourd'hui|hoy / tomorrow|morgen|demain|mañana|manana / the day after "
    "tomorrow|day after tomorrow|übermorgen|uebermorgen|après-demain|apres-demain|pasado mañana|"
    "pasado manana"
)
# German, French and Spanish short weekdays count with their period only ("Di.", "mar.",
# "jue."): "so", "do", "mar" and "mi" are everyday words or months without it.
_SHORT = _numbered(
    "mo|lun / di|mar / mi|mer|mié|mie / do|jeu|jue / fr|ven|vie / sa|sam|sáb / so|dim|dom"
)
_PM = 1
_PARTS = _numbered(
    "in the morning|morgens|vormittags|am morgen|am vormittag|du matin|de la mañana / in the "
    "afternoon|in the evening|nachmittags|abends|mittags|am nachmittag|am abend|de l'après-midi|"
    "du soir|de la tarde|de la noche"
)


def _alternatives(names: Iterable[str]) -> str:
    return "|".join(sorted(map(re.escape, names), key=len, reverse=True))


_PREP = r"(?:(?:at\s+around|at|around|um|gegen|à|vers|a\s+las|a\s+la|a)(?!\w)|@)"
# "am" after an hour is German "on" before a day ("um 9 am Dienstag"), not 9 am
_GERMAN_AM = r"montag|dienstag|mittwoch|donnerstag|freitag|samstag|sonntag|sonnabend|morgen|"
_GERMAN_AM += r"vormittag|nachmittag|abend|\d"
_TIME = (
    rf"(?P<time>(?P<noon>noon|midday|mittags|midi|mediod[ií]a){E}"
    r"|(?<![\d.:/])(?P<h>\d{1,2})"
    r"(?:[:.](?P<m>\d{2})|\s?(?P<fh>h)(?:\s?(?P<hm>\d{2}))?(?!\w))?"
    rf"(?:\s?(?P<ampm>[ap])\.?m\.?(?!\w)(?!\s+(?:{_GERMAN_AM})))?"
    r"(?:\s?(?P<uhr>uhr|o'clock|heures?)(?!\w)(?:\s(?P<mu>\d{2})(?!\d))?)?"
    rf"(?:\s+(?P<part>{_alternatives(_PARTS)}){E})?"
    # an hour alone ("9") is a time only after "at", "um", "à", "a las"
    r"(?(prep)|(?(m)|(?(fh)|(?(ampm)|(?(uhr)|(?(part)|(?!)))))))"
    r"(?!\d|[.:/]\d))"
    # a range ("16:00-17:00") proposes its start
    r"(?:\s?[-–]\s?\d{1,2}(?:[:.]\d{2})?(?:\s?(?:[ap]\.?m\.?|uhr|h))?(?!\w))?"
)
_ANY_DAY = (
    rf"(?:(?<!guten\s)(?P<rel>{_alternatives(_RELATIVE)}){E}"
    rf"|(?P<short>{_alternatives(_SHORT)})\.|(?:{DAY}))"
)
_AT = rf"\s*,?\s*(?:(?P<prep>{_PREP})\s*)?{_TIME}"
_DAY_FIRST = re.compile(rf"{B}{_ANY_DAY}\.?{_AT}")
_TIME_FIRST = re.compile(
    rf"{B}(?:(?P<prep>{_PREP})\s*)?{_TIME}\s*,?\s*(?:(?:on|am|le|el|den|this)\s+)?{_ANY_DAY}"
)
_NUMERIC = re.compile(
    rf"{B}(?:(?:{WEEKDAY}),?\s+)?(?P<num>\d{{1,2}}[/.]\d{{1,2}}(?:[/.]\d{{2,4}})?\.?)(?!\d){_AT}"
)
_ALONE = re.compile(rf"{B}(?:(?P<prep>{_PREP})\s*)?{_TIME}")
_Reader = Callable[[re.Match[str], date], Proposal | Refusal | None]
_READERS: tuple[tuple[re.Pattern[str], _Reader], ...] = (
    (_DAY_FIRST, _day_and_time),
    (_TIME_FIRST, _day_and_time),
    (_NUMERIC, _numeric),
    (_ALONE, _time_alone),
)
