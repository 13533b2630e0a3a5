"""Faults while workers share a round, with real Redis and PostgreSQL on loopback. Each test
ends by comparing what the SMTP server received with a clean inline run's Message-IDs: every
email (the 58 invitations, one per meeting, and the 29 launch kits) arrived, and none twice.

- a worker process SIGKILLed in the middle of a round (while planning, between a calendar
  write and its record, between the SMTP server's acceptance and its record);
- two worker processes and two clocks at once;
- Redis itself restarted, empty, in the middle of a round (a private redis-server): while
  emails go out, and gone just after a job took its lease in the database;
- PostgreSQL out of reach for a few seconds (a loopback proxy cut and restored) while booking
  and while sending, and just after the mail service took a batch;
- SMTP connections dropped instead of answered, through workers and inline.

After a fault, the round is enqueued again, as the clock's next ticks do.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import dramatiq
import pytest
import redis
from aiosmtpd.controller import Controller
from dramatiq.brokers.redis import RedisBroker
from sqlalchemy import create_engine, func, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from scheduler.bootstrap import build_runtime
from scheduler.ports import OutgoingMail, SendResult
from scheduler.steps.cycle import run_cycle
from scheduler.store import leases
from scheduler.store.models import Meeting
from scheduler.workers import actors
from tests.e2e.test_run_crashes import Recorder, demo, maildir_ids, message_ids
from tests.integration.local.relay import free_port
from tests.integration.tcp_proxy import cuttable_proxy
from tests.integration.workers.conftest import NOW, REDIS_URL, quick_broker

Program = tuple[Path, dict[str, str]]
ROOT = Path(__file__).resolve().parents[3]


@contextmanager
def smtp_server(port: int) -> Iterator[Recorder]:
    recorder = Recorder()
    controller = Controller(recorder, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield recorder
    finally:
        controller.stop()


def until(done: Callable[[], bool], what: str, *, limit_s: float = 240.0) -> None:
    """Wait for `done`; a bound on a hang, never a measure of speed."""
    deadline = time.monotonic() + limit_s
    while not done():
        if time.monotonic() > deadline:
            raise AssertionError(f"still waiting after {limit_s:.0f} s for {what}")
        time.sleep(0.2)


def worker_process(
    env: dict[str, str], url: str, namespace: str, **extra: str
) -> subprocess.Popen[bytes]:
    """`tandem worker` as a platform runs it: dramatiq on scheduler.workers.actors."""
    return subprocess.Popen(
        [sys.executable, "-m", "dramatiq", "scheduler.workers.actors", "--processes", "1",
         "--threads", "2"],
        cwd=ROOT,
        env={**env, "TANDEM_REDIS_URL": url, "TANDEM_REDIS_NAMESPACE": namespace, **extra},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip


# One worker process without dramatiq's supervisor (which would start a new one), so that the
# SIGKILL of a crash point ends it for good. One thread: the crash point kills at a known
# place. (A second thread could be killed between an SMTP server's acceptance of a message
# and the sent log's record of it, a window SMTP cannot close: that message goes twice.)
ONE_WORKER = """
import signal, threading, dramatiq
from scheduler.workers import actors
worker = dramatiq.Worker(dramatiq.get_broker(), worker_timeout=100, worker_threads=1)
worker.start()
done = threading.Event()
signal.signal(signal.SIGTERM, lambda *_: done.set())
done.wait()
worker.stop()
"""


def doomed_worker(env: dict[str, str], namespace: str, crash_at: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-c", ONE_WORKER],
        cwd=ROOT,
        env={**env, "TANDEM_REDIS_URL": REDIS_URL, "TANDEM_REDIS_NAMESPACE": namespace,
             "TANDEM_CRASH_AT": crash_at},
        start_new_session=True,
    )  # fmt: skip


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def finish(broker: RedisBroker, client: redis.Redis, namespace: str, threads: int = 2) -> None:
    """Run workers here until the queue is empty and no dead worker holds a message (the
    broker hands those back once their holder's heartbeat is 3 s old)."""

    def orphans() -> int:
        return sum(client.scard(k) for k in client.scan_iter(f"{namespace}:__acks__.*"))

    worker = dramatiq.Worker(broker, worker_timeout=100, worker_threads=threads)
    worker.start()
    try:
        size = broker.do_qsize  # type: ignore[attr-defined]
        until(lambda: size(actors.QUEUE) == 0 and orphans() == 0, "an empty queue")
        worker.join()
    finally:
        worker.stop()


def booked(url: str) -> Counter[str]:
    engine = create_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(select(Meeting.state, func.count()).group_by(Meeting.state))
        states = Counter({state: count for state, count in rows})
    engine.dispose()
    return states


@pytest.mark.parametrize("crash_at", ["plan:7", "booked:1", "sent:20"])
def test_a_worker_killed_mid_round_leaves_the_end_state_of_a_clean_run(
    broker: RedisBroker,
    client: redis.Redis,
    namespace: str,
    program: Program,
    store_url: str,
    clean_ids: Counter[str],
    crash_at: str,
) -> None:
    config, env = program
    with smtp_server(int(env["SMTP_PORT"])) as recorder:
        actors.enqueue_round(config, NOW)
        killed = doomed_worker(env, namespace, crash_at)
        try:
            killed.wait(timeout=240)  # the crash point SIGKILLs it
        finally:
            stop(killed)
        assert killed.returncode == -signal.SIGKILL
        assert len(message_ids(recorder.messages)) < len(clean_ids)  # it died mid-round
        actors.enqueue_round(config, NOW)  # the clock's next ticks
        finish(broker, client, namespace)
    received = message_ids(recorder.messages)
    assert max(received.values()) == 1
    assert set(received) == set(clean_ids)
    assert booked(store_url) == Counter({"booked": 58})


def test_two_workers_and_two_clocks_at_once_send_each_email_once(
    client: redis.Redis, namespace: str, program: Program, store_url: str, tmp_path: Path
) -> None:
    config, env = program
    # the clocks act at the real time: the clean run to compare with does too
    folder, clean_env = demo(tmp_path / "clean")
    runtime = build_runtime(folder / "program.yaml", clean_env)
    run_cycle(runtime, datetime.now(UTC))
    runtime.store.close()
    clean = maildir_ids(folder)
    with smtp_server(int(env["SMTP_PORT"])) as recorder:
        clock_env = {**env, "TANDEM_REDIS_URL": REDIS_URL, "TANDEM_REDIS_NAMESPACE": namespace}
        processes = [worker_process(env, REDIS_URL, namespace) for _ in range(2)] + [
            subprocess.Popen(
                [sys.executable, "-m", "scheduler.cli.main", "clock", str(config)],
                cwd=ROOT,
                env=clock_env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
            for _ in range(2)
        ]
        try:
            until(lambda: len(message_ids(recorder.messages)) >= len(clean), "every email")
            until(lambda: _idle(client, namespace), "the queue to empty")
        finally:
            for process in processes:
                stop(process)
    received = message_ids(recorder.messages)
    assert max(received.values()) == 1
    assert set(received) == set(clean)
    assert booked(store_url) == Counter({"booked": 58})
    ticks = [key for key in client.scan_iter(f"{namespace}:tick:*")]
    assert ticks  # the clocks ticked; each tick key was set by one of them (SET NX)


def _idle(client: redis.Redis, namespace: str) -> bool:
    return client.hlen(f"{namespace}:{actors.QUEUE}.msgs") == 0


class PrivateRedis:
    """A redis-server of our own on a free port, without persistence: stopped, it starts again
    empty."""

    def __init__(self, server: str, folder: Path) -> None:
        port = free_port()
        self.url = f"redis://127.0.0.1:{port}/0"
        self.command = [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                        "--appendonly", "no", "--dir", str(folder)]  # fmt: skip
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(self.command, stdout=subprocess.DEVNULL)
        until(self.answers, "redis-server to start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=30)
            self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def answers(self) -> bool:
        try:
            return bool(redis.Redis.from_url(self.url).ping())
        except redis.ConnectionError:
            return False


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    server = shutil.which("redis-server")
    if server is None:
        if os.environ.get("CI"):
            pytest.fail("redis-server is not installed")
        pytest.skip("redis-server is not installed")
    running = PrivateRedis(server, tmp_path)
    running.start()
    yield running
    running.stop()


@pytest.mark.parametrize("moment", ["while sending", "just after a job took its lease"])
def test_redis_restarted_empty_mid_round_leaves_the_end_state_of_a_clean_run(
    private_redis: PrivateRedis,
    program: Program,
    store_url: str,
    clean_ids: Counter[str],
    monkeypatch: pytest.MonkeyPatch,
    moment: str,
) -> None:
    """Redis goes away and comes back empty: while emails go out, or at the worst moment for
    a job, between the lease it took in the database and its next word to Redis (the job's
    lease must not outlive the run: the next runs would find it taken for JOB_LEASE)."""
    config, env = program
    client = redis.Redis.from_url(private_redis.url)
    broker = quick_broker(private_redis.url, "tandem-test-restart")
    previous = actors.run_job.broker
    actors.use_broker(broker)
    gone = threading.Event()
    if moment != "while sending":
        real_take = leases.take_lease

        def take_then_lose_redis(s: Session, name: str, holder: str, *, ttl: timedelta) -> bool:
            taken = real_take(s, name, holder, ttl=ttl)
            if taken and name == "job:mail" and not gone.is_set():
                private_redis.stop()
                gone.set()
            return taken

        monkeypatch.setattr(leases, "take_lease", take_then_lose_redis)
    try:
        with smtp_server(int(env["SMTP_PORT"])) as recorder:
            actors.enqueue_round(config, NOW)
            worker = dramatiq.Worker(broker, worker_timeout=100, worker_threads=2)
            worker.start()
            try:
                if moment == "while sending":
                    until(lambda: len(recorder.messages) >= 10, "the round to be under way")
                    private_redis.restart()  # every message and mark is gone
                else:
                    until(gone.is_set, "the mail job to take its lease")
                    private_redis.start()
                actors.enqueue_round(config, NOW)  # the clock's next ticks
                until(lambda: len(message_ids(recorder.messages)) >= len(clean_ids), "every email")
                until(lambda: _idle(client, "tandem-test-restart"), "the queue to empty")
                worker.join()
            finally:
                worker.stop()
    finally:
        broker.close()
        actors.use_broker(previous)  # type: ignore[arg-type]
    received = message_ids(recorder.messages)
    assert max(received.values()) == 1
    assert set(received) == set(clean_ids)
    assert booked(store_url) == Counter({"booked": 58})


@pytest.mark.parametrize("store_url", ["postgres"], indirect=True)
@pytest.mark.parametrize("moment", ["while booking", "while sending"])
def test_the_database_unreachable_mid_round_leaves_the_end_state_of_a_clean_run(
    broker: RedisBroker,
    program: Program,
    store_url: str,
    clean_ids: Counter[str],
    monkeypatch: pytest.MonkeyPatch,
    moment: str,
) -> None:
    """PostgreSQL out of reach for a few seconds (every connection cut, new ones refused) in
    the middle of a round, then back: the messages that failed meanwhile are retried, and no
    lease or claim their runs held keeps the rest waiting."""
    config, env = program
    server = make_url(store_url)
    with cuttable_proxy(server.host or "127.0.0.1", server.port or 5432) as proxy:
        proxied = server.set(port=proxy.port).render_as_string(hide_password=False)
        monkeypatch.setenv("TANDEM_DATABASE_URL", proxied)  # what the workers' runtimes use
        with smtp_server(int(env["SMTP_PORT"])) as recorder:
            actors.enqueue_round(config, NOW)
            worker = dramatiq.Worker(broker, worker_timeout=100, worker_threads=2)
            worker.start()
            try:
                if moment == "while booking":
                    until(lambda: booked(store_url)["booked"] >= 10, "the bookings to be under way")
                else:
                    until(lambda: len(recorder.messages) >= 10, "the sending to be under way")
                proxy.cut()
                time.sleep(3)
                proxy.restore()
                until(lambda: len(message_ids(recorder.messages)) >= len(clean_ids), "every email")
                size = broker.do_qsize  # type: ignore[attr-defined]
                until(lambda: size(actors.QUEUE) == 0, "the queue and its retries to empty")
                worker.join()
            finally:
                worker.stop()
    received = message_ids(recorder.messages)
    assert max(received.values()) == 1
    assert set(received) == set(clean_ids)
    assert booked(store_url) == Counter({"booked": 58})


@pytest.mark.parametrize("store_url", ["postgres"], indirect=True)
def test_mail_the_server_took_is_settled_once_the_database_is_back(
    program: Program, store_url: str, clean_ids: Counter[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The worst moment for the database to go: the mail service has taken a batch, and its
    claims are still to be settled. The settling waits for the database; left undone, the
    claims would keep those mails from every sender until CLAIM_TTL."""
    from scheduler.steps.cycle import STEPS
    from scheduler.steps.send import send_mail
    from scheduler.store.models import Outbox

    config, env = program
    server = make_url(store_url)
    with (
        cuttable_proxy(server.host or "127.0.0.1", server.port or 5432) as proxy,
        smtp_server(int(env["SMTP_PORT"])) as recorder,
    ):
        proxied = server.set(port=proxy.port).render_as_string(hide_password=False)
        runtime = build_runtime(config, {**env, "TANDEM_DATABASE_URL": proxied})
        for title, step in STEPS:
            if title != "Sending mail":
                step(runtime, NOW)
        mailer = runtime.providers.mailer
        real_send = mailer.send

        def send_then_lose_the_database(mails: list[OutgoingMail]) -> list[SendResult]:
            results = real_send(mails)
            proxy.cut()
            threading.Timer(3.0, proxy.restore).start()
            return results

        monkeypatch.setattr(mailer, "send", send_then_lose_the_database)
        try:
            report = send_mail(runtime, NOW)
        finally:
            runtime.store.close()
    assert len(report.done) == len(clean_ids) and not report.problems
    engine = create_engine(store_url)
    with engine.connect() as connection:
        rows = connection.execute(select(Outbox.state, Outbox.claimed_by)).all()
    engine.dispose()
    assert Counter(state for state, _ in rows) == Counter({"sent": len(clean_ids)})
    assert not any(holder for _, holder in rows)
    received = message_ids(recorder.messages)
    assert max(received.values()) == 1 and set(received) == set(clean_ids)


def test_smtp_refusing_for_now_delays_mail_through_workers_without_doubling_it(
    broker: RedisBroker,
    client: redis.Redis,
    namespace: str,
    program: Program,
    store_url: str,
    clean_ids: Counter[str],
) -> None:
    from tests.integration.local.relay import Relay

    config, env = program
    relay = Relay("127.0.0.1", int(env["SMTP_PORT"]), data_replies=["451 4.3.0 Try later"] * 3)
    controller = Controller(relay, hostname=relay.host, port=relay.port)
    controller.start()
    try:
        actors.enqueue_round(config, NOW)
        finish(broker, client, namespace, threads=1)  # the first batch meets three 451s
        first = message_ids([r.content for r in relay.received])
        assert len(first) < len(clean_ids)  # and waits for its backoff
        actors.enqueue_job(config, "send", now=NOW + timedelta(hours=2))  # a later tick
        finish(broker, client, namespace)
    finally:
        controller.stop()
    received = message_ids([r.content for r in relay.received])
    assert max(received.values()) == 1
    assert set(received) == set(clean_ids)
    assert booked(store_url) == Counter({"booked": 58})


# The DATA and MAIL commands (counted from 1) that the relay answers by dropping the
# connection. The mailer gives a batch three tries: two drops never exhaust them, three in a
# row (one worker thread, so one batch at a time) do.
DROPS = {
    "retried within the batch": ({3}, {20}),
    "the batch gives up": ({1, 2, 3}, set()),
}


@pytest.mark.parametrize("drops", list(DROPS))
def test_smtp_connections_dropped_mid_send_through_workers_send_each_email_once(
    broker: RedisBroker,
    client: redis.Redis,
    namespace: str,
    program: Program,
    store_url: str,
    clean_ids: Counter[str],
    drops: str,
) -> None:
    """The relay drops the connection instead of answering some commands, accepting nothing
    on it: the mailer tries the batch again on a new connection, and a batch that gives up
    waits for its backoff (a later tick); no email goes twice, none is lost."""
    from tests.integration.local.relay import Relay

    config, env = program
    drop_data, drop_mail = DROPS[drops]
    relay = Relay("127.0.0.1", int(env["SMTP_PORT"]), drop_data=drop_data, drop_mail=drop_mail)
    controller = Controller(relay, hostname=relay.host, port=relay.port)
    controller.start()
    try:
        actors.enqueue_round(config, NOW)
        finish(broker, client, namespace, threads=1 if drops == "the batch gives up" else 2)
        first = message_ids([r.content for r in relay.received])
        if drops == "the batch gives up":
            assert len(first) < len(clean_ids)
            actors.enqueue_job(config, "send", now=NOW + timedelta(hours=2))  # a later tick
            finish(broker, client, namespace)
        else:
            assert set(first) == set(clean_ids)
    finally:
        controller.stop()
    assert relay.dropped == len(drop_data) + len(drop_mail)
    received = message_ids([r.content for r in relay.received])
    assert max(received.values()) == 1
    assert set(received) == set(clean_ids)
    assert booked(store_url) == Counter({"booked": 58})


def test_smtp_connections_dropped_mid_send_inline_send_each_email_once(
    program: Program, store_url: str, clean_ids: Counter[str]
) -> None:
    """The same relay under `tandem run` (the steps inline, one process)."""
    from tests.integration.local.relay import Relay

    config, env = program
    drop_data, drop_mail = DROPS["retried within the batch"]
    relay = Relay("127.0.0.1", int(env["SMTP_PORT"]), drop_data=drop_data, drop_mail=drop_mail)
    controller = Controller(relay, hostname=relay.host, port=relay.port)
    controller.start()
    runtime = build_runtime(config, env)
    try:
        run_cycle(runtime, NOW)
    finally:
        runtime.store.close()
        controller.stop()
    assert relay.dropped == len(drop_data) + len(drop_mail)
    received = message_ids([r.content for r in relay.received])
    assert max(received.values()) == 1
    assert set(received) == set(clean_ids)
    assert booked(store_url) == Counter({"booked": 58})
