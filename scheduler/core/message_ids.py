"""Message-IDs fixed by a key, for the core and for providers that build mail of their own."""

from __future__ import annotations

import hashlib


def make_message_id(key: str, domain: str) -> str:
    """A Message-ID fixed by the outbox key, so that a rebuilt message keeps its id and a send
    that may have happened can be found in the mailbox before it is retried."""
    if not domain or any(c.isspace() or c in "<>@" for c in domain):
        raise ValueError(f"{domain!r} is not a domain for a Message-ID")
    return f"<tandem.{hashlib.sha256(key.encode()).hexdigest()[:24]}@{domain.lower()}>"
