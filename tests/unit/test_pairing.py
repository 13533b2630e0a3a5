"""The pairing engine's rules hold on any organisation, and it pairs as many as possible."""

from __future__ import annotations

import itertools
import random

import networkx as nx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.orgs import history, organisation
from scheduler.core.model import Person
from scheduler.core.pairing import PairingResult, PairingRules, pair_people


def person(email: str, level: int, manager: str | None = None, dept: str = "Eng") -> Person:
    return Person(email=email, name=email, level=level, manager_email=manager, department=dept)


def chain_of(email: str, managers: dict[str, str | None]) -> set[str]:
    seen: set[str] = set()
    boss = managers.get(email)
    while boss and boss not in seen:
        seen.add(boss)
        boss = managers.get(boss)
    return seen


def assert_rules_hold(
    people: list[Person], rules: PairingRules, past: list[tuple[str, str]], result: PairingResult
) -> None:
    by_email = {p.email: p for p in people}
    managers = {p.email: p.manager_email for p in people}
    placed = [e for g in result.groups for e in g] + [u.email for u in result.unpaired]
    assert sorted(placed) == sorted(by_email), "everyone is placed exactly once"
    seen_before = {frozenset(p) for p in past}
    for group in result.groups:
        assert len(group) in (2, 3)
        if len(group) == 3:
            assert rules.odd_one_out == "trio"
        for a, b in itertools.combinations(group, 2):
            pa, pb = by_email[a], by_email[b]
            assert pa.level is not None and pb.level is not None
            assert abs(pa.level - pb.level) <= rules.level_tolerance
            if rules.avoid_reporting_line == "direct":
                assert pa.manager_email != b and pb.manager_email != a
            if rules.avoid_reporting_line == "chain":
                assert a not in chain_of(b, managers) and b not in chain_of(a, managers)
            if rules.avoid_same_department:
                assert pa.department != pb.department
            if rules.avoid_repeats:
                assert frozenset((a, b)) not in seen_before
        if rules.zones_meet is not None:
            assert rules.zones_meet(frozenset(by_email[e].timezone for e in group))


def maximum_pairs(people: list[Person], rules: PairingRules, past: list[tuple[str, str]]) -> int:
    """The oracle: networkx's exact maximum matching on the explicit graph."""
    managers = {p.email: p.manager_email for p in people}
    seen_before = {frozenset(p) for p in past}
    graph = nx.Graph()
    graph.add_nodes_from(p.email for p in people)
    for pa, pb in itertools.combinations(people, 2):
        assert pa.level is not None and pb.level is not None
        if abs(pa.level - pb.level) > rules.level_tolerance:
            continue
        if rules.avoid_reporting_line == "direct" and (
            pa.manager_email == pb.email or pb.manager_email == pa.email
        ):
            continue
        if rules.avoid_reporting_line == "chain" and (
            pa.email in chain_of(pb.email, managers) or pb.email in chain_of(pa.email, managers)
        ):
            continue
        if rules.avoid_same_department and pa.department == pb.department:
            continue
        if rules.avoid_repeats and frozenset((pa.email, pb.email)) in seen_before:
            continue
        if rules.zones_meet is not None and not rules.zones_meet(
            frozenset((pa.timezone, pb.timezone))
        ):
            continue
        graph.add_edge(pa.email, pb.email)
    return len(nx.max_weight_matching(graph, maxcardinality=True))


def far_apart(zones: frozenset[str]) -> bool:
    """A zone rule like Los Angeles and Kolkata at 09:00-17:00: Asia never meets America."""
    return not (any("Asia" in z for z in zones) and any("America" in z for z in zones))


rules_strategy = st.builds(
    PairingRules,
    level_tolerance=st.integers(0, 2),
    avoid_reporting_line=st.sampled_from(["direct", "chain", "off"]),
    avoid_same_department=st.booleans(),
    avoid_repeats=st.booleans(),
    odd_one_out=st.sampled_from(["trio", "wait"]),
    zones_meet=st.sampled_from([None, far_apart]),
)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    size=st.integers(2, 70),
    org_seed=st.integers(0, 10_000),
    span=st.integers(1, 7),
    rounds=st.integers(0, 8),
    rules=rules_strategy,
    seed=st.integers(0, 2**32),
)
def test_pairs_obey_every_rule_and_are_as_many_as_possible(
    size: int, org_seed: int, span: int, rounds: int, rules: PairingRules, seed: int
) -> None:
    people = organisation(size, seed=org_seed, span=span, top_level=5)
    past = history(people, rounds, seed=org_seed, tolerance=rules.level_tolerance)
    result = pair_people(people, rules, history=past, seed=seed)
    assert_rules_hold(people, rules, past, result)
    pairs = len(result.groups)
    assert pairs == maximum_pairs(people, rules, past)
    assert result.maximum_proven


def test_dense_history_defeats_a_plain_greedy_pass_but_not_the_engine() -> None:
    # Given a level where history leaves exactly one perfect pairing (a path a-b-c-d-e-f),
    # a greedy pass that pairs b-c first strands a and d; augmenting paths recover them.
    emails = [f"{c}@x.org" for c in "abcdef"]
    people = [person(e, 3) for e in emails]
    allowed = {("a", "b"), ("b", "c"), ("c", "d"), ("d", "e"), ("e", "f")}
    past = [
        (f"{x}@x.org", f"{y}@x.org")
        for x, y in itertools.combinations("abcdef", 2)
        if (x, y) not in allowed
    ]
    for seed in range(40):
        result = pair_people(people, PairingRules(odd_one_out="wait"), history=past, seed=seed)
        assert result.groups == (
            ("a@x.org", "b@x.org"),
            ("c@x.org", "d@x.org"),
            ("e@x.org", "f@x.org"),
        )


def test_a_manager_is_never_paired_with_a_direct_report() -> None:
    people = [person("boss@x.org", 3), person("rep@x.org", 3, manager="boss@x.org")]
    result = pair_people(people, PairingRules(odd_one_out="wait"), seed=1)
    assert result.groups == ()
    assert {u.email for u in result.unpaired} == {"boss@x.org", "rep@x.org"}
    assert "reporting line" in result.unpaired[0].reason


def test_the_chain_rule_looks_through_people_who_do_not_take_part() -> None:
    # The skip-level manager is in the chain even though the middle manager is not a peer.
    people = [person("top@x.org", 3), person("low@x.org", 3, manager="mid@x.org")]
    managers: dict[str, str | None] = {"low@x.org": "mid@x.org", "mid@x.org": "top@x.org"}
    chain = PairingRules(avoid_reporting_line="chain", odd_one_out="wait")
    assert pair_people(people, chain, managers=managers).groups == ()
    direct = PairingRules(avoid_reporting_line="direct", odd_one_out="wait")
    assert len(pair_people(people, direct, managers=managers).groups) == 1


def test_a_different_seed_gives_a_different_pairing_and_the_same_seed_the_same() -> None:
    people = organisation(200, seed=3)
    rules = PairingRules()
    first = pair_people(people, rules, seed=1)
    assert pair_people(people, rules, seed=1) == first
    assert pair_people(people, rules, seed=2).groups != first.groups


def test_trio_takes_the_odd_one_out_into_a_compatible_pair() -> None:
    people = [person(f"p{i}@x.org", 2) for i in range(5)]
    result = pair_people(people, PairingRules(odd_one_out="trio"), seed=4)
    assert sorted(len(g) for g in result.groups) == [2, 3]
    assert result.unpaired == ()


def test_wait_leaves_the_odd_one_out_for_the_next_round_and_says_so() -> None:
    people = [person(f"p{i}@x.org", 2) for i in range(5)]
    result = pair_people(people, PairingRules(odd_one_out="wait"), seed=4)
    assert len(result.groups) == 2
    assert len(result.unpaired) == 1
    assert result.unpaired[0].reason == "odd one out: waits for the next round"


def test_someone_with_nobody_near_their_level_is_told_why() -> None:
    people = [person("a@x.org", 1), person("b@x.org", 1), person("ceo@x.org", 9)]
    result = pair_people(people, PairingRules(level_tolerance=1), seed=0)
    assert result.unpaired[0].email == "ceo@x.org"
    assert result.unpaired[0].reason == "nobody else within 1 level(s) of level 9"


def test_people_without_a_level_are_refused_with_their_email() -> None:
    with pytest.raises(ValueError, match=r"nolevel@x\.org has no level"):
        pair_people([Person(email="nolevel@x.org", name="N")], PairingRules())


@pytest.mark.parametrize("size", [100, 1_000, 10_000])
def test_generated_organisations_are_paired_completely_under_default_rules(size: int) -> None:
    people = organisation(size, seed=size)
    past = history(people, 3, seed=size)
    rules = PairingRules()
    result = pair_people(people, rules, history=past, seed=random.Random(size).randrange(10**6))
    assert_rules_hold(people, rules, past, result)
    assert result.maximum_proven
    assert len(result.unpaired) <= 1
