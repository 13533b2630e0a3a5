"""Real Redis for the workers' tests, each in a namespace of its own; the demo program over a
loopback SMTP server; and the Message-IDs of a clean inline run to compare an end state with.

Redis comes from TANDEM_TEST_REDIS_URL (default: database 15 of the local server). Without it
the tests are skipped locally and fail in CI.
"""

from __future__ import annotations

import os
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import dramatiq
import pytest
import redis
from dramatiq.brokers.redis import RedisBroker

from scheduler.bootstrap import build_runtime
from scheduler.steps.cycle import run_cycle
from scheduler.store.engine import migrate_store
from scheduler.workers import actors
from tests.e2e.test_run_crashes import demo, maildir_ids

REDIS_URL = os.environ.get("TANDEM_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
NOW = datetime(2026, 12, 1, 9, tzinfo=UTC)


def reachable(url: str) -> redis.Redis:
    client = redis.Redis.from_url(url)
    try:
        client.ping()
    except redis.ConnectionError:
        if os.environ.get("CI"):
            pytest.fail(f"Redis is not reachable at {url}")
        pytest.skip(f"Redis is not reachable at {url}")
    return client


@pytest.fixture
def client() -> redis.Redis:
    return reachable(REDIS_URL)


@pytest.fixture
def namespace(client: redis.Redis) -> Iterator[str]:
    name = f"tandem-test-{uuid.uuid4().hex[:10]}"
    yield name
    for key in client.scan_iter(f"{name}:*"):
        client.delete(key)


def quick_broker(url: str, namespace: str) -> RedisBroker:
    """A broker that takes over the messages of a dead worker after 3 s (a real worker waits
    a minute), doing its maintenance on every command."""
    broker = actors.make_broker(url, namespace, heartbeat_timeout=3_000)
    broker.maintenance_chance = 100_000  # MAINTENANCE_SCALE: every command
    return broker


@pytest.fixture
def broker(client: redis.Redis, namespace: str) -> Iterator[RedisBroker]:
    previous = actors.run_job.broker
    broker = quick_broker(REDIS_URL, namespace)
    actors.use_broker(broker)
    yield broker
    broker.close()
    actors.use_broker(previous)  # type: ignore[arg-type]


@pytest.fixture
def program(
    tmp_path: Path, store_url: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Path, dict[str, str]]]:
    """The demo program with its store at `store_url`, migrated as `tandem migrate` does, and
    its mail going to SMTP on a port the test starts a server on (`smtp_port`)."""
    port = free_smtp_port()
    folder, env = demo(tmp_path, port)
    env["TANDEM_DATABASE_URL"] = store_url
    for name in ("TANDEM_DATABASE_URL", "TANDEM_SECRET"):
        monkeypatch.setenv(name, env[name])
    migrate_store(store_url)
    env["SMTP_PORT"] = str(port)
    yield folder / "program.yaml", env
    from scheduler.workers.runtimes import forget_runtimes

    forget_runtimes()


def free_smtp_port() -> int:
    from tests.integration.local.relay import free_port

    return free_port()


@pytest.fixture(scope="session")
def clean_ids(tmp_path_factory: pytest.TempPathFactory) -> Counter[str]:
    """The Message-IDs of one inline `tandem run` of the demo at NOW (into its Maildir)."""
    folder, env = demo(tmp_path_factory.mktemp("clean"))
    runtime = build_runtime(folder / "program.yaml", env)
    run_cycle(runtime, NOW)
    runtime.store.close()
    ids = maildir_ids(folder)
    assert len(ids) == 87 and max(ids.values()) == 1
    return ids


def drain(broker: dramatiq.Broker, *, threads: int = 2, timeout_s: int = 240) -> None:
    """Run workers in this process until the queue is empty (retries included)."""
    worker = dramatiq.Worker(broker, worker_timeout=100, worker_threads=threads)
    worker.start()
    try:
        broker.join(actors.QUEUE, timeout=timeout_s * 1000)
        worker.join()
    finally:
        worker.stop()


def captured_sends(
    monkeypatch: pytest.MonkeyPatch, *chosen: dramatiq.Actor[..., None]
) -> list[tuple[str, tuple[Any, ...]]]:
    """The messages the `chosen` actors are sent, as (actor name, arguments), in order;
    they are kept here instead of going to Redis."""
    sent: list[tuple[str, tuple[Any, ...]]] = []
    for actor in chosen:
        monkeypatch.setattr(
            actor, "send", lambda *args, _name=actor.actor_name: sent.append((_name, args))
        )
    return sent
