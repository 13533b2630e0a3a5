"""Directory records are untrusted whatever the provider: this keeps the people that are sound and
turns everything else into problems that point at the source line, so nothing is lost silently."""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import cache, lru_cache
from types import MappingProxyType
from zoneinfo import available_timezones

from scheduler.core.header_text import header_text
from scheduler.core.model import Person
from scheduler.ports import PersonRecord

KNOWN_FIELDS = frozenset(
    {"email", "name", "title", "department", "level", "manager_email", "timezone", "aliases"}
)
MAX_TEXT = 200  # characters kept of a name, title, department or attribute

_TEXT_FIELDS = ("name", "title", "department")

_FORBIDDEN = r"@\s\"'(),:;<>\[\\\]"
_ADDRESS = re.compile(rf"[^{_FORBIDDEN}]+@(?:[^{_FORBIDDEN}.]+\.)+[^{_FORBIDDEN}.]+")
_NUMBER = re.compile(r"[0-9]{1,9}")
_ALIAS_SEPARATORS = re.compile(r"[;,\s]+")
_DROPPED = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})  # controls, format (bidi, zero-width), ...
_NOT_ZONES = frozenset({"localtime", "Factory", "posixrules"})  # host-dependent or meaningless
_CYCLE_SHOWN = 8
_CLOSE = 0.8  # difflib ratio from which a known value is offered as "did you mean"
_NUMBERISH = re.compile(r"[+-]?[0-9]+(?:[.,][0-9]*)?")
_PLAIN_KEY = re.compile(r"[^\W\d_][\w .,&/()+'-]*")  # YAML reads it back as is
_YAML_WORDS = frozenset({"y", "n", "yes", "no", "on", "off", "true", "false", "null"})
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


@dataclass(frozen=True, slots=True)
class RowProblem:
    """Something wrong with one record; `skipped` says whether the record was left out for it."""

    source: str
    line: int
    email: str | None
    field: str
    message: str
    skipped: bool = True
    column: int = 0  # 1-based; 0 when the source has no columns

    def __str__(self) -> str:
        """One line for people: "org.csv:14: column 7 (timezone): ... (row of x skipped)"; the
        column is left out when there is none, the line when there is none."""
        where = f"{self.source}:{self.line}" if self.line else self.source
        what = f"column {self.column} ({self.field})" if self.column else self.field
        text = f"{where}: {what}: {self.message}"
        if self.skipped:
            text += f" (row of {self.email} skipped)" if self.email else " (row skipped)"
        return text


@dataclass(frozen=True, slots=True)
class Roster:
    """The people who passed every check, in input order, and the problems of the others."""

    people: tuple[Person, ...]
    problems: tuple[RowProblem, ...]

    def by_email(self) -> Mapping[str, Person]:
        """A read-only index by primary email; built on each call, so keep the result."""
        return MappingProxyType({person.email: person for person in self.people})


def build_roster(
    records: Iterable[PersonRecord], levels: Mapping[str, int] | None = None
) -> Roster:
    """Validate directory records into people. `levels` maps level or title text (matched
    case-insensitively) to a level number, for directories that have no numeric level."""
    rows = [_Row(record, _address(record.fields.get("email") or "")) for record in records]
    directory: dict[str, _Row] = {}
    for row in rows:
        if row.email is None:
            raw = (row.record.fields.get("email") or "").strip()
            row.fail("email", f"{_show(raw)} is not an email address" if raw else "missing")
            continue
        first = directory.setdefault(row.email, row)
        if first is not row:
            row.fail("email", f"duplicate of {_where(first.record, row.record)}, which is kept")
    table = _Levels.of(levels or {})
    book = _AddressBook(directory)
    managers: dict[str, str] = {}
    for row in rows:
        if row.email is None or directory[row.email] is row:
            manager = _check(row, book, table)
            if manager is not None and row.email is not None:
                managers[row.email] = manager
    for cycle in _cycles(managers):
        for start, email in enumerate(cycle):
            directory[email].fail("manager_email", f"reporting cycle: {_chain(cycle, start)}")
    people: list[Person] = []
    claimed: dict[str, _Row] = {}
    for row in rows:
        if row.person is not None and not row.skipped:
            people.append(_claim_aliases(row, row.person, directory, claimed))
    return Roster(tuple(people), tuple(problem for row in rows for problem in row.problems))


@dataclass(slots=True)
class _Row:
    record: PersonRecord
    email: str | None
    problems: list[RowProblem] = field(default_factory=list)
    person: Person | None = None

    @property
    def skipped(self) -> bool:
        return any(problem.skipped for problem in self.problems)

    def fail(self, name: str, message: str, *, skipped: bool = True) -> None:
        record = self.record
        column = record.columns.get(name, 0)
        problem = RowProblem(record.source, record.line, self.email, name, message, skipped, column)
        self.problems.append(problem)


@dataclass(frozen=True, slots=True)
class _Levels:
    """The program's `levels:` table by case-insensitive text. The hint for a missing text is
    kept, since one missing title usually repeats on many rows."""

    table: Mapping[str, tuple[str, int]]  # casefolded text -> (text as written, level)
    hints: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, levels: Mapping[str, int]) -> _Levels:
        return cls({_clean(key).casefold(): (_clean(key), level) for key, level in levels.items()})

    def find(self, text: str) -> int | None:
        entry = self.table.get(text.casefold()) if text else None
        return entry[1] if entry else None

    def hint(self, text: str) -> str:
        """What to do about a text that is not in the table: a close entry it may be a typo of,
        and the line that adds it, with the level of the nearest entry as an example."""
        if text not in self.hints:
            key = text.casefold()
            (nearest,) = difflib.get_close_matches(key, self.table, n=1, cutoff=0) or [""]
            example = f'add it there as a line such as "{_yaml_key(text)}: {self._level(nearest)}"'
            if nearest and difflib.SequenceMatcher(None, key, nearest).ratio() >= _CLOSE:
                example = f"did you mean {_show(self.table[nearest][0])}? If not, {example}"
            self.hints[text] = example
        return self.hints[text]

    def _level(self, key: str) -> int:
        return self.table[key][1] if key else 1


class _AddressBook:
    """The directory's addresses, for "did you mean" on a mistyped manager. Comparing a bad
    address with each of 100,000 others takes seconds, so the candidates are looked up
    instead: the addresses one typo away (a character missing, extra, wrong, or two swapped)
    and the same local part at another domain. difflib's ratio then says which are close."""

    def __init__(self, addresses: Mapping[str, object]) -> None:
        self._addresses = addresses
        self._by_local: dict[str, list[str]] | None = None
        self._alphabet = ""
        self._close: dict[str, list[str]] = {}

    def __contains__(self, email: object) -> bool:
        return email in self._addresses

    def closest(self, email: str, besides: str | None) -> str | None:
        """The nearest address to `email` other than `besides`, when one is close."""
        if email not in self._close:
            self._close[email] = self._search(email)
        return next((found for found in self._close[email] if found != besides), None)

    def _search(self, email: str) -> list[str]:
        by_local = self._by_local if self._by_local is not None else self._index()
        candidates = {typo for typo in _one_typo(email, self._alphabet) if typo in self}
        candidates.update(by_local.get(email.rpartition("@")[0], ()))
        candidates.discard(email)
        scored = sorted((-_similarity(email, found), found) for found in candidates)
        return [found for score, found in scored[:2] if -score >= _CLOSE]

    def _index(self) -> dict[str, list[str]]:
        self._by_local = {}
        for email in self._addresses:
            self._by_local.setdefault(email.rpartition("@")[0], []).append(email)
        self._alphabet = "".join(sorted(set().union(*self._addresses)))
        return self._by_local


def _one_typo(word: str, alphabet: str) -> set[str]:
    """Every text one typo away from `word`, as in Norvig's spelling corrector."""
    splits = [(word[:cut], word[cut:]) for cut in range(len(word) + 1)]
    deletes = {head + tail[1:] for head, tail in splits if tail}
    swaps = {head + tail[1] + tail[0] + tail[2:] for head, tail in splits if len(tail) > 1}
    replaces = {head + char + tail[1:] for head, tail in splits if tail for char in alphabet}
    inserts = {head + char + tail for head, tail in splits for char in alphabet}
    return deletes | swaps | replaces | inserts


def _similarity(one: str, other: str) -> float:
    """How alike two addresses are where they differ: the local parts at one domain, the
    domains of one local part; a shared domain alone makes nobody alike."""
    local, _, domain = one.rpartition("@")
    other_local, _, other_domain = other.rpartition("@")
    if domain == other_domain:
        return difflib.SequenceMatcher(None, local, other_local).ratio()
    if local == other_local:
        return difflib.SequenceMatcher(None, domain, other_domain).ratio()
    return 0.0


def _check(row: _Row, book: _AddressBook, table: _Levels) -> str | None:
    """Check every field of a row, drafting its Person if all is well; returns the manager's
    email when the reporting line is sound, for cycle detection."""
    fields = row.record.fields
    name, title, department = (_clean(fields.get(key) or "") for key in _TEXT_FIELDS)
    level = _level(row, _clean(fields.get("level") or ""), title, table)
    timezone = _timezone(row, (fields.get("timezone") or "").strip())
    manager = _manager(row, (fields.get("manager_email") or "").strip(), book)
    aliases = _aliases(row, fields.get("aliases") or "")
    attributes = {
        key: _clean(value or "")
        for raw_key, value in fields.items()
        if raw_key not in KNOWN_FIELDS and (key := _clean(raw_key))
    }
    if row.email is not None and level is not None and timezone is not None and not row.skipped:
        row.person = Person(
            row.email, name, title, department, level, manager, timezone, aliases, attributes
        )
    return manager


def _clean(value: str) -> str:
    """Text safe for a header or a template: NFC, no controls or invisible formatting
    characters, single spaces, at most MAX_TEXT characters."""
    text = unicodedata.normalize("NFC", header_text(value) if "=?" in value else value)
    if not text.isprintable():
        text = "".join(
            " " if char.isspace() else char
            for char in text
            if char.isspace() or unicodedata.category(char) not in _DROPPED
        )
    return " ".join(text.split())[:MAX_TEXT].rstrip()


def _address(value: str) -> str | None:
    text = unicodedata.normalize("NFC", value.strip().lower())
    if len(text) <= 254 and text.isprintable() and _ADDRESS.fullmatch(text):
        return text
    return None


def _level(row: _Row, value: str, title: str, table: _Levels) -> int | None:
    """A level number, or the level of the level text or (when there is none) the title under
    the program's `levels:`. A problem points at the cell it comes from."""
    if _NUMBER.fullmatch(value):
        return int(value)
    found = table.find(value or title)
    if found is not None:
        return found
    if value and _NUMBERISH.fullmatch(value):
        row.fail("level", f"no level: {_show(value)} is not a whole number of 0 or more")
    elif value:
        text = f"{_show(value)} is neither a number nor listed under levels: in the program file"
        row.fail("level", f"no level: {text}; {table.hint(value)}")
    elif title:
        text = f"the title {_show(title)} is not listed under levels: in the program file"
        row.fail("title", f"no level: {text}; {table.hint(title)}")
    else:
        name = "title" if "level" not in row.record.columns and row.record.columns else "level"
        row.fail(name, "no level: the level and the title are both empty")
    return None


def _yaml_key(text: str) -> str:
    """`text` as a key of the program file: plain when YAML reads it back as the same text,
    else in single quotes."""
    if _PLAIN_KEY.fullmatch(text) and text.casefold() not in _YAML_WORDS:
        return text
    return "'" + text.replace("'", "''") + "'"


def _timezone(row: _Row, value: str) -> str | None:
    """An IANA zone, or a Windows zone name mapped with CLDR's table (as Microsoft's directory
    and calendars give them). A cloud directory often has none: that is left empty ("") for
    the sync to take from the person's calendar, else the program's zone; a file's empty cell
    is a mistake to fix."""
    if not value:
        if not row.record.columns and row.record.line == 0:
            return ""
        row.fail("timezone", "missing; a guessed zone would book meetings at odd hours")
        return None
    zone = _zones().get(value.casefold()) or windows_zone(value)
    if zone is None:
        message = f"{_show(value)} is not an IANA time zone such as Europe/Paris"
        row.fail("timezone", message + _zone_hint(value))
    return zone


@lru_cache(maxsize=4096)
def _zone_hint(value: str) -> str:
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
    zones = _zones()
    return next((zones[key] for key in _ZONE_LIKE.findall(text) if key in zones), None)


def _similar_zone(key: str) -> str | None:
    """The zone or the city `key` is, or is a misspelling of. Only text that reads like a
    place is compared, as each comparison with every zone takes a millisecond."""
    tables = (_zones(),) if "/" in key else (_zones(), _cities())
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
    from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON

    table = {key.casefold(): zone for key, zone in WINDOWS_TO_OLSON.items()}
    return table.get(name.strip().casefold())


@cache
def _zones() -> Mapping[str, str]:
    return {name.casefold(): name for name in available_timezones() - _NOT_ZONES}


@cache
def _cities() -> Mapping[str, str]:
    """The zones of the world's regions by their last part ("new_york" -> America/New_York),
    leaving out legacy names such as Canada/Eastern; where two zones share a city, the one of
    the form Region/City wins."""
    cities: dict[str, str] = {}
    for name in sorted(_zones().values(), key=lambda name: (name.count("/") != 1, name)):
        if _REGION.match(name):
            cities.setdefault(name.rsplit("/", 1)[1].casefold(), name)
    return cities


def _manager(row: _Row, value: str, book: _AddressBook) -> str | None:
    if not value:
        return None
    email = _address(value)
    if email is None:
        row.fail("manager_email", f"{_show(value)} is not an email address")
    elif email == row.email:
        row.fail("manager_email", f"{_show(email)} is their own address: nobody manages themselves")
    elif email not in book:
        closest = book.closest(email, besides=row.email)
        hint = f"; did you mean {closest}?" if closest else ""
        where = "the file" if row.record.line else "the directory"  # only files have lines
        row.fail("manager_email", f"{_show(email)} is not in {where}{hint}")
    else:
        return email
    return None


def _aliases(row: _Row, value: str) -> tuple[str, ...]:
    kept: list[str] = []
    for item in _ALIAS_SEPARATORS.split(value.strip()):
        email = _address(item) if item else ""
        if email is None:
            message = f"{_show(item)} is not an email address (alias dropped)"
            row.fail("aliases", message, skipped=False)
        elif email and email != row.email and email not in kept:
            kept.append(email)
    return tuple(kept)


def _claim_aliases(
    row: _Row, person: Person, directory: Mapping[str, _Row], claimed: dict[str, _Row]
) -> Person:
    """Drop the aliases that are someone's primary address or an earlier person's alias:
    an address must name one person, or a reply could act for the wrong one."""
    kept: list[str] = []
    for alias in person.aliases:
        owner = directory.get(alias) or claimed.setdefault(alias, row)
        if owner is row:
            kept.append(alias)
        else:
            whose = "the address" if alias in directory else "an alias"
            where = _where(owner.record, row.record)
            message = f"{_show(alias)} is {whose} of {where} (alias dropped)"
            row.fail("aliases", message, skipped=False)
    return person if len(kept) == len(person.aliases) else replace(person, aliases=tuple(kept))


def _cycles(managers: Mapping[str, str]) -> list[list[str]]:
    """The reporting cycles of a graph where everyone has at most one manager, in O(n)."""
    state: dict[str, bool] = {}  # True while on the current walk, False once finished
    cycles: list[list[str]] = []
    for start in managers:
        walk: list[str] = []
        node: str | None = start
        while node is not None and node not in state:
            state[node] = True
            walk.append(node)
            node = managers.get(node)
        if node is not None and state[node]:
            cycles.append(walk[walk.index(node) :])
        for visited in walk:
            state[visited] = False
    return cycles


def _chain(cycle: list[str], start: int) -> str:
    size = len(cycle)
    if size <= _CYCLE_SHOWN:
        return " -> ".join(cycle[(start + step) % size] for step in range(size + 1))
    shown = [cycle[(start + step) % size] for step in range(_CYCLE_SHOWN // 2)]
    return " -> ".join([*shown, "...", cycle[start]]) + f" ({size} people)"


def _where(first: PersonRecord, other: PersonRecord) -> str:
    if not first.line:
        return f"an earlier record of {first.source}"
    return f"line {first.line}" if first.source == other.source else f"{first.source}:{first.line}"


def _show(value: str) -> str:
    """Quote untrusted text for a message: escaped controls, and not too long."""
    return repr(value[:80]) + ("..." if len(value) > 80 else "")
