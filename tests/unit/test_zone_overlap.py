"""Who can meet inside their hours (issue 9, item 2): zones whose hours on the listed days share
no slot of the meeting's length are never paired, and the pairing says how many it kept apart."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, time, timedelta

import pytest

from scheduler.core.model import Hours, Person, Weekday
from scheduler.core.pairing import PairingRules, pair_people
from scheduler.core.zone_overlap import zones_meet_rule

WORKDAYS = (Weekday.MON, Weekday.TUE, Weekday.WED, Weekday.THU)


NINE_TO_FIVE = Hours(time(9), time(17))


def rule(
    stretch: timedelta = timedelta(0), hours: Hours = NINE_TO_FIVE
) -> Callable[[frozenset[str]], bool]:
    return zones_meet_rule(
        hours=hours, days=WORKDAYS, length=timedelta(minutes=30), stretch=stretch,
        start=date(2027, 1, 11),
    )  # fmt: skip


@pytest.mark.parametrize(
    ("zones", "meet"),
    [
        ({"America/Los_Angeles", "Asia/Kolkata"}, False),
        ({"America/New_York", "Europe/Berlin"}, True),
        ({"America/Los_Angeles", "Europe/Berlin"}, False),  # 9 hours apart: none left
        ({"Europe/London", "Asia/Kolkata"}, True),
        ({"America/New_York", "Europe/London", "Asia/Kolkata"}, False),  # a trio
        ({"Europe/Berlin"}, True),
    ],
)
def test_zones_meet_when_their_hours_overlap_by_a_meeting(zones: set[str], meet: bool) -> None:
    assert rule()(frozenset(zones)) is meet


def test_a_stretch_lets_far_zones_meet_at_the_edges_of_their_days() -> None:
    assert rule(timedelta(hours=2))(frozenset({"America/Los_Angeles", "Europe/Berlin"}))
    assert not rule(timedelta(hours=1))(frozenset({"America/Los_Angeles", "Asia/Kolkata"}))


def test_zones_that_meet_only_part_of_the_year_do_not_meet() -> None:
    # New York and Berlin at 09:00-15:00 are 6 hours apart most of the year and share nothing
    # (15:00 in Berlin is 09:00 in New York), but 5 hours apart in the weeks between the two
    # daylight saving changes of March and of October/November, when they share an hour.
    short = rule(hours=Hours(time(9), time(15)))
    assert not short(frozenset({"America/New_York", "Europe/Berlin"}))
    assert rule(hours=Hours(time(9), time(15, 30)))(
        frozenset({"America/New_York", "Europe/Berlin"})
    )


def test_pairing_never_pairs_zones_that_cannot_meet_and_counts_who_it_kept_apart() -> None:
    def someone(name: str, zone: str) -> Person:
        return Person(email=f"{name}@x.org", name=name, level=3, timezone=zone)

    people = [
        someone("ana", "America/Los_Angeles"),
        someone("bo", "America/Los_Angeles"),
        someone("cy", "Asia/Kolkata"),
        someone("di", "Asia/Kolkata"),
        someone("ed", "Asia/Kolkata"),
    ]
    result = pair_people(people, PairingRules(odd_one_out="wait", zones_meet=rule()), seed=1)

    zones = {p.email: p.timezone for p in people}
    assert all(len({zones[e] for e in group}) == 1 for group in result.groups)
    assert len(result.groups) == 2 and result.maximum_proven
    assert result.kept_apart_by_zones == 6  # each of 2 in Los Angeles with each of 3 in Kolkata
    (alone,) = result.unpaired
    assert alone.reason == "odd one out: waits for the next round"


def test_someone_whose_level_peers_all_work_in_far_zones_is_told_so() -> None:
    people = [
        Person(email="a@x.org", name="a", level=3, timezone="America/Los_Angeles"),
        Person(email="b@x.org", name="b", level=3, timezone="Asia/Kolkata"),
    ]
    result = pair_people(people, PairingRules(odd_one_out="wait", zones_meet=rule()), seed=0)
    assert result.groups == ()
    assert {u.reason for u in result.unpaired} == {
        "all 1 people within 1 level(s) work in time zones that share no working hours with theirs"
    }
