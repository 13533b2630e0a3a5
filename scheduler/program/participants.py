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
    return bool(
        selection.departments
        or selection.emails
        or selection.levels
        or selection.groups
        or selection.org_units
    )


def _matches(person: Person, selection: Selection) -> bool:
    departments = {d.casefold() for d in selection.departments}
    return (
        person.department.casefold() in departments
        or person.email in selection.emails
        or (person.level is not None and person.level in selection.levels)
        or bool(groups_of(person) & set(selection.groups))
        or any(_within(person.attributes.get("org_unit", ""), unit) for unit in selection.org_units)
    )


def groups_of(person: Person) -> set[str]:
    """The groups the directory says a person belongs to (the `groups` field, ";"-joined)."""
    text = person.attributes.get("groups", "")
    return {group.strip().lower() for group in text.split(";") if group.strip()}


def _within(unit: str, named: str) -> bool:
    """An organisational unit is the named one or below it, without regard to case."""
    unit, named = unit.strip().rstrip("/").casefold(), named.strip().rstrip("/").casefold()
    return bool(unit) and (unit == named or unit.startswith(named + "/"))


def selection_reason(person: Person, rules: Participants) -> tuple[bool, str]:
    """Whether `person` is selected, and by which rule, in words; for `tandem explain`."""
    if _any_rule(rules.include) and not _matches(person, rules.include):
        return False, "not named by participants.include"
    if _matches(person, rules.exclude):
        return False, f"excluded by participants.exclude ({_which(person, rules.exclude)})"
    if _any_rule(rules.include):
        return True, f"named by participants.include ({_which(person, rules.include)})"
    return True, "everyone in the directory takes part (participants.include names nobody)"


def _which(person: Person, selection: Selection) -> str:
    rules = []
    if person.department.casefold() in {d.casefold() for d in selection.departments}:
        rules.append(f"department {person.department}")
    if person.email in selection.emails:
        rules.append("their address")
    if person.level is not None and person.level in selection.levels:
        rules.append(f"level {person.level}")
    rules.extend(f"group {g}" for g in sorted(groups_of(person) & set(selection.groups)))
    unit = person.attributes.get("org_unit", "")
    rules.extend(f"org unit {u}" for u in selection.org_units if _within(unit, u))
    return ", ".join(rules)
