"""What a reply to the program mailbox says about itself, before anyone acts on it: the tag
of the reply address it was sent to (a pair's or a person's), the emails of Tandem's it
answers (by In-Reply-To and References), which authentication results are trusted, and how
its outcome is recorded. Shared by the replies about a pair and about taking part."""

from __future__ import annotations

from email.message import EmailMessage

from sqlalchemy import select
from sqlalchemy.orm import Session

from scheduler.replies.address import tag_from_address
from scheduler.replies.mail_checks import authentication_passes, recipient_addresses
from scheduler.runtime import Runtime
from scheduler.store.models import Inbound, Outbox


def addressed_tag(rt: Runtime, message: EmailMessage) -> str | None:
    """The tag of the first signed reply address of the program's mailbox among the
    message's recipients: a pair's id or a person's tag (replies.address tells which)."""
    mailbox = rt.program.provider.mailbox
    for address in recipient_addresses(message):
        tag = tag_from_address(address, mailbox, rt.secret)
        if tag is not None:
            return tag
    return None


def thread_mails(s: Session, message: EmailMessage) -> list[tuple[str, str | None]]:
    """The outbox key and pair id of each email of Tandem's that the message answers."""
    thread = " ".join(str(message.get(h) or "") for h in ("In-Reply-To", "References")).split()
    if not thread:
        return []
    rows = s.execute(select(Outbox.key, Outbox.pair_id).where(Outbox.message_id.in_(thread)))
    return [(key, pair_id) for key, pair_id in rows]


AUTHENTICATION_FAILED = "Authentication-Results: neither DMARC nor aligned DKIM passed"


def authentication_fails(rt: Runtime, message: EmailMessage) -> bool:
    """True when a trusted Authentication-Results header (from the mailbox's own domain, its
    MX or Google's) says neither DMARC nor aligned DKIM passed; no such header is no failure."""
    domain = rt.program.provider.mailbox.rpartition("@")[2].lower()
    trusted = {domain, f"mx.{domain}", "mx.google.com"}
    return authentication_passes(message, trusted_authserv_ids=trusted) is False


def record_outcome(logged: Inbound, outcome: str, detail: str) -> None:
    logged.outcome, logged.detail = outcome, detail  # type: ignore[assignment]
