"""`tandem clock`: enqueue each job of a program at its own rhythm (the program file's
`workers:` section). Ticks are counted from the Unix epoch, so every clock agrees on them;
a tick is enqueued by the one clock that claims its key in Redis (SET NX), so two clocks
never enqueue the same tick twice. A clock that starts enqueues the current tick of every
job unless another clock did."""

from __future__ import annotations

import signal
import time
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import FrameType

import redis

from scheduler.workers.actors import enqueue_job, program_key


def tick_of(every: timedelta, now: datetime) -> tuple[int, datetime]:
    """The number of the tick under way at `now` and when it began."""
    seconds = int(every.total_seconds())
    index = int(now.timestamp()) // seconds
    return index, datetime.fromtimestamp(index * seconds, UTC)


def tick(
    client: redis.Redis,
    namespace: str,
    config: Path,
    job: str,
    every: timedelta,
    *,
    holder: str,
    now: datetime | None = None,
) -> bool:
    """Enqueue `job` for the tick under way unless a clock did so; True if we did."""
    index, began = tick_of(every, now or datetime.now(UTC))
    key = f"{namespace}:tick:{program_key(config)}:{job}:{index}"
    keep = max(int(every.total_seconds() * 2000), 120_000)
    if not client.set(key, holder, nx=True, px=keep):
        return False
    enqueue_job(config, job, tick=began.isoformat())
    return True


def run_clock(
    client: redis.Redis, namespace: str, config: Path, rhythms: Mapping[str, timedelta]
) -> None:
    """Tick every job at its rhythm until SIGTERM or SIGINT, finishing the tick under way."""
    holder = uuid.uuid4().hex
    stopping = False
    last: dict[str, int] = {}

    def stop(_signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    while not stopping:
        now = datetime.now(UTC)
        for job, every in rhythms.items():
            index, _ = tick_of(every, now)
            if last.get(job) != index:
                tick(client, namespace, config, job, every, holder=holder, now=now)
                last[job] = index
        time.sleep(1)
