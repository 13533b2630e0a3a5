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
from collections import deque
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass

from scheduler.core.model import Person, Unpaired

Bucket = tuple[int, int, int]  # level, department (when departments must differ), zone class
ZonesMeet = Callable[[frozenset[str]], bool]
REPORTING_RULES = ("direct", "chain", "off")
ODD_ONE_OUT = ("trio", "wait")


@dataclass(frozen=True, slots=True)
class PairingRules:
    level_tolerance: int = 1
    avoid_reporting_line: str = "direct"
    avoid_same_department: bool = False
    avoid_repeats: bool = True
    odd_one_out: str = "trio"
    # whether people in these time zones share a slot in their hours on the listed days; None
    # when every zone can meet every other (the rule then costs nothing)
    zones_meet: ZonesMeet | None = None


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
    graph = _Graph.build(people, rules, history, managers)
    rng = random.Random(seed)
    mate = _greedy(graph, rng)
    proven = _maximise(graph, mate, rng)
    return _finish(graph, mate, rules, rng, proven)


class _Graph:
    """The implicit compatibility graph over people indexed 0..n-1."""

    def __init__(
        self,
        emails: list[str],
        levels: list[int],
        departments: list[int],
        manager: list[int],
        tin: list[int],
        tout: list[int],
        past: dict[int, set[int]],
        rules: PairingRules,
        zones: _Zones,
    ) -> None:
        self.emails = emails
        self.levels = levels
        self.n = len(emails)
        self.tolerance = rules.level_tolerance
        self.departments = departments
        self.split_departments = rules.avoid_same_department
        self.zones = zones
        self.compatible = _compatibility(
            levels, departments, manager, tin, tout, past, rules, zones
        )
        self.buckets: dict[Bucket, list[int]] = {}
        for i in range(self.n):
            self.buckets.setdefault(self.bucket(i), []).append(i)
        self.near = {key: self.buckets_near(key, self.buckets) for key in self.buckets}

    def near_people(self, i: int) -> list[list[int]]:
        """Everyone who may suit person i, as lists per bucket (i's own bucket included)."""
        return [self.buckets[key] for key in self.near[self.bucket(i)]]

    def bucket(self, i: int) -> Bucket:
        """People who share a level, a zone class and, when departments must differ, a
        department: every rule but the reporting line and history is decided per bucket."""
        dept = self.departments[i] if self.split_departments else 0
        return self.levels[i], dept, self.zones.of[i]

    def buckets_near(self, key: Bucket, keys: Iterable[Bucket]) -> list[Bucket]:
        """The buckets whose people may suit the people of bucket `key`."""
        level, dept, zone = key
        meet = self.zones.meet
        return [
            (lv, d, z)
            for lv, d, z in keys
            if abs(lv - level) <= self.tolerance
            and not (self.split_departments and d == dept)
            and meet[zone][z]
        ]

    def zones_ruled_out(self) -> int:
        """Possible partners the zone rule alone keeps apart, counted by bucket."""
        count = 0
        for (level, dept, zone), members in self.buckets.items():
            for (lv, d, z), others in self.buckets.items():
                if (
                    abs(lv - level) <= self.tolerance
                    and not (self.split_departments and d == dept)
                    and not self.zones.meet[zone][z]
                ):
                    count += len(members) * len(others)
        return count // 2

    @classmethod
    def build(
        cls,
        people: Sequence[Person],
        rules: PairingRules,
        history: Iterable[Collection[str]],
        managers: Mapping[str, str | None] | None,
    ) -> _Graph:
        if rules.level_tolerance < 0:
            raise ValueError("level_tolerance must be 0 or more")
        if rules.avoid_reporting_line not in REPORTING_RULES:
            raise ValueError(f"avoid_reporting_line must be one of {', '.join(REPORTING_RULES)}")
        if rules.odd_one_out not in ODD_ONE_OUT:
            raise ValueError(f"odd_one_out must be one of {', '.join(ODD_ONE_OUT)}")
        emails = [p.email for p in people]
        index = {email: i for i, email in enumerate(emails)}
        if len(index) != len(emails):
            raise ValueError("each person may appear only once")
        levels = []
        for p in people:
            if p.level is None:
                raise ValueError(f"{p.email} has no level")
            levels.append(p.level)
        dept_ids: dict[str, int] = {}
        departments = [dept_ids.setdefault(p.department.casefold(), len(dept_ids)) for p in people]
        links = (
            dict(managers) if managers is not None else {p.email: p.manager_email for p in people}
        )
        manager = [index.get(links.get(e) or "", -1) for e in emails]
        tin, tout = _euler_tour(emails, links, index)
        past: dict[int, set[int]] = {}
        if rules.avoid_repeats:
            for group in history:
                members = [index[e] for e in group if e in index]
                for a in members:
                    past.setdefault(a, set()).update(b for b in members if b != a)
        zones = _Zones([p.timezone for p in people], rules.zones_meet)
        return cls(emails, levels, departments, manager, tin, tout, past, rules, zones)


class _Zones:
    """People's time zones as classes, and which classes share working hours: a table of the
    few distinct zones, so the rule is decided per bucket and never per pair of people."""

    def __init__(self, zones: list[str], zones_meet: ZonesMeet | None) -> None:
        names = sorted(set(zones)) if zones_meet is not None else []
        ids = {name: k for k, name in enumerate(names)}
        self.names = names or ["*"]
        self.of = [ids[z] for z in zones] if zones_meet is not None else [0] * len(zones)
        self._rule = zones_meet
        self.meet = [
            [zones_meet is None or zones_meet(frozenset({a, b})) for b in self.names]
            for a in self.names
        ]

    def group_meets(self, members: Iterable[int]) -> bool:
        """Whether a group (a trio) shares a slot, beyond each two of them."""
        if self._rule is None:
            return True
        return self._rule(frozenset(self.names[self.of[m]] for m in members))


def _compatibility(
    levels: list[int],
    departments: list[int],
    manager: list[int],
    tin: list[int],
    tout: list[int],
    past: dict[int, set[int]],
    rules: PairingRules,
    zones: _Zones,
) -> Callable[[int, int], bool]:
    """One closure with the rules baked in: it runs millions of times on a large round."""
    tolerance = rules.level_tolerance
    zone_of, meet = zones.of, zones.meet
    same_dept_ok = not rules.avoid_same_department
    rule = rules.avoid_reporting_line
    nobody: set[int] = set()

    def compatible(a: int, b: int) -> bool:
        if a == b or abs(levels[a] - levels[b]) > tolerance:
            return False
        if not same_dept_ok and departments[a] == departments[b]:
            return False
        if not meet[zone_of[a]][zone_of[b]]:
            return False
        if rule == "direct":
            if manager[a] == b or manager[b] == a:
                return False
        elif rule == "chain" and (tin[b] <= tin[a] < tout[b] or tin[a] <= tin[b] < tout[a]):
            return False
        return b not in past.get(a, nobody)

    return compatible


def _euler_tour(
    emails: list[str], links: Mapping[str, str | None], index: Mapping[str, int]
) -> tuple[list[int], list[int]]:
    """Entry and exit times of each peer in a walk of the reporting forest of the whole
    directory: b is in a's chain of reports exactly when tin[a] <= tin[b] < tout[a].
    A cycle in the links (bad directory data) is cut where it closes."""
    children: dict[str, list[str]] = {}
    for person, boss in links.items():
        if boss and boss != person:
            children.setdefault(boss, []).append(person)
    everyone = set(links) | set(children) | set(emails)
    roots = [p for p in everyone if not links.get(p) or links.get(p) not in everyone]
    clock = 0
    entered: dict[str, int] = {}
    left: dict[str, int] = {}

    def walk(start: str) -> None:
        nonlocal clock
        stack = [(start, iter(children.get(start, ())))]
        entered[start] = clock
        clock += 1
        while stack:
            node, kids = stack[-1]
            kid = next(kids, None)
            if kid is None:
                left[node] = clock
                stack.pop()
            elif kid not in entered:
                entered[kid] = clock
                clock += 1
                stack.append((kid, iter(children.get(kid, ()))))

    for root in sorted(roots):
        walk(root)
    for person in sorted(everyone - set(entered)):  # people on a cycle with no root
        walk(person)
    return [entered[e] for e in emails], [left[e] for e in emails]


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


def _greedy(graph: _Graph, rng: random.Random, tries: int = 24) -> list[int]:
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


def _maximise(graph: _Graph, mate: list[int], rng: random.Random) -> bool:
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
        free = _FreeSet(graph, mate)
        neighbours = _SampledNeighbours(graph, rng, sample)
        dead: set[int] = set()
        barrier: set[int] = set()
        for root in free.all():
            if mate[root] == -1 and root not in dead:
                _augment_from(root, mate, neighbours.of, free, graph.compatible, dead, barrier)
        if _proven(graph, mate, barrier):
            return True
        sample *= 4
    for component in _components(graph):
        if len(component) <= 2500 and sum(1 for i in component if mate[i] == -1) > 1:
            _solve_exactly(component, graph, mate)
    return _proven(graph, mate, set()) or _proven_by_parts(graph, mate)


def _proven(graph: _Graph, mate: list[int], barrier: set[int]) -> bool:
    matched = sum(1 for m in mate if m != -1)
    odd = sum(1 for c in _components(graph, barrier) if len(c) % 2)
    return graph.n + len(barrier) - odd == matched


def _proven_by_parts(graph: _Graph, mate: list[int]) -> bool:
    """Each component either leaves at most one person out or was small enough to be
    solved exactly."""
    for component in _components(graph):
        if len(component) > 2500 and sum(1 for i in component if mate[i] == -1) > 1:
            return False
    return True


class _FreeSet:
    """People without a partner, by bucket, for the search's 'any free neighbour?' step."""

    def __init__(
        self, graph: _Graph, mate: list[int], members: Collection[int] | None = None
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


class _SampledNeighbours:
    """A few random compatible people per person, drawn the first time they are needed."""

    def __init__(self, graph: _Graph, rng: random.Random, size: int) -> None:
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


def _augment_from(
    root: int,
    mate: list[int],
    neighbours: Callable[[int], Sequence[int]],
    free: _FreeSet,
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


def _uncertified(graph: _Graph, mate: list[int]) -> list[list[int]]:
    """Components of the full graph where more than one person is left without a partner:
    only there can the matching still be too small."""
    suspects = []
    for component in _components(graph):
        if sum(1 for i in component if mate[i] == -1) > 1:
            suspects.append(component)
    return suspects


def _components(graph: _Graph, excluded: Collection[int] = ()) -> list[list[int]]:
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


def _solve_exactly(component: list[int], graph: _Graph, mate: list[int]) -> None:
    """Edmonds on the explicit graph of one small component: exact."""
    compatible = graph.compatible
    adjacency: dict[int, list[int]] = {v: [] for v in component}
    for k, a in enumerate(component):
        for b in component[k + 1 :]:
            if compatible(a, b):
                adjacency[a].append(b)
                adjacency[b].append(a)
    free = _FreeSet(graph, mate, component)
    dead: set[int] = set()
    for root in free.all():
        if mate[root] == -1 and root not in dead:
            _augment_from(root, mate, adjacency.__getitem__, free, compatible, dead)


def _finish(
    graph: _Graph, mate: list[int], rules: PairingRules, rng: random.Random, proven: bool
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

    def __init__(self, graph: _Graph, groups: list[list[int]], rng: random.Random) -> None:
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


def _why_alone(i: int, graph: _Graph, *, trio: bool) -> str:
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
