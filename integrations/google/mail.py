"""Mail sent through the Gmail API as the program's mailbox (messages.send, batched).

Exactly once: Gmail keeps the Message-ID Tandem fixed for each mail, so a mail that may have
gone out (a 5xx, no answer, a claim left by a dead sender) is first looked for with an
`rfc822msgid:` search of the mailbox, and sent again only when it is not there; a mail this
mailer sent is never sent again by it. Gmail takes or refuses a message as a whole: a refusal
(a 400) refuses every recipient with Google's reason; its daily sending limit (a 429 saying
when) defers every recipient to a later cycle. `daily_limit` lets the core pace a launch.
"""

from __future__ import annotations

import base64
import email.utils
import logging
from collections.abc import Sequence
from email import message_from_bytes, policy
from typing import Any

from integrations.google.auth import GMAIL_READ, GMAIL_SEND, GoogleAccess
from integrations.google.batch import run_batch
from integrations.google.retry import Failure, provider_error
from scheduler.ports import OutgoingMail, SendResult

log = logging.getLogger(__name__)


class GmailMailer:
    """The Mailer port on Gmail."""

    per_minute: int | None = None

    def __init__(self, access: GoogleAccess, mailbox: str, *, daily_limit: int = 2000) -> None:
        self.access = access
        self.mailbox = mailbox
        self.daily_limit = daily_limit
        self._sent: dict[str, frozenset[str]] = {}

    def send(self, mails: Sequence[OutgoingMail]) -> list[SendResult]:
        waiting = {m.key: m for m in mails if m.message_id not in self._sent}
        answers: dict[str, Any] = {}
        if waiting:
            service = self.access.service("gmail", self.mailbox, [GMAIL_SEND])
            requests = {
                key: (
                    lambda mail=mail: (
                        service.users().messages().send(userId="me", body={"raw": _encoded(mail)})
                    )
                )
                for key, mail in waiting.items()
            }

            def settled(keys: list[str]) -> dict[str, Any]:
                found = self.sent_to([waiting[key] for key in keys])
                return {k: {"found": True} for k in keys if waiting[k].message_id in found}

            answers = run_batch(self.access, "gmail", requests, "sending mail", settled=settled)
        results = []
        for mail in mails:
            if mail.message_id in self._sent:
                results.append(SendResult(mail.message_id, self._sent[mail.message_id]))
                continue
            answer = answers[mail.key]
            if isinstance(answer, Failure):
                results.append(_failed(mail, answer))
                continue
            delivered = frozenset(mail.recipients)
            self._sent[mail.message_id] = delivered
            results.append(SendResult(mail.message_id, delivered))
        return results

    def sent_to(self, mails: Sequence[OutgoingMail]) -> dict[str, frozenset[str]]:
        """Mails the mailbox holds by their Message-ID (its SENT copy): Gmail sends a
        message to all its recipients or to none."""
        if not mails:
            return {}
        service = self.access.service("gmail", self.mailbox, [GMAIL_READ])
        requests = {
            str(number): (
                lambda mail=mail: (
                    service.users()
                    .messages()
                    .list(userId="me", q=f"rfc822msgid:{_bare(mail.message_id)}", maxResults=1)
                )
            )
            for number, mail in enumerate(mails)
        }
        answers = run_batch(self.access, "gmail", requests, "looking for sent mail")
        found: dict[str, frozenset[str]] = {}
        for number, mail in enumerate(mails):
            answer = answers[str(number)]
            if isinstance(answer, Failure):
                raise provider_error(answer, "looking for sent mail (messages.list)")
            if answer.get("messages"):
                found[mail.message_id] = frozenset(mail.recipients)
                self._sent[mail.message_id] = found[mail.message_id]
        return found


def _failed(mail: OutgoingMail, failure: Failure) -> SendResult:
    error = provider_error(failure, "sending mail")
    reason = str(error)
    if error.permanent:
        return SendResult(mail.message_id, refused={r: reason for r in mail.recipients})
    return SendResult(mail.message_id, deferred={r: reason for r in mail.recipients})


def _encoded(mail: OutgoingMail) -> str:
    """The raw message for Gmail, with a Bcc for any recipient its headers do not name
    (Gmail sends to the header recipients; it takes Bcc off what they receive)."""
    raw = mail.raw
    message = message_from_bytes(raw, policy=policy.compat32)
    named = {
        address.lower()
        for _, address in email.utils.getaddresses(
            [str(v) for h in ("To", "Cc", "Bcc") for v in message.get_all(h, [])]
        )
    }
    hidden = [r for r in mail.recipients if r.lower() not in named]
    if hidden:
        raw = f"Bcc: {', '.join(hidden)}\r\n".encode() + raw
    return base64.urlsafe_b64encode(raw).decode("ascii")


def _bare(message_id: str) -> str:
    return message_id.strip().removeprefix("<").removesuffix(">")
