"""Rounds open with any seed on either backend: a seed is 4 unsigned bytes, more than a 32-bit
signed column holds (issue 13, defect 2: PostgreSQL aborted about half the runs)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from scheduler.program import rounds as program_rounds
from scheduler.steps import people_sync, rounds
from scheduler.store.engine import Store
from scheduler.store.models import Round
from tests.integration.world import World

LAUNCH = datetime(2026, 12, 1, 9, tzinfo=UTC)


def test_about_half_of_all_rounds_have_a_seed_beyond_a_32_bit_integer(tmp_path: Path) -> None:
    program = World(tmp_path / "demo", f"sqlite:///{tmp_path / 's.db'}").rt.program
    seeds = [program_rounds.program_seed(program, number) for number in range(1, 10_001)]
    assert 4_500 < sum(1 for seed in seeds if seed >= 2**31) < 5_500
    assert max(seeds) < 2**32


def test_rounds_with_every_kind_of_seed_are_stored_and_read_back(store: Store) -> None:
    seeds = [0, 1, 2**31 - 1, 2**31, 3_000_000_000, 2**32 - 1]
    with store.session() as s:
        s.add_all(Round(opened_at=LAUNCH, seed=seed) for seed in seeds)
    with store.session() as s:
        assert sorted(s.scalars(select(Round.seed))) == seeds


def test_weekly_rounds_with_large_seeds_open_on_either_backend(
    tmp_path: Path, store_url: str
) -> None:
    world = World(tmp_path / "demo", store_url)
    people_sync.sync_people(world.rt, LAUNCH)
    first = rounds.pair_round(world.rt, LAUNCH, seed=2**32 - 1)
    assert any("pairs" in line for line in first.done), first.done
    with world.rt.store.session() as s:  # free a few people, so that later rounds have work
        for pair in world.pairs()[:3]:
            s.get_one(type(pair), pair.id).state = "ended"
    for week in range(1, 4):
        report = rounds.pair_round(world.rt, LAUNCH + timedelta(weeks=week), seed=2**31 + week)
        assert not report.problems
    with world.rt.store.session() as s:
        assert sorted(s.scalars(select(Round.seed))) == [2**31 + 1, 2**32 - 1]
