"""Planning, launch kits and notices fan out in messages of pair ids (`plan_pairs`,
`write_pair_mail`): two workers share a round and end as the inline run does (the same
meetings, the same Message-IDs, each received once), and a batch message delivered twice
does its work once, whether the copies run together or one after the other."""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import dramatiq
import pytest
from aiosmtpd.controller import Controller
from dramatiq.brokers.redis import RedisBroker
from sqlalchemy import create_engine, func, select

from scheduler.bootstrap import build_runtime
from scheduler.steps import plan
from scheduler.steps.cycle import run_cycle
from scheduler.store.models import Meeting, Outbox, Pair
from scheduler.workers import actors
from tests.e2e.test_run_crashes import Recorder, demo, message_ids
from tests.integration.workers.conftest import NOW, captured_sends

Program = tuple[Path, dict[str, str]]
MeetingRow = tuple[str, int, int, str, datetime | None, datetime | None, str, int]
EndState = tuple[set[MeetingRow], dict[str, dict[str, int]]]


def end_state(url: str) -> EndState:
    """Every meeting (pair, number, attempt, state, times, uid, sequence) and each pair's
    ledger of odd minutes (a plan recorded twice would add its minutes twice)."""
    engine = create_engine(url)
    with engine.connect() as connection:
        meetings = {
            (row.pair_id, row.number, row.attempt, row.state, row.starts_at, row.ends_at,
             row.uid, row.sequence)
            for row in connection.execute(select(Meeting))
        }  # fmt: skip
        ledgers = {row.id: dict(row.odd_minutes) for row in connection.execute(select(Pair))}
    engine.dispose()
    return meetings, ledgers


def launch_kits(url: str) -> int:
    engine = create_engine(url)
    with engine.connect() as connection:
        count = connection.scalar(
            select(func.count()).select_from(Outbox).where(Outbox.kind == "launch_kit")
        )
    engine.dispose()
    return int(count or 0)


@pytest.fixture(scope="module")
def inline_end(tmp_path_factory: pytest.TempPathFactory) -> EndState:
    """The end state of one inline `tandem run` of the demo at NOW."""
    folder, env = demo(tmp_path_factory.mktemp("inline"))
    runtime = build_runtime(folder / "program.yaml", env)
    run_cycle(runtime, NOW)
    runtime.store.close()
    state = end_state(env["TANDEM_DATABASE_URL"])
    assert len(state[0]) == 58 and {row[3] for row in state[0]} == {"booked"}
    return state


@contextmanager
def smtp_server(env: dict[str, str]) -> Iterator[Recorder]:
    recorder = Recorder()
    controller = Controller(recorder, hostname="127.0.0.1", port=int(env["SMTP_PORT"]))
    controller.start()
    try:
        yield recorder
    finally:
        controller.stop()


def two_workers(broker: RedisBroker) -> None:
    """Two workers of one thread each, until the queue is empty."""
    workers = [dramatiq.Worker(broker, worker_timeout=100, worker_threads=1) for _ in range(2)]
    for worker in workers:
        worker.start()
    try:
        broker.join(actors.QUEUE, timeout=240_000)  # type: ignore[attr-defined]
        for worker in workers:
            worker.join()
    finally:
        for worker in workers:
            worker.stop()


def batches(caplog: pytest.LogCaptureFixture, kind: str) -> list[tuple[int, int]]:
    """(pairs, done) of each batch of `kind` the workers logged."""
    return [
        (int(r.args[1]), int(r.args[2]))  # type: ignore[index]
        for r in caplog.records
        if r.name == "scheduler.workers.actors"
        and r.msg.startswith("%s batch of")
        and r.args[0] == kind  # type: ignore[index]
    ]


def a_round(
    broker: RedisBroker, program: Program, caplog: pytest.LogCaptureFixture
) -> Counter[str]:
    config, env = program
    with (
        caplog.at_level(logging.INFO, logger="scheduler.workers.actors"),
        smtp_server(env) as recorder,
    ):
        actors.enqueue_round(config, NOW)
        two_workers(broker)
    return message_ids(recorder.messages)


def test_two_workers_share_planning_and_kits_in_batches_and_end_as_the_inline_run(
    broker: RedisBroker,
    program: Program,
    store_url: str,
    caplog: pytest.LogCaptureFixture,
    clean_ids: Counter[str],
    inline_end: EndState,
) -> None:
    received = a_round(broker, program, caplog)
    # (the meetings job may run twice in a round, and send again a batch already started:
    # that copy finds nothing left to do)
    plans, mails = batches(caplog, "plan"), batches(caplog, "mail")
    assert len(plans) >= 2 and max(pairs for pairs, _ in plans) == 25
    assert all(done <= 2 * pairs for pairs, done in plans)  # a batch plans its pairs only
    assert sum(done for _, done in plans) == 58  # 29 pairs, 2 meetings each
    assert len(mails) >= 2 and max(pairs for pairs, _ in mails) == 25
    assert all(done <= pairs for pairs, done in mails)
    assert sum(done for _, done in mails) == 29  # a launch kit per pair
    assert end_state(store_url) == inline_end
    assert set(received) == set(clean_ids) and max(received.values()) == 1


def sent_twice(monkeypatch: pytest.MonkeyPatch, actor: dramatiq.Actor[..., None]) -> None:
    """Every message of `actor` goes into the queue twice (as a redelivery would)."""
    send: Callable[..., Any] = actor.send

    def twice(*args: object) -> None:
        send(*args)
        send(*args)

    monkeypatch.setattr(actor, "send", twice)


def test_batch_messages_delivered_twice_do_their_work_once(
    broker: RedisBroker,
    program: Program,
    store_url: str,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    clean_ids: Counter[str],
    inline_end: EndState,
) -> None:
    sent_twice(monkeypatch, actors.plan_pairs)
    sent_twice(monkeypatch, actors.write_pair_mail)
    received = a_round(broker, program, caplog)
    plans, mails = batches(caplog, "plan"), batches(caplog, "mail")
    assert len(plans) >= 4 and sum(done for _, done in plans) == 58  # each meeting once
    assert len(mails) >= 4 and sum(done for _, done in mails) == 29  # each kit once
    assert end_state(store_url) == inline_end
    assert set(received) == set(clean_ids) and max(received.values()) == 1


def test_two_copies_of_a_planning_batch_at_once_record_each_meeting_once(
    broker: RedisBroker,
    program: Program,
    store_url: str,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    inline_end: EndState,
) -> None:
    config, _ = program
    sent: list[tuple[Any, ...]] = []
    monkeypatch.setattr(actors.plan_pairs, "send", lambda *args: sent.append(args))
    moment = NOW.isoformat()
    for job in ("directory", "meetings"):
        actors.run_job.fn(str(config), job, moment)
    both_read = threading.Barrier(2, timeout=30)
    real_busy_of = plan.busy_of

    def busy_of(*args: Any) -> Any:
        both_read.wait()  # both copies have read what is due before either records a plan
        return real_busy_of(*args)

    monkeypatch.setattr(plan, "busy_of", busy_of)
    with caplog.at_level(logging.INFO, logger="scheduler.workers.actors"):
        copies = [threading.Thread(target=actors.plan_pairs.fn, args=sent[0]) for _ in range(2)]
        for copy in copies:
            copy.start()
        for copy in copies:
            copy.join()
    assert sorted(batches(caplog, "plan")) == [(25, 0), (25, 50)]
    batch = set(sent[0][1])
    meetings, ledgers = end_state(store_url)
    assert {row[:3] + row[4:] for row in meetings} == {
        row[:3] + row[4:] for row in inline_end[0] if row[0] in batch
    }  # each meeting once, planned where the inline run booked it
    assert {pair: ledgers[pair] for pair in batch} == {pair: inline_end[1][pair] for pair in batch}


def test_a_batch_run_again_after_it_finished_changes_nothing(
    broker: RedisBroker, program: Program, store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    config, _ = program
    sent = captured_sends(monkeypatch, actors.plan_pairs, actors.write_pair_mail, actors.book_pairs)
    moment = NOW.isoformat()
    for job in ("directory", "meetings"):
        actors.run_job.fn(str(config), job, moment)
    plans = [args for name, args in sent if name == "plan_pairs"]
    for args in plans:
        actors.plan_pairs.fn(*args)
    planned = end_state(store_url)
    assert len(planned[0]) == 58
    for args in plans:  # a second delivery, once the first is done
        actors.plan_pairs.fn(*args)
    assert end_state(store_url) == planned

    actors.run_job.fn(str(config), "book", moment)
    for args in [args for name, args in sent if name == "book_pairs"]:
        actors.book_pairs.fn(*args)
    actors.run_job.fn(str(config), "mail", moment)
    mails = [args for name, args in sent if name == "write_pair_mail"]
    assert [len(args[1]) for args in mails] == [25, 4]
    for args in mails + mails:
        actors.write_pair_mail.fn(*args)
    assert launch_kits(store_url) == 29
