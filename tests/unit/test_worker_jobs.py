"""The workers' jobs cover the cycle: every step of `tandem run` belongs to exactly one job,
in the cycle's order, and every job has a rhythm in the program file's `workers:` section."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from scheduler.program.schema import Workers
from scheduler.steps.cycle import STEPS
from scheduler.workers.clock import tick_of
from scheduler.workers.jobs import JOB_STEPS, PER_PAIRS, THEN, steps_of


def test_every_step_of_the_cycle_belongs_to_exactly_one_job() -> None:
    titles = [title for steps in JOB_STEPS.values() for title in steps]
    assert sorted(titles) == sorted(title for title, _ in STEPS)
    order = [title for title, _ in STEPS]
    for steps in JOB_STEPS.values():
        assert [order.index(t) for t in steps] == sorted(order.index(t) for t in steps)


def test_the_steps_sent_out_per_pairs_are_the_cycles_own_and_not_run_by_their_job() -> None:
    by_title = dict(STEPS)
    for job, per_pairs in PER_PAIRS.items():
        titles = tuple(title for title, _ in per_pairs.steps)
        assert JOB_STEPS[job][-len(titles) :] == titles  # its last: what it runs itself first
        for title, step in per_pairs.steps:
            assert by_title[title] is step
            assert step not in steps_of(job)
    assert {per_pairs.then for per_pairs in PER_PAIRS.values()} == {"book", "send"}


def test_every_job_has_a_rhythm_and_hands_on_only_to_jobs() -> None:
    assert set(Workers.model_fields) == set(JOB_STEPS) == set(THEN)
    assert all(set(after) <= set(JOB_STEPS) for after in THEN.values())


def test_ticks_are_counted_from_the_epoch_so_clocks_agree() -> None:
    every = timedelta(minutes=5)
    at = datetime(2026, 12, 1, 9, 7, 30, tzinfo=UTC)
    index, began = tick_of(every, at)
    assert began == datetime(2026, 12, 1, 9, 5, tzinfo=UTC)
    assert tick_of(every, began + every - timedelta(seconds=1))[0] == index
    assert tick_of(every, began + every)[0] == index + 1


def test_the_rhythms_of_the_workers_section_are_read_and_checked() -> None:
    from tests.unit.test_config import EXAMPLE, parse, problems

    program = parse(EXAMPLE + "workers:\n  send: 2 minutes\n  directory: 1 week\n")
    assert program.workers.send == timedelta(minutes=2)
    assert program.workers.directory == timedelta(weeks=1)
    assert program.workers.inbox == timedelta(minutes=5)
    found = [
        problem.message
        for problem in problems(EXAMPLE + "workers:\n  send: 2 months\n  inbox: 5 weeks\n")
    ]
    assert found == [
        "expected a number (1 or more) of minutes, hours, days or weeks, such as '5 minutes'",
        "expected a rhythm from 1 minute to 4 weeks, such as '5 minutes'",
    ]
