"""A first round of a generated organisation through dramatiq workers, next to the inline
`tandem run`: the same program and moment on a fresh PostgreSQL database each, mail over SMTP
to a loopback server that counts what it accepts.

Run: python -m bench.bench_workers [--size 5000] [--workers 2]
Needs PostgreSQL (TANDEM_BENCH_POSTGRES_URL, else TANDEM_TEST_POSTGRES_URL, else
postgresql+psycopg://postgres@127.0.0.1:5432/test) and Redis (TANDEM_BENCH_REDIS_URL, else
redis://127.0.0.1:6379/14; a namespace of its own). Figures go to docs/performance.md.
"""

from __future__ import annotations

import argparse
import csv
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, func, select, text

from bench.orgs import organisation

NOW = datetime(2026, 12, 1, 9, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[1]
PROGRAM = """\
program: {{name: Bench, owner: owner@example.com, timezone: America/New_York, start: 2027-01-11}}
provider:
  kind: local
  people: org.csv
  mailbox: mentoring@example.com
  smtp: {{host: 127.0.0.1, port: {port}, starttls: false}}
  inbox: inbox/
meetings: {{hours: "08:00-18:00", days: [Mon, Tue, Wed, Thu, Fri]}}
participants: {{consent: none}}
"""


class Counting:
    """An SMTP handler that keeps the Message-ID of every message it accepts."""

    def __init__(self) -> None:
        self.ids: Counter[str] = Counter()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.content, policy=policy.default)
        self.ids[str(message["Message-ID"])] += 1
        return "250 OK"


@contextmanager
def smtp_server() -> Iterator[tuple[Counting, int]]:
    import socket

    from aiosmtpd.controller import Controller

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    handler = Counting()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


@contextmanager
def fresh_database(server_url: str) -> Iterator[str]:
    server = create_engine(server_url, isolation_level="AUTOCOMMIT")
    name = f"tandem_bench_{secrets.token_hex(4)}"
    with server.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.url.set(database=name).render_as_string(hide_password=False)
    finally:
        with server.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        server.dispose()


def write_program(folder: Path, size: int, port: int) -> Path:
    folder.mkdir(parents=True)
    (folder / "program.yaml").write_text(PROGRAM.format(port=port), encoding="utf-8")
    with (folder / "org.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["email", "name", "title", "department", "level", "manager_email",
                         "timezone"])  # fmt: skip
        for p in organisation(size, seed=3):
            writer.writerow([p.email, p.name, p.title, p.department, p.level,
                             p.manager_email or "", p.timezone])  # fmt: skip
    return folder / "program.yaml"


def end_state(url: str) -> tuple[Counter[str], Counter[str]]:
    from scheduler.store.models import Meeting, Outbox

    engine = create_engine(url)
    with engine.connect() as connection:
        meetings = Counter(
            {state: n for state, n in connection.execute(
                select(Meeting.state, func.count()).group_by(Meeting.state))}
        )  # fmt: skip
        outbox = Counter(
            {state: n for state, n in connection.execute(
                select(Outbox.state, func.count()).group_by(Outbox.state))}
        )  # fmt: skip
    engine.dispose()
    return meetings, outbox


def inline(folder: Path, size: int, database: str) -> tuple[float, Counter[str], Any]:
    from scheduler.bootstrap import build_runtime
    from scheduler.steps.cycle import run_cycle

    with smtp_server() as (smtp, port):
        config = write_program(folder, size, port)
        env = {**os.environ, "TANDEM_DATABASE_URL": database, "TANDEM_SECRET": "bench"}
        runtime = build_runtime(config, env)
        started = time.perf_counter()
        run_cycle(runtime, NOW)
        took = time.perf_counter() - started
        runtime.store.close()
    return took, smtp.ids, end_state(database)


def through_workers(
    folder: Path, size: int, database: str, redis_url: str, processes: int
) -> tuple[float, Counter[str], Any]:
    from scheduler.store.engine import migrate_store
    from scheduler.workers import actors

    namespace = f"tandem-bench-{uuid.uuid4().hex[:8]}"
    broker = actors.make_broker(redis_url, namespace)
    actors.use_broker(broker)
    with smtp_server() as (smtp, port):
        config = write_program(folder, size, port)
        migrate_store(database)  # `tandem migrate`
        env = {
            **os.environ,
            "TANDEM_DATABASE_URL": database,
            "TANDEM_SECRET": "bench",
            "TANDEM_REDIS_URL": redis_url,
            "TANDEM_REDIS_NAMESPACE": namespace,
        }
        workers = subprocess.Popen(
            [sys.executable, "-m", "scheduler.cli.main", "worker", "--processes",
             str(processes), "--threads", "1"],
            cwd=ROOT, env=env, start_new_session=True,
        )  # fmt: skip
        try:
            while broker.client.zcard(f"{namespace}:__heartbeats__") < processes:
                time.sleep(0.1)  # the worker processes start (not counted)
            started = time.perf_counter()
            actors.enqueue_round(config, NOW)
            while broker.do_qsize(actors.QUEUE):  # type: ignore[attr-defined]
                time.sleep(0.05)
            took = time.perf_counter() - started
            from scheduler.workers.queues import queue_lines

            for line in queue_lines(redis_url, namespace):
                print(line)
        finally:
            os.killpg(workers.pid, signal.SIGTERM)
            workers.wait(timeout=120)
            for key in broker.client.scan_iter(f"{namespace}:*"):
                broker.client.delete(key)
    return took, smtp.ids, end_state(database)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=5000)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    server = (
        os.environ.get("TANDEM_BENCH_POSTGRES_URL")
        or os.environ.get("TANDEM_TEST_POSTGRES_URL")
        or "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    )
    redis_url = os.environ.get("TANDEM_BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
    with tempfile.TemporaryDirectory() as folder:
        with fresh_database(server) as database:
            took, ids, (meetings, outbox) = inline(Path(folder) / "inline", args.size, database)
        print(
            f"inline `tandem run`: {took:.1f} s; meetings {dict(meetings)}; outbox "
            f"{dict(outbox)}; SMTP {sum(ids.values())} messages, {len(ids)} Message-IDs"
        )
        with fresh_database(server) as database:
            w_took, w_ids, (w_meetings, w_outbox) = through_workers(
                Path(folder) / "workers", args.size, database, redis_url, args.workers
            )
        print(
            f"{args.workers} workers: {w_took:.1f} s; meetings {dict(w_meetings)}; outbox "
            f"{dict(w_outbox)}; SMTP {sum(w_ids.values())} messages, {len(w_ids)} Message-IDs"
        )
    same = set(ids) == set(w_ids)
    once = max(w_ids.values(), default=0) == 1
    print(
        f"same Message-IDs as inline: {same}; each received once: {once}; "
        f"one booking per meeting: {w_meetings == meetings}"
    )


if __name__ == "__main__":
    main()
