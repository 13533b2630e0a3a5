"""Rounds open at any moment on either backend: a seed is 4 unsigned bytes, more than a 32-bit
signed column holds (issue 13, defect 2: PostgreSQL aborted about half the runs)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from scheduler import rounds
from scheduler.store import Round, Store
from tests.integration.world import World

QUARTER_HOURS = [
    datetime(2026, 12, 1, tzinfo=UTC) + timedelta(minutes=15 * n) for n in range(10_000)
]


def test_about_half_of_all_moments_give_a_seed_beyond_a_32_bit_integer() -> None:
    big = [moment for moment in QUARTER_HOURS if rounds.round_seed(moment) >= 2**31]
    assert 4_500 < len(big) < 5_500


def test_rounds_with_every_kind_of_seed_are_stored_and_read_back(store: Store) -> None:
    seeds = sorted({rounds.round_seed(moment) for moment in QUARTER_HOURS[:400]})
    seeds += [0, 2**31 - 1, 2**31, 2**32 - 1]
    with store.session() as s:
        s.add_all(Round(opened_at=QUARTER_HOURS[0], seed=seed) for seed in seeds)
    with store.session() as s:
        assert sorted(s.scalars(select(Round.seed))) == sorted(seeds)


def test_a_round_opened_at_a_moment_with_a_large_seed_pairs_people(
    tmp_path: Path, store_url: str
) -> None:
    moment = next(m for m in QUARTER_HOURS if rounds.round_seed(m) >= 2**31)
    world = World(tmp_path / "demo", store_url)
    rounds.sync_people(world.rt, moment)
    report = rounds.pair_round(world.rt, moment)
    assert any("pairs" in line for line in report.done)
    assert len(world.pairs()) > 20
