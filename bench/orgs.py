"""Generated organisations for tests and benchmarks: a reporting tree with levels that fall
with depth, departments set by the top layer, five time zones, and earlier rounds of history."""

from __future__ import annotations

import random

from scheduler.core.model import Person

ZONES = (
    "America/New_York",
    "America/Los_Angeles",
    "Europe/London",
    "Europe/Berlin",
    "Asia/Singapore",
)
DEPARTMENTS = (
    "Engineering",
    "Sales",
    "Marketing",
    "Finance",
    "Operations",
    "Support",
    "Legal",
    "People",
)


def organisation(size: int, seed: int = 0, *, span: int = 6, top_level: int = 10) -> list[Person]:
    """`size` people in one reporting tree: the root at `top_level`, each report one level
    below their manager or, now and then, at the same level (never below 1)."""
    rng = random.Random(seed)
    people: list[Person] = []
    levels: list[int] = []
    departments: list[str] = []
    frontier = [0]
    people.append(_person(0, "", top_level, "Executive", None, rng))
    levels.append(top_level)
    departments.append("Executive")
    while len(people) < size:
        next_frontier = []
        for boss in frontier:
            for _ in range(rng.randint(max(1, span - 3), span + 3)):
                if len(people) >= size:
                    break
                i = len(people)
                level = max(1, levels[boss] - (0 if rng.random() < 0.15 else 1))
                dept = rng.choice(DEPARTMENTS) if boss == 0 else departments[boss]
                people.append(_person(i, people[boss].email, level, dept, boss, rng))
                levels.append(level)
                departments.append(dept)
                next_frontier.append(i)
        frontier = next_frontier or [len(people) - 1]
    return people


def _person(
    i: int, manager: str, level: int, dept: str, boss: int | None, rng: random.Random
) -> Person:
    return Person(
        email=f"p{i}@example.com",
        name=f"Person {i}",
        title=f"Level {level}",
        department=dept,
        level=level,
        manager_email=manager or None,
        timezone=rng.choice(ZONES),
    )


def history(
    people: list[Person], rounds: int, seed: int = 0, tolerance: int = 1
) -> list[tuple[str, str]]:
    """Earlier rounds: each round pairs people at random within their level band."""
    rng = random.Random(seed + 7919)
    pairs: list[tuple[str, str]] = []
    for _ in range(rounds):
        ordered = sorted(people, key=lambda p: ((p.level or 0) // (tolerance + 1), rng.random()))
        for a, b in zip(ordered[::2], ordered[1::2], strict=False):
            pairs.append((a.email, b.email))
    return pairs
