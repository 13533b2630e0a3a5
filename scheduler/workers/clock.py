"""`tandem clock`: enqueue a cycle of a program every few minutes. Two clocks are safe: each
tick takes a Redis lock named for the program, and only its holder enqueues."""

from __future__ import annotations

import hashlib
import signal
import time
import uuid
from pathlib import Path
from types import FrameType

import redis

from scheduler.workers.actors import enqueue_cycle


def tick(client: redis.Redis, config: Path, holder: str, *, every_seconds: int) -> bool:
    """Enqueue one cycle unless another clock did so during this interval; True if we did."""
    name = "tandem:clock:" + hashlib.sha256(str(config.resolve()).encode()).hexdigest()[:16]
    if not client.set(name, holder, nx=True, px=every_seconds * 1000):
        return False
    enqueue_cycle(config)
    return True


def run_clock(client: redis.Redis, config: Path, *, every_seconds: int) -> None:
    """Tick until SIGTERM or SIGINT, finishing the tick under way."""
    holder = uuid.uuid4().hex
    stopping = False

    def stop(_signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    while not stopping:
        tick(client, config, holder, every_seconds=every_seconds)
        for _ in range(every_seconds):
            if stopping:
                break
            time.sleep(1)
