"""The dramatiq side: the actors the workers run and the small Redis marks that keep the
queue from filling with copies of the same work.

- `run_job(config, job, now, tick)` runs one job of scheduler.workers.jobs (a few steps of
  the cycle); `book` and `send` fan out instead, and `meetings` and `mail` send their steps
  for each pair out in batches.
- `book_pairs(config, pair_ids, now)` books and cancels the meetings of up to PAIR_BATCH
  pairs, each under a lease named for the pair, so a second copy of the message waits for
  nothing and books nothing.
- `send_batch(config, outbox_ids, now)` sends those emails; the outbox's claims make each go
  once, however many workers hold a copy.
- `plan_pairs(config, pair_ids, now)` and `write_pair_mail(config, pair_ids, now)` find slots
  for, and write the launch kits and notices of, up to PAIR_BATCH pairs; each meeting and email
  is recorded once by its key, whichever copy writes it.

Messages take ids (the program file's path, a pair id, outbox ids, an ISO moment), never
objects, because a message may run twice or on another machine. The runtime is built once
per worker thread (scheduler.workers.runtimes); the schema is upgraded by `tandem migrate`,
never by a message. The broker is set here, before the actors are declared, from
TANDEM_REDIS_URL and TANDEM_REDIS_NAMESPACE; `tandem worker` runs dramatiq on this module.
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import dramatiq
import redis
from dramatiq.brokers.redis import RedisBroker

from scheduler.errors import UserError
from scheduler.settings import redis_url
from scheduler.workers.jobs import JOB_STEPS, JOBS, PAIRING_STEP, PER_PAIRS, THEN, steps_of
from scheduler.workers.queues import namespace_of

if TYPE_CHECKING:
    from scheduler.runtime import Runtime

log = logging.getLogger(__name__)
log.setLevel(logging.INFO)  # a line per job, pair and batch, with ids and times only

QUEUE = "tandem"
SEND_BATCH = 50
PAIR_BATCH = 25  # pairs a planning, booking or mail message takes
MARK_TTL = timedelta(hours=1)  # a mark outlives its message only when the message is lost
BOOK_LEASE = timedelta(minutes=15)  # as long as a booking message may run
JOB_LEASE = timedelta(minutes=10)  # a longer job may overlap a second run: safe, only slower
MINUTE = 60_000
# Every actor: 5 retries with backoff from 10 s to 10 minutes, then the dead letters; a user
# error (an old schema, a broken program file) goes there at once.
RETRIED: dict[str, Any] = {
    "max_retries": 5,
    "min_backoff": 10_000,
    "max_backoff": 10 * MINUTE,
    "throws": (UserError,),
}


def make_broker(url: str, namespace: str = "tandem", **options: int) -> RedisBroker:
    return RedisBroker(url=url, namespace=namespace, **options)  # type: ignore[no-untyped-call]


# Always this broker: dramatiq.get_broker() would otherwise make a default one of its own
# (a Redis on localhost, namespace "dramatiq"), which TANDEM_REDIS_URL would never reach.
dramatiq.set_broker(
    make_broker(redis_url(os.environ) or "redis://127.0.0.1:6379/0", namespace_of(os.environ))
)


def program_key(config: str | Path) -> str:
    """A short name for a program file, for Redis keys."""
    return hashlib.sha256(str(Path(config).resolve()).encode()).hexdigest()[:16]


def _redis() -> tuple[redis.Redis, str]:
    broker = run_job.broker
    assert isinstance(broker, RedisBroker)
    return broker.client, broker.namespace


def _moment(now: str | None) -> datetime:
    return datetime.fromisoformat(now) if now else datetime.now(UTC)


def _runtime(config: str) -> Runtime:
    """The cached runtime; a user error (an old schema, a broken program file) is logged as
    one line and ends the message without retries (it goes to the dead letters)."""
    from scheduler.workers.runtimes import runtime_for

    try:
        return runtime_for(config)
    except UserError as error:
        log.error("tandem worker: %s", error.for_the_user().splitlines()[0])
        raise


@dramatiq.actor(
    queue_name=QUEUE,
    time_limit=30 * MINUTE,
    **RETRIED,
)
def run_job(config: str, job: str, now: str | None = None, tick: str | None = None) -> None:
    """Run one job of the program at `config` (see scheduler.workers.jobs); each step is
    idempotent, so a retry or a second delivery does only what is left. One run of a job at a
    time: a run that finds another under way leaves a mark, and that one runs the job once
    more when it is done, so no work made meanwhile waits for the next tick. Done, a run
    records its tick (or moment) and hands on to the jobs it made work for."""
    from scheduler.store.leases import hold_lease, holder_name, let_go

    if job not in JOBS:
        raise UserError(f"unknown job {job!r}; the jobs are {', '.join(JOBS)}")
    client, namespace = _redis()
    client.delete(_soon_key(namespace, config, job))  # from now on, new work asks again
    rt = _runtime(config)
    holder, lease = holder_name(), f"job:{job}"
    again = _again_key(namespace, config, job)
    client.sadd(again, holder)  # before the lease: see after the release below
    client.pexpire(again, _ms(MARK_TTL))
    if not hold_lease(rt.store, lease, holder, ttl=JOB_LEASE):
        return  # its holder sees the mark and runs the job again
    moment, started = _moment(now), time.monotonic()
    try:  # from the lease on, whatever fails (Redis too) lets go of the lease
        client.srem(again, holder)
        if job == "book":
            _dispatch_bookings(rt, config, now)
        elif job == "send":
            _dispatch_sending(rt, config, now, moment)
        else:
            _check_first_run(rt, job, moment)
            for step in steps_of(job, directory_read=_directory_read(rt)):
                step(rt, moment)
            if job in PER_PAIRS:
                _dispatch_pairs(rt, config, job, now, moment)
    finally:
        let_go(rt.store, lease, holder)  # waits out a database out of reach for a moment
    # after the release: a run that found the lease taken had left its mark before it tried
    if client.scard(again):
        client.delete(again)
        hand_on(config, job, now)
    _record_tick(rt, job, tick or moment.isoformat())
    log.info("job %s done in %.2f s", job, time.monotonic() - started)
    for following in THEN[job]:
        hand_on(config, following, now)


def _check_first_run(rt: Runtime, job: str, moment: datetime) -> None:
    """`tandem run`'s first-run guard, for the job that pairs: an empty default store for a
    program whose start has passed is most likely the wrong store, and pairing everyone again
    would send every launch kit twice. The worker refuses in one log line (the message goes to
    the dead letters); `tandem run CONFIG --first-run` once, or a configured database, lets
    the workers go on."""
    from scheduler.steps.rounds import check_first_run

    if PAIRING_STEP not in JOB_STEPS[job]:
        return
    refusal = check_first_run(rt, moment, first_run=False)
    if refusal is not None:
        refusal += (
            " Workers never pair on such a store: run `tandem run CONFIG --first-run` once (or"
            " configure the database), and they go on from there."
        )
        log.error("tandem worker: %s", refusal)
        raise UserError(refusal)


@dramatiq.actor(
    queue_name=QUEUE,
    time_limit=15 * MINUTE,
    **RETRIED,
)
def book_pairs(config: str, pair_ids: list[str], now: str | None = None) -> None:
    """Book and cancel the meetings of up to PAIR_BATCH pairs, each under a lease named for
    the pair: a pair whose lease another message holds (a copy of this one, or a later batch
    that took it up) is left to its holder. The last batch of a dispatch hands on to `mail`
    (the launch kits and notices wait for the bookings)."""
    from scheduler.steps.book import book_meetings
    from scheduler.store.leases import hold_lease, holder_name, let_go

    client, namespace = _redis()
    if pair_ids:
        client.delete(*(_mark_key(namespace, config, "book", pair_id) for pair_id in pair_ids))
    rt = _runtime(config)
    holder = holder_name()
    held: list[str] = []
    try:
        for pair_id in pair_ids:
            if hold_lease(rt.store, f"book:{pair_id}", holder, ttl=BOOK_LEASE):
                held.append(pair_id)
        if held:
            started = time.monotonic()
            report = book_meetings(rt, _moment(now), pair_ids=held)
            log.info(
                "book batch of %d pair(s): %d booked or cancelled, %d problem(s), in %.2f s",
                len(held), len(report.done), len(report.problems), time.monotonic() - started,
            )  # fmt: skip
    finally:
        for pair_id in held:
            let_go(rt.store, f"book:{pair_id}", holder)
    booking = _booking_key(namespace, config)
    if pair_ids:
        client.srem(booking, *pair_ids)
    if not client.scard(booking):
        hand_on(config, "mail", now)


@dramatiq.actor(
    queue_name=QUEUE,
    time_limit=15 * MINUTE,
    **RETRIED,
)
def send_batch(config: str, outbox_ids: list[int], now: str | None = None) -> None:
    """Send these emails (an empty list: only take over the claims of a sender that is gone);
    a mail claimed by another sender, or sent already, is left alone."""
    from scheduler.steps.send import send_mail

    client, namespace = _redis()
    items = [str(i) for i in outbox_ids] or ["recover"]
    client.delete(*(_mark_key(namespace, config, "send", item) for item in items))
    rt = _runtime(config)
    started = time.monotonic()
    report = send_mail(rt, _moment(now), outbox_ids=outbox_ids)
    log.info(
        "batch of %d: %d sent, %d problem(s), in %.2f s",
        len(outbox_ids), len(report.done), len(report.problems), time.monotonic() - started,
    )  # fmt: skip


# Planning, launch kits and notices for a batch of pairs: `meetings` and `mail` send these
# after the steps they run themselves (scheduler.workers.jobs.PER_PAIRS).


@dramatiq.actor(
    queue_name=QUEUE,
    time_limit=15 * MINUTE,
    **RETRIED,
)
def plan_pairs(config: str, pair_ids: list[str], now: str | None = None) -> None:
    """Find slots for the due meetings of these pairs (one calendar call for their busy
    times); a meeting that another copy of this message recorded first is left as it is (each
    meeting is inserted or ignored, under its pair's lock). The last batch of a dispatch hands
    on to `book`: a pair is planned before it is booked."""
    _run_pairs(config, "meetings", pair_ids, now)


@dramatiq.actor(
    queue_name=QUEUE,
    time_limit=15 * MINUTE,
    **RETRIED,
)
def write_pair_mail(config: str, pair_ids: list[str], now: str | None = None) -> None:
    """Write the launch kits and notices these pairs are owed; each email is queued once by
    its key, whichever copy of this message writes it. The last batch of a dispatch hands on
    to `send`."""
    _run_pairs(config, "mail", pair_ids, now)


def _run_pairs(config: str, job: str, pair_ids: list[str], now: str | None) -> None:
    """The per-pair steps of `job` for these pairs; then, if no other pair of the dispatch is
    left, hand on to the next job."""
    per_pairs = PER_PAIRS[job]
    client, namespace = _redis()
    marks = [_mark_key(namespace, config, per_pairs.kind, pair_id) for pair_id in pair_ids]
    if marks:
        client.delete(*marks)  # from now on, a dispatch may send these pairs again
    rt = _runtime(config)
    moment, started = _moment(now), time.monotonic()
    done = problems = 0
    for _, step in per_pairs.steps:
        report = step(rt, moment, pair_ids=pair_ids)
        done, problems = done + len(report.done), problems + len(report.problems)
    log.info(
        "%s batch of %d pair(s): %d done, %d problem(s), in %.2f s",
        per_pairs.kind, len(pair_ids), done, problems, time.monotonic() - started,
    )  # fmt: skip
    pending = _pending_key(namespace, config, per_pairs.kind)
    if pair_ids:
        client.srem(pending, *pair_ids)
    if not client.scard(pending):
        hand_on(config, per_pairs.then, now)


ACTORS: tuple[dramatiq.Actor[..., None], ...] = (
    run_job,
    book_pairs,
    send_batch,
    plan_pairs,
    write_pair_mail,
)


def use_broker(broker: RedisBroker) -> None:
    """Send and run the actors through `broker` (tests: a namespace of their own)."""
    dramatiq.set_broker(broker)
    for actor in ACTORS:
        actor.broker = broker
        broker.declare_actor(actor)


def hand_on(config: str | Path, job: str, now: str | None = None) -> bool:
    """Enqueue `job` now, unless a copy is already waiting to start; True if we did. The job
    clears its mark when it starts, so work made while it runs asks for one more run."""
    client, namespace = _redis()
    if not client.set(_soon_key(namespace, config, job), 1, nx=True, px=_ms(MARK_TTL)):
        return False
    run_job.send(str(Path(config).resolve()), job, now)
    return True


def enqueue_job(
    config: Path, job: str, *, now: datetime | None = None, tick: str | None = None
) -> None:
    """One run of `job` (the clock's tick, or a test's), whatever is waiting already."""
    run_job.send(str(config.resolve()), job, now.isoformat() if now else None, tick)


def enqueue_round(config: Path, now: datetime | None = None) -> None:
    """What a whole cycle starts with: the directory and inbox (each hands on to the rest),
    and the jobs that nothing else hands on to."""
    for job in ("directory", "calendar", "inbox", "digest"):
        enqueue_job(config, job, now=now)


def _dispatch_bookings(rt: Runtime, config: str, now: str | None) -> None:
    """One `book_pairs` message per PAIR_BATCH pairs with meetings to book or cancel, leaving
    out the pairs that wait in a message already."""
    from sqlalchemy import select

    from scheduler.store.models import Meeting

    with rt.store.session() as s:
        pair_ids = list(
            s.scalars(
                select(Meeting.pair_id)
                .where((Meeting.state == "planned") | (Meeting.calendar_pending == "cancel"))
                .distinct()
                .order_by(Meeting.pair_id)
            )
        )
    fresh = _mark(config, "book", pair_ids)
    if not fresh:
        hand_on(config, "mail", now)  # notices may be owed with nothing to book
        return
    client, namespace = _redis()
    booking = _booking_key(namespace, config)  # the pairs still to book, before any is sent
    client.sadd(booking, *fresh)
    client.pexpire(booking, _ms(MARK_TTL))
    for start in range(0, len(fresh), PAIR_BATCH):
        book_pairs.send(config, fresh[start : start + PAIR_BATCH], now)


def _dispatch_sending(rt: Runtime, config: str, now: str | None, moment: datetime) -> None:
    """One `send_batch` message per SEND_BATCH due emails not already in a waiting batch;
    and one empty batch to take over claims when a sender may have died mid-send."""
    from sqlalchemy import select

    from scheduler.store import mail_queue
    from scheduler.store.models import Outbox

    with rt.store.session() as s:
        due = mail_queue.due_mail_ids(s, now=moment)
        sending = s.scalar(select(Outbox.id).where(Outbox.state == "sending").limit(1))
    fresh = [int(i) for i in _mark(config, "send", [str(i) for i in due])]
    for start in range(0, len(fresh), SEND_BATCH):
        send_batch.send(config, fresh[start : start + SEND_BATCH], now)
    if sending is not None and _mark(config, "send", ["recover"]):
        send_batch.send(config, [], now)


def _dispatch_pairs(rt: Runtime, config: str, job: str, now: str | None, moment: datetime) -> None:
    """One message per PAIR_BATCH pairs with work for the per-pair steps of `job`, leaving
    out the pairs that wait in a message already; with none sent, hand on at once (the next
    job may have work of its own, such as a move to book)."""
    per_pairs = PER_PAIRS[job]
    fresh = _mark(config, per_pairs.kind, per_pairs.pairs(rt, moment))
    if not fresh:
        hand_on(config, per_pairs.then, now)
        return
    client, namespace = _redis()
    pending = _pending_key(namespace, config, per_pairs.kind)  # before any batch is sent
    client.sadd(pending, *fresh)
    client.pexpire(pending, _ms(MARK_TTL))
    batch = plan_pairs if job == "meetings" else write_pair_mail
    for start in range(0, len(fresh), PAIR_BATCH):
        batch.send(config, fresh[start : start + PAIR_BATCH], now)


def _directory_read(rt: Runtime) -> bool:
    """Whether anyone is in the store yet (the directory job hands on when it has read)."""
    from sqlalchemy import select

    from scheduler.store.models import Person

    with rt.store.session() as s:
        return s.scalar(select(Person.email).limit(1)) is not None


def _record_tick(rt: Runtime, job: str, tick: str) -> None:
    """The last tick (or moment) each job completed, for `tandem status`."""
    from scheduler.store import ops as store_ops

    with rt.store.session() as s:
        store_ops.set_cursor(s, f"tick:{job}", tick)


def _mark(config: str, kind: str, ids: Sequence[str]) -> list[str]:
    """The ids not already marked as waiting in a message of `kind`, marked now."""
    if not ids:
        return []
    client, namespace = _redis()
    pipe = client.pipeline(transaction=False)
    for item in ids:
        pipe.set(_mark_key(namespace, config, kind, item), 1, nx=True, px=_ms(MARK_TTL))
    return [item for item, fresh in zip(ids, pipe.execute(), strict=True) if fresh]


def _mark_key(namespace: str, config: str | Path, kind: str, item: str) -> str:
    return f"{namespace}:mark:{program_key(config)}:{kind}:{item}"


def _booking_key(namespace: str, config: str | Path) -> str:
    return f"{namespace}:booking:{program_key(config)}"


def _pending_key(namespace: str, config: str | Path, kind: str) -> str:
    """The pairs of the dispatches of `kind` whose batch has not finished yet."""
    return f"{namespace}:pending:{program_key(config)}:{kind}"


def _again_key(namespace: str, config: str | Path, job: str) -> str:
    return f"{namespace}:again:{program_key(config)}:{job}"


def _soon_key(namespace: str, config: str | Path, job: str) -> str:
    return f"{namespace}:soon:{program_key(config)}:{job}"


def _ms(span: timedelta) -> int:
    return int(span.total_seconds() * 1000)
