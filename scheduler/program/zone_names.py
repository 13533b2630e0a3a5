"""Time zones as directories and people write them: IANA names in any case, Windows names
(CLDR's table, as Microsoft gives them), and, for a name that is neither, a hint at the zone
that was meant ("Pacific Time", "New York", "(GMT+01:00) Europe/Berlin", a misspelling)."""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from functools import cache, lru_cache
from zoneinfo import available_timezones

_CLOSE = 0.8  # difflib ratio from which a known zone is offered as "did you mean"


def zone_named(text: str) -> str | None:
    """The IANA zone `text` names, in any case, or as a Windows zone name; None otherwise."""
    return known_zones().get(text.casefold()) or windows_zone(text)


_NOT_ZONES = frozenset({"localtime", "Factory", "posixrules"})  # host-dependent or meaningless

_OFFSET = re.compile(r"\(?\s*(?:utc|gmt)?\s*(?:[+\u2212-]\s*[0-9]{1,2}(?::?[0-9]{2})?)?\s*\)?")

_PARENTHESES = re.compile(r"\(.*?\)")

_PLACE = re.compile(r"(?:[^\W\d]|[/_.'-]){2,40}")  # letters and what joins them, no digits

# the zones of the world's regions, not legacy names such as US/Eastern:
_REGION = re.compile(
    r"(?:Africa|America|Antarctica|Arctic|Asia|Atlantic|Australia|Europe|Indian|Pacific)/"
)

_ZONE_LIKE = re.compile(r"[a-z_]+(?:/[a-z0-9_+-]+)+")

_ZONE_NAMES = {  # zones by the other names HR systems and people give them, casefolded
    "America/Los_Angeles": "pst, pdt, pacific, pacific time, pacific standard time",
    "America/Denver": "mdt, mountain, mountain time, mountain standard time",
    "America/Chicago": "cst, cdt, central, central time, central standard time",
    "America/New_York": "edt, eastern, eastern time, eastern standard time",
    "Europe/London": "bst, british time, gmt standard time",
    "Europe/Berlin": "cest, central european time, central european summer time",
    "Europe/Paris": "w. europe standard time, romance standard time",
    "Asia/Kolkata": "ist, india standard time",
    "Asia/Tokyo": "jst, tokyo standard time",
    "Australia/Sydney": "aest, aedt, aus eastern standard time",
    "Asia/Shanghai": "china standard time",
}

_ZONE_ALIASES = {
    name.strip(): zone for zone, names in _ZONE_NAMES.items() for name in names.split(",")
}


@lru_cache(maxsize=4096)
def zone_hint(value: str) -> str:
    """How to write the zone meant by `value`: for an offset, why a city's zone instead; else
    the zone it names inside other text ("(GMT+01:00) Europe/Berlin"), stands for ("Pacific
    Time"), has the city of ("New York"), or is a misspelling of."""
    text = value.casefold()
    offset = _OFFSET.match(text)
    place = _first_place(text[offset.end() :] if offset else text)
    if offset and offset.group().strip(" ()") and not place:
        return (
            "; an offset does not follow summer time: write the zone of the person's city,"
            " such as America/New_York or Europe/Berlin"
        )
    found = _named_zone(text) or _ZONE_ALIASES.get(place)
    if place and not found:
        found = _similar_zone(place.replace(" ", "_"))
    return f"; did you mean {found}?" if found else ""


def _first_place(text: str) -> str:
    """The first place a zone's display name lists, without what is in brackets:
    "amsterdam, berlin, rome" -> "amsterdam", "eastern time (us & canada)" -> "eastern time"."""
    return " ".join(_PARENTHESES.sub(" ", text).split(",")[0].split())


def _named_zone(text: str) -> str | None:
    zones = known_zones()
    return next((zones[key] for key in _ZONE_LIKE.findall(text) if key in zones), None)


def _similar_zone(key: str) -> str | None:
    """The zone or the city `key` is, or is a misspelling of. Only text that reads like a
    place is compared, as each comparison with every zone takes a millisecond."""
    tables = (known_zones(),) if "/" in key else (known_zones(), _cities())
    for table in tables:
        if key in table:
            return table[key]
    if not _PLACE.fullmatch(key):
        return None
    for table in tables:
        close = difflib.get_close_matches(key, table, n=1, cutoff=_CLOSE)
        if close:
            return table[close[0]]
    return None


def windows_zone(name: str) -> str | None:
    """The IANA zone of a Windows zone name ("Pacific Standard Time"), from CLDR's table as
    icalendar ships it; None for any other text."""
    return _windows_zones().get(name.strip().casefold())


@cache
def _windows_zones() -> Mapping[str, str]:
    from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON

    return {key.casefold(): zone for key, zone in WINDOWS_TO_OLSON.items()}


@cache
def known_zones() -> Mapping[str, str]:
    """Every IANA zone of this machine's tz database by its casefolded name."""
    return {name.casefold(): name for name in available_timezones() - _NOT_ZONES}


@cache
def _cities() -> Mapping[str, str]:
    """The zones of the world's regions by their last part ("new_york" -> America/New_York),
    leaving out legacy names such as Canada/Eastern; where two zones share a city, the one of
    the form Region/City wins."""
    cities: dict[str, str] = {}
    for name in sorted(known_zones().values(), key=lambda name: (name.count("/") != 1, name)):
        if _REGION.match(name):
            cities.setdefault(name.rsplit("/", 1)[1].casefold(), name)
    return cities
