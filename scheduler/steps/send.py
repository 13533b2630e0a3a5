"""Sending the outbox exactly once: a row is claimed before the send and settled after it,
each recipient on its own. A row left claimed by a sender that is gone is looked up in the
mailbox by its Message-ID before any retry."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from scheduler.faults import crash_point
from scheduler.ports import OutgoingMail, ProviderError, SendResult
from scheduler.render.labels import mail_label
from scheduler.runtime import Report, Runtime
from scheduler.store import ops as store_ops
from scheduler.store.leases import holder_name, is_dead, wall_clock
from scheduler.store.models import Outbox, Store


def send_mail(rt: Runtime, now: datetime) -> Report:
    """Send what is due, in batches: claim, send, settle each recipient. Claims belong to this
    process, renewed by a heartbeat while the mail service works; only the claims of a sender
    that is gone are taken over, and each of those is looked up by Message-ID first. A batch
    the mail service could not take at all waits for its backoff, and so does the rest."""
    report = Report("send")
    holder = holder_name()
    _recover(rt, now, holder, report)
    while True:
        with rt.store.session() as s:
            rows = store_ops.claim_due_mail(
                s, now=now, holder=holder, expires=wall_clock() + CLAIM_TTL, limit=BATCH
            )
            mails = {row.id: _outgoing(row) for row in rows}
        if not mails:
            return report
        crash_point("claimed")
        failure: ProviderError | None = None
        with heartbeat(rt.store, holder):
            try:
                results = rt.providers.mailer.send(list(mails.values()))
            except ProviderError as exc:
                failure = exc
                results = _found(rt, list(mails.values()))
        _settle(rt, mails, results, failure, now, report)
        if failure is not None:
            return report  # the service may be down: the rest waits for its backoff


BATCH = 50
CLAIM_TTL = timedelta(minutes=5)


@contextmanager
def heartbeat(store: Store, holder: str) -> Iterator[None]:
    """Keep `holder`'s claims alive while a slow mail service works, so that no other sender
    takes them over; a process that freezes for longer than CLAIM_TTL loses them."""
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(CLAIM_TTL.total_seconds() / 3):
            with store.session() as s:
                store_ops.renew_claims(s, holder, expires=wall_clock() + CLAIM_TTL)

    beating = threading.Thread(target=beat, name="tandem-heartbeat", daemon=True)
    beating.start()
    try:
        yield
    finally:
        stop.set()
        beating.join()


def _outgoing(row: Outbox) -> OutgoingMail:
    return OutgoingMail(row.key, row.message_id, row.raw, store_ops.owed_recipients(row))


def _found(rt: Runtime, mails: list[OutgoingMail]) -> list[SendResult]:
    """After a failed batch, what went out all the same; unknown when even that fails."""
    try:
        reached = rt.providers.mailer.sent_to(mails)
    except ProviderError:
        reached = {}
    return [SendResult(m.message_id, reached.get(m.message_id, frozenset())) for m in mails]


def _settle(
    rt: Runtime,
    mails: dict[int, OutgoingMail],
    results: list[SendResult],
    failure: ProviderError | None,
    now: datetime,
    report: Report,
) -> None:
    """Record each recipient's fate; the recipients still owed a mail wait for its backoff.
    After a failed batch, its error goes with every mail that did not go out."""
    by_id = {result.message_id: result for result in results}
    with rt.store.session() as s:
        for outbox_id, mail in mails.items():
            result = by_id[mail.message_id]
            deferred = "; ".join(f"{who}: {why}" for who, why in result.deferred.items())
            error = str(failure) if failure else deferred
            if result.delivered:
                crash_point("sent")
            row = store_ops.settle_mail(
                s,
                outbox_id,
                delivered=result.delivered,
                refused=result.refused,
                error=error or None,
                now=now,
            )
            label = mail_label(mail.key, mail.raw)
            if row.state == "sent":
                report.done.append(f"Sent: {label}")
            if result.refused:
                refused = "; ".join(f"{who}: {why}" for who, why in result.refused.items())
                report.problems.append(f"{label}: refused by {refused}")
            elif result.deferred and failure is None:
                report.problems.append(f"{label}: will try again: {error}")
        if failure is not None:
            report.problems.append(f"sending stopped until the next try: {failure}")


def _recover(rt: Runtime, now: datetime, holder: str, report: Report) -> None:
    """Take over the claims of senders that are gone; mail they sent is settled as sent,
    the rest goes back to wait, due at once."""
    with rt.store.session() as s:
        abandoned = [
            (row.id, row.claimed_by)
            for row in store_ops.abandoned_claims(s, wall_now=wall_clock(), is_dead=is_dead)
        ]
        mine = {}
        for outbox_id, old in abandoned:
            if store_ops.take_over_claim(
                s, outbox_id, old_holder=old, holder=holder, expires=wall_clock() + CLAIM_TTL
            ):
                mine[outbox_id] = _outgoing(s.get_one(Outbox, outbox_id))
    if not mine:
        return
    with heartbeat(rt.store, holder):
        results = _found(rt, list(mine.values()))
    with rt.store.session() as s:
        for (outbox_id, mail), result in zip(mine.items(), results, strict=True):
            row = store_ops.settle_mail(
                s,
                outbox_id,
                delivered=result.delivered,
                refused={},
                error="interrupted send",
                now=now,
                backoff=lambda _: timedelta(0),
            )
            if row.state == "sent":
                label = mail_label(mail.key, mail.raw)
                report.done.append(
                    f"Sent: {label} (found in the mailbox after an interrupted send)"
                )
