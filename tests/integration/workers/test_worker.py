"""The dramatiq actor and the clock against a real Redis: a whole cycle of the demo program
runs through the workers, and two clocks enqueue one cycle per interval."""

from __future__ import annotations

import mailbox
import os
import shutil
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import dramatiq
import pytest
import redis
from dramatiq import Worker

from scheduler.workers import actors as worker_module
from scheduler.workers.clock import tick

ROOT = Path(__file__).resolve().parents[3]
REDIS_URL = os.environ.get("TANDEM_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture
def client() -> redis.Redis:
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.ConnectionError:
        if os.environ.get("CI"):
            pytest.fail(f"Redis is not reachable at {REDIS_URL}")
        pytest.skip(f"Redis is not reachable at {REDIS_URL}")
    return client


@pytest.fixture
def broker(client: redis.Redis) -> Iterator[dramatiq.Broker]:
    broker = worker_module.make_broker(REDIS_URL, namespace=f"tandem-test-{uuid.uuid4().hex[:8]}")
    previous = dramatiq.get_broker()
    dramatiq.set_broker(broker)
    broker.declare_actor(worker_module.run_step)
    yield broker
    broker.flush_all()
    broker.close()
    dramatiq.set_broker(previous)


@pytest.fixture
def demo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "demo"
    shutil.copytree(
        ROOT / "examples", folder, ignore=shutil.ignore_patterns("outbox", "inbox", "*.db")
    )
    monkeypatch.setenv("TANDEM_DATABASE_URL", f"sqlite:///{folder / 'state.db'}")
    monkeypatch.setenv("TANDEM_SECRET", "test")
    return folder / "program.yaml"


def test_a_cycle_enqueued_on_redis_is_run_in_order_by_the_workers(
    broker: dramatiq.Broker, demo: Path
) -> None:
    worker_module.enqueue_cycle(demo, datetime(2026, 12, 1, 9, tzinfo=UTC))
    worker = Worker(broker, worker_timeout=100, worker_threads=1)
    worker.start()
    try:
        broker.join(worker_module.QUEUE, timeout=120_000)
        worker.join()
    finally:
        worker.stop()
    sent = mailbox.Maildir(demo.parent / "outbox", create=False)
    assert len(sent) == 87  # 29 launch kits and 58 invitations, as the inline run sends


def test_two_clocks_enqueue_one_cycle_per_interval(
    client: redis.Redis, broker: dramatiq.Broker, demo: Path
) -> None:
    first = tick(client, demo, "clock-a", every_seconds=60)
    second = tick(client, demo, "clock-b", every_seconds=60)
    assert (first, second) == (True, False)
    queued = client.llen(f"{broker.namespace}:{worker_module.QUEUE}")  # type: ignore[attr-defined]
    assert queued == 1  # a pipeline enqueues its first message; the rest follow in order
