"""Dates and times as each reader says them: in their own time zone, with their locale's own
patterns from CLDR (through Babel), and never as an IANA key such as "America/New_York".

    en-US  Tuesday, January 12 at 9:45 AM Eastern Time (New York)
    en-GB  Tuesday 12 January at 14:45 British Time (London)
    de-DE  Dienstag, 12. Januar um 15:45 Mitteleuropäische Zeit (Berlin)

A meeting time needs both a zone and a locale: the zone says which hour it is, the locale how
to write it (12- or 24-hour clock, the order of day and month, the names). The templates' own
words stay English; only dates, times and zone names are localised here.

Pure: no clock, no files, no database. Locale tags are BCP 47 style ("en-US"); a tag Babel does
not know is refused by `locale_tag`, so every other function can trust the tags it is given.
"""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from babel import Locale, UnknownLocaleError
from babel.core import get_global
from babel.dates import (
    format_date,
    format_datetime,
    get_timezone_location,
    get_timezone_name,
    match_skeleton,
)

DEFAULT_LOCALE = "en-US"


@dataclass(frozen=True)
class Reader:
    """Someone a time is written for: `name` says whose line it is when the readers of one
    email need different lines."""

    name: str
    zone: str
    locale: str


# --- locales ------------------------------------------------------------------------------


def locale_tag(text: str) -> str | None:
    """The canonical tag ("en-US", "zh-Hans-CN") of a locale Babel knows, or None; any case,
    with "-" or "_"."""
    parsed = _parse(text)
    if parsed is None:
        return None
    return "-".join(p for p in (parsed.language, parsed.script, parsed.territory) if p)


def locale_hint(text: str) -> str | None:
    """A "did you mean" for a tag that `locale_tag` refused: the usual locale of a known
    language ("en-EN" -> en-US) or of a known country ("ge-DE" -> de-DE), or of a language
    written out in English ("German" -> de-DE)."""
    likely: Mapping[str, str] = get_global("likely_subtags")
    parts = [p for p in re.split(r"[-_.@\s]+", text.strip()) if p]
    guess: str | None = None
    if parts and parts[0].lower() in likely and len(parts) > 1:
        guess = likely[parts[0].lower()]
    elif len(parts) > 1 and f"und_{parts[-1].upper()}" in likely:
        guess = likely[f"und_{parts[-1].upper()}"]
    else:
        names = {name.lower(): code for code, name in Locale.parse("en").languages.items()}
        close = difflib.get_close_matches(text.strip().lower(), names, n=1, cutoff=0.75)
        guess = likely.get(names[close[0]]) if close else None
    tag = locale_tag(guess) if guess else None
    return f"did you mean '{tag}'?" if tag else None


def reader_locale(own: str | None, program: str) -> str:
    """A person's own locale when it is one Babel knows, else the program's: a bad value in
    one directory row changes how that person's dates look, never whether they get them."""
    return (locale_tag(own) if own and own.strip() else None) or program


# --- zones --------------------------------------------------------------------------------


def zone_name(zone: str, locale: str, *, city: bool = True, at: datetime | None = None) -> str:
    """The zone as people call it: "Eastern Time (New York)", "Mitteleuropäische Zeit (Berlin)";
    without `city`, "Eastern Time". The generic name is used, which holds all year, so that
    no reader wonders whether "Standard" is still right in July. Zones without a region (UTC,
    Etc/GMT+5) use their offset's name at `at` ("Coordinated Universal Time", "GMT-05:00")."""
    tz = ZoneInfo(zone)
    if not _has_region(zone):
        moment = (at or _REFERENCE).astimezone(tz)
        return _clean(get_timezone_name(moment, width="long", locale=_babel(locale)))
    return _region_zone_name(zone, locale, city)


@functools.cache
def _has_region(zone: str) -> bool:
    canonical = get_global("zone_aliases").get(zone, zone)
    return get_global("zone_territories").get(canonical) not in (None, "ZZ", "001")


@functools.cache
def _region_zone_name(zone: str, locale: str, city: bool) -> str:
    """The name of a zone with a region, the same all year (see zone_name)."""
    tz = ZoneInfo(zone)
    generic = get_timezone_name(tz, width="long", locale=_babel(locale))
    place = get_timezone_location(tz, locale=_babel(locale), return_city=True)
    if not city or place in generic or generic == get_timezone_location(tz, _babel(locale)):
        return _clean(generic)
    return _clean(f"{generic} ({place})")


_REFERENCE = datetime(2027, 1, 1, tzinfo=UTC)


# --- dates and times ----------------------------------------------------------------------


@functools.lru_cache(maxsize=4096)  # a launch writes the same few times thousands of times
def meeting_time(start: datetime, zone: str, locale: str) -> str:
    """`start` as one reader reads it: "Tuesday, January 12 at 9:45 AM Eastern Time (New York)".
    The date and time patterns and the word joining them are the locale's own."""
    pattern = _joined(_babel(locale), "full").replace("{1}", _day_pattern(locale, False))
    pattern = pattern.replace("{0}", _babel(locale).time_formats["short"].pattern)
    when = format_datetime(start, pattern, tzinfo=ZoneInfo(zone), locale=_babel(locale))
    return f"{_clean(when)} {zone_name(zone, locale, at=start)}"


@functools.lru_cache(maxsize=4096)  # a launch writes the same few times thousands of times
def short_time(start: datetime, zone: str, locale: str) -> str:
    """A compact time for a summary line: "Tue, Jan 12, 10:00 AM (Eastern Time)" in en-US,
    "Tue 12 Jan, 10:00 (Eastern Time)" in en-GB."""
    when = format_datetime(
        start, _short_pattern(locale), tzinfo=ZoneInfo(zone), locale=_babel(locale)
    )
    return f"{_clean(when)} ({zone_name(zone, locale, city=False, at=start)})"


def day_words(day: date, locale: str, *, year: bool = False) -> str:
    """A date with its weekday: "Monday, February 8" (en-US), "Monday 8 February" (en-GB),
    "Montag, 8. Februar" (de-DE); with `year`, "Monday, February 8, 2027"."""
    return _clean(format_date(day, _day_pattern(locale, year), locale=_babel(locale)))


@functools.lru_cache(maxsize=4096)  # a launch writes the same few times thousands of times
def month_words(day: date, locale: str) -> str:
    """The month and year of `day`: "January 2028", "Januar 2028"."""
    return _clean(format_date(day, _month_pattern(locale), locale=_babel(locale)))


def times_for(start: datetime, readers: Sequence[Reader]) -> list[tuple[tuple[str, ...], str]]:
    """`start` once for each distinct (zone, locale) among `readers`, in their order, with the
    names of the readers each line is for: two peers in one office share one line."""
    lines: dict[tuple[str, str], list[str]] = {}
    for reader in readers:
        lines.setdefault((reader.zone, reader.locale), []).append(reader.name)
    return [(tuple(names), meeting_time(start, *key)) for key, names in lines.items()]


# --- Babel's patterns ---------------------------------------------------------------------


@functools.cache
def _babel(tag: str) -> Locale:
    parsed = _parse(tag)
    if parsed is None:
        raise ValueError(f"{tag!r} is not a locale Babel knows; check it with locale_tag first")
    return parsed


def _parse(text: str) -> Locale | None:
    cleaned = text.strip().replace("_", "-")
    if not cleaned or not re.fullmatch(r"[A-Za-z0-9-]+", cleaned):
        return None
    try:
        return Locale.parse(cleaned, sep="-")
    except (UnknownLocaleError, ValueError, TypeError):
        return None


@functools.cache
def _short_pattern(tag: str) -> str:
    """The locale's compact weekday, day, month and time: "EEE, MMM d, h:mm a" in en-US."""
    babel = _babel(tag)
    day = babel.datetime_skeletons[match_skeleton("MMMEd", babel.datetime_skeletons) or "MEd"]
    pattern = _joined(babel, "medium").replace("{1}", day.pattern)
    return pattern.replace("{0}", babel.time_formats["short"].pattern)


@functools.cache
def _month_pattern(tag: str) -> str:
    """The locale's month and year: "MMMM y" in en-US."""
    babel = _babel(tag)
    skeleton = babel.datetime_skeletons[match_skeleton("yMMMM", babel.datetime_skeletons) or "y"]
    return str(skeleton.pattern)


@functools.cache
def _day_pattern(tag: str, year: bool) -> str:
    """The locale's pattern for a weekday, day and month in full words (and the year), adjusted
    from its closest skeleton as CLDR's pattern generator does ("E, MMMM d" -> "EEEE, MMMM d")."""
    skeletons = _babel(tag).datetime_skeletons
    wanted, fallback = ("yMMMMEEEEd", "yMMMMEd") if year else ("MMMMEEEEd", "MMMMEd")
    pattern = str(skeletons[match_skeleton(wanted, skeletons) or fallback].pattern)
    return _outside_quotes(pattern, _widen)


def _widen(text: str) -> str:
    text = re.sub(r"E+", "EEEE", text)
    text = re.sub(r"c+", "cccc", text)
    return re.sub(r"(M{3,}|L{3,})", lambda m: m.group(1)[0] * 4, text)


def _outside_quotes(pattern: str, change: Callable[[str], str]) -> str:
    """Apply `change` to the parts of a CLDR pattern that are not 'quoted literal text'."""
    parts = re.split(r"('(?:[^']|'')*')", pattern)
    return "".join(part if part.startswith("'") else change(part) for part in parts)


def _joined(babel: Locale, width: str) -> str:
    """How the locale joins a date and a time: its "at" form where it has one ("{1} 'at' {0}",
    "{1} 'um' {0}"; CLDR keeps it with the relative patterns), else its plain one ("{1}, {0}"),
    as Babel's own format_relative_datetime chooses."""
    chosen = babel.datetime_formats_relative.get(width) or babel.datetime_formats.get(width)
    return str(chosen or "{1} {0}")


def _clean(text: str) -> str:
    """CLDR puts a narrow no-break space before AM/PM; a plain space survives every mail
    client and terminal, and tests can say what they mean."""
    return text.replace("\u202f", " ").replace("\u00a0", " ")
