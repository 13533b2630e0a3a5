"""The steps that workers send out in batches of pair ids (planning, launch kits, notices) do
the work of those pairs only, list the pairs with work left, and stay exactly-once when
another worker writes the same pair's kit at the same moment."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from scheduler.steps import kits
from scheduler.steps.cycle import STEPS
from scheduler.steps.kits import pairs_owed_a_kit, send_launch_kits
from scheduler.steps.notices import pairs_owed_a_notice, send_pending_notices
from scheduler.steps.plan import pairs_to_plan, plan_meetings
from scheduler.store.models import Meeting, Outbox, Pair, PairMember
from tests.integration.world import World

NOW = datetime(2026, 12, 1, 9, tzinfo=UTC)


@pytest.fixture
def world(tmp_path: Path, store_url: str) -> World:
    return World(tmp_path / "demo", store_url)


def run_until(world: World, last: str) -> None:
    """The cycle's steps at NOW, up to and with the step titled `last`."""
    titles = [title for title, _ in STEPS]
    for _, step in STEPS[: titles.index(last) + 1]:
        step(world.rt, NOW)


def kits_of(world: World, pair_id: str) -> int:
    with world.rt.store.session() as s:
        return int(
            s.scalar(
                select(func.count())
                .select_from(Outbox)
                .where(Outbox.kind == "launch_kit", Outbox.pair_id == pair_id)
            )
            or 0
        )


def test_planning_a_batch_plans_its_pairs_only(world: World) -> None:
    run_until(world, "Moving meetings")
    due = pairs_to_plan(world.rt, NOW)
    assert len(due) == 29 and due == sorted(due)
    report = plan_meetings(world.rt, NOW, pair_ids=due[:3])
    assert len(report.done) == 6  # two meetings each
    with world.rt.store.session() as s:
        planned = set(s.scalars(select(Meeting.pair_id)))
    assert planned == set(due[:3])
    assert pairs_to_plan(world.rt, NOW) == due[3:]


def test_writing_kits_for_a_batch_writes_its_pairs_only(world: World) -> None:
    run_until(world, "Updating calendars")
    owed = pairs_owed_a_kit(world.rt, NOW)
    assert len(owed) == 29
    report = send_launch_kits(world.rt, NOW, pair_ids=owed[:3])
    assert len(report.done) == 3
    assert [kits_of(world, pair_id) for pair_id in owed[:4]] == [1, 1, 1, 0]
    assert pairs_owed_a_kit(world.rt, NOW) == owed[3:]


def test_notices_for_a_batch_are_written_for_its_pairs_only(world: World) -> None:
    world.cycle(NOW)
    first, second = (pair.id for pair in world.pairs()[:2])
    with world.rt.store.session() as s:
        for pair_id in (first, second):
            s.get_one(Pair, pair_id).pending_notice = {
                "kind": "confirmation",
                "key": f"reschedule:{pair_id}:test",
                "by_name": "",
                "done": "conversation 1 has moved to a new time that suits you both.",
            }
    assert pairs_owed_a_notice(world.rt) == [first, second]
    report = send_pending_notices(world.rt, NOW, pair_ids=[second])
    assert len(report.done) == 1
    assert pairs_owed_a_notice(world.rt) == [first]


def test_a_kit_another_worker_wrote_meanwhile_fails_nothing_and_doubles_nothing(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a pair with a peer who joined it, owed its first kit; another worker queues that kit
    # between this one's reading of the kits sent and its own attempt
    run_until(world, "Updating calendars")
    pair_id = pairs_owed_a_kit(world.rt, NOW)[0]
    with world.rt.store.session() as s:
        member = s.scalars(select(PairMember).where(PairMember.pair_id == pair_id)).first()
        assert member is not None
        member.joined_at = NOW - timedelta(hours=1)
    real = kits.queue_pair_mail

    def written_meanwhile(*args: Any, **kwargs: Any) -> bool:
        real(*args, **kwargs)
        return False  # the other worker's insert came first

    monkeypatch.setattr(kits, "queue_pair_mail", written_meanwhile)
    report = send_launch_kits(world.rt, NOW, pair_ids=[pair_id])
    assert report.done == []
    assert kits_of(world, pair_id) == 1  # the pair's kit, to every peer; none of the joiner's
