"""The one way a step puts an email in the outbox: built by scheduler.render.messages.compose
(or by a provider, for its invitations), keyed so that it is queued once whatever happens."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from scheduler.ports import OutgoingMail
from scheduler.render.messages import MeetingView, pair_context, pair_mail
from scheduler.replies.address import reply_address
from scheduler.runtime import Runtime
from scheduler.steps.queries import pair_peers, upcoming
from scheduler.store import mail_queue
from scheduler.store.models import Pair


def queue(s: Session, mail: OutgoingMail, *, pair_id: str | None, now: datetime) -> bool:
    """Put a built mail in the outbox unless one with its key is there; True if it is new."""
    return mail_queue.enqueue_mail(
        s,
        key=mail.key,
        message_id=mail.message_id,
        kind=mail.kind,
        pair_id=pair_id,
        recipients=mail.recipients,
        subject=mail.subject,
        raw=mail.raw,
        now=now,
    )


def queue_pair_mail(
    rt: Runtime,
    s: Session,
    pair: Pair,
    kind: str,
    key: str,
    extra: dict[str, object],
    now: datetime,
    *,
    only: str | None = None,
) -> bool:
    """Send `kind` to the pair (or to the one peer `only` names, as the recipient), with its
    upcoming booked meetings listed; once per key."""
    peers = pair_peers(s, pair.id)
    views = [
        MeetingView(m.number, m.starts_at, m.join_url, m.odd_minutes)
        for m in upcoming(s, pair, now)
        if m.state in ("booked", "moved") and m.starts_at is not None
    ]
    context = pair_context(rt.program, pair.id, peers, views, rt.secret, pair.start_date)
    context.update(extra)
    readers = peers
    if only is not None:
        readers = [p for p in peers if p.email == only]
        shown = context["peers"]
        assert isinstance(shown, list)
        context["recipient"] = next(p for p in shown if p["email"] == only)
    mail = pair_mail(
        rt.kits,
        rt.program,
        kind=kind,
        key=key,
        context=context,
        peers=readers,
        now=now,
        reply_to=reply_address(rt.program.provider.mailbox, pair.id, rt.secret),
    )
    return queue(s, mail, pair_id=pair.id, now=now)
