"""A step that PostgreSQL ends to resolve a deadlock with an overlapping run runs again
(issue 13: two first runs together deadlocked on CI); any other error stops the run at once."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

import psycopg
import pytest
from sqlalchemy.exc import IntegrityError, OperationalError

from scheduler.runtime import Report, Runtime
from scheduler.steps import cycle

NOW = datetime(2026, 12, 1, 9, tzinfo=UTC)
RT = cast(Runtime, object())


class Flaky:
    """A step that fails with `errors` in turn, then succeeds."""

    def __init__(self, *errors: Exception) -> None:
        self.errors = list(errors)
        self.calls = 0
        self.__name__ = "flaky"

    def __call__(self, rt: Runtime, now: datetime) -> Report:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return Report("flaky")


def deadlock() -> OperationalError:
    return OperationalError("UPDATE person", {}, psycopg.errors.DeadlockDetected("deadlock"))


def serialization_failure() -> OperationalError:
    failure = psycopg.errors.SerializationFailure("could not serialize")
    return OperationalError("UPDATE pair", {}, failure)


@pytest.fixture(autouse=True)
def no_pause(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cycle.time, "sleep", lambda _: None)


def test_a_step_ended_by_a_deadlock_runs_again_and_its_report_counts() -> None:
    step = Flaky(deadlock(), serialization_failure())
    report = cycle.run_step(step, RT, NOW)
    assert (report.step, step.calls) == ("flaky", 3)


def test_a_step_that_keeps_deadlocking_stops_the_run_after_its_last_attempt() -> None:
    step = Flaky(*(deadlock() for _ in range(cycle.ATTEMPTS_PER_STEP)))
    with pytest.raises(OperationalError):
        cycle.run_step(step, RT, NOW)
    assert step.calls == cycle.ATTEMPTS_PER_STEP


@pytest.mark.parametrize(
    "error",
    [
        IntegrityError("INSERT", {}, psycopg.errors.UniqueViolation("duplicate")),
        OperationalError("SELECT 1", {}, psycopg.errors.ConnectionTimeout("timeout")),
        ValueError("a bug"),
    ],
)
def test_any_other_error_stops_the_run_at_once(error: Any) -> None:
    step = Flaky(error)
    with pytest.raises(type(error)):
        cycle.run_step(step, RT, NOW)
    assert step.calls == 1
