"""The pure rules of people coming and going (issue 10): who may be paired under each consent
rule and answer, the pair a lone joiner may join, a new reporting line inside a pair, and the
reasons `tandem explain` gives, which always agree with the pairing engine."""

from __future__ import annotations

import itertools
from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.orgs import history, organisation
from scheduler.core.compatibility import Graph, PairingRules, reasons_apart
from scheduler.core.consent import standing
from scheduler.core.joiners import ReportingLines, in_one_reporting_line, third_for
from scheduler.core.model import Person, Span, Unit
from tests.unit.test_pairing import far_apart, rules_strategy

NOTICE = Span(5, Unit.DAYS)
INVITED = date(2027, 1, 6)
RULES = PairingRules(1, "chain", False, True, "trio")


def person(key: str, level: int = 3, manager: str | None = None, zone: str = "UTC") -> Person:
    return Person(email=f"{key}@x.org", name=key, level=level, manager_email=manager, timezone=zone)


def test_opt_out_pairs_from_the_day_the_notice_ends_unless_they_said_no() -> None:
    before = standing("opt_out", "invited", INVITED, NOTICE, date(2027, 1, 10))
    assert not before.may_pair and before.from_day == date(2027, 1, 11)
    assert standing("opt_out", "invited", INVITED, NOTICE, date(2027, 1, 11)).may_pair
    assert not standing("opt_out", "declined", INVITED, NOTICE, date(2027, 3, 1)).may_pair
    assert standing("opt_out", "joined", INVITED, NOTICE, date(2027, 1, 7)).may_pair
    assert not standing("opt_out", None, None, NOTICE, date(2027, 3, 1)).may_pair


def test_opt_in_pairs_only_after_join_and_leave_wins_under_every_rule() -> None:
    assert not standing("opt_in", "invited", INVITED, NOTICE, date(2027, 9, 1)).may_pair
    assert standing("opt_in", "joined", INVITED, NOTICE, date(2027, 1, 7)).may_pair
    for rule in ("none", "opt_out", "opt_in"):
        assert not standing(rule, "left", INVITED, NOTICE, date(2027, 2, 1)).may_pair  # type: ignore[arg-type]
    assert standing("none", None, None, NOTICE, date(2027, 1, 1)).may_pair


def test_a_lone_joiner_joins_only_a_pair_of_two_that_fits_every_rule() -> None:
    boss = person("boss", 5)
    a, b = person("a", manager="boss@x.org"), person("b")
    c, d = person("c", level=6), person("d", level=6)
    joiner = person("j", manager="b@x.org")  # reports to b: may not join a and b
    pairs = [("p1", [a, b]), ("p2", [c, d]), ("p3", [person("e"), person("f"), person("g")])]
    managers = {p.email: p.manager_email for p in (boss, a, b, c, d, joiner)}
    assert third_for(joiner, pairs, RULES, managers=managers, seed=1) is None
    free = person("k")
    assert third_for(free, pairs, RULES, managers=managers, seed=1) == "p1"
    assert third_for(free, pairs, RULES, history=[{"k@x.org", "a@x.org"}], seed=1) is None


def test_a_new_manager_inside_a_pair_is_seen_and_other_changes_are_not() -> None:
    a, b = person("a"), person("b", level=9)  # levels far apart: a pair that met keeps meeting
    assert not in_one_reporting_line([a, b], RULES, {"a@x.org": None, "b@x.org": None})
    assert in_one_reporting_line([a, b], RULES, {"a@x.org": "b@x.org", "b@x.org": None})
    off = PairingRules(1, "off", False, True, "trio")
    assert not in_one_reporting_line([a, b], off, {"a@x.org": "b@x.org"})


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(
    bosses=st.lists(st.integers(min_value=-1, max_value=11), min_size=12, max_size=12),
    rule=st.sampled_from(["direct", "chain", "off"]),
)
def test_reporting_lines_walked_once_agree_with_the_pairing_graph(
    bosses: list[int], rule: str
) -> None:
    """The reporting lines of a whole directory, walked once per cycle (departures), say of
    every two people what the pairing's graph says of them alone: kept apart or not (bad data
    with cycles and self-managers included)."""
    emails = [f"p{i}@x.org" for i in range(12)]
    managers = {e: (emails[b] if b >= 0 else None) for e, b in zip(emails, bosses, strict=True)}
    lines = ReportingLines(rule, managers)
    rules = PairingRules(99, rule, False, False, "trio")
    for a, b in itertools.combinations(emails, 2):
        graph = Graph.build([person(a[:-6]), person(b[:-6])], rules, (), managers)
        assert lines.together(a, b) == (not graph.compatible(0, 1)), (a, b)
        if rule == "chain":  # and both say what following the managers up says
            assert lines.together(a, b) == (above(a, b, managers) or above(b, a, managers))


def above(boss: str, person: str, managers: dict[str, str | None]) -> bool:
    """Whether `boss` is reached by following `person`'s managers up (a loop ends it)."""
    seen, node = set(), managers.get(person)
    while node is not None and node not in seen:
        if node == boss:
            return True
        seen.add(node)
        node = managers.get(node)
    return False


def test_each_reason_apart_is_named() -> None:
    rules = PairingRules(1, "chain", True, True, "wait", zones_meet=far_apart)
    a = person("a", 3, zone="America/New_York")
    b = person("b", 6, manager="a@x.org", zone="Asia/Kolkata")
    found = reasons_apart(a, b, rules, [{"a@x.org", "b@x.org"}])
    assert found == [
        "levels 3 and 6 differ by more than 1",
        "the same department",
        "no common time inside both working hours",
        "in one reporting line",
        "paired before",
    ]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    size=st.integers(2, 30),
    org_seed=st.integers(0, 10_000),
    rounds=st.integers(0, 4),
    rules=rules_strategy,
)
def test_reasons_apart_agree_with_the_pairing_engine(
    size: int, org_seed: int, rounds: int, rules: PairingRules
) -> None:
    people = organisation(size, seed=org_seed, span=3, top_level=5)
    past = [set(p) for p in history(people, rounds, seed=org_seed)]
    managers = {p.email: p.manager_email for p in people}
    graph = Graph.build(people, rules, past, managers)
    for i, j in itertools.combinations(range(len(people)), 2):
        reasons = reasons_apart(people[i], people[j], rules, past, managers)
        assert (reasons == []) == graph.compatible(i, j), (people[i], people[j], reasons)
