"""How long a pause lasts, read from the words peers write in en/de/fr/es ("for 3 weeks",
"until 2 March", "bis 2. März", "jusqu'au 2 mars", "hasta el 2 de marzo").

Numeric dates such as "3/2" or "2.3." are refused: they mean 3 February to some peers and
2 March to others. ISO dates (2027-03-02) and month names are read; a date without a year is
the next one on or after today.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True)
class Until:
    """A pause length found at `start`..`end` of a text: the day the pause ends (None for
    "for now", "for a while"), or the `problem` that stops it from being read."""

    start: int
    end: int
    day: date | None
    problem: str | None = None


def find_untils(text: str, today: date) -> list[Until]:
    """Every pause length in `text` (lower-case), in order of appearance."""
    found: list[Until] = []
    taken: list[tuple[int, int]] = []
    for pattern, read in _READERS:
        for match in pattern.finditer(text):
            if any(match.start() < end and start < match.end() for start, end in taken):
                continue
            taken.append((match.start(), match.end()))
            found.append(read(match, today))
    return sorted(found, key=lambda until: until.start)


def add_months(day: date, months: int) -> date:
    """The same day `months` calendar months later, or the month's last day ("a month" after
    31 January is 28 or 29 February)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


MONTHS: dict[str, int] = {}
for _number, _names in enumerate(
    [
        "january jan januar jänner janner janvier janv enero ene",
        "february feb februar février fevrier févr fevr febrero",
        "march mar märz maerz marz mär mars marzo",
        "april apr avril avr abril abr",
        "may mai mayo",
        "june jun juni juin junio",
        "july jul juli juillet juil julio",
        "august aug août aout agosto ago",
        "september sep sept septembre septiembre setiembre",
        "october oct oktober okt octobre octubre",
        "november nov novembre noviembre",
        "december dec dezember dez décembre decembre déc dic diciembre",
    ],
    start=1,
):
    MONTHS.update(dict.fromkeys(_names.split(), _number))

NUMBERS: dict[str, int] = {"a": 1, "an": 1, "one": 1, "un": 1, "une": 1, "una": 1, "uno": 1}
NUMBERS["a couple"] = 2
for _number, _names in enumerate(
    [
        "ein eine einen einem",
        "two zwei deux dos couple",
        "three drei trois tres",
        "four vier quatre cuatro",
        "five fünf fuenf cinq cinco",
        "six sechs seis",
        "seven sieben sept siete",
        "eight acht huit ocho",
        "nine neun neuf nueve",
        "ten zehn dix diez",
        "eleven elf onze once",
        "twelve zwölf zwoelf douze doce",
    ],
    start=1,
):
    NUMBERS.update(dict.fromkeys(_names.split(), _number))

UNITS: dict[str, str] = {}
for _unit, _names in (
    ("days", "day days tag tage tagen jour jours día días dia dias"),
    ("w", "week weeks wk wks woche wochen semaine semaines semana semanas"),
    ("months", "month months monat monate monaten mois mes meses"),
):
    UNITS.update(dict.fromkeys(_names.split(), _unit))
LIMITS = {"days": 730, "w": 104, "months": 24}

_MONTH = "|".join(sorted(map(re.escape, MONTHS), key=len, reverse=True))
_NUMBER = "|".join(sorted(map(re.escape, NUMBERS), key=len, reverse=True))
_UNIT = "|".join(sorted(map(re.escape, UNITS), key=len, reverse=True))
_B = r"(?<![\w'])"
_E = r"(?![\w])"

_DURATION = re.compile(
    rf"{_B}(?:(?:for|für|fuer|pendant|pour|durant|de|por|durante)\s+)?"
    r"(?:the\s+next\s+|die\s+n[aä]chsten\s+|les\s+(?:prochaines?|prochains)\s+|"
    r"(?:las|los)\s+pr[oó]xim[ao]s\s+)?"
    rf"(?:(?P<n>\d{{1,4}})|(?P<word>{_NUMBER})(?:\s+of)?)\s+(?P<unit>{_UNIT}){_E}"
)
_OPEN = re.compile(
    rf"{_B}(?:for now|for a while|for the time being|for some time|indefinitely|"
    r"until further notice|vorerst|bis auf weiteres|auf unbestimmte zeit|"
    r"pour l'instant|pour le moment|pour un temps|por ahora|por el momento|por un tiempo|"
    rf"hasta nuevo aviso){_E}"
)
_PREPOSITION = (
    rf"{_B}(?P<prep>until|till|til|untill|through|thru|"
    r"bis(?:\s+(?:zum|zur|am|einschließlich))?|"
    r"jusqu'\s*(?:au|à|a|le)|jusqu'au|jusqu\s+(?:au|à)|"
    r"hasta(?:\s+el)?)\s+"
    r"(?P<after>after\s+(?:the\s+)?|nach\s+dem\s+|après\s+le\s+|después\s+del\s+)?(?:the\s+)?"
)
_DATE = re.compile(
    _PREPOSITION + r"(?:(?P<iso>\d{4}-\d{1,2}-\d{1,2})"
    rf"|(?P<d1>\d{{1,2}})(?:st|nd|rd|th|er|\.|º)?\s*(?:of\s+|de\s+)?(?P<m1>{_MONTH})\.?"
    r"(?:,?\s*(?:de\s+)?(?P<y1>\d{4}))?"
    rf"|(?P<m2>{_MONTH})\.?\s+(?P<d2>\d{{1,2}})(?:st|nd|rd|th)?(?:,?\s*(?P<y2>\d{{4}}))?)"
    r"(?![\w/.-]\d)"
)
_AMBIGUOUS = re.compile(_PREPOSITION + r"(?P<num>\d{1,4}[/.]\d{1,2}(?:[/.]\d{1,4})?\.?)")
_UNREADABLE = re.compile(_PREPOSITION + r"(?P<rest>\S+(?:\s+\S+)?)")


def _duration(match: re.Match[str], today: date) -> Until:
    count = int(match["n"]) if match["n"] else NUMBERS[match["word"]]
    unit = UNITS[match["unit"]]
    if not 1 <= count <= LIMITS[unit]:
        return Until(match.start(), match.end(), None, f"{match[0]!r} is not a pause length")
    if unit == "months":
        return Until(match.start(), match.end(), add_months(today, count))
    days = count * 7 if unit == "w" else count
    return Until(match.start(), match.end(), today + timedelta(days=days))


def _open(match: re.Match[str], today: date) -> Until:
    return Until(match.start(), match.end(), None)


def _date(match: re.Match[str], today: date) -> Until:
    if match["iso"]:
        year, month, day = (int(part) for part in match["iso"].split("-"))
        explicit = True
    else:
        month = MONTHS[match["m1"] or match["m2"]]
        day = int(match["d1"] or match["d2"])
        year_text = match["y1"] or match["y2"]
        explicit = year_text is not None
        year = int(year_text) if year_text else today.year
    found = _valid(year, month, day) if explicit else _next_on_or_after(month, day, today)
    if found is None:
        return Until(match.start(), match.end(), None, f"{match[0]!r} is not a date")
    if found < today:
        return Until(match.start(), match.end(), None, f"{match[0]!r} is in the past")
    if match["after"]:
        found += timedelta(days=1)
    return Until(match.start(), match.end(), found)


def _ambiguous(match: re.Match[str], today: date) -> Until:
    problem = f"{match['num']!r} is ambiguous: write 2 March or 2027-03-02"
    return Until(match.start(), match.end(), None, problem)


def _unreadable(match: re.Match[str], today: date) -> Until:
    problem = f"{match['rest']!r} is not a date: write 2 March or 2027-03-02"
    return Until(match.start(), match.end(), None, problem)


def _valid(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _next_on_or_after(month: int, day: int, today: date) -> date | None:
    for year in range(today.year, today.year + 9):
        found = _valid(year, month, day)
        if found is not None and found >= today:
            return found
    return None


_READERS = (
    (_OPEN, _open),
    (_DURATION, _duration),
    (_DATE, _date),
    (_AMBIGUOUS, _ambiguous),
    (_UNREADABLE, _unreadable),
)
