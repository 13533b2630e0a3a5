"""Every promise of docs/admin-guide.md has a test: these are the promises about settings,
workers and clocks that no other test held to. Each test's name states the promise, and its
docstring quotes the guide with its line."""

from __future__ import annotations

import json
import logging
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import dramatiq
import pytest
import redis
from click.testing import CliRunner
from dramatiq.brokers.redis import RedisBroker

from scheduler.cli.main import cli
from scheduler.errors import UserError
from scheduler.program.schema import Workers
from scheduler.settings import load_settings, redis_url
from scheduler.store.engine import migrate_store
from scheduler.workers import actors
from scheduler.workers.clock import tick
from scheduler.workers.jobs import JOBS, PER_PAIRS, THEN
from tests.e2e.test_run_crashes import demo
from tests.integration.local.relay import free_port
from tests.integration.workers.conftest import NOW, REDIS_URL, drain, quick_broker, reachable

MINUTE_MS = 60_000
ENV = {"TANDEM_DATABASE_URL": "sqlite://"}
AFTER_START = "2027-02-01T15:00:00+00:00"  # the demo program started on 2027-01-11


@pytest.fixture
def client() -> redis.Redis:
    return reachable(REDIS_URL)


@pytest.fixture
def namespace(client: redis.Redis) -> Iterator[str]:
    name = f"tandem-test-{uuid.uuid4().hex[:10]}"
    yield name
    for key in client.scan_iter(f"{name}:*"):
        client.delete(key)


@pytest.fixture
def broker(namespace: str) -> Iterator[RedisBroker]:
    previous = actors.run_job.broker
    made = quick_broker(REDIS_URL, namespace)
    actors.use_broker(made)
    yield made
    made.close()
    actors.use_broker(previous)  # type: ignore[arg-type]


# Where state lives


def test_the_secret_can_come_from_a_file_named_by_tandem_secret_file(tmp_path: Path) -> None:
    """admin-guide.md:40: "Every variable can instead name a file with `NAME_FILE` (for Docker
    or Kubernetes secrets)" (here TANDEM_SECRET)."""
    secret = tmp_path / "secret"
    secret.write_text("s3cr3t-from-a-file\n", encoding="utf-8")
    settings = load_settings(tmp_path, {**ENV, "TANDEM_SECRET_FILE": str(secret)})
    assert settings.secret == b"s3cr3t-from-a-file"
    assert not (tmp_path / ".tandem-secret").exists()


def test_the_redis_url_can_come_from_a_file_named_by_tandem_redis_url_file(
    tmp_path: Path,
) -> None:
    """admin-guide.md:40: "Every variable can instead name a file with `NAME_FILE`" (here
    TANDEM_REDIS_URL)."""
    url = tmp_path / "redis"
    url.write_text("redis://cache:6379/3\n", encoding="utf-8")
    assert redis_url({"TANDEM_REDIS_URL_FILE": str(url)}) == "redis://cache:6379/3"


@pytest.mark.parametrize("name", ["TANDEM_SECRET", "TANDEM_REDIS_URL"])
def test_a_variable_and_its_file_set_together_are_refused(tmp_path: Path, name: str) -> None:
    """admin-guide.md:40-41: "Every variable can instead name a file with `NAME_FILE` ...;
    setting both is refused." """
    file = tmp_path / "value"
    file.write_text("from-the-file\n", encoding="utf-8")
    env = {**ENV, name: "from-the-environment", f"{name}_FILE": str(file)}
    with pytest.raises(UserError, match=f"both {name} and {name}_FILE are set"):
        load_settings(tmp_path, env) if name == "TANDEM_SECRET" else redis_url(env)


def test_the_smtp_password_is_read_from_the_file_its_name_file_variable_names(
    tmp_path: Path,
) -> None:
    """admin-guide.md:88-89: "The SMTP password and the IMAP password are read from the
    environment variables the program file names (`password_env: TANDEM_SMTP_PASSWORD`), or
    from `NAME_FILE`"."""
    from integrations.local.provider import _env

    file = tmp_path / "password"
    file.write_text("hunter2\n", encoding="utf-8")
    env = {"TANDEM_SMTP_PASSWORD_FILE": str(file)}
    assert _env(env, "TANDEM_SMTP_PASSWORD") == "hunter2"
    with pytest.raises(UserError, match="TANDEM_SMTP_PASSWORD") as refused:
        _env({}, "TANDEM_SMTP_PASSWORD")
    assert "hunter2" not in str(refused.value)


def test_a_store_named_by_tandem_database_url_needs_no_first_run_flag(tmp_path: Path) -> None:
    """admin-guide.md:56-57: "A database set with `TANDEM_DATABASE_URL` is taken as chosen on
    purpose and needs no flag." (an empty store after the start date, without --first-run)"""
    folder, env = demo(tmp_path)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "scheduler.cli.main",
            "run",
            str(folder / "program.yaml"),
            "--now",
            AFTER_START,
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "round: 1 done" in done.stdout
    assert (folder / "state.db").exists() and not (folder / "tandem.db").exists()


def test_a_lease_left_by_a_process_that_died_on_this_machine_is_taken_over_at_once(
    store_url: str,
) -> None:
    """admin-guide.md:125: "A lease left by a process that died on the same machine is taken
    over at once." """
    from scheduler.store.engine import open_store
    from scheduler.store.leases import holder_name, take_lease
    from tests.integration.test_store import dead_holder

    store = open_store(store_url)
    try:
        with store.session() as s:
            assert take_lease(s, "job:send", dead_holder(), ttl=timedelta(hours=1))
        with store.session() as s:
            assert take_lease(s, "job:send", holder_name(), ttl=timedelta(minutes=10))
        with store.session() as s:  # and a live holder's lease is kept
            assert not take_lease(s, "job:send", holder_name(), ttl=timedelta(minutes=10))
    finally:
        store.close()


# Workers and clocks


def test_a_worker_refuses_a_schema_older_than_its_code_with_the_guides_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """admin-guide.md:44-47: "Workers never migrate: a worker that meets a schema older than its
    code refuses every message with one line (`tandem worker: the database schema is at
    revision 0004 but this Tandem needs 0005: run tandem migrate CONFIG first`)"."""
    from alembic import command
    from alembic.script import ScriptDirectory
    from sqlalchemy import create_engine

    from scheduler.store.engine import _alembic_config, schema_revisions
    from scheduler.workers.runtimes import forget_runtimes

    folder, env = demo(tmp_path)
    for name in ("TANDEM_DATABASE_URL", "TANDEM_SECRET"):
        monkeypatch.setenv(name, env[name])
    config = _alembic_config()
    head = ScriptDirectory.from_config(config).get_current_head()
    assert head is not None
    older = ScriptDirectory.from_config(config).get_revision(head).down_revision
    assert isinstance(older, str)
    engine = create_engine(env["TANDEM_DATABASE_URL"])
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, older)
    try:
        with (
            caplog.at_level(logging.ERROR, logger="scheduler.workers.actors"),
            pytest.raises(UserError),
        ):
            actors.run_job.fn(str(folder / "program.yaml"), "directory", NOW.isoformat())
        assert schema_revisions(engine) == (older, head)  # not migrated by the worker
    finally:
        engine.dispose()
        forget_runtimes()
    said = [r.getMessage() for r in caplog.records if r.name == "scheduler.workers.actors"]
    assert said == [
        f"tandem worker: the database schema is at revision {older} but this Tandem needs "
        f"{head}: run `tandem migrate CONFIG` first"
    ]


def test_tandem_worker_runs_dramatiq_on_the_actors_with_one_thread_by_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """admin-guide.md:167: "`tandem worker` runs dramatiq on `scheduler.workers.actors`
    (`--processes N`, `--threads 1` by default"."""
    import dramatiq.cli

    seen: list[list[str]] = []

    def dramatiq_main() -> int:
        seen.append(list(sys.argv))
        return 0

    monkeypatch.setattr(dramatiq.cli, "main", dramatiq_main)
    monkeypatch.setattr(sys, "argv", list(sys.argv))
    runner = CliRunner()
    default = runner.invoke(cli, ["worker"])
    three = runner.invoke(cli, ["worker", "--processes", "3"])
    assert (default.exit_code, three.exit_code) == (0, 0)
    assert seen[0][1] == "scheduler.workers.actors"
    assert seen[0][seen[0].index("--threads") + 1] == "1"
    assert seen[1][seen[1].index("--processes") + 1] == "3"


def test_the_default_rhythms_and_hand_ons_of_the_jobs_are_those_of_the_guides_table() -> None:
    """admin-guide.md:181-190: the table "job | steps of `tandem run` | default rhythm | hands
    on to": directory 1 day -> meetings; inbox 5 minutes -> meetings, send; calendar 5 minutes
    -> meetings; meetings 15 minutes -> send (book after the last batch); book 5 minutes (mail
    after the last pair); mail 5 minutes (send after the last batch); digest 1 hour -> send;
    send 1 minute."""
    minutes = timedelta(minutes=1)
    assert Workers().model_dump() == {
        "directory": timedelta(days=1),
        "inbox": 5 * minutes,
        "calendar": 5 * minutes,
        "meetings": 15 * minutes,
        "book": 5 * minutes,
        "mail": 5 * minutes,
        "digest": timedelta(hours=1),
        "send": minutes,
    }
    assert {job: set(then) for job, then in THEN.items()} == {
        "directory": {"meetings"},
        "inbox": {"meetings", "send"},
        "calendar": {"meetings"},
        "meetings": {"send"},
        "book": set(),
        "mail": set(),
        "digest": {"send"},
        "send": set(),
    }
    assert PER_PAIRS["meetings"].then == "book"
    assert PER_PAIRS["mail"].then == "send"
    assert (actors.PAIR_BATCH, actors.SEND_BATCH) == (25, 50)


@pytest.mark.parametrize(
    ("actor", "limit_minutes"),
    [
        (actors.run_job, 30),
        (actors.plan_pairs, 15),
        (actors.book_pairs, 15),
        (actors.write_pair_mail, 15),
        (actors.send_batch, 15),
    ],
    ids=lambda value: getattr(value, "actor_name", str(value)),
)
def test_each_message_has_the_time_limit_and_retries_of_the_guides_table(
    actor: dramatiq.Actor[..., None], limit_minutes: int
) -> None:
    """admin-guide.md:224-230: "`run_job` (a job) | 30 minutes | 5 (10 s doubling to 10
    minutes)", `plan_pairs` 15 minutes, `book_pairs` 15 minutes, `write_pair_mail` 15 minutes,
    `send_batch` 15 minutes, each with 5 retries from 10 s doubling to 10 minutes."""
    assert actor.queue_name == "tandem"
    assert actor.options["time_limit"] == limit_minutes * MINUTE_MS
    assert actor.options["max_retries"] == 5
    assert actor.options["min_backoff"] == 10_000
    assert actor.options["max_backoff"] == 10 * MINUTE_MS


def test_a_broken_program_file_goes_to_the_dead_letters_at_once_kept_seven_days(
    broker: RedisBroker, client: redis.Redis, namespace: str, tmp_path: Path
) -> None:
    """admin-guide.md:232-234: "A message that ... fails with a problem in the files or
    settings (an old schema, a broken program file: not retried), goes to the dead-letter
    queue (`<namespace>:tandem.XQ` in Redis, kept 7 days)." """
    broken = tmp_path / "program.yaml"
    broken.write_text("program: [\n", encoding="utf-8")
    actors.enqueue_job(broken, "directory")
    drain(broker, threads=1, timeout_s=30)
    assert client.zcard(f"{namespace}:tandem.XQ") == 1
    assert client.hlen(f"{namespace}:tandem.DQ.msgs") == 0  # not waiting for a retry
    assert broker.dead_message_ttl == 7 * 24 * 60 * MINUTE_MS


def test_a_job_logs_one_line_with_its_name_and_seconds(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    broker: RedisBroker,
) -> None:
    """admin-guide.md:249-250: "The workers log one line per job, pair and batch with ids and
    seconds (`job meetings done in 5.40 s`, ...)"."""
    folder, env = demo(tmp_path)
    for name in ("TANDEM_DATABASE_URL", "TANDEM_SECRET"):
        monkeypatch.setenv(name, env[name])
    migrate_store(env["TANDEM_DATABASE_URL"])
    from scheduler.workers.runtimes import forget_runtimes

    try:
        with caplog.at_level(logging.INFO, logger="scheduler.workers.actors"):
            actors.run_job.fn(str(folder / "program.yaml"), "directory", NOW.isoformat())
    finally:
        forget_runtimes()
    said = [r.getMessage() for r in caplog.records if r.name == "scheduler.workers.actors"]
    assert len(said) == 1 and re.fullmatch(r"job directory done in \d+\.\d\d s", said[0])


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[redis.Redis]:
    """A Redis server of this test's own, so that every key in it is this test's."""
    port = free_port()
    server = subprocess.Popen(
        [
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(tmp_path),
        ],
        stdout=subprocess.DEVNULL,
    )
    own = redis.Redis(host="127.0.0.1", port=port)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                own.ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline or server.poll() is not None:
                    pytest.skip("redis-server could not be started")
        yield own
    finally:
        own.close()
        server.terminate()
        server.wait(timeout=10)


def test_every_redis_key_of_an_installation_starts_with_its_namespace(
    private_redis: redis.Redis, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """admin-guide.md:37: "`TANDEM_REDIS_NAMESPACE` | prefix of every Redis key of one
    installation (two programs or two installations may share a Redis under two names)"."""
    port = private_redis.connection_pool.connection_kwargs["port"]
    name = f"install-{uuid.uuid4().hex[:6]}"
    own = actors.make_broker(f"redis://127.0.0.1:{port}/0", name)
    previous = actors.run_job.broker
    actors.use_broker(own)
    folder, env = demo(tmp_path)
    for variable in ("TANDEM_DATABASE_URL", "TANDEM_SECRET"):
        monkeypatch.setenv(variable, env[variable])
    migrate_store(env["TANDEM_DATABASE_URL"])
    config = folder / "program.yaml"
    from scheduler.workers.runtimes import forget_runtimes

    try:
        for job in JOBS:  # a clock's ticks
            assert tick(private_redis, name, config, job, timedelta(minutes=5), holder="a")
        actors.run_job.fn(str(config), "directory", NOW.isoformat())  # marks, hand-ons
        broken = tmp_path / "broken.yaml"
        broken.write_text("program: [\n", encoding="utf-8")
        actors.enqueue_job(broken, "directory")
        drain(own, threads=1, timeout_s=120)  # the queue, its retries and dead letters
    finally:
        forget_runtimes()
        own.close()
        actors.use_broker(previous)  # type: ignore[arg-type]
    keys = sorted(key.decode() for key in private_redis.scan_iter("*"))
    assert any(key.startswith(f"{name}:tick:") for key in keys)
    assert f"{name}:tandem.XQ" in keys
    assert [key for key in keys if not key.startswith(f"{name}:")] == []


def test_a_clock_enqueues_every_job_at_once_when_it_starts_and_logs_nothing(
    client: redis.Redis, namespace: str, tmp_path: Path
) -> None:
    """admin-guide.md:210: "A clock enqueues the current tick of every job when it starts
    (unless another clock did)." and admin-guide.md:252: "the clock logs nothing while all is
    well." """
    folder, env = demo(tmp_path)
    env = {**env, "TANDEM_REDIS_URL": REDIS_URL, "TANDEM_REDIS_NAMESPACE": namespace}
    clock = subprocess.Popen(
        [sys.executable, "-m", "scheduler.cli.main", "clock", str(folder / "program.yaml")],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while client.llen(f"{namespace}:tandem") < len(JOBS) and time.monotonic() < deadline:
            if clock.poll() is not None:
                break
            time.sleep(0.05)
        waiting = client.llen(f"{namespace}:tandem")
    finally:
        clock.send_signal(signal.SIGTERM)
        out, err = clock.communicate(timeout=30)
    assert waiting == len(JOBS)
    enqueued = [json.loads(raw)["args"][1] for raw in client.hvals(f"{namespace}:tandem.msgs")]
    assert sorted(enqueued) == sorted(JOBS)
    assert (clock.returncode, out, err) == (0, "", "")


# Exit codes and logs


def test_a_problem_in_the_settings_exits_1_with_one_line_on_stderr(tmp_path: Path) -> None:
    """admin-guide.md:305-306: "1: a problem in the files or settings; one line on stderr
    says what and where"."""
    folder, env = demo(tmp_path)
    env = {**env, "TANDEM_SECRET_FILE": str(tmp_path / "missing")}
    del env["TANDEM_SECRET"]
    done = subprocess.run(
        [sys.executable, "-m", "scheduler.cli.main", "run", str(folder / "program.yaml")],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert len(done.stderr.splitlines()) == 1
    assert "TANDEM_SECRET_FILE" in done.stderr and str(tmp_path / "missing") in done.stderr
