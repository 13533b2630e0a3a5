"""Directory records are untrusted whatever the provider: this keeps the people that are sound and
turns everything else into problems that point at the source line, so nothing is lost silently."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import cache
from types import MappingProxyType
from zoneinfo import available_timezones

from scheduler.header_text import header_text
from scheduler.model import Person

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


@dataclass(frozen=True, slots=True)
class RawPerson:
    """One directory record as the provider gave it; `line` is 1-based, 0 when there is none."""

    source: str
    line: int
    fields: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class RowProblem:
    """Something wrong with one record; `skipped` says whether the record was left out for it."""

    source: str
    line: int
    email: str | None
    field: str
    message: str
    skipped: bool = True

    def __str__(self) -> str:
        where = f"{self.source}:{self.line}" if self.line else self.source
        text = f"{where}: {self.field}: {self.message}"
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


def build_roster(records: Iterable[RawPerson], levels: Mapping[str, int] | None = None) -> Roster:
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
    table = {_clean(key).casefold(): level for key, level in (levels or {}).items()}
    managers: dict[str, str] = {}
    for row in rows:
        if row.email is None or directory[row.email] is row:
            manager = _check(row, directory, table)
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
    record: RawPerson
    email: str | None
    problems: list[RowProblem] = field(default_factory=list)
    person: Person | None = None

    @property
    def skipped(self) -> bool:
        return any(problem.skipped for problem in self.problems)

    def fail(self, column: str, message: str, *, skipped: bool = True) -> None:
        source, line = self.record.source, self.record.line
        self.problems.append(RowProblem(source, line, self.email, column, message, skipped))


def _check(row: _Row, directory: Collection[str], table: Mapping[str, int]) -> str | None:
    """Check every field of a row, drafting its Person if all is well; returns the manager's
    email when the reporting line is sound, for cycle detection."""
    fields = row.record.fields
    name, title, department = (_clean(fields.get(key) or "") for key in _TEXT_FIELDS)
    level = _level(row, _clean(fields.get("level") or ""), title, table)
    timezone = _timezone(row, (fields.get("timezone") or "").strip())
    manager = _manager(row, (fields.get("manager_email") or "").strip(), directory)
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


def _level(row: _Row, value: str, title: str, table: Mapping[str, int]) -> int | None:
    if _NUMBER.fullmatch(value):
        return int(value)
    text = value or title
    found = table.get(text.casefold()) if text else None
    if found is None and not text:
        row.fail("level", "no level: the level and the title are both empty")
    elif found is None:
        row.fail("level", f"no level: {_show(text)} is not a number and not in the levels table")
    return found


def _timezone(row: _Row, value: str) -> str | None:
    if not value:
        row.fail("timezone", "missing; a guessed zone would book meetings at odd hours")
        return None
    zone = _zones().get(value.casefold())
    if zone is None:
        row.fail("timezone", f"{_show(value)} is not an IANA time zone such as Europe/Paris")
    return zone


@cache
def _zones() -> Mapping[str, str]:
    return {name.casefold(): name for name in available_timezones() - _NOT_ZONES}


def _manager(row: _Row, value: str, directory: Collection[str]) -> str | None:
    if not value:
        return None
    email = _address(value)
    if email is None:
        row.fail("manager_email", f"{_show(value)} is not an email address")
    elif email == row.email:
        row.fail("manager_email", f"{_show(email)} is their own address: nobody manages themselves")
    elif email not in directory:
        row.fail("manager_email", f"{_show(email)} is not in the directory")
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


def _where(first: RawPerson, other: RawPerson) -> str:
    if not first.line:
        return f"an earlier record of {first.source}"
    return f"line {first.line}" if first.source == other.source else f"{first.source}:{first.line}"


def _show(value: str) -> str:
    """Quote untrusted text for a message: escaped controls, and not too long."""
    return repr(value[:80]) + ("..." if len(value) > 80 else "")
