"""How long a pause lasts, read from the words peers write in en/de/fr/es: a length ("for 3
weeks"), an end ("until 2 March", "bis 2. März", "jusqu'au 2 mars", "hasta el 2 de marzo",
"until Monday", "until March", "until the end of March") or the day they are back ("back on
Feb 8", "ich bin am 8. Februar zurück", "je reviens le 8 février", "vuelvo el 8 de febrero").

Each is an `Until` of a kind, so that scheduler.replies.grammar can let the day a peer says they
are back win over a length written beside it ("pause for 2 weeks - back on Feb 8").

Numeric dates such as "3/2" or "2.3." are refused: they mean 3 February to some peers and
2 March to others. ISO dates (2027-03-02) and month names are read; a date without a year is
the next one on or after today; a weekday is the next one after today; a month alone is its
first day, the end of a month is the first day of the next.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

from scheduler.replies.date_words import (
    DAY,
    LENGTH,
    LIMITS,
    MONTHS,
    NUMBERS,
    UNITS,
    WEEKDAY_NAMES,
    WEEKDAYS,
    B,
    E,
)

OPEN, LENGTH_KIND, DATE, RETURN = "open", "length", "date", "return"


@dataclass(frozen=True)
class Until:
    """A pause length found at `start`..`end` of a text: the day the pause ends (None for
    "for now", "for a while"), or the `problem` that stops it from being read. `kind` says
    how it was written: OPEN, LENGTH_KIND, DATE (an end) or RETURN (the day they are back)."""

    start: int
    end: int
    day: date | None
    problem: str | None = None
    kind: str = LENGTH_KIND


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


_OPEN = re.compile(
    rf"{B}(?:for now|for a while|for the time being|for some time|indefinitely|"
    r"until further notice|vorerst|bis auf weiteres|auf unbestimmte zeit|"
    r"pour l'instant|pour le moment|pour un temps|por ahora|por el momento|por un tiempo|"
    rf"hasta nuevo aviso){E}"
)
_DURATION = re.compile(
    rf"{B}(?:(?:for|für|fuer|pendant|pour|durant|de|por|durante)\s+)?"
    r"(?:the\s+next\s+|die\s+n[aä]chsten\s+|les\s+(?:prochaines?|prochains)\s+|"
    r"(?:las|los)\s+pr[oó]xim[ao]s\s+)?" + LENGTH
)
_PREPOSITION = (
    rf"{B}(?P<prep>until|till|til|untill|through|thru|"
    r"bis(?:\s+(?:zum|zur|am|einschließlich))?|"
    r"jusqu'\s*(?:au|à|a|le|en)|jusqu'au|jusqu\s+(?:au|à)|"
    r"hasta(?:\s+el)?)\s+"
    r"(?P<after>after\s+(?:the\s+)?|nach\s+dem\s+|après\s+le\s+|después\s+del\s+)?(?:the\s+)?"
)
_DATE = re.compile(_PREPOSITION + f"(?:{DAY})")
# "back on Feb 8", "I'll be back in 2 weeks", "until I'm back on the 8th of February",
# "wieder da ab 8. Februar", "je reviens le 8 février", "vuelvo el 8 de febrero"
_BACK = (
    r"(?:(?:until|till)\s+)?(?:(?:i'm|i\s+am|i'll\s+be|i\s+will\s+be|we're|we\s+are|"
    r"we'll\s+be|we\s+will\s+be|i\s+get|we\s+get)\s+)?(?:back|returning|return)\s+"
    r"(?:(?P<after>after\s+(?:the\s+)?)|(?:on|from|by)\s+(?:the\s+)?|in\s+|the\s+)?"
    r"|(?:(?:ich\s+bin|bin\s+ich|wir\s+sind|sind\s+wir)\s+)?(?:wieder\s+)?"
    r"(?:zurück|zurueck|wieder\s+da)\s+(?:(?:am|ab\s+dem|ab|im|in|vom)\s+)?"
    r"|(?:je\s+|nous\s+)?(?:reviens|revenons|rentre|rentrons|serai\s+de\s+retour|"
    r"serons\s+de\s+retour|suis\s+de\s+retour|de\s+retour|retour)\s+"
    r"(?:(?:le|en|dès\s+le|des\s+le|à\s+partir\s+du|a\s+partir\s+du|dans|au)\s+)?"
    r"|(?:vuelvo|volvemos|regreso|regresamos|volveré|volvere|regresaré|regresare|"
    r"estaré\s+de\s+vuelta|estare\s+de\s+vuelta|estoy\s+de\s+vuelta|de\s+vuelta)\s+"
    r"(?:(?:el|en|a\s+partir\s+del|desde\s+el|dentro\s+de|para\s+el)\s+)?"
)
_RETURN = re.compile(rf"{B}(?:{_BACK})(?:{DAY}|{LENGTH})")
# German puts the day first: "ich bin am 8. Februar zurück", "ab dem 8. Februar wieder da"
_RETURN_LAST = re.compile(
    rf"{B}(?:am|ab\s+dem|ab|im|in|vom)\s+(?:{DAY}|{LENGTH})\s+"
    rf"(?:(?:bin\s+ich|ich\s+bin|sind\s+wir|wir\s+sind)\s+)?(?:wieder\s+)?(?:zurück|zurueck|da){E}"
)
_AMBIGUOUS = re.compile(_PREPOSITION + r"(?P<num>\d{1,4}[/.]\d{1,2}(?:[/.]\d{1,4})?\.?)")
_UNREADABLE = re.compile(_PREPOSITION + r"(?P<rest>\S+(?:\s+\S+)?)")


def _open(match: re.Match[str], today: date) -> Until:
    return Until(match.start(), match.end(), None, kind=OPEN)


def _duration(match: re.Match[str], today: date) -> Until:
    day, problem = _length(match, today)
    return Until(match.start(), match.end(), day, problem, LENGTH_KIND)


def _date(match: re.Match[str], today: date) -> Until:
    day, problem = _day(match, today)
    return Until(match.start(), match.end(), day, problem, DATE)


def _return(match: re.Match[str], today: date) -> Until:
    """The day a peer says they are back; more than a year ahead is a typo, not a plan."""
    day, problem = _length(match, today) if match["unit"] else _day(match, today)
    if day is not None and day > add_months(today, 12):
        day, problem = None, f"{match[0]!r} is more than a year ahead"
    return Until(match.start(), match.end(), day, problem, RETURN)


def ambiguous(written: str) -> str:
    """Why a numeric date such as "3/2" is refused (also for proposed times)."""
    return f"{written!r} is ambiguous: write 2 March or 2027-03-02"


def _ambiguous(match: re.Match[str], today: date) -> Until:
    problem = ambiguous(match["num"])
    return Until(match.start(), match.end(), None, problem, DATE)


def _unreadable(match: re.Match[str], today: date) -> Until:
    problem = f"{match['rest']!r} is not a date: write 2 March or 2027-03-02"
    return Until(match.start(), match.end(), None, problem, DATE)


def _length(match: re.Match[str], today: date) -> tuple[date | None, str | None]:
    count = int(match["n"]) if match["n"] else NUMBERS[match["word"]]
    unit = UNITS[match["unit"]]
    if not 1 <= count <= LIMITS[unit]:
        return None, f"{match[0]!r} is not a pause length"
    if unit == "months":
        return add_months(today, count), None
    return today + timedelta(days=count * 7 if unit == "w" else count), None


def _day(match: re.Match[str], today: date) -> tuple[date | None, str | None]:
    """The day that the DAY groups of `match` name, one day later after "after"."""
    found, problem = _named_day(match, today)
    if found is not None and match.groupdict().get("after"):
        found += timedelta(days=1)
    return found, problem


def _named_day(match: re.Match[str], today: date) -> tuple[date | None, str | None]:
    said = match[0]
    if match["w"]:
        ahead = (WEEKDAYS[match["w"]] - today.weekday() - 1) % 7 + 1
        return today + timedelta(days=ahead), None
    if match["eom"]:
        return add_months(today.replace(day=1), 1), None
    if match["m4"]:
        return _after_month(MONTHS[match["m4"]], match["y4"], today, said)
    if match["m3"]:
        return _month_start(MONTHS[match["m3"]], match["y3"], today, said)
    if match["iso"]:
        year, month, day = (int(part) for part in match["iso"].split("-"))
        found = _valid(year, month, day)
    else:
        month = MONTHS[match["m1"] or match["m2"]]
        day = int(match["d1"] or match["d2"])
        year_text = match["y1"] or match["y2"]
        found = (
            _valid(int(year_text), month, day)
            if year_text
            else _next_on_or_after(month, day, today)
        )
    if found is None:
        return None, f"{said!r} is not a date"
    if found < today:
        return None, f"{said!r} is in the past"
    if match["wd"] and WEEKDAYS[match["wd"]] != found.weekday():
        return None, f"{said!r}: {found.day} {found:%B %Y} is a {WEEKDAY_NAMES[found.weekday()]}"
    return found, None


def _month_start(
    month: int, year_text: str | None, today: date, said: str
) -> tuple[date | None, str | None]:
    """ "until March": back at the start of March, the next one after today. The month we
    are in has no start ahead: the peer must say which day."""
    if year_text:
        found = date(int(year_text), month, 1)
    elif month == today.month:
        return None, f"{said!r} is this month: write the day, such as 15 {_month_name(month)}"
    else:
        found = date(today.year + (month < today.month), month, 1)
    if found <= today:
        return None, f"{said!r} is in the past"
    return found, None


def _after_month(
    month: int, year_text: str | None, today: date, said: str
) -> tuple[date | None, str | None]:
    """ "until the end of March": back on 1 April, for the next March that has not ended."""
    year = int(year_text) if year_text else today.year + (month < today.month)
    found = add_months(date(year, month, 1), 1)
    if found <= today:
        return None, f"{said!r} is in the past"
    return found, None


def _month_name(month: int) -> str:
    return date(2000, month, 1).strftime("%B")


def _valid(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


# scheduler.replies.times reads a proposed day as a pause's end is read
named_day, valid_date = _named_day, _valid


def _next_on_or_after(month: int, day: int, today: date) -> date | None:
    for year in range(today.year, today.year + 9):
        found = _valid(year, month, day)
        if found is not None and found >= today:
            return found
    return None


_READERS = (
    (_OPEN, _open),
    (_RETURN, _return),
    (_RETURN_LAST, _return),
    (_DURATION, _duration),
    (_DATE, _date),
    (_AMBIGUOUS, _ambiguous),
    (_UNREADABLE, _unreadable),
)
