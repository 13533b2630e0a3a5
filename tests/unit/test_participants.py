"""Who takes part: include and exclude lists by department, email, level, group and
organisational unit (the last two as Google and Microsoft directories give them)."""

from __future__ import annotations

from scheduler.core.model import Person
from scheduler.program.participants import select_participants
from scheduler.program.schema import Participants, Selection

ANA_DIRECTORY = {"groups": "Mentoring-Pilot@x.org; all@x.org", "org_unit": "/Sales/EMEA"}
ANA = Person("ana@x.org", "Ana", department="Sales", level=3, attributes=ANA_DIRECTORY)
BO = Person("bo@x.org", "Bo", department="Eng", level=3, attributes={"org_unit": "/Engineering"})
CY = Person("cy@x.org", "Cy", department="Eng", level=9, attributes={"org_unit": "/Sales-Ops"})
EVERYONE = [ANA, BO, CY]


def chosen(rules: Participants) -> list[str]:
    return [p.email for p in select_participants(EVERYONE, rules)]


def test_everyone_takes_part_when_nothing_is_listed() -> None:
    assert chosen(Participants()) == ["ana@x.org", "bo@x.org", "cy@x.org"]


def test_a_group_selects_its_members_by_address_without_regard_to_case() -> None:
    assert chosen(Participants(include=Selection(groups=("mentoring-pilot@x.org",)))) == [
        "ana@x.org"
    ]


def test_an_org_unit_takes_everything_below_it_and_nothing_that_only_starts_alike() -> None:
    assert chosen(Participants(include=Selection(org_units=("/sales",)))) == ["ana@x.org"]
    assert chosen(Participants(include=Selection(org_units=("/Engineering/",)))) == ["bo@x.org"]


def test_an_exclusion_wins_over_an_inclusion() -> None:
    rules = Participants(include=Selection(departments=("eng",)), exclude=Selection(levels=(9,)))
    assert chosen(rules) == ["bo@x.org"]
