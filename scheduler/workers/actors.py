"""The dramatiq side: one actor that runs one step of one program, by name.

Actors take ids (the program file's path and the step's name), never objects, because a
message may run twice or on another machine. The broker is set here, before the actor is
declared, from TANDEM_REDIS_URL; `tandem worker` runs dramatiq on this module.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import dramatiq
from dramatiq.brokers.redis import RedisBroker

from scheduler.errors import UserError
from scheduler.settings import redis_url

QUEUE = "tandem"


def make_broker(url: str, namespace: str = "tandem") -> RedisBroker:
    return RedisBroker(url=url, namespace=namespace)  # type: ignore[no-untyped-call]


if not isinstance(dramatiq.get_broker(), RedisBroker):  # pragma: no branch
    _url = redis_url(os.environ) or "redis://127.0.0.1:6379/0"
    dramatiq.set_broker(make_broker(_url))


@dramatiq.actor(
    queue_name=QUEUE,
    max_retries=5,
    min_backoff=5_000,
    max_backoff=300_000,
    throws=(UserError,),
)
def run_step(config: str, step: str, now: str | None = None) -> str:
    """Run one step of the cycle for the program at `config`; each step is idempotent, so a
    retry or a second delivery does only what is left."""
    from scheduler.bootstrap import build_runtime
    from scheduler.steps.cycle import STEPS

    steps = dict(STEPS)
    if step not in steps:
        raise UserError(f"unknown step {step!r}")
    moment = datetime.fromisoformat(now) if now else datetime.now(UTC)
    runtime = build_runtime(Path(config))
    try:
        report = steps[step](runtime, moment)
    finally:
        runtime.store.engine.dispose()
    return f"{report.step}: {len(report.done)} done, {len(report.problems)} problem(s)"


def enqueue_cycle(config: Path, now: datetime | None = None) -> None:
    """Every step of one cycle, as a pipeline so that they run in order."""
    from scheduler.steps.cycle import STEPS

    moment = now.isoformat() if now else None
    messages = [
        run_step.message_with_options(args=(str(config.resolve()), title, moment), pipe_ignore=True)
        for title, _ in STEPS
    ]
    dramatiq.pipeline(messages).run()  # type: ignore[no-untyped-call]
