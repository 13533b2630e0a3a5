"""Directory records are untrusted whatever the provider: this keeps the people that are sound and
turns everything else into problems that point at the source line, so nothing is lost silently."""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType

from scheduler.core.header_text import header_text
from scheduler.core.model import Person
from scheduler.ports import PersonRecord
from scheduler.program.address_book import CLOSE as _CLOSE
from scheduler.program.address_book import AddressBook
from scheduler.program.zone_names import zone_hint, zone_named

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
_CYCLE_SHOWN = 8
_NUMBERISH = re.compile(r"[+-]?[0-9]+(?:[.,][0-9]*)?")
_PLAIN_KEY = re.compile(r"[^\W\d_][\w .,&/()+'-]*")  # YAML reads it back as is
_YAML_WORDS = frozenset({"y", "n", "yes", "no", "on", "off", "true", "false", "null"})


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
    book = AddressBook(directory)
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


def _check(row: _Row, book: AddressBook, table: _Levels) -> str | None:
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
    zone = zone_named(value)
    if zone is None:
        message = f"{_show(value)} is not an IANA time zone such as Europe/Paris"
        row.fail("timezone", message + zone_hint(value))
    return zone


def _manager(row: _Row, value: str, book: AddressBook) -> str | None:
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
