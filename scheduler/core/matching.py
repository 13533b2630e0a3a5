"""A maximum matching on the implicit compatibility graph, at random among the maximum ones:
a randomised greedy pass, then Edmonds' augmenting-path search (with blossoms) over sampled
neighbours, proven maximum by a Tutte-Berge barrier, or solved exactly per component."""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Callable, Collection

from scheduler.core.compatibility import Bucket, Graph
from scheduler.core.edmonds import FreeSet, SampledNeighbours, augment_from


class _Pool:
    """The people of one level still without a partner: O(1) random pick and removal."""

    def __init__(self) -> None:
        self.items: list[int] = []
        self.where: dict[int, int] = {}

    def add(self, i: int) -> None:
        self.where[i] = len(self.items)
        self.items.append(i)

    def remove(self, i: int) -> None:
        at = self.where.pop(i)
        last = self.items.pop()
        if last != i:
            self.items[at] = last
            self.where[last] = at

    def __len__(self) -> int:
        return len(self.items)


def greedy(graph: Graph, rng: random.Random, tries: int = 24) -> list[int]:
    """A maximal matching: each person, most constrained first, takes a random compatible
    partner among those still free (random tries, then a full scan)."""
    mate = [-1] * graph.n
    pools: dict[Bucket, _Pool] = {}
    for key, members in graph.buckets.items():
        pool = pools[key] = _Pool()
        for i in members:
            pool.add(i)
    crowd = {key: sum(len(graph.buckets[k]) for k in near) for key, near in graph.near.items()}
    order = list(range(graph.n))
    rng.shuffle(order)
    order.sort(key=lambda i: crowd[graph.bucket(i)])
    compatible = graph.compatible
    for i in order:
        if mate[i] != -1:
            continue
        window = [pools[key] for key in graph.near[graph.bucket(i)] if len(pools[key])]
        partner = _random_partner(i, window, compatible, rng, tries)
        if partner == -1:
            continue
        mate[i], mate[partner] = partner, i
        pools[graph.bucket(i)].remove(i)
        pools[graph.bucket(partner)].remove(partner)
    return mate


def _random_partner(
    i: int,
    window: list[_Pool],
    compatible: Callable[[int, int], bool],
    rng: random.Random,
    tries: int,
) -> int:
    total = sum(len(p) for p in window)
    if total <= 1:
        return -1
    for _ in range(tries):
        pick = rng.randrange(total)
        for pool in window:
            if pick < len(pool):
                candidate = pool.items[pick]
                break
            pick -= len(pool)
        if compatible(i, candidate):
            return candidate
    candidates = [c for pool in window for c in pool.items if compatible(i, c)]
    return rng.choice(candidates) if candidates else -1


def maximise(graph: Graph, mate: list[int], rng: random.Random) -> bool:
    """Grow the matching by augmenting paths until a Tutte-Berge barrier proves it maximum.

    1. Search from every free person over a sample of each person's compatible people (plus,
       exactly, every free one). A failed search leaves a Hungarian tree; its odd-labelled
       people form the barrier candidate A.
    2. Proof: n + |A| - odd(G - A) == 2 * |matching|, counted on the full graph. Tutte-Berge
       says no matching can be larger.
    3. Otherwise draw bigger samples, and finally solve small components exactly.
    """
    if _proven(graph, mate, set()):
        return True
    sample = 8
    for _ in range(4):
        free = FreeSet(graph, mate)
        neighbours = SampledNeighbours(graph, rng, sample)
        dead: set[int] = set()
        barrier: set[int] = set()
        for root in free.all():
            if mate[root] == -1 and root not in dead:
                augment_from(root, mate, neighbours.of, free, graph.compatible, dead, barrier)
        if _proven(graph, mate, barrier):
            return True
        sample *= 4
    for component in components(graph):
        if len(component) <= 2500 and sum(1 for i in component if mate[i] == -1) > 1:
            _solve_exactly(component, graph, mate)
    return _proven(graph, mate, set()) or _proven_by_parts(graph, mate)


def _proven(graph: Graph, mate: list[int], barrier: set[int]) -> bool:
    matched = sum(1 for m in mate if m != -1)
    odd = sum(1 for c in components(graph, barrier) if len(c) % 2)
    return graph.n + len(barrier) - odd == matched


def _proven_by_parts(graph: Graph, mate: list[int]) -> bool:
    """Each component either leaves at most one person out or was small enough to be
    solved exactly."""
    for component in components(graph):
        if len(component) > 2500 and sum(1 for i in component if mate[i] == -1) > 1:
            return False
    return True


def _uncertified(graph: Graph, mate: list[int]) -> list[list[int]]:
    """Components of the full graph where more than one person is left without a partner:
    only there can the matching still be too small."""
    suspects = []
    for component in components(graph):
        if sum(1 for i in component if mate[i] == -1) > 1:
            suspects.append(component)
    return suspects


def components(graph: Graph, excluded: Collection[int] = ()) -> list[list[int]]:
    """Connected components of the full graph less `excluded`, by a breadth-first walk over
    the complement: each step takes every still-unvisited compatible person at once, from
    buckets of one level and department, so the dense graph costs O(n + exceptions)."""
    unvisited: dict[Bucket, set[int]] = {}
    for i in range(graph.n):
        if i not in excluded:
            unvisited.setdefault(graph.bucket(i), set()).add(i)
    buckets_near = {key: graph.buckets_near(key, list(unvisited)) for key in unvisited}
    compatible = graph.compatible
    components = []
    for start in range(graph.n):
        home = unvisited.get(graph.bucket(start))
        if home is None or start not in home:
            continue
        home.discard(start)
        component = [start]
        queue = deque([start])
        while queue:
            v = queue.popleft()
            for key in buckets_near[graph.bucket(v)]:
                pending = unvisited[key]
                if not pending:
                    continue
                kept = []
                while pending:
                    x = pending.pop()
                    if compatible(v, x):
                        component.append(x)
                        queue.append(x)
                    else:
                        kept.append(x)
                pending.update(kept)
        components.append(component)
    return components


def _solve_exactly(component: list[int], graph: Graph, mate: list[int]) -> None:
    """Edmonds on the explicit graph of one small component: exact."""
    compatible = graph.compatible
    adjacency: dict[int, list[int]] = {v: [] for v in component}
    for k, a in enumerate(component):
        for b in component[k + 1 :]:
            if compatible(a, b):
                adjacency[a].append(b)
                adjacency[b].append(a)
    free = FreeSet(graph, mate, component)
    dead: set[int] = set()
    for root in free.all():
        if mate[root] == -1 and root not in dead:
            augment_from(root, mate, adjacency.__getitem__, free, compatible, dead)
