"""Who takes part: the program file's include and exclude lists applied to the directory."""

from __future__ import annotations

from collections.abc import Iterable

from scheduler.core.model import Person
from scheduler.program.schema import Participants, Selection


def select_participants(people: Iterable[Person], rules: Participants) -> list[Person]:
    """Everyone the include lists name (everyone, when they name nobody), less everyone the
    exclude lists name. Departments compare without regard to case."""
    chosen = []
    for person in people:
        if _any_rule(rules.include) and not _matches(person, rules.include):
            continue
        if _matches(person, rules.exclude):
            continue
        chosen.append(person)
    return chosen


def _any_rule(selection: Selection) -> bool:
    return bool(selection.departments or selection.emails or selection.levels)


def _matches(person: Person, selection: Selection) -> bool:
    departments = {d.casefold() for d in selection.departments}
    return (
        person.department.casefold() in departments
        or person.email in selection.emails
        or (person.level is not None and person.level in selection.levels)
    )
