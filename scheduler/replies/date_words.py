"""The words of dates and lengths in en/de/fr/es (months, weekdays, numbers, units), and the
regular-expression pieces built from them, kept apart from scheduler.replies.dates so that the
readers there stay short enough to read top-down.

Everything is lower case; accents are kept where peers type them ("märz", "miércoles") and the
unaccented spelling is listed beside them, because dates are read before accent folding.
"""

from __future__ import annotations

import re
from collections.abc import Iterable


def _table(rows: list[str], start: int = 1) -> dict[str, int]:
    found: dict[str, int] = {}
    for number, names in enumerate(rows, start=start):
        found.update(dict.fromkeys(names.split(), number))
    return found


MONTHS = _table(
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
    ]
)
# Monday is 0, as date.weekday() counts. Only English has abbreviations: "Mo", "Di", "So"
# and "mar" are everyday words or months in the other languages.
WEEKDAYS = _table(
    [
        "monday mon montag lundi lunes",
        "tuesday tue tues dienstag mardi martes",
        "wednesday wed mittwoch mercredi miércoles miercoles",
        "thursday thu thur thurs donnerstag jeudi jueves",
        "friday fri freitag vendredi viernes",
        "saturday sat samstag sonnabend samedi sábado sabado",
        "sunday sun sonntag dimanche domingo",
    ],
    start=0,
)
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

NUMBERS: dict[str, int] = {"a": 1, "an": 1, "one": 1, "un": 1, "une": 1, "una": 1, "uno": 1}
NUMBERS["a couple"] = 2
NUMBERS.update(
    _table(
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
        ]
    )
)

UNITS: dict[str, str] = {}
for _unit, _names in (
    ("days", "day days tag tage tagen jour jours día días dia dias"),
    ("w", "week weeks wk wks woche wochen semaine semaines semana semanas"),
    ("months", "month months monat monate monaten mois mes meses"),
):
    UNITS.update(dict.fromkeys(_names.split(), _unit))
LIMITS = {"days": 730, "w": 104, "months": 24}


def _alternatives(words: Iterable[str]) -> str:
    return "|".join(sorted(map(re.escape, words), key=len, reverse=True))


B = r"(?<![\w'])"
"""Where a word starts (not inside a word, not after an elision such as "l'")."""
E = r"(?![\w])"
MONTH = _alternatives(MONTHS)
WEEKDAY = _alternatives(WEEKDAYS)
NUMBER = _alternatives(NUMBERS)
UNIT = _alternatives(UNITS)

LENGTH = rf"(?:(?P<n>\d{{1,4}})|(?P<word>{NUMBER})(?:\s+of)?)\s+(?P<unit>{UNIT}){E}"
"""A count of days, weeks or months: "3 weeks", "a couple of weeks", "zwei Wochen"."""

_NEXT = (
    r"(?:next|this|coming|the\s+coming|n[aä]chsten|n[aä]chster|kommenden|diesen|"
    r"ce|el\s+pr[oó]ximo|pr[oó]ximo|este)"
)
DAY = (
    rf"(?:(?P<wd>{WEEKDAY}),?\s+(?:the\s+|le\s+|el\s+|den\s+)?)?"
    r"(?:(?P<iso>\d{4}-\d{1,2}-\d{1,2})"
    rf"|(?P<d1>\d{{1,2}})(?:st|nd|rd|th|er|\.|º)?\s*(?:of\s+|de\s+)?(?P<m1>{MONTH})\.?"
    r"(?:,?\s*(?:de\s+)?(?P<y1>\d{4}))?"
    rf"|(?P<m2>{MONTH})\.?\s+(?P<d2>\d{{1,2}})(?:st|nd|rd|th)?(?:,?\s*(?P<y2>\d{{4}}))?)"
    r"(?![\w/.-]\d)"
    rf"|(?:{_NEXT}\s+)?(?P<w>{WEEKDAY})(?:\s+(?:prochain|qui\s+vient|pr[oó]ximo))?{E}"
    r"|(?P<eom>(?:the\s+)?end\s+of\s+(?:the|this)\s+month|ende\s+(?:des|dieses)\s+monats|"
    r"(?:la\s+)?fin\s+(?:du|de\s+ce)\s+mois|(?:el\s+)?(?:fin|final)\s+de(?:l)?\s+mes)"
    r"|(?P<end>(?:the\s+)?end\s+of\s+|ende\s+|(?:la\s+)?fin\s+(?:de\s+|d')?|"
    r"(?:el\s+)?(?:fin|final|finales)\s+de\s+)"
    rf"(?P<m4>{MONTH})\.?(?:\s+(?P<y4>\d{{4}}))?{E}"
    r"|(?:(?:the\s+)?(?:start|beginning)\s+of\s+|anfang\s+|d[ée]but\s+(?:de\s+|d')?|"
    r"principios\s+de\s+)?"
    rf"(?P<m3>{MONTH})\.?(?:\s+(?P<y3>\d{{4}}))?{E}(?!\s*\d)"
)
"""One day as peers write it: a full date (with an optional weekday before it), a weekday
("Monday", "next Friday", "lundi prochain"), the end of a month ("end of March", "Ende März"),
or a month alone ("March", "Anfang März"), which means its first day."""
