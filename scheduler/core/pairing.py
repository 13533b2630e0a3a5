"""People + history + rules -> pairs: as many people paired as the rules allow, otherwise random.

The compatibility graph of a large organisation is dense (almost everyone within the level
tolerance may meet) with sparse exceptions (reporting lines, past partners), so it is never
built. The engine works on it implicitly:

1. A randomised greedy pass, most constrained people first, gives a maximal matching.
2. Edmonds' augmenting-path search (with blossoms) from each unpaired person grows it.
3. A certificate proves the result maximum: in every connected component of the full
   compatibility graph at most one person is left over (which parity forces). Components
   that fail the check are solved exactly on their explicit graph.
4. Leftovers join a compatible pair as a trio, or wait for the next round.
"""

from __future__ import annotations

import random
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass

from scheduler.core.compatibility import Bucket, Graph, PairingRules
from scheduler.core.matching import greedy, maximise
from scheduler.core.model import Person, Unpaired

__all__ = ["PairingResult", "PairingRules", "pair_people"]


@dataclass(frozen=True, slots=True)
class PairingResult:
    """Groups of two (three for a trio) emails, the people left out and why, and whether
    the number of people paired is proven to be the maximum the rules allow."""

    groups: tuple[tuple[str, ...], ...]
    unpaired: tuple[Unpaired, ...]
    maximum_proven: bool
    # possible partners (within the level tolerance, apart from other rules) ruled out because
    # their time zones share no working hours
    kept_apart_by_zones: int = 0

    @property
    def trios(self) -> int:
        return sum(1 for g in self.groups if len(g) == 3)


def pair_people(
    people: Sequence[Person],
    rules: PairingRules,
    *,
    history: Iterable[Collection[str]] = (),
    managers: Mapping[str, str | None] | None = None,
    seed: int | None = None,
) -> PairingResult:
    """Pair `people` under `rules`.

    Parameters:
        people: the peers to pair; each needs a level.
        history: groups of emails that met before (pairs or trios); with `avoid_repeats`,
            no two people of one group are paired again.
        managers: email -> manager email for the WHOLE directory, so that a reporting chain
            through people who do not take part still counts. Defaults to the peers' own
            `manager_email`.
        seed: the same seed and input give the same pairs; another seed, other pairs.
    """
    people = sorted(people, key=lambda p: p.email)  # the same pairs whatever the input order
    graph = Graph.build(people, rules, history, managers)
    rng = random.Random(seed)
    mate = greedy(graph, rng)
    proven = maximise(graph, mate, rng)
    return _finish(graph, mate, rules, rng, proven)


def _finish(
    graph: Graph, mate: list[int], rules: PairingRules, rng: random.Random, proven: bool
) -> PairingResult:
    emails = graph.emails
    groups: list[list[int]] = [[i, mate[i]] for i in range(graph.n) if mate[i] > i]
    left = [i for i in range(graph.n) if mate[i] == -1]
    unpaired: list[Unpaired] = []
    if rules.odd_one_out == "trio":
        homes = _TrioHomes(graph, groups, rng)
        for i in left:
            if not homes.take(i):
                unpaired.append(Unpaired(emails[i], _why_alone(i, graph, trio=True)))
    else:
        unpaired = [Unpaired(emails[i], _why_alone(i, graph, trio=False)) for i in left]
    ordered = sorted(tuple(sorted(emails[m] for m in g)) for g in groups)
    waiting = tuple(sorted(unpaired, key=lambda u: u.email))
    return PairingResult(tuple(ordered), waiting, proven, graph.zones_ruled_out())


class _TrioHomes:
    """Pairs that may still take a third member, grouped by the buckets of their two members,
    so a leftover looks only at kinds of pair that can suit them."""

    def __init__(self, graph: Graph, groups: list[list[int]], rng: random.Random) -> None:
        self.graph, self.rng = graph, rng
        self.kinds: dict[tuple[Bucket, Bucket], list[list[int]]] = {}
        for group in groups:
            a, b = sorted((graph.bucket(group[0]), graph.bucket(group[1])))
            self.kinds.setdefault((a, b), []).append(group)

    def take(self, i: int) -> bool:
        """Put person i into a random pair whose two members both suit them."""
        graph = self.graph
        near = set(graph.near[graph.bucket(i)])
        kinds = [k for k, groups in self.kinds.items() if groups and k[0] in near and k[1] in near]
        self.rng.shuffle(kinds)
        for kind in kinds:
            groups = self.kinds[kind]
            offset = self.rng.randrange(len(groups))
            for step in range(len(groups)):
                at = (offset + step) % len(groups)
                group = groups[at]
                if all(graph.compatible(i, m) for m in group) and graph.zones.group_meets(
                    [*group, i]
                ):
                    group.append(i)
                    groups[at] = groups[-1]
                    groups.pop()
                    return True
        return False


def _why_alone(i: int, graph: Graph, *, trio: bool) -> str:
    level, tol = graph.levels[i], graph.tolerance
    near_levels = range(level - tol, level + tol + 1)
    near = sum(len(m) for (lv, _, _), m in graph.buckets.items() if lv in near_levels) - 1
    if near == 0:
        return f"nobody else within {tol} level(s) of level {level}"
    zone = graph.zones.of[i]
    apart = sum(
        len(m)
        for (lv, _, z), m in graph.buckets.items()
        if lv in near_levels and not graph.zones.meet[zone][z]
    )
    if apart == near:
        return (
            f"all {near} people within {tol} level(s) work in time zones that share no "
            "working hours with theirs"
        )
    if not any(graph.compatible(i, x) for people in graph.near_people(i) for x in people):
        return (
            f"all {near} people within {tol} level(s) are in their reporting line, "
            "their department or were partners before"
        )
    if trio:
        return "odd one out, and no pair could take a third member under the rules"
    return "odd one out: waits for the next round"
