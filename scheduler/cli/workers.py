"""`tandem worker` runs the dramatiq workers; `tandem clock` enqueues each job of a program
at its rhythm for them."""

from __future__ import annotations

import os
from pathlib import Path

import click

from scheduler.cli.errors import EXISTING_FILE, user_errors
from scheduler.errors import UserError


@click.command()
@click.option("--processes", default=2, show_default=True, help="Worker processes.")
@click.option(
    "--threads",
    default=1,
    show_default=True,
    help="Threads per process (each thread builds its own runtime).",
)
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
@user_errors
def clock(config: Path) -> None:
    """Enqueue each job at its rhythm (the program's `workers:`); safe on two machines."""
    import redis

    from scheduler.program.load import load_program
    from scheduler.settings import redis_url
    from scheduler.workers.clock import run_clock
    from scheduler.workers.queues import namespace_of

    program = load_program(config)
    url = redis_url(os.environ)
    if not url:
        raise UserError("tandem clock needs TANDEM_REDIS_URL (or TANDEM_REDIS_URL_FILE)")
    rhythms = program.workers.model_dump()
    run_clock(redis.Redis.from_url(url), namespace_of(os.environ), config, rhythms)
