"""People who come after the first round (issue 10, items 1 and 2): the pair a lone joiner may
join as a third, and pairs whose members a new manager has put into one reporting line. Both
ask the compatibility graph the pairing engine uses, so they follow the same rules."""

from __future__ import annotations

import random
from collections.abc import Collection, Iterable, Mapping, Sequence

from scheduler.core.compatibility import Graph, PairingRules, euler_tour
from scheduler.core.model import Person


def third_for(
    joiner: Person,
    pairs: Sequence[tuple[str, Sequence[Person]]],
    rules: PairingRules,
    *,
    history: Iterable[Collection[str]] = (),
    managers: Mapping[str, str | None] | None = None,
    seed: int | None = None,
) -> str | None:
    """The id of a pair of two that `joiner` may join as a third: each of them may meet the
    joiner under every rule, and the three share a slot in their hours; at random (by `seed`)
    among those that fit, or None."""
    past = list(history)
    fitting = []
    for pair_id, members in pairs:
        if len(members) != 2 or joiner.email in {m.email for m in members}:
            continue
        people = [joiner, *members]
        graph = Graph.build(people, rules, past, managers)
        if graph.compatible(0, 1) and graph.compatible(0, 2) and graph.zones.group_meets(range(3)):
            fitting.append(pair_id)
    return random.Random(seed).choice(sorted(fitting)) if fitting else None


def in_one_reporting_line(
    members: Sequence[Person], rules: PairingRules, managers: Mapping[str, str | None]
) -> bool:
    """Whether two of `members` are now in one reporting line that the rules keep apart
    (`avoid_reporting_line`), with the managers of the whole directory. Levels, departments,
    zones and history are not asked again: a pair that met keeps meeting. For many groups at
    once, build ReportingLines once and ask it for each."""
    lines = ReportingLines(rules.avoid_reporting_line, managers)
    return lines.any_together([m.email for m in members])


class ReportingLines:
    """The directory's reporting lines as `avoid_reporting_line` sees them, walked once:
    whether two people are in one line ("direct": one manages the other; "chain": one is
    above the other, however far; "off": never). The same walk as the pairing's (see
    compatibility.euler_tour), so a pair is ended for exactly what would have kept it apart."""

    def __init__(self, rule: str, managers: Mapping[str, str | None]) -> None:
        self.rule = rule
        self.managers = dict(managers)
        self._entered: dict[str, int] = {}
        self._left: dict[str, int] = {}
        if rule == "chain":
            emails = sorted(self.managers)
            index = {email: i for i, email in enumerate(emails)}
            entered, left = euler_tour(emails, self.managers, index)
            self._entered = dict(zip(emails, entered, strict=True))
            self._left = dict(zip(emails, left, strict=True))

    def together(self, a: str, b: str) -> bool:
        """Whether `a` and `b` are in one reporting line."""
        if a == b or self.rule == "off":
            return False
        if self.managers.get(a) == b or self.managers.get(b) == a:
            return True
        if self.rule != "chain" or a not in self._entered or b not in self._entered:
            return False
        tin, tout = self._entered, self._left
        return tin[b] <= tin[a] < tout[b] or tin[a] <= tin[b] < tout[a]

    def any_together(self, emails: Sequence[str]) -> bool:
        """Whether any two of `emails` are in one reporting line."""
        return any(self.together(a, b) for i, a in enumerate(emails) for b in emails[i + 1 :])
