"""People who come after the first round (issue 10, items 1 and 2): the pair a lone joiner may
join as a third, and pairs whose members a new manager has put into one reporting line. Both
ask the compatibility graph the pairing engine uses, so they follow the same rules."""

from __future__ import annotations

import random
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import replace

from scheduler.core.compatibility import Graph, PairingRules
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
    zones and history are not asked again: a pair that met keeps meeting."""
    if rules.avoid_reporting_line == "off" or len(members) < 2:
        return False
    only_the_line = replace(
        rules,
        level_tolerance=max(m.level or 0 for m in members),
        avoid_same_department=False,
        avoid_repeats=False,
        zones_meet=None,
    )
    levelled = [replace(m, level=m.level or 0) for m in members]
    graph = Graph.build(levelled, only_the_line, (), managers)
    return any(
        not graph.compatible(a, b) for a in range(len(members)) for b in range(a + 1, len(members))
    )
