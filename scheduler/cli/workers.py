"""`tandem worker` runs the dramatiq workers; `tandem clock` enqueues the cycle's work for
them."""

from __future__ import annotations

from pathlib import Path

import click

from scheduler.cli.errors import EXISTING_FILE, user_errors
from scheduler.errors import UserError


@click.command()
@click.option("--processes", default=1, show_default=True, help="Worker processes.")
@click.option("--threads", default=2, show_default=True, help="Threads per process.")
def worker(processes: int, threads: int) -> None:
    """Run the dramatiq workers (TANDEM_REDIS_URL names the Redis)."""
    import sys

    from dramatiq.cli import main as dramatiq_main

    sys.argv = [
        "dramatiq",
        "scheduler.workers.actors",
        "--processes",
        str(processes),
        "--threads",
        str(threads),
    ]
    raise SystemExit(dramatiq_main())  # type: ignore[no-untyped-call]


@click.command()
@click.argument("config", type=EXISTING_FILE)
@click.option(
    "--every", "every_minutes", default=15, show_default=True, help="Minutes between cycles."
)
@user_errors
def clock(config: Path, every_minutes: int) -> None:
    """Enqueue a cycle every few minutes for the workers; safe to run on two machines."""
    import redis

    from scheduler.program.load import load_program
    from scheduler.settings import redis_url
    from scheduler.workers.clock import run_clock

    load_program(config)
    import os

    url = redis_url(os.environ)
    if not url:
        raise UserError("tandem clock needs TANDEM_REDIS_URL (or TANDEM_REDIS_URL_FILE)")
    run_clock(redis.Redis.from_url(url), config, every_seconds=every_minutes * 60)
