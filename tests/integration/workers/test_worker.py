"""The workers against a real Redis: a round shared by two workers ends as the inline run
does; a message runs on a runtime built once; an old schema is refused; two clocks enqueue
each tick once."""

from __future__ import annotations

import logging
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import redis
from aiosmtpd.controller import Controller
from alembic.script import ScriptDirectory
from click.testing import CliRunner
from dramatiq.brokers.redis import RedisBroker

from scheduler.cli.main import cli
from scheduler.errors import UserError
from scheduler.store.engine import _alembic_config
from scheduler.workers import actors, runtimes
from scheduler.workers.clock import tick
from scheduler.workers.jobs import JOBS
from scheduler.workers.queues import queue_lines
from tests.e2e.test_run_crashes import Recorder, demo, message_ids
from tests.integration.workers.conftest import NOW, REDIS_URL, captured_sends, drain

Program = tuple[Path, dict[str, str]]


AFTER_START = datetime(2027, 2, 1, 9, tzinfo=UTC)  # the demo program starts on 2027-01-11
HEAD = ScriptDirectory.from_config(_alembic_config()).get_current_head()


def smtp_server(env: dict[str, str]) -> tuple[Recorder, Controller]:
    recorder = Recorder()
    controller = Controller(recorder, hostname="127.0.0.1", port=int(env["SMTP_PORT"]))
    controller.start()
    return recorder, controller


def test_a_round_shared_by_two_workers_ends_as_the_inline_run(
    broker: RedisBroker, program: Program, clean_ids: Counter[str]
) -> None:
    config, env = program
    recorder, controller = smtp_server(env)
    try:
        actors.enqueue_round(config, NOW)
        drain(broker, threads=2)
    finally:
        controller.stop()
    received = message_ids(recorder.messages)
    assert max(received.values()) == 1
    assert set(received) == set(clean_ids)  # 29 launch kits and 58 invitations


def test_booking_and_sending_fan_out_into_messages_of_ids(
    broker: RedisBroker, program: Program, monkeypatch: pytest.MonkeyPatch
) -> None:
    config, _ = program
    sent = captured_sends(monkeypatch, actors.plan_pairs, actors.book_pairs, actors.send_batch)
    moment = NOW.isoformat()
    for job in ("directory", "meetings"):
        actors.run_job.fn(str(config), job, moment)
    plans = [args for name, args in sent if name == "plan_pairs"]
    batches = [args[1] for args in plans]
    assert [len(batch) for batch in batches] == [25, 4]  # 29 pairs, 25 a message
    assert all(isinstance(pair_id, str) for batch in batches for pair_id in batch)
    for args in plans:
        actors.plan_pairs.fn(*args)
    actors.run_job.fn(str(config), "book", moment)
    books = [args[1] for name, args in sent if name == "book_pairs"]
    assert [len(batch) for batch in books] == [25, 4]  # 29 pairs, 25 a message
    assert all(isinstance(pair_id, str) for batch in books for pair_id in batch)
    actors.run_job.fn(str(config), "book", moment)  # the same pairs wait in messages already
    assert len([name for name, _ in sent if name == "book_pairs"]) == 2


def test_the_runtime_is_built_once_per_worker_thread(
    broker: RedisBroker, program: Program, monkeypatch: pytest.MonkeyPatch
) -> None:
    config, _ = program
    import scheduler.bootstrap

    built: list[Path] = []
    real = scheduler.bootstrap.build_runtime

    def counting(path: Path, *args: object, **kwargs: bool) -> object:
        built.append(path)
        return real(path, migrate=kwargs.get("migrate", True))

    monkeypatch.setattr(scheduler.bootstrap, "build_runtime", counting)
    first = runtimes.runtime_for(str(config))
    second = runtimes.runtime_for(str(config))
    assert first is second and len(built) == 1


def test_a_worker_refuses_a_schema_that_is_not_migrated(
    broker: RedisBroker,
    client: redis.Redis,
    namespace: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    folder, env = demo(tmp_path)
    monkeypatch.setenv("TANDEM_DATABASE_URL", env["TANDEM_DATABASE_URL"])
    monkeypatch.setenv("TANDEM_SECRET", "test")
    actors.enqueue_job(folder / "program.yaml", "directory", now=NOW)
    with caplog.at_level(logging.ERROR, logger="scheduler.workers.actors"):
        drain(broker, threads=1)
    said = [r.getMessage() for r in caplog.records if r.name == "scheduler.workers.actors"]
    assert said == [
        "tandem worker: the database schema is at revision none (empty database) but this "
        f"Tandem needs {HEAD}: run `tandem migrate CONFIG` first"
    ]
    assert not (folder / "state.db").exists() or _tables(folder / "state.db") == []
    lines = queue_lines(REDIS_URL, namespace)
    assert lines[0].endswith("1 dead letter(s)")
    assert lines[1].startswith("  dead letter: run_job('directory'")


def _tables(path: Path) -> list[str]:
    import sqlite3

    with sqlite3.connect(path) as connection:
        return [row[0] for row in connection.execute("SELECT name FROM sqlite_master")]


def test_two_clocks_enqueue_each_tick_of_each_job_once(
    broker: RedisBroker, client: redis.Redis, namespace: str, program: Program
) -> None:
    config, _ = program
    now = datetime(2026, 12, 1, 9, 7, 30, tzinfo=UTC)
    every = timedelta(minutes=5)

    def ticks(holder: str, at: datetime) -> list[bool]:
        return [tick(client, namespace, config, job, every, holder=holder, now=at) for job in JOBS]

    first, second, third = ticks("a", now), ticks("b", now), ticks("b", now + every)
    assert (all(first), any(second), all(third)) == (True, False, True)
    assert client.llen(f"{namespace}:{actors.QUEUE}") == 2 * len(JOBS)


def test_migrate_upgrades_once_and_status_shows_queues_and_ticks(
    broker: RedisBroker, namespace: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from scheduler.cli.main import cli

    folder, env = demo(tmp_path)
    for name in ("TANDEM_DATABASE_URL", "TANDEM_SECRET"):
        monkeypatch.setenv(name, env[name])
    monkeypatch.setenv("TANDEM_REDIS_URL", REDIS_URL)
    monkeypatch.setenv("TANDEM_REDIS_NAMESPACE", namespace)
    config = str(folder / "program.yaml")
    runner = CliRunner()
    first = runner.invoke(cli, ["migrate", config])
    again = runner.invoke(cli, ["migrate", config])
    upgraded = f"schema: upgraded from revision none to {HEAD}\n"
    assert (first.exit_code, first.output) == (0, upgraded)
    assert (again.exit_code, again.output) == (0, f"schema: up to date at revision {HEAD}\n")

    actors.run_job.fn(config, "directory", NOW.isoformat())
    shown = runner.invoke(cli, ["status", config]).output.splitlines()
    assert "queue tandem: 1 waiting, 0 running, 0 waiting to retry, 0 dead letter(s)" in shown
    assert "last completed: directory 2026-12-01 09:00 UTC" in shown


def test_pairing_waits_for_the_first_reading_of_the_directory(
    broker: RedisBroker, program: Program, clean_ids: Counter[str]
) -> None:
    config, env = program
    moment = NOW.isoformat()
    actors.run_job.fn(str(config), "meetings", moment)  # before the directory: no empty round
    recorder, controller = smtp_server(env)
    try:
        actors.enqueue_job(config, "directory", now=NOW)  # hands on to the rest
        drain(broker, threads=2)
    finally:
        controller.stop()
    assert set(message_ids(recorder.messages)) == set(clean_ids)


def test_a_worker_keeps_the_first_run_guard_of_tandem_run(
    broker: RedisBroker,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Given the default store beside a program whose start has passed, migrated but empty
    # (the program ran before, from state kept elsewhere, or this really is its first run)
    folder, _ = demo(tmp_path)
    monkeypatch.delenv("TANDEM_DATABASE_URL", raising=False)
    monkeypatch.setenv("TANDEM_SECRET", "test")
    config = folder / "program.yaml"
    assert CliRunner().invoke(cli, ["migrate", str(config)]).exit_code == 0
    moment = AFTER_START.isoformat()
    actors.run_job.fn(str(config), "directory", moment)
    # When the workers come to pairing, they refuse as `tandem run` does, in one line
    errors = caplog.at_level(logging.ERROR, logger="scheduler.workers.actors")
    with errors, pytest.raises(UserError, match="--first-run"):
        actors.run_job.fn(str(config), "meetings", moment)
    said = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(said) == 1 and "is empty, but" in said[0]
    assert "`tandem run CONFIG --first-run` once" in said[0]
    assert _rounds(folder / "tandem.db") == 0
    # and after `tandem run --first-run` they go on with the program
    runtimes.forget_runtimes()
    ran = CliRunner().invoke(cli, ["run", str(config), "--now", moment, "--first-run"])
    assert ran.exit_code == 0, ran.output
    actors.run_job.fn(str(config), "meetings", (AFTER_START + timedelta(days=1)).isoformat())
    assert _rounds(folder / "tandem.db") == 1
    runtimes.forget_runtimes()


def _rounds(path: Path) -> int:
    import sqlite3

    with sqlite3.connect(path) as connection:
        return int(connection.execute("SELECT count(*) FROM round").fetchone()[0])
