"""Edmonds' augmenting-path search with blossoms, from one free person over sampled
neighbours: it grows the matching by one pair, or leaves a Hungarian tree whose odd-labelled
people are a Tutte-Berge barrier candidate."""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Callable, Collection, Sequence

from scheduler.core.compatibility import Bucket, Graph


class FreeSet:
    """People without a partner, by bucket, for the search's 'any free neighbour?' step."""

    def __init__(
        self, graph: Graph, mate: list[int], members: Collection[int] | None = None
    ) -> None:
        self.graph = graph
        self.by_bucket: dict[Bucket, set[int]] = {}
        for i in range(graph.n) if members is None else members:
            if mate[i] == -1:
                self.by_bucket.setdefault(graph.bucket(i), set()).add(i)

    def all(self) -> list[int]:
        return sorted(i for members in self.by_bucket.values() for i in members)

    def neighbour(self, v: int, root: int, dead: set[int]) -> int:
        compatible = self.graph.compatible
        for key in self.graph.near[self.graph.bucket(v)]:
            for x in self.by_bucket.get(key, ()):
                if x != root and x not in dead and compatible(v, x):
                    return x
        return -1

    def matched(self, i: int) -> None:
        self.by_bucket[self.graph.bucket(i)].discard(i)


class SampledNeighbours:
    """A few random compatible people per person, drawn the first time they are needed."""

    def __init__(self, graph: Graph, rng: random.Random, size: int) -> None:
        self.graph, self.rng, self.size = graph, rng, size
        self.cache: dict[int, list[int]] = {}

    def of(self, v: int) -> list[int]:
        found = self.cache.get(v)
        if found is None:
            found = self.cache[v] = self._draw(v)
        return found

    def _draw(self, v: int) -> list[int]:
        graph = self.graph
        window = graph.near_people(v)
        total = sum(len(w) for w in window)
        if total <= 4 * self.size:
            return [x for w in window for x in w if graph.compatible(v, x)]
        chosen: set[int] = set()
        for _ in range(4 * self.size):
            pick = self.rng.randrange(total)
            for members in window:
                if pick < len(members):
                    x = members[pick]
                    break
                pick -= len(members)
            if graph.compatible(v, x):
                chosen.add(x)
                if len(chosen) == self.size:
                    break
        return sorted(chosen)


def augment_from(
    root: int,
    mate: list[int],
    neighbours: Callable[[int], Sequence[int]],
    free: FreeSet,
    compatible: Callable[[int, int], bool],
    dead: set[int] | None = None,
    barrier: set[int] | None = None,
) -> bool:
    """Edmonds' search for an augmenting path from `root`; flips it and returns True if found.
    A failed search leaves a Hungarian tree: `dead` collects its people, whom no later search
    can use (exactly so when `neighbours` is the whole graph), and `barrier` its odd ones."""
    dead = dead if dead is not None else set()
    tree = _Tree(root, mate)
    queue = tree.queue
    while queue:
        v = queue.popleft()
        x = free.neighbour(v, root, dead)
        if x != -1:
            tree.parent[x] = v
            _flip(x, tree.parent, mate)
            free.matched(root)
            free.matched(x)
            return True
        for to in neighbours(v):
            if to in dead or mate[v] == to or tree.base_of(v) == tree.base_of(to):
                continue
            if to == root or (mate[to] != -1 and mate[to] in tree.parent):
                tree.contract(v, to)
            elif to not in tree.parent and mate[to] != -1:
                tree.grow(v, to)
    dead.update(tree.members)
    if barrier is not None:
        barrier.update(x for x in tree.members if x not in tree.even)
    return False


class _Tree:
    """The alternating tree of one search. Blossoms are sets in a union-find whose root
    remembers the blossom's base, so shrinking one costs the length of its cycle."""

    def __init__(self, root: int, mate: list[int]) -> None:
        self.root, self.mate = root, mate
        self.parent: dict[int, int] = {}
        self.even = {root}
        self.members = [root]
        self.queue = deque([root])
        self.link: dict[int, int] = {}
        self.base: dict[int, int] = {}

    def grow(self, v: int, to: int) -> None:
        self.parent[to] = v
        m = self.mate[to]
        self.even.add(m)
        self.members += (to, m)
        self.queue.append(m)

    def base_of(self, x: int) -> int:
        top = self._find(x)
        return self.base.get(top, top)

    def contract(self, v: int, to: int) -> None:
        """Shrink the odd cycle closed by the edge v-to into one blossom."""
        top = self._common_base(v, to)
        merged: list[int] = []
        for start, child in ((v, to), (to, v)):
            x = start
            while self.base_of(x) != top:
                odd = self.mate[x]
                merged += (self.base_of(x), odd)
                self.parent[x] = child
                child = odd
                if odd not in self.even:
                    self.even.add(odd)
                    self.queue.append(odd)
                x = self.parent[odd]
        for b in merged:
            self._union(b, top)
        self.base[self._find(top)] = top

    def _common_base(self, a: int, b: int) -> int:
        seen: set[int] = set()
        while True:
            a = self.base_of(a)
            seen.add(a)
            if a == self.root:
                break
            a = self.parent[self.mate[a]]
        while True:
            b = self.base_of(b)
            if b in seen:
                return b
            b = self.parent[self.mate[b]]

    def _find(self, x: int) -> int:
        link = self.link
        top = x
        while link.get(top, top) != top:
            top = link[top]
        while link.get(x, x) != top:
            link[x], x = top, link[x]
        return top

    def _union(self, a: int, b: int) -> None:
        ra, rb = self._find(a), self._find(b)
        if ra != rb:
            self.link[ra] = rb


def _flip(end: int, parent: dict[int, int], mate: list[int]) -> None:
    v = end
    while v != -1:
        pv = parent[v]
        next_v = mate[pv]
        mate[v], mate[pv] = pv, v
        v = next_v
