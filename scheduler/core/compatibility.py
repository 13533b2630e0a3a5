"""Who may meet whom: the pairing rules, and the compatibility graph they make over the
people of a round. The graph is never built: a large organisation's is dense (almost everyone
within the level tolerance may meet) with sparse exceptions (reporting lines, past partners,
time zones), so it answers `compatible(i, j)` from buckets of level, department and zone
class, and an Euler tour of the reporting tree."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from scheduler.core.model import Person

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


Bucket = tuple[int, int, int]  # level, department (when departments must differ), zone class


ZonesMeet = Callable[[frozenset[str]], bool]


class Graph:
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
        zones: Zones,
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
    ) -> Graph:
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
        tin, tout = euler_tour(emails, links, index)
        past: dict[int, set[int]] = {}
        if rules.avoid_repeats:
            for group in history:
                members = [index[e] for e in group if e in index]
                for a in members:
                    past.setdefault(a, set()).update(b for b in members if b != a)
        zones = Zones([p.timezone for p in people], rules.zones_meet)
        return cls(emails, levels, departments, manager, tin, tout, past, rules, zones)


class Zones:
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
    zones: Zones,
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


def euler_tour(
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
    for person in sorted(everyone - set(entered)):  # people under a cycle, with no root
        if person in entered:  # walked already, from the cycle above someone earlier
            continue
        cycle = _cycle_above(person, links, everyone)
        walk(cycle[0])
        for member in cycle[1:]:  # the cycle is one top: each is above all the rest
            entered[member], left[member] = entered[cycle[0]], left[cycle[0]]
    return [entered[e] for e in emails], [left[e] for e in emails]


def _cycle_above(person: str, links: Mapping[str, str | None], everyone: set[str]) -> list[str]:
    """The cycle of managers above `person` (bad directory data: a chain that loops, or
    someone who manages themselves), from where the walk starts: walked from there, the tour
    takes in everyone under the cycle."""
    node, seen = person, set()
    while node not in seen:
        seen.add(node)
        boss = links.get(node)
        if not boss or boss == node or boss not in everyone:
            return [node]
        node = boss
    cycle, member = [node], links.get(node)
    while member is not None and member != node:
        cycle.append(member)
        member = links.get(member)
    return cycle


def reasons_apart(
    a: Person,
    b: Person,
    rules: PairingRules,
    history: Iterable[Collection[str]] = (),
    managers: Mapping[str, str | None] | None = None,
) -> list[str]:
    """Each rule that keeps `a` and `b` from being paired, in words; [] when they may meet.
    Agrees with `Graph.compatible` (a property test holds it to that); for `tandem explain`."""
    if a.level is None or b.level is None:
        return ["no level is known for one of them"]
    found = []
    if abs(a.level - b.level) > rules.level_tolerance:
        found.append(f"levels {a.level} and {b.level} differ by more than {rules.level_tolerance}")
    if rules.avoid_same_department and a.department.casefold() == b.department.casefold():
        found.append("the same department")
    if rules.zones_meet is not None and not rules.zones_meet(frozenset({a.timezone, b.timezone})):
        found.append("no common time inside both working hours")
    only_the_line = replace(
        rules,
        level_tolerance=max(a.level, b.level),
        avoid_same_department=False,
        avoid_repeats=False,
        zones_meet=None,
    )
    if not Graph.build([a, b], only_the_line, (), managers).compatible(0, 1):
        found.append("in one reporting line")
    if rules.avoid_repeats and any({a.email, b.email} <= set(group) for group in history):
        found.append("paired before")
    return found
